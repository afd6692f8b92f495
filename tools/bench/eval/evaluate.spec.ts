import type { DatasetEvent } from '@profilestream/tools-events';
import {
  activityBuckets,
  blended,
  crossFit,
  crossFitBlend,
  foldOf,
  hits,
  ndcgs,
  rankAll,
  rankAllVariants,
} from './evaluate';
import { leaveLastOut } from './split';

const ev = (seq: number, user: string, item: string, ts: number): DatasetEvent => ({
  ts,
  seq,
  user_id: user,
  item_id: item,
  type: 'review',
  rating: 5,
  text: '',
});

// Catalogue (source order): a, b, c, d. u1 trains on a, b and holds out c; u2 trains on b, c and holds out d.
const split = leaveLastOut([
  ev(0, 'u1', 'a', 1),
  ev(1, 'u1', 'b', 2),
  ev(2, 'u2', 'b', 1),
  ev(3, 'u2', 'c', 2),
  ev(4, 'u1', 'c', 3),
  ev(5, 'u2', 'd', 3),
  ev(6, 'u3', 'd', 1),
]);

describe('rankAll', () => {
  it("excludes each user's training items and ranks the held-out one", () => {
    expect(split.catalogue).toEqual(['a', 'b', 'c', 'd']);
    // u1's candidates are c and d; u2's are a and d.
    const scores: Record<string, number[]> = { u1: [9, 9, 1, 2], u2: [5, 9, 9, 1] };
    const ranks = rankAll(split, (u) => Float64Array.from(scores[u]!));
    expect(ranks).toEqual([2, 2]);
    expect(hits(ranks)).toEqual([1, 1]);
    expect(ndcgs(ranks)[0]).toBeCloseTo(1 / Math.log2(3), 12);
  });

  it('counts a user the scorer knows nothing about as a miss, whatever the catalogue order', () => {
    // All-equal scores would rank u1's c first (before d in catalogue order): a hit out of nothing.
    const ranks = rankAll(split, (u) => (u === 'u2' ? Float64Array.of(0, 0, 0, 1) : null));
    expect(ranks).toEqual([Infinity, 1]);
    expect(hits(ranks)).toEqual([0, 1]);
    expect(ndcgs(ranks)).toEqual([0, 1]);
  });
});

describe('blends with popularity', () => {
  it('adds the weighted prior to the base scores', () => {
    const s = blended(() => Float64Array.of(1, 0, 0, 0), Float64Array.of(0, 1, 0.5, 0), 2)('u1');
    expect([...s!]).toEqual([1, 2, 1, 0]);
    // A user the base knows nothing about stays a miss: the prior alone is not this method.
    expect(blended(() => null, Float64Array.of(0, 1, 0.5, 0), 2)('u1')).toBeNull();
  });

  it("picks each fold's weight on the other fold only", () => {
    expect(foldOf('u1')).not.toBe(foldOf('u2'));
    // Base scores favour d. u1 (held out c) would need the prior on c (beta 10); u2 (held out d)
    // is best without it (beta 0). Cross-fitting gives each user the other's choice.
    const base = () => Float64Array.of(0, 0, 0, 1);
    const prior = Float64Array.of(0, 0, 1, 0);
    const { ranks, betas } = crossFitBlend(split, base, prior, [0, 10]);
    expect(betas[foldOf('u1')]).toBe(0);
    expect(betas[foldOf('u2')]).toBe(10);
    // u1 at beta 0: d (1) beats c (0) → rank 2. u2 at beta 10: c is a training item, d beats a → rank 1.
    expect(ranks).toEqual([2, 1]);
  });
});

describe('rankAllVariants', () => {
  it('ranks every variant as rankAll would, with null meaning a miss', () => {
    const scores: Record<string, number[][]> = {
      u1: [
        [9, 9, 1, 2],
        [0, 0, 5, 1],
      ],
      u2: [
        [5, 9, 9, 1],
        [0, 0, 0, 7],
      ],
    };
    const ranks = rankAllVariants(split, 2, (u) => scores[u]!.map((s) => Float64Array.from(s)));
    expect(ranks).toEqual([
      rankAll(split, (u) => Float64Array.from(scores[u]![0]!)),
      rankAll(split, (u) => Float64Array.from(scores[u]![1]!)),
    ]);
    expect(ranks[1]).toEqual([1, 1]);
    expect(rankAllVariants(split, 2, (u) => (u === 'u1' ? null : [null, Float64Array.of(0, 0, 0, 7)]))).toEqual([
      [Infinity, Infinity],
      [Infinity, 1],
    ]);
  });
});

describe('crossFit', () => {
  it('gives each fold the candidate best on the other fold, never its own', () => {
    // Candidate 0 suits u2 only (rank 1 against 20), candidate 1 suits u1 only.
    const byCandidate = [
      [20, 1],
      [1, 20],
    ];
    const { ranks, chosen } = crossFit(split, byCandidate);
    // u1 (test index 0) gets what is best for u2, and the other way round: both get rank 20.
    expect(chosen[foldOf('u1')]).toBe(0);
    expect(chosen[foldOf('u2')]).toBe(1);
    expect(ranks).toEqual([20, 20]);
  });

  it('breaks ties towards the earlier candidate and needs one', () => {
    expect(
      crossFit(split, [
        [3, 3],
        [3, 3],
      ]).chosen,
    ).toEqual([0, 0]);
    expect(() => crossFit(split, [])).toThrow(RangeError);
  });
});

describe('activityBuckets', () => {
  it('closes a range once it holds enough users, keeps shared counts together, merges a short tail', () => {
    // Users (by index) with 4, 4, 4, 5, 6, 7, 9, 12 and 30 events; at least 3 per range.
    const activity = [4, 30, 5, 4, 6, 4, 12, 9, 7];
    const buckets = activityBuckets(activity, 3);
    expect(buckets.map((b) => [b.label, b.users])).toEqual([
      ['4', [0, 3, 5]],
      ['5–7', [2, 4, 8]],
      ['9+', [1, 6, 7]],
    ]);
    // A short tail (30 alone at minimum 4) joins the range before it.
    expect(activityBuckets(activity, 4).map((b) => [b.label, b.low, b.high, b.users.length])).toEqual([
      ['4–5', 4, 5, 4],
      ['6+', 6, 30, 5],
    ]);
  });

  it('puts everyone in one range when there are too few users', () => {
    expect(activityBuckets([3, 1, 2], 10)).toEqual([{ low: 1, high: 3, label: '1–3', users: [0, 1, 2] }]);
    expect(activityBuckets([], 5)).toEqual([]);
  });
});
