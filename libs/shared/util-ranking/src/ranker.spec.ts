import { seededRandom } from '@profilestream/embedding';
import { CoOccurrence, DENSE_MAX_ITEMS } from './co-occurrence';
import { RANKER_FEATURES, type CandidateVectors } from './features';
import { pointInTimeRows, snapshotBefore, type Snapshot } from './point-in-time';
import { rankerScores, trainRanker } from './ranker';
import { normalise } from './vectors';

/** Unit vectors by index, as a catalogue would hold them. */
function vectorsOf(list: Float32Array[]): CandidateVectors {
  const units = list.map((v) => normalise(v)!);
  return { cosine: (i, q) => units[i]!.reduce((s, x, d) => s + x * q[d]!, 0) };
}

const F = RANKER_FEATURES.length;
const col = (name: (typeof RANKER_FEATURES)[number]) => RANKER_FEATURES.indexOf(name);

describe('snapshotBefore', () => {
  it('takes the newest profile holding only earlier events', () => {
    const snaps: Snapshot[] = [10, 20, 30].map((at) => ({ at, vectors: new Map() }));
    expect(snapshotBefore(snaps, 10)).toBeNull();
    expect(snapshotBefore(snaps, 11)?.at).toBe(10);
    expect(snapshotBefore(snaps, 30)?.at).toBe(20);
    expect(snapshotBefore(snaps, 99)?.at).toBe(30);
    expect(snapshotBefore(undefined, 99)).toBeNull();
  });
});

