/** Ranks every held-out item under a scorer, and the cross-fitted blend of a scorer with popularity. */
import { hitAt, mean, ndcgAt, rankOf } from './metrics';
import type { Split } from './split';

/** Scores of every catalogue item for a user, or null when the method knows nothing about them. */
export type Scorer = (userId: string) => Float64Array | null;

export const K = 10;

/** The rank of each test user's held-out item (test order); a user the scorer cannot score gets all-equal scores. */
export function rankAll(split: Split, scorer: Scorer): number[] {
  const index = new Map(split.catalogue.map((id, i) => [id, i]));
  const blank = new Float64Array(split.catalogue.length);
  return split.test.map(({ userId, itemId }) => {
    const target = index.get(itemId) ?? -1;
    const excluded = new Set<number>();
    for (const item of split.trainItems.get(userId) ?? []) {
      const i = index.get(item);
      if (i !== undefined && i !== target) excluded.add(i);
    }
    return rankOf(scorer(userId) ?? blank, target, excluded);
  });
}

export function hits(ranks: readonly number[]): number[] {
  return ranks.map((r) => hitAt(r, K));
}

export function ndcgs(ranks: readonly number[]): number[] {
  return ranks.map((r) => ndcgAt(r, K));
}

/** score = base + beta × prior, with base missing treated as zeros. */
export function blended(base: Scorer, prior: Float64Array, beta: number): Scorer {
  return (userId) => {
    const s = base(userId);
    const out = new Float64Array(prior.length);
    for (let i = 0; i < out.length; i++) out[i] = (s ? s[i]! : 0) + beta * prior[i]!;
    return out;
  };
}

/**
 * Blends a scorer with a popularity prior without tuning on the users it is measured on: users
 * are split into two folds, each fold's weight is the one from `grid` with the best NDCG@10 on
 * the other fold, and the ranks of both folds are put back together in test order.
 */
export function crossFitBlend(
  split: Split,
  base: Scorer,
  prior: Float64Array,
  grid: readonly number[],
): { ranks: number[]; betas: [number, number] } {
  const folds: [number[], number[]] = [[], []];
  split.test.forEach((t, i) => folds[foldOf(t.userId)].push(i));
  // Ranks of every user under every weight, computed once.
  const byBeta = grid.map((beta) => rankAll(split, blended(base, prior, beta)));
  const best = (fold: number[]): number => {
    let bestIndex = 0;
    let bestScore = -1;
    byBeta.forEach((ranks, b) => {
      const score = mean(fold.map((i) => ndcgAt(ranks[i]!, K)));
      if (score > bestScore) [bestIndex, bestScore] = [b, score];
    });
    return bestIndex;
  };
  const chosen: [number, number] = [best(folds[1]), best(folds[0])];
  const ranks = new Array<number>(split.test.length);
  folds.forEach((fold, f) => fold.forEach((i) => (ranks[i] = byBeta[chosen[f]!]![i]!)));
  return { ranks, betas: [grid[chosen[0]]!, grid[chosen[1]]!] };
}

/** A stable fold per user (FNV-1a of the id), independent of test order. */
export function foldOf(userId: string): 0 | 1 {
  let h = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) h = Math.imul(h ^ userId.charCodeAt(i), 0x01000193);
  return ((h >>> 0) & 1) as 0 | 1;
}
