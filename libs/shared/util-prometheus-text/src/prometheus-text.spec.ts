import {
  bucketDelta,
  histogramBuckets,
  histogramQuantile,
  parseSample,
  parseSamples,
  sumByLabel,
  sumSeries,
} from './prometheus-text';

describe('parseSample', () => {
  it('reads a name, its labels and its value; a timestamp after the value is ignored', () => {
    expect(parseSample('http_requests_total{method="post",code="200"} 1027 1395066363000')).toEqual({
      name: 'http_requests_total',
      labels: { method: 'post', code: '200' },
      value: 1027,
    });
    expect(parseSample('process_start_time_seconds 1.7e9')).toEqual({
      name: 'process_start_time_seconds',
      labels: {},
      value: 1.7e9,
    });
    expect(parseSample('up{} 1')).toEqual({ name: 'up', labels: {}, value: 1 });
    expect(parseSample('x{a="1",} 2')).toEqual({ name: 'x', labels: { a: '1' }, value: 2 });
  });

  it('unescapes label values, which may hold braces, commas and quotes', () => {
    expect(parseSample('x{path="C:\\\\tmp",msg="say \\"hi\\", {ok}\\nbye"} 1')?.labels).toEqual({
      path: 'C:\\tmp',
      msg: 'say "hi", {ok}\nbye',
    });
  });

  it('reads the special values as the format spells them', () => {
    expect(parseSample('x +Inf')?.value).toBe(Infinity);
    expect(parseSample('x -Inf')?.value).toBe(-Infinity);
    expect(parseSample('x NaN')?.value).toBeNaN();
  });

  it('skips comments, blank lines and malformed lines', () => {
    expect(parseSample('# HELP x A counter.')).toBeNull();
    expect(parseSample('# TYPE x counter')).toBeNull();
    expect(parseSample('')).toBeNull();
    expect(parseSample('x')).toBeNull();
    expect(parseSample('x{a="1" b="2"} 1')).toBeNull();
    expect(parseSample('x{a="1"')).toBeNull();
    expect(parseSamples('# TYPE x counter\nx 1\n\ny{a="b"} 2\n')).toEqual([
      { name: 'x', labels: {}, value: 1 },
      { name: 'y', labels: { a: 'b' }, value: 2 },
    ]);
  });
});

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

describe('sumSeries', () => {
  const text = [
    'text_cleaner_kafka_message_outcomes_total{outcome="ok",topic="reviews"} 5',
    'text_cleaner_kafka_message_outcomes_total{outcome="dlq",topic="reviews"} 1',
    'encoder_kafka_message_outcomes_total{outcome="ok"} 7',
    'encoder_kafka_consumer_lag_messages 3',
    'encoder_kafka_message_outcomes_totals{outcome="ok"} 99',
  ].join('\n');

  it("sums one metric across the services' name prefixes, over the labels that pass", () => {
    expect(sumSeries(text, '_kafka_message_outcomes_total', (l) => l['outcome'] === 'ok')).toBe(12);
    expect(sumSeries(text, '_kafka_message_outcomes_total')).toBe(13);
    expect(sumSeries(text, '_kafka_consumer_lag_messages')).toBe(3);
    expect(sumSeries(text, '_missing')).toBe(0);
  });
});
