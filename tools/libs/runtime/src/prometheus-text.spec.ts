import { bucketDelta, histogramBuckets, histogramQuantile, sumByLabel } from './prometheus-text';

const scrape = `# HELP x_seconds Latency.
# TYPE x_seconds histogram
x_seconds_bucket{le="0.1",stage="a"} 10
x_seconds_bucket{le="0.5",stage="a"} 60
x_seconds_bucket{le="1",stage="a"} 90
x_seconds_bucket{le="+Inf",stage="a"} 100
x_seconds_bucket{le="0.1",stage="b"} 0
x_seconds_bucket{le="0.5",stage="b"} 0
x_seconds_bucket{le="1",stage="b"} 0
x_seconds_bucket{le="+Inf",stage="b"} 0
x_seconds_sum{stage="a"} 42
x_seconds_count{stage="a"} 100
xy_seconds_bucket{le="0.1"} 999
x_seconds_bucket{handle="9",le="0.1",stage="c"} 0
`;

describe('histograms from the text exposition', () => {
  it('sums buckets over labels, ignoring other metrics that share the prefix', () => {
    expect(histogramBuckets(scrape, 'x_seconds')).toEqual([
      { le: 0.1, count: 10 },
      { le: 0.5, count: 60 },
      { le: 1, count: 90 },
      { le: Infinity, count: 100 },
    ]);
  });

  it('interpolates quantiles inside buckets as histogram_quantile does', () => {
    const b = histogramBuckets(scrape, 'x_seconds');
    // rank 50 lies in (0.1, 0.5]: 0.1 + 0.4 × (50 - 10) / 50 = 0.42
    expect(histogramQuantile(0.5, b)).toBeCloseTo(0.42, 12);
    // rank 5 lies in the first bucket, which starts at 0
    expect(histogramQuantile(0.05, b)).toBeCloseTo(0.05, 12);
    // rank 99 lies in +Inf: the highest finite bound
    expect(histogramQuantile(0.99, b)).toBe(1);
    expect(histogramQuantile(0.5, [])).toBeNaN();
  });

  it('takes the difference of two scrapes', () => {
    const before = [
      { le: 0.1, count: 5 },
      { le: Infinity, count: 5 },
    ];
    const after = [
      { le: 0.1, count: 7 },
      { le: Infinity, count: 15 },
    ];
    expect(bucketDelta(after, before)).toEqual([
      { le: 0.1, count: 2 },
      { le: Infinity, count: 10 },
    ]);
  });
});

describe('sumByLabel', () => {
  it('sums a counter per value of one label, over its other labels', () => {
    const text = [
      '# HELP text_cleaner_texts_dropped_total x',
      'text_cleaner_texts_dropped_total{source="review",reason="duplicate"} 3',
      'text_cleaner_texts_dropped_total{source="post",reason="duplicate"} 1',
      'text_cleaner_texts_dropped_total{reason="empty",source="post"} 2',
      'text_cleaner_texts_dropped_totals{reason="empty"} 99',
    ].join('\n');
    expect([...sumByLabel(text, 'text_cleaner_texts_dropped_total', 'reason')]).toEqual([
      ['duplicate', 4],
      ['empty', 2],
    ]);
  });
});
