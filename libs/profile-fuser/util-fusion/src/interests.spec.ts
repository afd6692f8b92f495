import { cosineSimilarity, topInterests } from './interests';

describe('topInterests', () => {
  const labels = [
    { label: 'books', vector: Float32Array.from([1, 0, 0]) },
    { label: 'games', vector: Float32Array.from([0, 1, 0]) },
    { label: 'music', vector: Float32Array.from([1, 1, 0]) },
    { label: 'art', vector: Float32Array.from([0, 0, 1]) },
  ];

  it('ranks labels by cosine, best first, with scores', () => {
    const top = topInterests(Float64Array.from([2, 1, 0]), labels, 3);
    expect(top.map((l) => l.label)).toEqual(['music', 'books', 'games']);
    expect(top[0]!.score).toBeCloseTo(3 / Math.sqrt(10), 12);
    expect(top[1]!.score).toBeCloseTo(2 / Math.sqrt(5), 12);
    expect(top[2]!.score).toBeCloseTo(1 / Math.sqrt(5), 12);
  });

  it('breaks ties by label and honours k', () => {
    expect(topInterests(Float32Array.from([0, 0, 0.5]), labels, 10).map((l) => l.label)).toEqual([
      'art',
      'books',
      'games',
      'music',
    ]);
    expect(topInterests(Float32Array.from([1, 1, 1]), labels, 0)).toEqual([]);
  });

  it('returns nothing for a zero profile and rejects mismatched labels', () => {
    expect(topInterests(new Float64Array(3), labels, 2)).toEqual([]);
    expect(() => topInterests(Float32Array.from([1, 0]), labels, 2)).toThrow(/dimension/);
    expect(cosineSimilarity([1, 0], [0, 0])).toBe(0);
  });
});

describe('topInterests with a label in several languages', () => {
  it('scores a label by its best vector and lists it once', () => {
    const labels = [
      { label: 'guitars', vector: Float32Array.of(1, 0, 0) },
      { label: 'guitars', vector: Float32Array.of(0, 1, 0) },
      { label: 'drums', vector: Float32Array.of(0.6, 0.8, 0) },
    ];
    expect(topInterests(Float64Array.of(0, 1, 0), labels, 3)).toEqual([
      { label: 'guitars', score: 1 },
      { label: 'drums', score: expect.closeTo(0.8, 6) }, // float32 components
    ]);
  });
});
