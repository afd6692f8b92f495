import type { ScoredLabel } from '@profilestream/contracts';
import { seededRandom } from '@profilestream/embedding';
import { cosineSimilarity, topInterests, type InterestLabel } from './interests';

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

/**
 * topInterests as first written: every label scored by a plain loop, then all of them sorted. Its
 * cosine is dot × 1/‖profile‖ × 1/‖label‖ in that order, as topInterests computes it: in dimension 1,
 * say, all cosines are ±1 up to rounding, and another order of operations would reorder the ties.
 */
function referenceTopInterests(
  profile: Float32Array | Float64Array,
  labels: readonly InterestLabel[],
  k: number,
): ScoredLabel[] {
  if (!(k > 0) || labels.length === 0) return [];
  const norm = (v: ArrayLike<number>) => {
    let n = 0;
    for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
    return Math.sqrt(n);
  };
  const pn = norm(profile);
  if (!(pn > 0)) return [];
  const inv = 1 / pn;
  const best = new Map<string, number>();
  for (const { label, vector } of labels) {
    if (vector.length !== profile.length)
      throw new RangeError(`cosine of vectors of dimension ${profile.length} and ${vector.length}`);
    let dot = 0;
    for (let i = 0; i < vector.length; i++) dot += profile[i]! * vector[i]!;
    const ln = norm(vector);
    const score = dot * inv * (ln > 0 ? 1 / ln : 0);
    best.set(label, Math.max(best.get(label) ?? -Infinity, score));
  }
  return [...best]
    .map(([label, score]) => ({ label, score }))
    .sort((a, b) => b.score - a.score || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
    .slice(0, Math.floor(k));
}

describe('topInterests against a plain reference', () => {
  /**
   * A random taxonomy: names drawn from a pool smaller than the row count (translations), some
   * zero vectors, and some exact copies of another row under another name (exact ties).
   */
  function randomLabels(random: () => number, rows: number, dim: number): InterestLabel[] {
    const names = Math.max(1, Math.ceil(rows * (0.3 + 0.7 * random())));
    const labels: InterestLabel[] = [];
    for (let r = 0; r < rows; r++) {
      const label = `label-${Math.floor(random() * names)}`;
      const u = random();
      const vector =
        u < 0.1
          ? new Float32Array(dim)
          : u < 0.2 && labels.length > 0
            ? labels[Math.floor(random() * labels.length)]!.vector.slice()
            : Float32Array.from({ length: dim }, () => random() * 2 - 1);
      labels.push({ label, vector });
    }
    return labels;
  }

  it('returns the reference labels, order and scores, bit for bit, on random taxonomies', () => {
    const random = seededRandom(20240611);
    const ks = [1, 2, 3, 5, 10, 2.5, 33, 40, Infinity];
    for (let trial = 0; trial < 60; trial++) {
      // Row counts around and off multiples of 4 (rows are scored four at a time), up to a typical taxonomy.
      const rows = trial < 8 ? trial + 1 : 1 + Math.floor(random() * 90);
      const dim = [1, 3, 8, 31, 384][trial % 5]!;
      const labels = randomLabels(random, rows, dim);
      for (let p = 0; p < 4; p++) {
        const values = Array.from({ length: dim }, () => (random() < 0.1 ? 0 : random() * 2 - 1));
        // The same labels scored against float32 and float64 profiles, in turn, share one layout.
        const profile = p % 2 === 0 ? Float64Array.from(values) : Float32Array.from(values);
        for (const k of ks) expect(topInterests(profile, labels, k)).toEqual(referenceTopInterests(profile, labels, k));
      }
    }
  });

  it('agrees with the reference on a taxonomy of 500 rows of dimension 384', () => {
    const random = seededRandom(7);
    const labels = randomLabels(random, 500, 384);
    for (let p = 0; p < 6; p++) {
      const values = Array.from({ length: 384 }, () => random() * 2 - 1);
      const profile = p % 2 === 0 ? Float64Array.from(values) : Float32Array.from(values);
      for (const k of [1, 5, 10])
        expect(topInterests(profile, labels, k)).toEqual(referenceTopInterests(profile, labels, k));
    }
  });

  it('matches the reference on empty input, k ≤ 0 and zero profiles', () => {
    const labels = [{ label: 'a', vector: Float32Array.of(1, 2) }];
    for (const [profile, ls, k] of [
      [Float64Array.of(1, 1), [], 3],
      [Float64Array.of(1, 1), labels, 0],
      [Float64Array.of(1, 1), labels, -1],
      [Float64Array.of(1, 1), labels, NaN],
      [Float64Array.of(1, 1), labels, 0.5],
      [new Float32Array(2), labels, 3],
      [new Float32Array(5), labels, 3], // zero and mismatched: [] rather than an error
    ] as const) {
      expect(topInterests(profile, ls, k)).toEqual([]);
      expect(referenceTopInterests(profile, ls, k)).toEqual([]);
    }
  });

  it('throws the reference error on every call with a mismatched dimension', () => {
    const uniform = [
      { label: 'a', vector: Float32Array.of(1, 0, 0) },
      { label: 'b', vector: Float32Array.of(0, 1, 0) },
    ];
    const mixed = [
      { label: 'a', vector: Float32Array.of(1, 0) },
      { label: 'b', vector: Float32Array.of(1, 0, 0) },
      { label: 'c', vector: Float32Array.of(0, 1, 0, 0) },
    ];
    for (const [labels, profile] of [
      [uniform, Float64Array.of(1, 1)],
      [uniform, Float32Array.of(1, 1, 1, 1)],
      [mixed, Float64Array.of(1, 1)],
      [mixed, Float32Array.of(1, 1, 1)],
      [mixed, Float64Array.of(1, 1, 1, 1)],
    ] as const) {
      const expected = (() => {
        try {
          referenceTopInterests(profile, labels, 2);
        } catch (e) {
          return e as RangeError;
        }
        throw new Error('the reference did not throw');
      })();
      for (let call = 0; call < 2; call++) expect(() => topInterests(profile, labels, 2)).toThrow(expected);
    }
    // A well-formed call on the same labels still works after the errors.
    expect(topInterests(Float64Array.of(0, 2, 0), uniform, 1)).toEqual([{ label: 'b', score: 1 }]);
  });
});
