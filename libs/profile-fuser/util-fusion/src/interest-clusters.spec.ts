import fc from 'fast-check';
import { seededRandom } from '@profilestream/embedding';
import { decayFactor } from './decayed-vector';
import {
  CLUSTER_CATEGORIES,
  addToClusters,
  clusterCopy,
  clusterSummaries,
  interestClustersConfig,
  mergeClusters,
  type InterestClusterState,
  type InterestClustersConfig,
} from './interest-clusters';
import { DAY, T0, shuffle, vec } from './spec-helpers';

const HALF_LIFE = 7 * DAY;

interface Ev {
  v: Float32Array;
  w: number;
  t: number;
  categories: string[];
}

function fold(events: readonly Ev[], config: InterestClustersConfig, clusters: InterestClusterState[] = []) {
  const outcomes = events.map((e) => addToClusters(clusters, e.v, e.w, e.t, e.categories, config));
  return { clusters, outcomes };
}

/** Everything in the clusters as plain data, for bit-exact comparison (toEqual tells -0 from 0). */
function snapshot(clusters: readonly InterestClusterState[]) {
  return clusters.map((c) => ({ ...c, vector: { ...c.vector, sum: Array.from(c.vector.sum) } }));
}

/** A cluster as the state codec gives it back: new arrays, so no cached norms. */
function decoded(c: InterestClusterState): InterestClusterState {
  return {
    vector: { ...c.vector, sum: new Float32Array(Array.from(c.vector.sum)) },
    lastActivityAt: c.lastActivityAt,
    events: c.events,
    categories: c.categories.map((x) => ({ label: x.label, weight: { ...x.weight } })),
  };
}

function closeVectors(a: Float32Array, b: Float32Array, tol = 1e-5): boolean {
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  return a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) <= tol * scale);
}

function closeNumbers(a: number, b: number, tol = 1e-9): boolean {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Decayed weight of all clusters, valued at `at`. */
function totalWeight(clusters: readonly InterestClusterState[], at: number): number {
  return clusters.reduce((s, c) => s + c.vector.weight * decayFactor(at - c.vector.refTime, c.vector.halfLifeMs), 0);
}

const LABELS = ['audio', 'guitar', 'drums', '__proto__'];
const arbTime = fc.integer({ min: T0, max: T0 + 60 * DAY });
const arbWeight = fc.double({ min: 0.05, max: 3, noNaN: true });
const arbVector = (dim: number) =>
  fc
    .array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: dim, maxLength: dim })
    .map((xs) => Float32Array.from(xs));
const arbNonZeroVector = (dim: number) => arbVector(dim).filter((v) => v.some((x) => Math.abs(x) > 1e-3));
const arbEvent = (dim: number): fc.Arbitrary<Ev> =>
  fc.record({
    v: arbVector(dim),
    w: arbWeight,
    t: arbTime,
    categories: fc.subarray(LABELS, { maxLength: 2 }),
  });

