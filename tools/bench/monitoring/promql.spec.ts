import {
  dashboardQueries,
  dashboardVariableMetrics,
  exportedFamilies,
  isExportedSeries,
  metricNames,
  substituteVariables,
  unknownNames,
} from './promql';

describe('metricNames', () => {
  it('finds selectors and skips functions, aggregations, keywords, labels and strings', () => {
    expect(
      metricNames(
        'label_replace(sum by (namespace, outcome) (rate(text_cleaner_kafka_message_outcomes_total{outcome!="ok", topic=~"a|b"}[5m])), "stage", "text-cleaner", "", "")',
      ),
    ).toEqual(['text_cleaner_kafka_message_outcomes_total']);
    expect(
      metricNames('sum(rate(a_total[5m])) by (job) / on (job) group_left (provider) b_info > bool 0.5 unless c'),
    ).toEqual(['a_total', 'b_info', 'c']);
    expect(
      metricNames('histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket{le!="+Inf"}[$__rate_interval])))'),
    ).toEqual(['x_seconds_bucket']);
    expect(metricNames('topk(5, count_values("v", y)) or absent(up{job=~"(.+-)?encoder"})')).toEqual(['up', 'y']);
  });

  it('keeps recording-rule names with colons and ignores offsets, numbers and comments', () => {
    expect(
      metricNames('ns:rule:rate5m offset 1h > (14.4 * 0.01) and 1e3 < z # trailing comment with fake_name'),
    ).toEqual(['ns:rule:rate5m', 'z']);
    expect(metricNames('{__name__="by_name", job="a"}')).toEqual(['by_name']);
    expect(() => metricNames('{__name__=~"any.*"}')).toThrow(/cannot be checked/);
  });

  it('rejects broken expressions instead of finding nothing', () => {
    expect(() => metricNames('rate(a[5m)')).toThrow(/unbalanced/);
    expect(() => metricNames('a{x="unterminated}')).toThrow(/unterminated string/);
  });
});

describe('exported families', () => {
  const families = exportedFamilies(
    [
      '# HELP h_seconds help',
      '# TYPE h_seconds histogram',
      'h_seconds_bucket{le="1"} 0',
      '# TYPE c_total counter',
      '# TYPE s summary',
      '# TYPE g gauge',
      'g 1',
    ].join('\n'),
  );

  it('reads types from TYPE lines', () => {
    expect([...families]).toEqual([
      ['h_seconds', 'histogram'],
      ['c_total', 'counter'],
      ['s', 'summary'],
      ['g', 'gauge'],
    ]);
  });

  it('accepts histogram and summary series suffixes only where they exist', () => {
    expect(isExportedSeries('h_seconds_bucket', families)).toBe(true);
    expect(isExportedSeries('h_seconds_count', families)).toBe(true);
    expect(isExportedSeries('s_sum', families)).toBe(true);
    expect(isExportedSeries('s_bucket', families)).toBe(false);
    expect(isExportedSeries('g_count', families)).toBe(false);
    expect(isExportedSeries('c', families)).toBe(false);
    expect(unknownNames(['c_total', 'up', 'rec:x', 'missing_total', 'g_sum'], families, new Set(['rec:x']))).toEqual([
      'g_sum',
      'missing_total',
    ]);
  });
});

describe('dashboard queries', () => {
  it('collects targets of panels and of panels inside rows, and substitutes variables', () => {
    const queries = dashboardQueries({
      panels: [
        { title: 'A', targets: [{ refId: 'A', expr: 'rate(x_total{namespace=~"$namespace"}[$__rate_interval])' }] },
        {
          title: 'row',
          type: 'row',
          panels: [
            {
              title: 'B',
              targets: [
                { refId: 'B', expr: 'y' },
                { refId: 'C', expr: '' },
              ],
            },
          ],
        },
      ],
    });
    expect(queries.map((q) => `${q.panel}/${q.refId}`)).toEqual(['A/A', 'B/B']);
    expect(substituteVariables(queries[0]!.expr, { namespace: '.*', __rate_interval: '1m' })).toBe(
      'rate(x_total{namespace=~".*"}[1m])',
    );
    expect(() => substituteVariables('rate(x[$__range])', {})).toThrow(/unknown dashboard variable \$__range/);
  });

  it('reads the metric of label_values variables and refuses other variable queries', () => {
    const vars = (query: unknown) => ({
      templating: {
        list: [
          { type: 'datasource', query: 'prometheus' },
          { type: 'query', query },
        ],
      },
    });
    expect(dashboardVariableMetrics(vars({ query: 'label_values(m_info{job="x"}, namespace)' }))).toEqual(['m_info']);
    expect(dashboardVariableMetrics(vars('label_values(n_total, pod)'))).toEqual(['n_total']);
    expect(() => dashboardVariableMetrics(vars('query_result(up)'))).toThrow(/not understood/);
  });
});
