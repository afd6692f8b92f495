/** Reading Prometheus text exposition: histogram buckets and quantiles as Prometheus computes them. */

export interface Bucket {
  le: number;
  count: number;
}

/** Cumulative buckets of histogram `name` (summed over its other labels), sorted by upper bound. */
export function histogramBuckets(exposition: string, name: string): Bucket[] {
  const counts = new Map<number, number>();
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const m = /[{,]le="([^"]+)"[^}]*\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
    counts.set(le, (counts.get(le) ?? 0) + Number(m[2]));
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

/** The values of counter or gauge `name`, summed per value of `label` (its other labels summed over). */
export function sumByLabel(exposition: string, name: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z0-9_:]+)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const value = new RegExp(`(?:^|,)${label}="([^"]*)"`).exec(m[2]!)?.[1];
    if (value !== undefined) out.set(value, (out.get(value) ?? 0) + Number(m[3]));
  }
  return out;
}