describe('addToClusters rules', () => {
  const config = interestClustersConfig(1000, { maxClusters: 2, joinSimilarity: 0.9 });

  it('joins at τ, starts a cluster below it, merges the closest pair or folds when K are in use', () => {
    const clusters: InterestClusterState[] = [];
    expect(addToClusters(clusters, vec(1, 0, 0), 1, 0, ['a'], config)).toBe('created');
    expect(addToClusters(clusters, vec(2, 0.1, 0), 1, 1000, ['b'], config)).toBe('joined');
    expect(clusters).toHaveLength(1);
    expect(Array.from(clusters[0]!.vector.sum)).toEqual([2.5, Math.fround(0.1), 0]);
    expect(clusters[0]).toMatchObject({ lastActivityAt: 1000, events: 2, vector: { weight: 1.5, refTime: 1000 } });
    // cos ≈ 0.82 < τ: a second cluster.
    expect(addToClusters(clusters, vec(0.8, 0.6, 0), 1, 1000, [], config)).toBe('created');
    // Orthogonal to both, K in use: the pair (cos ≈ 0.82) is closer than the event to either (0), so it merges.
    expect(addToClusters(clusters, vec(0, 0, 1), 2, 500, ['c'], config)).toBe('merged');
    expect(clusters).toHaveLength(2);
    expect(clusters[0]).toMatchObject({ lastActivityAt: 1000, events: 3, vector: { weight: 2.5, refTime: 1000 } });
    expect(Array.from(clusters[0]!.vector.sum)).toEqual([
      Math.fround(2.5 + Math.fround(0.8)),
      Math.fround(Math.fround(0.1) + Math.fround(0.6)),
      0,
    ]);
    expect(clusters[1]).toMatchObject({ lastActivityAt: 500, events: 1, vector: { weight: 2, refTime: 500 } });
    // cos ≈ 0.21 with the first, 0 with the second, pair cos 0: the pair is not closer, so it folds into the best.
    expect(addToClusters(clusters, vec(0, 1, 0), 1, 1000, [], config)).toBe('folded');
    expect(clusters.map((c) => c.events)).toEqual([4, 1]);
  });

  it('evicts a cluster with a negligible decayed weight before merging', () => {
    const clusters: InterestClusterState[] = [];
    fold(
      [
        { v: vec(1, 0, 0), w: 1, t: 0, categories: [] },
        { v: vec(0, 1, 0), w: 1, t: 20_000, categories: [] }, // 20 half-lives later: the first is 1e-6 of it
      ],
      config,
      clusters,
    );
    const kept = snapshot(clusters.slice(1));
    expect(addToClusters(clusters, vec(0, 0, 1), 1, 20_000, [], config)).toBe('evicted');
    expect(snapshot(clusters.slice(0, 1))).toEqual(kept);
    expect(Array.from(clusters[1]!.vector.sum)).toEqual([0, 0, 1]);

    const noEviction = { ...config, evictWeightShare: 0 };
    const others = fold(
      [
        { v: vec(1, 0, 0), w: 1, t: 0, categories: [] },
        { v: vec(0, 1, 0), w: 1, t: 20_000, categories: [] },
      ],
      noEviction,
    ).clusters;
    expect(addToClusters(others, vec(0, 0, 1), 1, 20_000, [], noEviction)).toBe('folded'); // ties: the lowest index
    expect(others[0]!.events).toBe(2);
  });

  it('ignores w ≤ 0 and zero vectors, rejects bad input without changing anything', () => {
    const clusters = fold([{ v: vec(1, 0), w: 1, t: 5, categories: ['a'] }], config).clusters;
    const before = snapshot(clusters);
    expect(addToClusters(clusters, vec(1, 0), 0, 9, ['a'], config)).toBe('ignored');
    expect(addToClusters(clusters, vec(1, 0), -1, 9, ['a'], config)).toBe('ignored');
    expect(addToClusters(clusters, vec(0, 0), 1, 9, ['a'], config)).toBe('ignored');
    expect(() => addToClusters(clusters, vec(1, 0, 0), 1, 9, [], config)).toThrow(RangeError);
    expect(() => addToClusters(clusters, vec(NaN, 0), 1, 9, [], config)).toThrow(RangeError);
    expect(() => addToClusters(clusters, vec(Infinity, 0), 1, 9, [], config)).toThrow(RangeError);
    expect(() => addToClusters(clusters, vec(1, 0), NaN, 9, [], config)).toThrow(RangeError);
    expect(() => addToClusters(clusters, vec(1, 0), 1, Infinity, [], config)).toThrow(RangeError);
    expect(() => addToClusters(clusters, vec(1, 0), 1, 9, [], { ...config, halfLifeMs: 2000 })).toThrow(RangeError);
    expect(snapshot(clusters)).toEqual(before);
  });

  it('validates the config', () => {
    expect(interestClustersConfig(DAY)).toEqual({
      maxClusters: 8,
      joinSimilarity: 0.5,
      evictWeightShare: 1e-3,
      halfLifeMs: DAY,
    });
    expect(() => interestClustersConfig(0)).toThrow(RangeError);
    expect(() => interestClustersConfig(DAY, { maxClusters: 0 })).toThrow(RangeError);
    expect(() => interestClustersConfig(DAY, { maxClusters: 1.5 })).toThrow(RangeError);
    expect(() => interestClustersConfig(DAY, { joinSimilarity: 1.1 })).toThrow(RangeError);
    expect(() => interestClustersConfig(DAY, { joinSimilarity: NaN })).toThrow(RangeError);
    expect(() => interestClustersConfig(DAY, { evictWeightShare: 1 })).toThrow(RangeError);
    expect(() => addToClusters([], vec(1), 1, 0, [], { ...config, maxClusters: -1 })).toThrow(RangeError);
  });

  it('keeps the heaviest categories by decayed weight, in label order, a repeated label once', () => {
    const one = interestClustersConfig(1000);
    const clusters: InterestClusterState[] = [];
    const add = (labels: string[], w: number, t = 0) => addToClusters(clusters, vec(1, 1), w, t, labels, one);
    add(['e', 'e'], 5);
    add(['a'], 1);
    add(['d'], 4);
    add(['c', 'b'], 3);
    add(['f'], 0.5); // the lightest of six: dropped at once
    const c = clusters[0]!;
    expect(c.categories.map((x) => [x.label, x.weight.value])).toEqual([
      ['a', 1],
      ['b', 3],
      ['c', 3],
      ['d', 4],
      ['e', 5],
    ]);
    // Two half-lives later 'f' (6) outweighs 'a' (0.25), which goes; 'f' restarts from this event.
    add(['f'], 6, 2000);
    expect(c.categories.map((x) => x.label)).toEqual(['b', 'c', 'd', 'e', 'f']);
    expect(c.categories[4]!.weight).toEqual({ halfLifeMs: 1000, value: 6, refTime: 2000 });
    expect(c.categories.length).toBeLessThanOrEqual(CLUSTER_CATEGORIES);
  });

  it('gives bit-identical clusters for equal histories, after a copy and after decoding', () => {
    const r = seededRandom(7);
    const events: Ev[] = Array.from({ length: 400 }, () => ({
      v: Float32Array.from({ length: 6 }, () => r() * 2 - 1),
      w: 0.1 + r() * 2,
      t: T0 + Math.floor(r() * 30 * DAY),
      categories: [LABELS[Math.floor(r() * LABELS.length)]!],
    }));
    const cfg = interestClustersConfig(HALF_LIFE, { maxClusters: 4, joinSimilarity: 0.6 });
    const first = fold(events.slice(0, 200), cfg).clusters;
    const copied = first.map(clusterCopy);
    const restored = first.map(decoded);
    expect(snapshot(copied)).toEqual(snapshot(first));
    const again = fold(events.slice(0, 200), cfg).clusters;
    for (const c of [first, copied, restored, again]) fold(events.slice(200), cfg, c);
    expect(snapshot(copied)).toEqual(snapshot(first));
    expect(snapshot(restored)).toEqual(snapshot(first));
    expect(snapshot(again)).toEqual(snapshot(first));
  });

  it('merges down to a lowered K, closest pairs first, keeping the weight', () => {
    const cfg = interestClustersConfig(1000, { maxClusters: 4, joinSimilarity: 0.999, evictWeightShare: 0 });
    const { clusters } = fold(
      [
        { v: vec(1, 0, 0), w: 1, t: 0, categories: [] },
        { v: vec(0, 1, 0), w: 1, t: 0, categories: [] },
        { v: vec(0.9, 0.1, 0), w: 1, t: 0, categories: [] },
        { v: vec(0, 0, 1), w: 1, t: 0, categories: [] },
      ],
      cfg,
    );
    expect(clusters).toHaveLength(4);
    // (1,0,0) and (0.9,0.1,0) merge first (cosine 0.99), then that and (0,1,0) (0.05; (0,0,1) is at 0 to both).
    expect(addToClusters(clusters, vec(0, 0, 2), 1, 0, [], { ...cfg, maxClusters: 2 })).toBe('joined');
    expect(clusters).toHaveLength(2);
    expect(totalWeight(clusters, 0)).toBe(5);
    expect(clusters.map((c) => c.events)).toEqual([3, 2]);
  });

  it('copies share nothing mutable', () => {
    const [c] = fold([{ v: vec(1, 2), w: 1, t: 0, categories: ['a'] }], config).clusters;
    const copy = clusterCopy(c!);
    copy.vector.sum[0] = 9;
    copy.categories[0]!.weight.value = 9;
    copy.categories.push({ label: 'z', weight: { halfLifeMs: 1000, value: 1, refTime: 0 } });
    expect(Array.from(c!.vector.sum)).toEqual([1, 2]);
    expect(c!.categories).toEqual([{ label: 'a', weight: { halfLifeMs: 1000, value: 1, refTime: 0 } }]);
  });
});

