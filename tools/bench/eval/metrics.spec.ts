import { bootstrapDifference, bootstrapMean, hitAt, mean, ndcgAt, rankOf } from './metrics';

describe('ranking metrics', () => {
  // Catalogue order a, b, c, d, e; the user trained on c; the held-out item is d.
  const scores = [0.9, 0.2, 0.95, 0.5, 0.5];

  it('ranks the target among candidates, skipping training items and breaking ties by catalogue order', () => {
    // a (0.9) beats d; c is excluded; e ties with d but comes later, so d is 2nd.
    expect(rankOf(scores, 3, new Set([2]))).toBe(2);
    // Without the exclusion, c (0.95) also beats d.
    expect(rankOf(scores, 3, new Set())).toBe(3);
    // e ties with d and comes later: d wins the tie, so e is 3rd.
    expect(rankOf(scores, 4, new Set([2]))).toBe(3);
  });

  it('treats a target outside the catalogue as a miss', () => {
    expect(rankOf(scores, -1, new Set())).toBe(Infinity);
    expect(hitAt(Infinity, 10)).toBe(0);
    expect(ndcgAt(Infinity, 10)).toBe(0);
  });

  it('computes HR@k and NDCG@k by hand', () => {
    // Ranks of four users: 1, 3, 10, 11.
    const ranks = [1, 3, 10, 11];
    expect(mean(ranks.map((r) => hitAt(r, 10)))).toBe(0.75);
    // NDCG: 1/log2(2) = 1, 1/log2(4) = 0.5, 1/log2(11) = 0.289064826, 0.
    expect(mean(ranks.map((r) => ndcgAt(r, 10)))).toBeCloseTo((1 + 0.5 + 0.289064826 + 0) / 4, 8);
  });
});

describe('bootstrap', () => {
  it('gives the sample mean and an interval that contains it', () => {
    const values = Array.from({ length: 400 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const ci = bootstrapMean(values, { resamples: 2000, seed: 1 });
    expect(ci.mean).toBeCloseTo(0.1, 12);
    expect(ci.low).toBeLessThan(0.1);
    expect(ci.high).toBeGreaterThan(0.1);
    // The binomial standard error is 0.015: a 95% interval spans about ±0.029.
    expect(ci.high - ci.low).toBeGreaterThan(0.04);
    expect(ci.high - ci.low).toBeLessThan(0.08);
  });

  it('is reproducible for a seed', () => {
    const values = [0, 1, 0, 0, 1, 1, 0, 1, 0, 0];
    expect(bootstrapMean(values, { seed: 9 })).toEqual(bootstrapMean(values, { seed: 9 }));
  });

  it('pairs users when comparing two methods, so a constant gain has a zero-width interval', () => {
    const a = Array.from({ length: 50 }, (_, i) => (i % 3) / 3);
    const b = a.map((x) => x - 0.1);
    const diff = bootstrapDifference(a, b);
    expect(diff.mean).toBeCloseTo(0.1, 12);
    expect(diff.low).toBeCloseTo(0.1, 12);
    expect(diff.high).toBeCloseTo(0.1, 12);
    expect(() => bootstrapDifference(a, b.slice(1))).toThrow(/same users/);
  });
});
