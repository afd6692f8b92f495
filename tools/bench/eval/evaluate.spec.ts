import type { DatasetEvent } from '@profilestream/tools-events';
import { blended, crossFitBlend, foldOf, hits, ndcgs, rankAll } from './evaluate';
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

  it('gives a user the scorer knows nothing about all-equal scores (catalogue order decides)', () => {
    // u1: c before d in catalogue order → rank 1; u2: a before d → rank 2.
    expect(rankAll(split, () => null)).toEqual([1, 2]);
  });
});

describe('blends with popularity', () => {
  it('adds the weighted prior to the base scores', () => {
    const s = blended(() => Float64Array.of(1, 0, 0, 0), Float64Array.of(0, 1, 0.5, 0), 2)('u1');
    expect([...s!]).toEqual([1, 2, 1, 0]);
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
