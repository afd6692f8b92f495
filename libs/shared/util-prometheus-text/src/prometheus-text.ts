/**
 * Reading the Prometheus text exposition format (what a /metrics endpoint serves): sample lines,
 * sums of counters and gauges, histogram buckets and their quantiles as Prometheus computes them.
 * Comments (# HELP, # TYPE) and lines that are not samples are skipped.
 */

/** One sample line: `name{label="value",…} value [timestamp]`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Bucket {
  /** Upper bound; Infinity for the +Inf bucket. */
  le: number;
  count: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
// One label pair and what follows it: a comma (more pairs, or a trailing comma) or the closing brace.
const LABEL_PAIR = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,?)\s*(\}?)/y;

/** The sample on `line`, or null for a comment, a blank line or anything malformed. */
export function parseSample(line: string): Sample | null {
  const name = METRIC_NAME.exec(line)?.[0];
  if (name === undefined) return null;
  const labels: Record<string, string> = {};
  let at = name.length;
  if (line[at] === '{') {
    at++;
    if (/^\s*\}/.test(line.slice(at))) {
      at = line.indexOf('}', at) + 1;
    } else {
      for (;;) {
        LABEL_PAIR.lastIndex = at;
        const m = LABEL_PAIR.exec(line);
        if (!m) return null;
        labels[m[1]!] = unescapeLabelValue(m[2]!);
        at = LABEL_PAIR.lastIndex;
        if (m[4]) break;
        if (!m[3]) return null;
      }
    }
  }
  const value = /^[ \t]+(\S+)/.exec(line.slice(at))?.[1];
  if (value === undefined) return null;
  return { name, labels, value: parseSampleValue(value) };
}

/** Every sample of an exposition, in order. */
export function parseSamples(exposition: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of exposition.split('\n')) {
    const sample = parseSample(line);
    if (sample) samples.push(sample);
  }
  return samples;
}

/** The values of counter or gauge `name`, summed per value of `label` (its other labels summed over). */
export function sumByLabel(exposition: string, name: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of parseSamples(exposition)) {
    const value = s.labels[label];
    if (s.name === name && value !== undefined) out.set(value, (out.get(value) ?? 0) + s.value);
  }
  return out;
}

/**
 * The sum of every series whose metric name ends with `suffix` and whose labels pass `keep`: one
 * metric across the services' name prefixes (`text_cleaner_…`, `encoder_…`).
 */
export function sumSeries(
  exposition: string,
  suffix: string,
  keep: (labels: Record<string, string>) => boolean = () => true,
): number {
  let sum = 0;
  for (const s of parseSamples(exposition)) if (s.name.endsWith(suffix) && keep(s.labels)) sum += s.value;
  return sum;
}

/** Cumulative buckets of histogram `name` (summed over its other labels), sorted by upper bound. */
export function histogramBuckets(exposition: string, name: string): Bucket[] {
  const counts = new Map<number, number>();
  for (const s of parseSamples(exposition)) {
    const le = s.labels['le'];
    if (s.name !== `${name}_bucket` || le === undefined) continue;
    const bound = parseSampleValue(le);
    counts.set(bound, (counts.get(bound) ?? 0) + s.value);
  }
  return [...counts].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/** What happened between two scrapes of the same histogram. */
export function bucketDelta(after: Bucket[], before: Bucket[]): Bucket[] {
  const prior = new Map(before.map((b) => [b.le, b.count]));
  return after.map((b) => ({ le: b.le, count: b.count - (prior.get(b.le) ?? 0) }));
}

/**
 * The q-quantile, interpolated linearly inside its bucket like PromQL's histogram_quantile (the
 * first bucket starts at 0; a quantile in the +Inf bucket is the highest finite bound). NaN when
 * the histogram is empty.
 */
export function histogramQuantile(q: number, buckets: Bucket[]): number {
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total <= 0 || buckets.length < 2) return NaN;
  const rank = q * total;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    if (b.count < rank) continue;
    if (b.le === Infinity) return buckets[i - 1]!.le;
    const lower = i === 0 ? 0 : buckets[i - 1]!.le;
    const below = i === 0 ? 0 : buckets[i - 1]!.count;
    return b.count === below ? lower : lower + ((b.le - lower) * (rank - below)) / (b.count - below);
  }
  return buckets[buckets.length - 2]!.le;
}

/** A sample value or an `le` bound: a float, or +Inf, -Inf, NaN as the format spells them. */
function parseSampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** Label values escape backslash, double quote and line feed. */
function unescapeLabelValue(raw: string): string {
  return raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}