describe('mergeClusters', () => {
  it('adds decayed sums at the later refTime, symmetrically and bit-identically', () => {
    const cfg = interestClustersConfig(1000, { joinSimilarity: -1, maxClusters: 1 });
    const [a] = fold([{ v: vec(2, 0), w: 1, t: 1000, categories: ['x', 'y'] }], cfg).clusters;
    const [b] = fold([{ v: vec(0, 4), w: 3, t: 3000, categories: ['y'] }], cfg).clusters;
    const m = mergeClusters(a!, b!);
    expect(Array.from(m.vector.sum)).toEqual([0.5, 12]);
    expect(m).toMatchObject({ lastActivityAt: 3000, events: 2, vector: { weight: 3.25, refTime: 3000 } });
    expect(m.categories).toEqual([
      { label: 'x', weight: { halfLifeMs: 1000, value: 1, refTime: 1000 } },
      { label: 'y', weight: { halfLifeMs: 1000, value: 3.25, refTime: 3000 } },
    ]);
    expect(snapshot([mergeClusters(b!, a!)])).toEqual(snapshot([m]));
    expect(Array.from(a!.vector.sum)).toEqual([2, 0]); // inputs untouched
  });

  it('refuses clusters of different half-lives or dimensions', () => {
    const [a] = fold([{ v: vec(1, 0), w: 1, t: 0, categories: [] }], interestClustersConfig(1000)).clusters;
    const [b] = fold([{ v: vec(1, 0), w: 1, t: 0, categories: [] }], interestClustersConfig(2000)).clusters;
    const [c] = fold([{ v: vec(1, 0, 0), w: 1, t: 0, categories: [] }], interestClustersConfig(1000)).clusters;
    expect(() => mergeClusters(a!, b!)).toThrow(RangeError);
    expect(() => mergeClusters(a!, c!)).toThrow(RangeError);
  });
});

