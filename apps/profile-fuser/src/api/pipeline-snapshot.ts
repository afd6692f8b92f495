/**
 * What the explorer's live pipeline page polls: per stage, the records its consumers handled and
 * its lag, read from each service's /metrics (the fuser's own from its registry), and the fuser's
 * event-to-profile histogram. The page turns successive snapshots into rates and percentiles.
 */
import { histogramBuckets, sumSeries } from '@profilestream/prometheus-text';

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

export function stageFrom(name: string, exposition: string): StageSnapshot {
  return {
    name,
    ok: true,
    consumed: sumSeries(exposition, '_kafka_message_outcomes_total', (l) => l['outcome'] === 'ok'),
    lag: sumSeries(exposition, '_kafka_consumer_lag_messages'),
  };
}

/** Cumulative histogram buckets of `name`, summed over other labels; "+Inf" spelled out, as JSON has no Infinity. */
export function bucketsOf(exposition: string, name: string): { le: string; count: number }[] {
  return histogramBuckets(exposition, name).map(({ le, count }) => ({
    le: le === Infinity ? '+Inf' : String(le),
    count,
  }));
}