describe('pointInTimeRows', () => {
  const catalogue = ['a', 'b', 'c', 'd'];
  const items = vectorsOf([Float32Array.of(1, 0), Float32Array.of(0, 1), Float32Array.of(1, 0), Float32Array.of(0, 1)]);
  // u's profile pointed at a until the event at 200 (b) was folded in; then at b.
  const history = new Map<string, Snapshot[]>([
    [
      'u',
      [
        { at: 100, vectors: new Map([['fused', Float32Array.of(1, 0)]]) },
        { at: 200, vectors: new Map([['fused', Float32Array.of(0, 1)]]) },
      ],
    ],
  ]);
  const interactions = [
    { userId: 'u', itemId: 'a', at: 100 }, // no profile before it: skipped
    { userId: 'v', itemId: 'a', at: 120 },
    { userId: 'v', itemId: 'b', at: 130 },
    { userId: 'u', itemId: 'b', at: 200 },
  ];
  const rows = pointInTimeRows({ catalogue, items, interactions, history, negatives: 2, seed: 1 });

  it('joins each interaction with the profile published before it, never the one that holds it', () => {
    expect(rows.skipped).toBe(3);
    expect([...rows.labels]).toEqual([1, 0, 0]);
    expect(rows.users).toEqual(['u', 'u', 'u']);
    // The positive is b, scored with the profile of time 100 (pointing at a): cosine 0, not 1.
    expect(rows.rows[col('cos_fused')]).toBeCloseTo(0, 6);
    // Popularity as of time 200, before u's b: b once (v), a twice (u, v): log 2 / log 3.
    expect(rows.rows[col('popularity')]).toBeCloseTo(Math.log(2) / Math.log(3), 12);
  });

  it("counts co-occurrence up to the interaction only, from the user's earlier items", () => {
    // Before 200: a by u and v, b by v; v had both: sim(a, b) = 1 / √(2·1).
    expect(rows.rows[col('item_knn')]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(rows.rows[col('item_knn_max')]).toBeCloseTo(Math.SQRT1_2, 12);
    // Negatives are items u never touched (c, d): no co-occurrence with a.
    for (let r = 1; r < 3; r++) expect(rows.rows[r * F + col('item_knn')]).toBe(0);
  });
});

describe('pointInTimeRows, later interactions', () => {
  it('never lets a later interaction (or the one predicted) into popularity or co-occurrence', () => {
    const items: CandidateVectors = { cosine: () => 0 };
    const history = new Map<string, Snapshot[]>([['u', [{ at: 1, vectors: new Map() }]]]);
    const base = [
      { userId: 'w', itemId: 'a', at: 5 },
      { userId: 'u', itemId: 'b', at: 10 },
    ];
    const later = [...base, { userId: 'v', itemId: 'b', at: 20 }, { userId: 'v', itemId: 'a', at: 21 }];
    const rowsOf = (interactions: typeof base) =>
      pointInTimeRows({ catalogue: ['a', 'b'], items, interactions, history, negatives: 1, seed: 1 });
    // u's b at 10: nobody had b before (popularity 0), and no co-occurrence yet, with or without v later.
    for (const r of [rowsOf(base), rowsOf(later)]) {
      expect(r.rows[col('popularity')]).toBe(0);
      expect(r.rows[col('item_knn')]).toBe(0);
    }
  });
});

describe('CoOccurrence', () => {
  it('grows one interaction at a time to what the whole lists give', () => {
    const whole = new CoOccurrence(
      ['a', 'b', 'c'],
      [
        ['a', 'b'],
        ['a', 'b', 'c'],
      ],
    );
    const grown = new CoOccurrence(['a', 'b', 'c'], []);
    for (const list of [
      ['a', 'b'],
      ['a', 'b', 'c'],
    ])
      list.forEach((item, i) => grown.extend(list.slice(0, i), item));
    grown.extend(['a'], 'a'); // an item the user had already: no change
    for (const from of [['a'], ['b'], ['c'], ['a', 'c']]) expect(grown.scores(from)).toEqual(whole.scores(from));
  });

  it('takes one user out and puts them back', () => {
    const co = new CoOccurrence(
      ['a', 'b', 'c'],
      [
        ['a', 'b'],
        ['a', 'b', 'c'],
      ],
    );
    expect(co.scores(['a']).sum[1]).toBeCloseTo(2 / 2, 12);
    co.add(['a', 'b', 'c'], -1);
    expect([...co.scores(['a']).sum]).toEqual([0, 1, 0]);
    co.add(['a', 'b', 'c'], 1);
    expect(co.scores(['a']).sum[2]).toBeCloseTo(1 / Math.sqrt(2), 12);
  });
});

describe('CoOccurrence storage and candidate scoring', () => {
  // Seeded random baskets over a catalogue; the same baskets in a small (dense) and a large (sparse) one.
  const baskets = (catalogue: readonly string[], users: number, seed: number) => {
    const rand = seededRandom(seed);
    return Array.from({ length: users }, () =>
      Array.from({ length: 2 + Math.floor(rand() * 6) }, () => catalogue[Math.floor(rand() * 40)]!),
    );
  };
  const small = Array.from({ length: 40 }, (_, i) => `i${i}`);
  const large = [...small, ...Array.from({ length: DENSE_MAX_ITEMS }, (_, i) => `pad${i}`)];

  it('scores the same whether pairs are counted densely or sparsely', () => {
    const lists = baskets(small, 60, 5);
    const dense = new CoOccurrence(small, lists);
    const sparse = new CoOccurrence(large, lists);
    for (const from of [['i1'], ['i2', 'i7', 'i30'], lists[3]!]) {
      const d = dense.scores(from);
      const s = sparse.scores(from);
      expect([...s.sum.subarray(0, 40)]).toEqual([...d.sum]);
      expect([...s.max.subarray(0, 40)]).toEqual([...d.max]);
      expect(s.sum.subarray(40).every((x) => x === 0)).toBe(true);
    }
  });

  it('scores only the candidates asked for, as scores() does at them, in both storages', () => {
    const lists = baskets(small, 60, 9);
    for (const co of [new CoOccurrence(small, lists), new CoOccurrence(large, lists)]) {
      co.add(lists[0]!, -1); // a user taken out: counts at zero or below are skipped alike
      const from = ['i3', 'i4', 'i3', 'unknown'];
      const candidates = [0, 3, 17, 39, 21];
      const whole = co.scores(from);
      const some = co.scoresAt(from, candidates);
      for (const c of candidates) {
        expect(some.sum[c]).toBe(whole.sum[c]);
        expect(some.max[c]).toBe(whole.max[c]);
      }
      expect(
        Object.keys(some.sum)
          .map(Number)
          .sort((a, b) => a - b),
      ).toEqual([0, 3, 17, 21, 39]);
      // A candidate named twice counts once; an index outside the catalogue is left out.
      const twice = co.scoresAt(from, [3, 3, 17, 40_000]);
      expect(twice.sum[3]).toBe(whole.sum[3]);
      expect(twice.sum[17]).toBe(whole.sum[17]);
      expect(twice.sum[40_000]).toBeUndefined();
    }
  });
});

describe('trainRanker', () => {
  it('learns which features tell positives apart, with the penalty chosen on validation users', () => {
    // Positives have a high item_knn and popularity; cosines are noise.
    let seed = 3;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const n = 400;
    const rows = new Float64Array(n * F);
    const labels = new Uint8Array(n);
    const users: string[] = [];
    for (let r = 0; r < n; r++) {
      const y = r % 5 === 0 ? 1 : 0;
      labels[r] = y;
      users.push(`u${Math.floor(r / 5)}`);
      for (let c = 0; c < F; c++) rows[r * F + c] = rand();
      rows[r * F + col('item_knn')] = y ? 0.6 + 0.4 * rand() : 0.5 * rand();
    }
    const model = trainRanker({ rows, labels, users }, (u: string) => Number(u.slice(1)) % 4 === 0);
    expect(model.features).toEqual(RANKER_FEATURES);
    const w = (name: (typeof RANKER_FEATURES)[number]) => model.weights[col(name)]!;
    expect(w('item_knn')).toBeGreaterThan(1);
    expect(Math.abs(w('cos_fused'))).toBeLessThan(w('item_knn') / 4);
    const scores = rankerScores(
      model,
      Float64Array.from(
        [...Array(F)]
          .flatMap((_, c) => (c === col('item_knn') ? [0.9] : [0.5]))
          .concat([...Array(F)].map((_, c) => (c === col('item_knn') ? 0.1 : 0.5))),
      ),
    );
    expect(scores[0]).toBeGreaterThan(scores[1]!);
  });
});