describe('clusterSummaries', () => {
  it('publishes unit centroids, weight shares and top categories, heaviest first', () => {
    const cfg = interestClustersConfig(1000, { joinSimilarity: 0.9 });
    const { clusters } = fold(
      [
        { v: vec(3, 0), w: 1, t: 0, categories: ['a', 'b'] },
        { v: vec(0, 2), w: 1, t: 1000, categories: ['c'] },
        { v: vec(0, 1), w: 2, t: 1000, categories: ['d', 'c', 'e', 'f'] },
      ],
      cfg,
    );
    const s = clusterSummaries(clusters);
    expect(s.map((x) => [Array.from(x.centroid), x.share, x.refTime, x.lastActivityAt, x.events])).toEqual([
      [[0, 1], 3 / 3.5, 1000, 1000, 2],
      [[1, 0], 0.5 / 3.5, 0, 0, 1],
    ]);
    expect(s[0]!.categories).toEqual([
      { label: 'c', share: 1 },
      { label: 'd', share: 2 / 3 },
      { label: 'e', share: 2 / 3 },
    ]);
    // Valued later, shares stay (one half-life), a cluster valued earlier would not be moved back.
    expect(clusterSummaries(clusters, 2000).map((x) => x.share)).toEqual([3 / 3.5, 0.5 / 3.5]);
    expect(clusterSummaries(clusters, -5).map((x) => x.share)).toEqual([3 / 3.5, 0.5 / 3.5]);
    expect(clusterSummaries([])).toEqual([]);
    expect(() => clusterSummaries(clusters, NaN)).toThrow(RangeError);
  });
});

