/** Ranks every held-out item under a scorer, and the cross-fitted blend of a scorer with popularity. */
import { hitAt, mean, ndcgAt, rankOf } from './metrics';
import type { Split } from './split';

/** Scores of every catalogue item for a user, or null when the method knows nothing about them. */
export type Scorer = (userId: string) => Float64Array | null;

export const K = 10;

/**
 * The rank of each test user's held-out item (test order). A user the scorer cannot score (null)
 * is a miss: the method recommends nothing to them. (Scoring them all-equal would let the
 * catalogue's order hand out hits, e.g. to a text method on a dataset with no user text.)
 */
export function rankAll(split: Split, scorer: Scorer): number[] {
  return rankAllVariants(split, 1, (userId) => [scorer(userId)])[0]!;
}

/**
 * rankAll for several scorers that share their work per user: `scorer` gives one score array per
 * variant (null: a miss), or null for all of them. One rank list per variant.
 */
export function rankAllVariants(
  split: Split,
  variants: number,
  scorer: (userId: string) => readonly (Float64Array | null)[] | null,
): number[][] {
  const index = new Map(split.catalogue.map((id, i) => [id, i]));
  const out = Array.from({ length: variants }, () => new Array<number>(split.test.length));
  split.test.forEach(({ userId, itemId }, u) => {
    const target = index.get(itemId) ?? -1;
    const excluded = new Set<number>();
    for (const item of split.trainItems.get(userId) ?? []) {
      const i = index.get(item);
      if (i !== undefined && i !== target) excluded.add(i);
    }
    const scores = scorer(userId);
    for (let v = 0; v < variants; v++) {
      const s = scores?.[v];
      out[v]![u] = s ? rankOf(s, target, excluded) : Infinity;
    }
  });
  return out;
}

export function hits(ranks: readonly number[]): number[] {
  return ranks.map((r) => hitAt(r, K));
}

export function ndcgs(ranks: readonly number[]): number[] {
  return ranks.map((r) => ndcgAt(r, K));
}

/** score = base + beta × prior; a user the base cannot score stays unscored (a miss), as without the prior. */
export function blended(base: Scorer, prior: Float64Array, beta: number): Scorer {
  return (userId) => {
    const s = base(userId);
    if (!s) return null;
    const out = new Float64Array(prior.length);
    for (let i = 0; i < out.length; i++) out[i] = s[i]! + beta * prior[i]!;
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
  // Ranks of every user under every weight, computed once.
  const byBeta = grid.map((beta) => rankAll(split, blended(base, prior, beta)));
  const { ranks, chosen } = crossFit(split, byBeta);
  return { ranks, betas: [grid[chosen[0]]!, grid[chosen[1]]!] };
}

/**
 * Chooses among candidate settings without tuning on the users measured: `byCandidate[c]` holds
 * every test user's rank under candidate c (test order); each fold (foldOf) gets the candidate
 * with the best mean NDCG@10 on the other fold (ties: the earlier candidate), and the ranks of
 * both folds are put back together in test order. `chosen[f]` is fold f's candidate index.
 */
export function crossFit(
  split: Split,
  byCandidate: readonly (readonly number[])[],
): { ranks: number[]; chosen: [number, number] } {
  if (byCandidate.length === 0) throw new RangeError('crossFit needs at least one candidate');
  const folds: [number[], number[]] = [[], []];
  split.test.forEach((t, i) => folds[foldOf(t.userId)].push(i));
  const best = (fold: number[]): number => {
    let bestIndex = 0;
    let bestScore = -1;
    byCandidate.forEach((ranks, c) => {
      const score = mean(fold.map((i) => ndcgAt(ranks[i]!, K)));
      if (score > bestScore) [bestIndex, bestScore] = [c, score];
    });
    return bestIndex;
  };
  const chosen: [number, number] = [best(folds[1]), best(folds[0])];
  const ranks = new Array<number>(split.test.length);
  folds.forEach((fold, f) => fold.forEach((i) => (ranks[i] = byCandidate[chosen[f]!]![i]!)));
  return { ranks, chosen };
}

/** Users (by index) whose activity falls in [low, high]. */
export interface ActivityBucket {
  low: number;
  high: number;
  /** `4`, `5–6`, or `11+` for the last. */
  label: string;
  /** Indexes into the activity list given, ascending. */
  users: number[];
}

/**
 * Groups users by activity (e.g. training events) into consecutive ranges with at least
 * `minUsers` users each, from the least active up: a range closes at the first count that brings
 * it to `minUsers`, and a short last range joins the one before. Counts never split, so a count
 * shared by many users makes a range of its own. Depends on the counts only, never on outcomes.
 */
export function activityBuckets(activity: readonly number[], minUsers: number): ActivityBucket[] {
  const byCount = new Map<number, number[]>();
  activity.forEach((n, i) => {
    const list = byCount.get(n);
    if (list) list.push(i);
    else byCount.set(n, [i]);
  });
  const ranges: { low: number; high: number; users: number[] }[] = [];
  let open: { low: number; high: number; users: number[] } | null = null;
  for (const n of [...byCount.keys()].sort((a, b) => a - b)) {
    open ??= { low: n, high: n, users: [] };
    open.high = n;
    open.users.push(...byCount.get(n)!);
    if (open.users.length >= minUsers) {
      ranges.push(open);
      open = null;
    }
  }
  if (open) {
    const last = ranges.pop();
    ranges.push(last ? { low: last.low, high: open.high, users: [...last.users, ...open.users] } : open);
  }
  return ranges.map((r, k) => ({
    ...r,
    users: r.users.sort((a, b) => a - b),
    label:
      k === ranges.length - 1 && ranges.length > 1 ? `${r.low}+` : r.low === r.high ? `${r.low}` : `${r.low}–${r.high}`,
  }));
}

/** A stable fold per user (FNV-1a of the id), independent of test order. */
export function foldOf(userId: string): 0 | 1 {
  let h = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) h = Math.imul(h ^ userId.charCodeAt(i), 0x01000193);
  return ((h >>> 0) & 1) as 0 | 1;
}
