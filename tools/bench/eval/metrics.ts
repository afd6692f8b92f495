/** Full-ranking metrics with one relevant item per user, and bootstrap confidence intervals. */
import { seededRandom } from '@profilestream/embedding';

/**
 * 1-based rank of `target` among the candidates by descending score, excluding `excluded` (the
 * target itself never is); ties go to the candidate earlier in catalogue order. `scores[i]` scores
 * the i-th catalogue item. Infinity when the target is not in the catalogue.
 */
export function rankOf(scores: ArrayLike<number>, target: number, excluded: ReadonlySet<number>): number {
  if (target < 0 || target >= scores.length) return Infinity;
  const t = scores[target]!;
  let rank = 1;
  for (let i = 0; i < scores.length; i++) {
    if (i === target || excluded.has(i)) continue;
    const s = scores[i]!;
    if (s > t || (s === t && i < target)) rank++;
  }
  return rank;
}

export function hitAt(rank: number, k: number): number {
  return rank <= k ? 1 : 0;
}

/** NDCG@k with a single relevant item: the ideal DCG is 1. */
export function ndcgAt(rank: number, k: number): number {
  return rank <= k ? 1 / Math.log2(rank + 1) : 0;
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length === 0 ? 0 : s / xs.length;
}

export interface Interval {
  mean: number;
  low: number;
  high: number;
}

/**
 * Percentile bootstrap over users: resamples users with replacement `resamples` times and returns
 * the mean with its (1 - alpha) interval. With several series the same resamples are used for all
 * (paired), so differences between methods can be read off `bootstrapDifference`.
 */
export function bootstrapMean(
  values: ArrayLike<number>,
  options: { resamples?: number; alpha?: number; seed?: number } = {},
): Interval {
  const [interval] = bootstrapPaired([values], (xs) => xs[0]!, options);
  return interval!;
}

/** Bootstrap interval of mean(a) - mean(b) over the same users (paired). */
export function bootstrapDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: { resamples?: number; alpha?: number; seed?: number } = {},
): Interval {
  if (a.length !== b.length) throw new Error('paired series must have the same users');
  const [interval] = bootstrapPaired([a, b], (xs) => xs[0]! - xs[1]!, options);
  return interval!;
}

function bootstrapPaired(
  series: ArrayLike<number>[],
  statistic: (means: number[]) => number,
  { resamples = 1000, alpha = 0.05, seed = 20240601 }: { resamples?: number; alpha?: number; seed?: number },
): Interval[] {
  const n = series[0]?.length ?? 0;
  const point = statistic(series.map((s) => mean(s)));
  if (n === 0) return [{ mean: point, low: point, high: point }];
  const random = seededRandom(seed);
  const stats = new Float64Array(resamples);
  const sums = new Float64Array(series.length);
  for (let r = 0; r < resamples; r++) {
    sums.fill(0);
    for (let j = 0; j < n; j++) {
      const pick = Math.floor(random() * n);
      for (let s = 0; s < series.length; s++) sums[s]! += series[s]![pick]!;
    }
    stats[r] = statistic(Array.from(sums, (x) => x / n));
  }
  stats.sort();
  const at = (q: number) => stats[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))]!;
  return [{ mean: point, low: at(alpha / 2), high: at(1 - alpha / 2) }];
}