describe('interest clusters properties', () => {
  it('(a) a fixed assignment gives the same cluster in any order', () => {
    fc.assert(
      fc.property(
        arbNonZeroVector(8).filter((u) => Math.hypot(...u) > 0.5),
        fc.array(
          fc.record({
            jitter: arbVector(8),
            w: arbWeight,
            t: arbTime,
            categories: fc.subarray(LABELS, { maxLength: 2 }),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        fc.integer({ min: 1, max: 8 }),
        fc.double({ min: -1, max: 0.99, noNaN: true }),
        fc.integer(),
        (u, bodies, maxClusters, joinSimilarity, seed) => {
          // Nearly identical vectors (cosine > 0.9999): every order puts them all in one cluster.
          const events = bodies.map((b) => ({ ...b, v: u.map((x, i) => x + 1e-3 * b.jitter[i]!) }));
          const cfg = interestClustersConfig(HALF_LIFE, { maxClusters, joinSimilarity });
          const [a, ...restA] = fold(events, cfg).clusters;
          const [b, ...restB] = fold(shuffle(events, seed), cfg).clusters;
          expect(restA).toHaveLength(0);
          expect(restB).toHaveLength(0);
          expect(b!.vector.refTime).toBe(a!.vector.refTime);
          expect(b!.vector.refTime).toBe(Math.max(...events.map((e) => e.t)));
          expect([b!.events, b!.lastActivityAt]).toEqual([a!.events, a!.lastActivityAt]);
          expect(closeNumbers(a!.vector.weight, b!.vector.weight)).toBe(true);
          expect(closeVectors(a!.vector.sum, b!.vector.sum)).toBe(true);
          // Four labels at most: none is ever dropped, so categories are order-insensitive too.
          expect(b!.categories.map((c) => [c.label, c.weight.refTime])).toEqual(
            a!.categories.map((c) => [c.label, c.weight.refTime]),
          );
          b!.categories.forEach((c, i) =>
            expect(closeNumbers(c.weight.value, a!.categories[i]!.weight.value)).toBe(true),
          );
        },
      ),
    );
  });

  it('(b) never holds more than K clusters, each non-empty with bounded, ordered categories', () => {
    fc.assert(
      fc.property(
        fc.array(arbEvent(3), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        (events, maxClusters, joinSimilarity) => {
          const cfg = interestClustersConfig(HALF_LIFE, { maxClusters, joinSimilarity });
          const clusters: InterestClusterState[] = [];
          let assigned = 0;
          for (const e of events) {
            if (addToClusters(clusters, e.v, e.w, e.t, e.categories, cfg) !== 'ignored') assigned++;
            expect(clusters.length).toBeLessThanOrEqual(maxClusters);
          }
          for (const c of clusters) {
            expect(c.events).toBeGreaterThan(0);
            expect(c.vector.weight).toBeGreaterThan(0);
            expect(c.categories.length).toBeLessThanOrEqual(CLUSTER_CATEGORIES);
            const labels = c.categories.map((x) => x.label);
            expect(labels).toEqual([...labels].sort());
          }
          // Evictions drop events; without them every assigned event is in exactly one cluster.
          const total = clusters.reduce((s, c) => s + c.events, 0);
          expect(total).toBeLessThanOrEqual(assigned);
        },
      ),
    );
  });

  it('(c) the total decayed weight equals that of the events folded in, through merges', () => {
    fc.assert(
      fc.property(
        fc.array(arbEvent(5), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        (events, maxClusters, joinSimilarity) => {
          const cfg = interestClustersConfig(HALF_LIFE, { maxClusters, joinSimilarity, evictWeightShare: 0 });
          const { clusters, outcomes } = fold(events, cfg);
          const kept = events.filter((_, i) => outcomes[i] !== 'ignored');
          if (kept.length === 0) return;
          const at = Math.max(...kept.map((e) => e.t));
          const expected = kept.reduce((s, e) => s + e.w * decayFactor(at - e.t, HALF_LIFE), 0);
          expect(closeNumbers(totalWeight(clusters, at), expected)).toBe(true);
          expect(clusters.reduce((s, c) => s + c.events, 0)).toBe(kept.length);
          expect(Math.max(...clusters.map((c) => c.lastActivityAt))).toBe(at);
        },
      ),
    );
  });

  it('(f) joins the most similar cluster (plain cosine) at τ or above, and only then', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }).chain((dim) => fc.array(arbEvent(dim), { minLength: 1, maxLength: 60 })),
        fc.integer({ min: 1, max: 8 }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        (events, maxClusters, joinSimilarity) => {
          const cfg = interestClustersConfig(HALF_LIFE, { maxClusters, joinSimilarity });
          const clusters: InterestClusterState[] = [];
          const eps = 1e-9;
          for (const e of events) {
            const similarities = clusters.map((c) => cosine(c.vector.sum, e.v) || 0);
            const best = Math.max(-Infinity, ...similarities);
            const before = clusters.map((c) => c.events);
            const outcome = addToClusters(clusters, e.v, e.w, e.t, e.categories, cfg);
            const grew = clusters.findIndex((c, k) => k < before.length && c.events === before[k]! + 1);
            if (outcome === 'joined' || outcome === 'folded') {
              expect(clusters).toHaveLength(before.length);
              expect(similarities[grew]!).toBeGreaterThanOrEqual(best - eps);
              if (outcome === 'joined') expect(best).toBeGreaterThanOrEqual(joinSimilarity - eps);
              else expect(before.length).toBe(maxClusters);
            }
            if (outcome === 'created') expect(clusters).toHaveLength(before.length + 1);
            if (outcome === 'evicted' || outcome === 'merged') expect(before.length).toBe(maxClusters);
            if (outcome !== 'joined' && outcome !== 'ignored') expect(best).toBeLessThan(joinSimilarity + eps);
          }
        },
      ),
    );
  });

  it('(d) merging two clusters equals folding both event sets into one', () => {
    const arbSide = fc.array(
      fc.record({
        v: arbNonZeroVector(4),
        w: arbWeight,
        t: arbTime,
        categories: fc.subarray(['a', 'b', 'c'], { maxLength: 2 }),
      }),
      { minLength: 1, maxLength: 20 },
    );
    fc.assert(
      fc.property(arbSide, arbSide, (left, right) => {
        // τ = -1 and K = 1: every event joins the one cluster.
        const one = interestClustersConfig(HALF_LIFE, { maxClusters: 1, joinSimilarity: -1 });
        const [a] = fold(left, one).clusters;
        const [b] = fold(right, one).clusters;
        const [both] = fold([...left, ...right], one).clusters;
        const m = mergeClusters(a!, b!);
        expect(snapshot([mergeClusters(b!, a!)])).toEqual(snapshot([m]));
        expect(m.vector.refTime).toBe(both!.vector.refTime);
        expect([m.events, m.lastActivityAt]).toEqual([both!.events, both!.lastActivityAt]);
        expect(closeNumbers(m.vector.weight, both!.vector.weight)).toBe(true);
        expect(closeVectors(m.vector.sum, both!.vector.sum)).toBe(true);
        expect(m.categories.map((c) => [c.label, c.weight.refTime])).toEqual(
          both!.categories.map((c) => [c.label, c.weight.refTime]),
        );
        m.categories.forEach((c, i) =>
          expect(closeNumbers(c.weight.value, both!.categories[i]!.weight.value)).toBe(true),
        );
      }),
    );
  });

  it('(e) two well-separated groups end in two clusters whose sums are the groups’ own', () => {
    const DIM = 32;
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 3, max: 30 }), fc.integer({ min: 3, max: 30 }), (seed, n0, n1) => {
        const r = seededRandom(seed);
        const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
        const unit = (x: number[]) => x.map((xi) => xi / Math.hypot(...x));
        // Two orthonormal directions (Gram-Schmidt), items at cosine ≈ 0.96 around each.
        const d0 = unit(Array.from({ length: DIM }, gauss));
        const raw = Array.from({ length: DIM }, gauss);
        const along = raw.reduce((s, x, i) => s + x * d0[i]!, 0);
        const d1 = unit(raw.map((x, i) => x - along * d0[i]!));
        const item = (d: number[]) => Float32Array.from(d, (x) => x + (0.3 / Math.sqrt(DIM)) * gauss());
        const groups = [n0, n1].map((n, g) =>
          Array.from({ length: n }, () => ({
            v: item(g === 0 ? d0 : d1),
            w: 0.2 + r() * 2,
            t: T0 + Math.floor(r() * 20 * DAY),
            categories: [`g${g}`],
            group: g,
          })),
        );
        const events = shuffle([...groups[0]!, ...groups[1]!], seed);
        const { clusters } = fold(events, interestClustersConfig(HALF_LIFE));
        expect(clusters).toHaveLength(2);
        for (const c of clusters) {
          const g = events.find((e) => e.categories[0] === c.categories[0]!.label)!.group;
          expect(c.categories.map((x) => x.label)).toEqual([`g${g}`]);
          const [own] = fold(
            groups[g]!,
            interestClustersConfig(HALF_LIFE, { maxClusters: 1, joinSimilarity: -1 }),
          ).clusters;
          expect(c.events).toBe(groups[g]!.length);
          expect(c.vector.refTime).toBe(own!.vector.refTime);
          expect(closeVectors(c.vector.sum, own!.vector.sum)).toBe(true);
          expect(cosine(c.vector.sum, g === 0 ? d0 : d1)).toBeGreaterThan(0.9);
        }
      }),
      { numRuns: 50 },
    );
  });
});
