/**
 * The metrics tests are only as good as their parser: it must read the Prometheus text format
 * (0.0.4) exactly and refuse what is not, and its histogram check must catch broken buckets.
 */
import { checkHistograms, parsePrometheusText, samplesOf } from '../helpers/prometheus-text';

const HISTOGRAM = (buckets: [string, number][], count: number) =>
  [
    '# HELP h_seconds Latency',
    '# TYPE h_seconds histogram',
    ...buckets.map(([le, v]) => `h_seconds_bucket{le="${le}",a="x"} ${v}`),
    `h_seconds_sum{a="x"} 0.5`,
    `h_seconds_count{a="x"} ${count}`,
    '',
  ].join('\n');

describe('the Prometheus text parser of the tests', () => {
  it('reads families, samples, escaped label values and special values', () => {
    const parsed = parsePrometheusText(
      ['# HELP c_total A counter', '# TYPE c_total counter', 'c_total{id="q\\"b\\\\s\\nn",e=""} 2', 'c_total 1.5e3 1700000000000', '# TYPE g gauge', 'g NaN', 'g{x="1"} +Inf', ''].join('\n'),
    );
    expect(parsed.families).toEqual(
      new Map([
        ['c_total', { type: 'counter', help: 'A counter' }],
        ['g', { type: 'gauge', help: '' }],
      ]),
    );
    expect(samplesOf(parsed, 'c_total')).toEqual([
      { labels: { id: 'q"b\\s\nn', e: '' }, value: 2 },
      { labels: {}, value: 1500 },
    ]);
    expect(samplesOf(parsed, 'g')).toEqual([
      { labels: {}, value: Number.NaN },
      { labels: { x: '1' }, value: Number.POSITIVE_INFINITY },
    ]);
  });

  it.each([
    ['a sample of no declared family', 'c_total 1\n', 'no TYPE declared for c_total'],
    ['the same series twice', '# TYPE c counter\nc{a="1",b="2"} 1\nc{b="2",a="1"} 2\n', 'the same series twice'],
    ['a decimal comma', '# TYPE c counter\nc 1,0\n', 'bad value 1,0'],
    ['a sample with a value, a timestamp and more', '# TYPE c counter\nc 1 2 3\n', 'not a sample'],
    ['a non-number', '# TYPE c counter\nc one\n', 'bad value one'],
    ['an unescaped quote', '# TYPE c counter\nc{a="x"y"} 1\n', 'bad labels'],
    ['an unknown comment', '# TYPE c counter\n# EOF\n', 'not a HELP or TYPE line'],
    ['a missing final newline', '# TYPE c counter\nc 1', 'must end with a newline'],
    ['a histogram sample outside its suffixes', '# TYPE h histogram\nh 1\n', 'no TYPE declared for h'],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parsePrometheusText(text)).toThrow(message);
  });

  it('checks histograms: ascending le, non-decreasing counts, +Inf equal to _count', () => {
    const good = [['0.1', 1], ['1', 3], ['+Inf', 4]] as [string, number][];
    expect(checkHistograms(parsePrometheusText(HISTOGRAM(good, 4)), 'h_seconds')).toEqual([{ labels: { a: 'x' }, value: 4 }]);
    expect(() => checkHistograms(parsePrometheusText(HISTOGRAM([['0.1', 2], ['1', 1], ['+Inf', 2]], 2)), 'h_seconds')).toThrow('bucket le=1 holds fewer than le=0.1');
    expect(() => checkHistograms(parsePrometheusText(HISTOGRAM([['1', 1], ['0.1', 1], ['+Inf', 1]], 1)), 'h_seconds')).toThrow('not in ascending le order');
    expect(() => checkHistograms(parsePrometheusText(HISTOGRAM(good, 5)), 'h_seconds')).toThrow('+Inf bucket is not _count');
  });
});
