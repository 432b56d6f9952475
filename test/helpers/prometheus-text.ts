/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for tests that
 * check what `oauth.metricsHandler` serves: every line must be a HELP, a TYPE or a sample of a
 * family declared before it, label values are unescaped, a series may appear once only.
 * Anything else throws, so a malformed exposition fails the test that reads it.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum`, `x_count` for a histogram `x`). */
  name: string;
  /** The family it belongs to (`x` for `x_bucket`). */
  family: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  families: Map<string, { type: MetricType; help: string }>;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const HELP = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
/** name, labels, value and an optional timestamp (milliseconds), which is not kept. */
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const SUFFIXES: Record<MetricType, string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parsePrometheusText(text: string): Exposition {
  const families = new Map<string, { type: MetricType; help: string }>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  if (!text.endsWith('\n')) throw new Error('The exposition must end with a newline');
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const where = `line ${i + 1} (${JSON.stringify(line)})`;
      if (line === '') return;
      const help = HELP.exec(line);
      if (help) {
        helps.set(help[1] as string, help[2] as string);
        return;
      }
      const type = TYPE.exec(line);
      if (type) {
        const name = type[1] as string;
        if (families.has(name)) throw new Error(`${where}: a second TYPE for ${name}`);
        families.set(name, { type: type[2] as MetricType, help: helps.get(name) ?? '' });
        return;
      }
      if (line.startsWith('#')) throw new Error(`${where}: not a HELP or TYPE line`);
      const sample = SAMPLE.exec(line);
      if (!sample) throw new Error(`${where}: not a sample`);
      const name = sample[1] as string;
      const family = familyOf(name, families);
      if (family === undefined) throw new Error(`${where}: no TYPE declared for ${name}`);
      const labels = parseLabels(sample[2] ?? '', where);
      const value = parseValue(sample[3] as string, where);
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (seen.has(key)) throw new Error(`${where}: the same series twice`);
      seen.add(key);
      samples.push({ name, family, labels, value });
    });
  return { families, samples };
}

function familyOf(name: string, families: Map<string, { type: MetricType }>): string | undefined {
  for (const [family, { type }] of families) {
    if (SUFFIXES[type].some((suffix) => `${family}${suffix}` === name)) return family;
  }
  return undefined;
}

/** `a="x",b="y\"z"` (a trailing comma allowed), with the three escapes of the format. */
function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pair = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"\s*(,|$)/y;
  let at = 0;
  while (at < text.length) {
    pair.lastIndex = at;
    const m = pair.exec(text);
    if (!m) throw new Error(`${where}: bad labels at ${JSON.stringify(text.slice(at))}`);
    const name = m[1] as string;
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    labels[name] = (m[2] as string).replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    at = pair.lastIndex;
  }
  return labels;
}

function parseValue(text: string, where: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(text)) throw new Error(`${where}: bad value ${text}`);
  return Number(text);
}

/** The samples of one name, as `{ labels, value }` (for `toEqual` over a whole metric). */
export function samplesOf(exposition: Exposition, name: string): { labels: Record<string, string>; value: number }[] {
  return exposition.samples.filter((s) => s.name === name).map(({ labels, value }) => ({ labels, value }));
}

/** The value of exactly one series; throws when there is none. */
export function seriesValue(exposition: Exposition, name: string, labels: Record<string, string>): number {
  const want = JSON.stringify(Object.entries(labels).sort());
  const found = exposition.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want);
  if (!found) throw new Error(`No series ${name}${JSON.stringify(labels)}`);
  return found.value;
}

/** Rows sorted by their labels, so that two lists compare whatever the exposition's order. */
export function sortedByLabels<T extends { labels: Record<string, string> }>(rows: T[]): T[] {
  const key = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort());
  return [...rows].sort((a, b) => key(a.labels).localeCompare(key(b.labels)));
}

/** A metric with one label, as `{ labelValue: value }` (e.g. the security events by `event`). */
export function valuesByLabel(exposition: Exposition, name: string, label: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const s of exposition.samples.filter((x) => x.name === name)) {
    if (Object.keys(s.labels).length !== 1 || s.labels[label] === undefined) throw new Error(`${name}: labels other than ${label}`);
    values[s.labels[label] as string] = s.value;
  }
  return values;
}

/**
 * Checks every series of a histogram: buckets ascending by `le`, counts never decreasing, a
 * `+Inf` bucket equal to `_count`, and a `_sum` present. Returns each label set's `_count`,
 * sorted by labels, to compare with the counter of the same requests.
 */
export function checkHistograms(exposition: Exposition, family: string): { labels: Record<string, string>; value: number }[] {
  const groups = new Map<string, { le: number; value: number }[]>();
  const keyOf = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort());
  for (const s of exposition.samples.filter((x) => x.name === `${family}_bucket`)) {
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${family}_bucket without le`);
    const key = keyOf(rest);
    groups.set(key, [...(groups.get(key) ?? []), { le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), value: s.value }]);
  }
  const counts: { labels: Record<string, string>; value: number }[] = [];
  for (const [key, buckets] of groups) {
    const labels = Object.fromEntries(JSON.parse(key) as [string, string][]);
    for (let i = 1; i < buckets.length; i++) {
      const [prev, cur] = [buckets[i - 1], buckets[i]] as [{ le: number; value: number }, { le: number; value: number }];
      if (!(cur.le > prev.le)) throw new Error(`${family} ${key}: buckets not in ascending le order`);
      if (cur.value < prev.value) throw new Error(`${family} ${key}: bucket le=${cur.le} holds fewer than le=${prev.le}`);
    }
    const inf = buckets[buckets.length - 1];
    const count = seriesValue(exposition, `${family}_count`, labels);
    if (inf?.le !== Number.POSITIVE_INFINITY || inf.value !== count) throw new Error(`${family} ${key}: +Inf bucket is not _count`);
    seriesValue(exposition, `${family}_sum`, labels);
    counts.push({ labels, value: count });
  }
  return sortedByLabels(counts);
}
