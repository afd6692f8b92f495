import { ItemVectors, centre, itemKnn, popularity, popularityPrior } from './recommenders';

describe('popularity', () => {
  it('counts training interactions per catalogue item and scales log counts to [0, 1]', () => {
    const pop = popularity(['a', 'b', 'c'], ['a', 'b', 'a', 'zz', 'a']);
    expect([...pop]).toEqual([3, 1, 0]);
    const prior = popularityPrior(pop);
    expect(prior[0]).toBe(1);
    expect(prior[1]).toBeCloseTo(Math.log(2) / Math.log(4), 12);
    expect(prior[2]).toBe(0);
  });
});

describe('ItemVectors', () => {
  it('averages normalised vectors per item and scores by cosine; items without vectors rank last', () => {
    const items = ItemVectors.fromMeans(['a', 'b', 'c'], 2, [
      { itemId: 'a', vector: Float32Array.of(10, 0) },
      { itemId: 'a', vector: Float32Array.of(0, 1) },
      { itemId: 'b', vector: Float32Array.of(0, 3) },
      { itemId: 'unknown', vector: Float32Array.of(1, 1) },
    ]);
    expect(items.withVectors).toBe(2);
    const scores = items.scores(Float32Array.of(0, 1));
    expect(scores[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(scores[1]).toBeCloseTo(1, 6);
    expect(scores[2]).toBe(-Infinity);
  });

  it('takes the shared direction out of items and queries', () => {
    const items = ItemVectors.fromMeans(['a', 'b'], 2, [
      { itemId: 'a', vector: Float32Array.of(1, 0.2) },
      { itemId: 'b', vector: Float32Array.of(1, -0.2) },
    ]);
    const mean = items.centroid();
    expect(mean[1]).toBeCloseTo(0, 6);
    // Raw cosines barely separate the items; centred, they point opposite ways.
    const centred = items.centred(mean);
    const query = centre(Float32Array.of(mean[0]!, 0.1), mean)!;
    expect([...query]).toEqual([expect.closeTo(0, 6), expect.closeTo(1, 6)]);
    const scores = centred.scores(query);
    expect(scores[0]).toBeCloseTo(1, 6);
    expect(scores[1]).toBeCloseTo(-1, 6);
    expect(centre(mean, mean)).toBeNull();
  });

  it('refuses vectors of another dimension', () => {
    expect(() => ItemVectors.fromMeans(['a'], 3, [{ itemId: 'a', vector: Float32Array.of(1, 0) }])).toThrow(
      /2 dimensions, expected 3/,
    );
  });
});

describe('itemKnn', () => {
  it("scores items by cosine co-occurrence with the user's items, summed", () => {
    // a and b are bought together twice, a and c once; d only alone.
    const knn = itemKnn(['a', 'b', 'c', 'd'], [['a', 'b'], ['a', 'b', 'c'], ['d'], ['a', 'unknown']]);
    const fromA = knn(['a']);
    // n(a) = 3, n(b) = 2, n(c) = 1: sim(a, b) = 2/√6, sim(a, c) = 1/√3.
    expect([...fromA]).toEqual([0, expect.closeTo(2 / Math.sqrt(6), 12), expect.closeTo(1 / Math.sqrt(3), 12), 0]);
    const fromBC = knn(['b', 'c', 'c']);
    // sim(b, a) + sim(c, a); sim(b, c) = 1/√2 and sim(c, b) alike.
    expect(fromBC[0]).toBeCloseTo(2 / Math.sqrt(6) + 1 / Math.sqrt(3), 12);
    expect(fromBC[1]).toBeCloseTo(1 / Math.sqrt(2), 12);
    expect(fromBC[2]).toBeCloseTo(1 / Math.sqrt(2), 12);
    expect(knn(['zz'])).toEqual(new Float64Array(4));
  });
});
