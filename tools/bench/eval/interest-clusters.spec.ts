import { packFloat32, type InterestCluster } from '@profilestream/contracts';
import { DEFAULT_ACTION_WEIGHTS, type FusionConfig } from '@profilestream/fusion';
import {
  clickActionOf,
  maxOverClusters,
  publishedClusters,
  replayClusters,
  sameClusters,
  type EmbeddedUserText,
} from './interest-clusters';

const DAY_MS = 86_400_000;
const config = (maxClusters: number, joinSimilarity = 0.5): FusionConfig => ({
  halfLivesMs: { '90d': 90 * DAY_MS },
  actionWeights: { ...DEFAULT_ACTION_WEIGHTS },
  textDedupWindowMs: DAY_MS,
  interestClusters: { maxClusters, joinSimilarity },
});

const text = (
  userId: string,
  occurredAt: number,
  vector: number[],
  o: { rating?: number | null; itemId?: string; hash?: string } = {},
): EmbeddedUserText => ({
  userId,
  itemId: o.itemId ?? `item-${occurredAt}`,
  source: 'review',
  occurredAt,
  rating: o.rating === undefined ? 5 : o.rating,
  contentHash: o.hash ?? `hash-${occurredAt}`,
  categories: [],
  vector: Float32Array.from(vector),
});

const cluster = (vector: number[], weight: number, refTime: number, halfLifeMs = DAY_MS): InterestCluster => ({
  vector: packFloat32(Float32Array.from(vector)),
  weight,
  halfLifeMs,
  refTime,
  events: 1,
  label: null,
  topCategories: [],
});

describe('publishedClusters', () => {
  it('reads unit vectors and weight shares valued at the latest refTime, leaving out empty clusters', () => {
    const t = 10 * DAY_MS;
    // Weight 2 one half-life before the other's weight 1: equal once both are valued at t.
    const c = publishedClusters({
      interestClusters: [cluster([1, 0], 1, t), cluster([0, 1], 2, t - DAY_MS), cluster([1, 1], 0, t)],
    })!;
    expect(c.centroids.map((v) => [...v])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(c.shares[0]).toBeCloseTo(0.5, 12);
    expect(c.shares[1]).toBeCloseTo(0.5, 12);
    expect(publishedClusters({ interestClusters: [] })).toBeNull();
  });
});

describe('maxOverClusters', () => {
  const cosines = [Float64Array.of(0.9, 0.1, -0.5, -Infinity), Float64Array.of(0.2, 0.8, -0.9, -Infinity)];

  it('scores each item by its closest cluster (α 0); an item without a vector stays last', () => {
    expect([...maxOverClusters(cosines, [0.75, 0.25])]).toEqual([0.9, 0.8, -0.5, -Infinity]);
  });

  it('adds α·ln(share), so a minor cluster needs a clearly higher cosine to win', () => {
    const s = maxOverClusters(cosines, [0.75, 0.25], 1);
    expect(s[0]).toBeCloseTo(0.9 + Math.log(0.75), 12);
    // 0.8 + ln 0.25 = -0.586 < 0.1 + ln 0.75 = -0.188: the heavy cluster wins item 1 now.
    expect(s[1]).toBeCloseTo(0.1 + Math.log(0.75), 12);
    // A negative cosine is not rewarded by a small share.
    expect(s[2]).toBeCloseTo(-0.5 + Math.log(0.75), 12);
  });
});

describe('replayClusters', () => {
  const x = [1, 0, 0];
  const y = [0, 1, 0];
  const z = [0, 0, 1];

  it("folds a user's texts as the fuser does: separate interests, reviews rated ≤ 2 left out, repeats once", () => {
    const texts = [
      text('u1', 1000, x),
      text('u1', 2000, [0.9, 0.1, 0]),
      text('u1', 3000, y),
      // A repeat of the last text (same item, same content) within the window: not folded again.
      text('u1', 4000, y, { itemId: 'item-3000', hash: 'hash-3000' }),
      // Disliked: goes to the negative vector, never to a cluster.
      text('u1', 5000, z, { rating: 2 }),
      text('u2', 1000, z, { rating: 1 }),
    ];
    const out = replayClusters(texts, [], new Map(), config(8));
    expect([...out.keys()]).toEqual(['u1']);
    const u1 = out.get('u1')!;
    expect(u1.events).toEqual([2, 1]);
    expect(u1.shares[0]).toBeCloseTo(2 / 3, 6);
    expect(u1.centroids[1]![1]).toBeCloseTo(1, 6);
  });

  it('weights a click by its action, with its item vector; a click on an item without one adds nothing', () => {
    const clicks = [
      { userId: 'u1', itemId: 'drum', action: 'purchase' as const, occurredAt: 2000 },
      { userId: 'u1', itemId: 'unknown', action: 'purchase' as const, occurredAt: 2500 },
    ];
    const out = replayClusters([text('u1', 1000, x)], clicks, new Map([['drum', Float32Array.from(y)]]), config(8));
    const u1 = out.get('u1')!;
    // The purchase (weight 3) outweighs the text (weight 1): heaviest first.
    expect(u1.events).toEqual([1, 1]);
    expect(u1.shares[0]).toBeCloseTo(0.75, 6);
    expect(u1.centroids[0]![1]).toBeCloseTo(1, 6);
  });

  it('with K 1 keeps every event in one cluster; a low τ joins what a high τ separates', () => {
    const texts = [text('u1', 1000, x), text('u1', 2000, [0.6, 0.8, 0])];
    expect(replayClusters(texts, [], new Map(), config(1)).get('u1')!.events).toEqual([2]);
    expect(replayClusters(texts, [], new Map(), config(4, 0.5)).get('u1')!.events).toEqual([2]);
    expect(replayClusters(texts, [], new Map(), config(4, 0.7)).get('u1')!.events).toEqual([1, 1]);
  });

  it('folds in time order whatever order the events come in', () => {
    const texts = [text('u1', 3000, [0.6, 0.8, 0]), text('u1', 1000, x), text('u1', 2000, y)];
    const sorted = [...texts].sort((a, b) => a.occurredAt - b.occurredAt);
    const a = replayClusters(texts, [], new Map(), config(8, 0.5)).get('u1')!;
    const b = replayClusters(sorted, [], new Map(), config(8, 0.5)).get('u1')!;
    expect(sameClusters(a, b, 1 - 1e-9)).toBe(true);
  });
});

describe('sameClusters', () => {
  const a = { centroids: [Float32Array.of(1, 0)], shares: [1], events: [2] };
  it('needs the same count, events and near-identical centroids', () => {
    expect(sameClusters(a, { ...a, centroids: [Float32Array.of(0.9999, 0.0141)] })).toBe(true);
    expect(sameClusters(a, { ...a, centroids: [Float32Array.of(0.9, 0.436)] })).toBe(false);
    expect(sameClusters(a, { ...a, events: [3] })).toBe(false);
    expect(sameClusters(a, null)).toBe(false);
    expect(sameClusters(null, null)).toBe(true);
  });
});

describe('clickActionOf', () => {
  it("maps a dataset line's action as the producer does ('click' when none)", () => {
    expect(clickActionOf(undefined)).toBe('click');
    expect(clickActionOf('purchase')).toBe('purchase');
    expect(clickActionOf('stare')).toBeNull();
  });
});
