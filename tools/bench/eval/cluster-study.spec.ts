import { packFloat32 } from '@profilestream/contracts';
import { DEFAULT_ACTION_WEIGHTS, type FusionConfig } from '@profilestream/fusion';
import type { DatasetEvent } from '@profilestream/tools-events';
import { PUBLISHED, PUBLISHED_WEIGHTED, REPLAYED, REPLAYED_WEIGHTED, studyClusters } from './cluster-study';
import { activityBuckets, foldOf, rankAll } from './evaluate';
import { replayClusters, type EmbeddedUserText } from './interest-clusters';
import { ItemVectors } from './recommenders';
import { leaveLastOut } from './split';

// Two interests: guitar gear (x) and drum gear (y). Every evaluated user reviewed three guitar
// items and one drum item, then held out the other drum item; a fifth user (not evaluated) makes
// the last items candidates.
const VECTORS: Record<string, number[]> = {
  x1: [1, 0.1, 0],
  x2: [1, -0.1, 0],
  x3: [1, 0, 0.1],
  x4: [1, 0, -0.1],
  y1: [0, 1, 0],
  y2: [0.05, 1, 0],
};
const USERS = ['u1', 'u2', 'u3', 'u4'];
const TRAINED = ['x1', 'x2', 'x3', 'y1'];

const events: DatasetEvent[] = [];
const texts: EmbeddedUserText[] = [];
let seq = 0;
for (const user of USERS) {
  TRAINED.forEach((item, k) => {
    events.push({ ts: k + 1, seq: seq++, user_id: user, item_id: item, type: 'review', rating: 5, text: '' });
    texts.push({
      userId: user,
      itemId: item,
      source: 'review',
      occurredAt: (k + 1) * 1000,
      rating: 5,
      contentHash: `${user}-${item}`,
      categories: [],
      vector: Float32Array.from(VECTORS[item]!),
    });
  });
  events.push({ ts: 10, seq: seq++, user_id: user, item_id: 'y2', type: 'review', rating: 5, text: '' });
}
for (const item of ['x4', 'y2'])
  events.push({ ts: 1, seq: seq++, user_id: 'u5', item_id: item, type: 'review', rating: 5, text: '' });

const split = leaveLastOut(events, 3);
const items = ItemVectors.fromMeans(
  split.catalogue,
  3,
  Object.entries(VECTORS).map(([itemId, v]) => ({ itemId, vector: Float32Array.from(v) })),
);
const fusion: FusionConfig = { halfLivesMs: { '90d': 90 * 86_400_000 }, actionWeights: { ...DEFAULT_ACTION_WEIGHTS } };
const shipped = { maxClusters: 8, joinSimilarity: 0.5 };
// What the fuser would publish: the replay with its settings, as profile records.
const profiles = new Map(
  [...replayClusters(texts, [], new Map(), { ...fusion, interestClusters: shipped })].map(([userId, c]) => [
    userId,
    {
      interestClusters: c.centroids.map((v, k) => ({
        vector: packFloat32(v),
        weight: c.shares[k]!,
        halfLifeMs: 1000,
        refTime: 0,
        events: c.events[k]!,
        label: null,
        topCategories: [],
      })),
    },
  ]),
);
// The single vector: the mean of the user's texts, mostly guitar.
const fused = rankAll(split, (userId) => {
  const sum = new Float32Array(3);
  for (const t of texts) if (t.userId === userId) t.vector.forEach((x, d) => (sum[d]! += x));
  return items.scores(Float32Array.from(sum, (x) => x / Math.hypot(...sum)));
});

describe('studyClusters', () => {
  const study = studyClusters({
    split,
    items,
    singles: [{ name: 'fused', ranks: fused }],
    profiles,
    texts,
    clicks: [],
    itemVectors: new Map(),
    fusion,
    shipped,
    maxClusters: [1, 2],
    joinSimilarities: [0.5, 0.99],
    shareWeights: [0, 1],
    buckets: activityBuckets([4, 4, 4, 4], 1),
    resamples: 50,
  });

  it('ranks the minor interest first by the max over clusters, where the single vector misses it', () => {
    expect(split.test.map((t) => t.itemId)).toEqual(['y2', 'y2', 'y2', 'y2']);
    // The single vector prefers the unseen guitar item x4.
    expect(fused).toEqual([2, 2, 2, 2]);
    const ranks = new Map(study.methods.map((m) => [m.method, m.ranks]));
    expect(ranks.get(PUBLISHED)).toEqual([1, 1, 1, 1]);
    expect(ranks.get(REPLAYED)).toEqual([1, 1, 1, 1]);
    // α 1 favours the heavy guitar cluster (share 3/4): the folds choose α 0.
    expect(study.publishedAlpha).toEqual([0, 0]);
    expect(ranks.get(PUBLISHED_WEIGHTED)).toEqual([1, 1, 1, 1]);
    expect(ranks.get(REPLAYED_WEIGHTED)).toEqual([1, 1, 1, 1]);
    expect(study.publishedPerUser).toEqual({ users: 4, mean: 2, single: 0 });
  });

  it('chooses K and τ per fold on the other fold, and checks the replay against the published clusters', () => {
    expect(new Set(USERS.map(foldOf))).toEqual(new Set([0, 1]));
    // K 1 is the single long-horizon vector (rank 2); K 2 at τ 0.5 or 0.99 separates the interests.
    expect(study.replay!.chosen).toEqual([
      { maxClusters: 2, joinSimilarity: 0.5 },
      { maxClusters: 2, joinSimilarity: 0.5 },
    ]);
    expect(study.replay!.grid.map((g) => [g.maxClusters, g.joinSimilarity])).toEqual([
      [1, null],
      [2, 0.5],
      [2, 0.99],
    ]);
    expect(study.replay!.grid[0]!.ndcgByFold[0]).toBeCloseTo(1 / Math.log2(3), 12);
    expect(study.replay!.agreement).toMatchObject({ users: 4, same: 4 });
  });

  it('reports the paired difference against each single vector, overall and per activity range', () => {
    const c = study.comparisons.find((x) => x.method === PUBLISHED && x.versus === 'fused')!;
    const gain = 1 - 1 / Math.log2(3);
    expect(c.difference.mean).toBeCloseTo(gain, 12);
    expect(c.byActivity).toEqual([
      expect.objectContaining({ range: '4', users: 4, clusters: 1, difference: expect.anything() }),
    ]);
    expect(c.byActivity[0]!.difference.mean).toBeCloseTo(gain, 12);
    expect(study.comparisons).toHaveLength(4);
  });
});
