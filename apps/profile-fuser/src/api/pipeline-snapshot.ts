/**
 * What the explorer's live pipeline page polls: per stage, the records its consumers handled and
 * its lag, read from each service's /metrics (the fuser's own from its registry), and the fuser's
 * event-to-profile histogram. The page turns successive snapshots into rates and percentiles.
 */

export interface StageSnapshot {
  name: string;
  /** False when the stage's /metrics did not answer; `error` says why. */
  ok: boolean;
  error?: string;
  /** Records its consumers handled successfully, since it started. */
  consumed: number;
  /** Messages its consumer groups are behind. */
  lag: number;
}

export interface PipelineSnapshot {
  at: number;
  stages: StageSnapshot[];
  /** Cumulative buckets of event-to-profile seconds: upper bound (Infinity as "+Inf") and count. */
  latency: { le: string; count: number }[];
}

/** Sums the series of the metric whose name ends with `suffix` (one per service prefix), whose labels pass `keep`. */
export function sumSeries(exposition: string, suffix: string, keep: (labels: string) => boolean = () => true): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z0-9_:]+)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1]!.endsWith(suffix) && keep(m[2] ?? '')) sum += Number(m[3]);
  }
  return sum;
}

export function stageFrom(name: string, exposition: string): StageSnapshot {
  return {
    name,
    ok: true,
    consumed: sumSeries(exposition, '_kafka_message_outcomes_total', (l) => l.includes('outcome="ok"')),
    lag: sumSeries(exposition, '_kafka_consumer_lag_messages'),
  };
}

/** Cumulative histogram buckets of `name` from an exposition, summed over other labels, by `le`. */
export function bucketsOf(exposition: string, name: string): { le: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const m = /[{,]le="([^"]+)"[^}]*\}\s+(\S+)/.exec(line);
    if (m) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + Number(m[2]));
  }
  const bound = (le: string) => (le === '+Inf' ? Infinity : Number(le));
  return [...counts].map(([le, count]) => ({ le, count })).sort((a, b) => bound(a.le) - bound(b.le));
}
