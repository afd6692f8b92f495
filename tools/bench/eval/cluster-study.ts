/**
 * Does keeping several interests per user help retrieval? The published interest clusters rank the
 * catalogue by the max over clusters, next to the single vector, overall and per activity range,
 * with paired differences. K, τ and the share weight α are never tuned on the users measured:
 * an offline replay refolds every user's training events with each K and τ, and each fold of
 * users is scored with the settings best on the other fold (crossFit).
 */
import type { UserProfile } from '@profilestream/contracts';
import type { FusionConfig } from '@profilestream/fusion';
import { K, crossFit, foldOf, ndcgs, rankAllVariants, type ActivityBucket } from './evaluate';
import {
  clusterCosines,
  foldClusters,
  maxOverClusters,
  publishedClusters,
  replayEvents,
  sameClusters,
  vectorDim,
  type EmbeddedUserText,
  type ReplayClick,
  type UserClusters,
} from './interest-clusters';
import { bootstrapDifference, mean, ndcgAt, type Interval } from './metrics';
import type { ItemVectors } from './recommenders';
import type { Split } from './split';

export interface ClusterStudyInput {
  split: Split;
  items: ItemVectors;
  /** The single-vector rankings to compare with (test order), by name. */
  singles: { name: string; ranks: number[] }[];
  profiles: ReadonlyMap<string, Pick<UserProfile, 'interestClusters'>>;
  /** What the replay refolds: the run's embedded user texts, the training clicks, item vectors for clicks. */
  texts: readonly EmbeddedUserText[];
  clicks: readonly ReplayClick[];
  itemVectors: ReadonlyMap<string, Float32Array>;
  /** The fuser's settings; the replay sets interestClusters per candidate. */
  fusion: FusionConfig;
  /** K and τ the pipeline's fuser ran with: the replay with them should give the published clusters. */
  shipped: { maxClusters: number; joinSimilarity: number };
  /** Candidate K (empty: no replay) and τ (K 1 needs none), and α (the first must be 0: the plain max). */
  maxClusters: readonly number[];
  joinSimilarities: readonly number[];
  shareWeights: readonly number[];
  buckets: readonly ActivityBucket[];
  resamples: number;
}

export interface ClusterMethod {
  /** What it is, without the vector space (the caller names that). */
  method: string;
  ranks: number[];
  note: string;
}

export interface ClusterComparison {
  method: string;
  versus: string;
  users: number;
  /** Mean NDCG@10 of the clusters method and of the single vector, and their paired difference. */
  clusters: number;
  single: number;
  difference: Interval;
  byActivity: { range: string; users: number; clusters: number; single: number; difference: Interval }[];
}

/** One replay setting: K and τ (null for K 1, where every event joins the one cluster). */
export interface ReplaySetting {
  maxClusters: number;
  joinSimilarity: number | null;
}

export interface ClusterStudy {
  methods: ClusterMethod[];
  comparisons: ClusterComparison[];
  /** α chosen per fold for the published clusters. */
  publishedAlpha: [number, number];
  replay: {
    /** Settings chosen per fold for the plain max, and for the share-weighted one (with α). */
    chosen: [ReplaySetting, ReplaySetting];
    chosenWeighted: [ReplaySetting & { alpha: number }, ReplaySetting & { alpha: number }];
    /** Mean NDCG@10 of every setting (plain max) on each fold: what the choice saw. */
    grid: (ReplaySetting & { ndcgByFold: [number, number] })[];
    /** The replay with the fuser's own K and τ against the published clusters. */
    agreement: { users: number; same: number; ndcgPublished: number; ndcgReplayed: number };
  } | null;
  /** Clusters per evaluated user with published clusters: mean, and how many have just one. */
  publishedPerUser: { users: number; mean: number; single: number };
}

export const PUBLISHED = 'interest clusters (max over clusters)';
export const PUBLISHED_WEIGHTED = 'interest clusters, share-weighted max (α cross-fitted)';
export const REPLAYED = 'interest clusters replayed, K and τ cross-fitted (max over clusters)';
export const REPLAYED_WEIGHTED = 'interest clusters replayed, K, τ and α cross-fitted (share-weighted max)';

export function studyClusters(input: ClusterStudyInput): ClusterStudy {
  const { split, shareWeights } = input;
  if (shareWeights[0] !== 0) throw new RangeError('the first share weight must be 0 (the plain max)');
  // Ranks under every α for one set of clusters; cosines computed once per user.
  const rankByAlpha = (clusters: ReadonlyMap<string, UserClusters>) =>
    rankAllVariants(split, shareWeights.length, (userId) => {
      const c = clusters.get(userId);
      if (!c) return null;
      const cosines = clusterCosines(input.items, c);
      return shareWeights.map((alpha) => maxOverClusters(cosines, c.shares, alpha));
    });

  const published = new Map<string, UserClusters>();
  for (const t of split.test) {
    const p = input.profiles.get(t.userId);
    const c = p ? publishedClusters(p) : null;
    if (c) published.set(t.userId, c);
  }
  const publishedRanks = rankByAlpha(published);
  const publishedWeighted = crossFit(split, publishedRanks);
  const publishedAlpha: [number, number] = [
    shareWeights[publishedWeighted.chosen[0]]!,
    shareWeights[publishedWeighted.chosen[1]]!,
  ];
  const counts = [...published.values()].map((c) => c.centroids.length);
  const methods: ClusterMethod[] = [
    {
      method: PUBLISHED,
      ranks: publishedRanks[0]!,
      note: `the clusters the fuser published (K ${input.shipped.maxClusters}, τ ${input.shipped.joinSimilarity}); ${published.size} of ${split.test.length} evaluated users have some, ${mean(counts).toFixed(2)} clusters on average`,
    },
    {
      method: PUBLISHED_WEIGHTED,
      ranks: publishedWeighted.ranks,
      note: `max over clusters of cos + α·ln(weight share), α cross-fitted over two user folds: ${publishedAlpha.join(', ')}`,
    },
  ];

  let replay: ClusterStudy['replay'] = null;
  if (input.maxClusters.length > 0) {
    const settings = input.maxClusters.flatMap((k): ReplaySetting[] =>
      k === 1
        ? [{ maxClusters: 1, joinSimilarity: null }]
        : input.joinSimilarities.map((tau) => ({ maxClusters: k, joinSimilarity: tau })),
    );
    const configOf = (s: { maxClusters: number; joinSimilarity: number | null }): FusionConfig => ({
      ...input.fusion,
      interestClusters: {
        maxClusters: s.maxClusters,
        joinSimilarity: s.joinSimilarity ?? input.shipped.joinSimilarity,
      },
    });
    // The fuser's own settings last: not a candidate, the check that the replay matches it.
    const configs = [...settings, input.shipped].map(configOf);
    const events = replayEvents(input.texts, input.clicks, input.itemVectors);
    const dim = vectorDim(input.texts, input.itemVectors);
    const alphas = shareWeights.length;
    let same = 0;
    let compared = 0;
    // One user at a time, every setting: settings often give a user the same clusters, whose
    // cosines are then computed once.
    const byVariant = rankAllVariants(split, configs.length * alphas, (userId) => {
      const list = events.get(userId);
      const cosinesOf = new Map<string, Float64Array>();
      const cosines = (centroid: Float32Array) => {
        const key = Buffer.from(centroid.buffer, centroid.byteOffset, centroid.byteLength).toString('base64');
        let cos = cosinesOf.get(key);
        if (!cos) cosinesOf.set(key, (cos = input.items.scores(centroid)));
        return cos;
      };
      return configs.flatMap((config, k) => {
        const c = list ? foldClusters(userId, list, dim, config) : null;
        if (k === configs.length - 1) {
          const p = published.get(userId) ?? null;
          if (p || c) compared++;
          if (sameClusters(p, c)) same += p || c ? 1 : 0;
        }
        if (!c) return shareWeights.map(() => null);
        const cos = c.centroids.map(cosines);
        return shareWeights.map((alpha) => maxOverClusters(cos, c.shares, alpha));
      });
    });
    const ranksOf = (setting: number, alpha: number) => byVariant[setting * alphas + alpha]!;
    const plain = crossFit(
      split,
      settings.map((_, s) => ranksOf(s, 0)),
    );
    const weighted = crossFit(split, byVariant.slice(0, settings.length * alphas));
    const settingOf = (i: number) => ({
      ...settings[Math.floor(i / alphas)]!,
      alpha: shareWeights[i % alphas]!,
    });
    const folds: [number[], number[]] = [[], []];
    split.test.forEach((t, i) => folds[foldOf(t.userId)].push(i));
    replay = {
      chosen: [settings[plain.chosen[0]]!, settings[plain.chosen[1]]!],
      chosenWeighted: [settingOf(weighted.chosen[0]), settingOf(weighted.chosen[1])],
      grid: settings.map((s, i) => ({
        ...s,
        ndcgByFold: folds.map((f) => mean(f.map((u) => ndcgAt(ranksOf(i, 0)[u]!, K)))) as [number, number],
      })),
      agreement: {
        users: compared,
        same,
        ndcgPublished: mean(ndcgs(publishedRanks[0]!)),
        ndcgReplayed: mean(ndcgs(ranksOf(settings.length, 0))),
      },
    };
    const describe = (s: ReplaySetting) =>
      s.joinSimilarity === null ? `K 1` : `K ${s.maxClusters}, τ ${s.joinSimilarity}`;
    methods.push(
      {
        method: REPLAYED,
        ranks: plain.ranks,
        note: `each user's training events refolded with the fuser's code for K ${input.maxClusters.join(', ')} × τ ${input.joinSimilarities.join(', ')}; chosen per fold on the other fold: ${replay.chosen.map(describe).join('; ')}`,
      },
      {
        method: REPLAYED_WEIGHTED,
        ranks: weighted.ranks,
        note: `as above with α ${shareWeights.join(', ')} too; chosen per fold: ${replay.chosenWeighted.map((s) => `${describe(s)}, α ${s.alpha}`).join('; ')}`,
      },
    );
  }

  const comparisons: ClusterComparison[] = [];
  for (const m of methods)
    for (const single of input.singles) comparisons.push(compare(m, single, input.buckets, input.resamples));
  return {
    methods,
    comparisons,
    publishedAlpha,
    replay,
    publishedPerUser: { users: counts.length, mean: mean(counts), single: counts.filter((n) => n === 1).length },
  };
}

/** Paired NDCG@10 difference, clusters minus single vector, over all users and per activity range. */
export function compare(
  m: { method: string; ranks: number[] },
  single: { name: string; ranks: number[] },
  buckets: readonly ActivityBucket[],
  resamples: number,
): ClusterComparison {
  const a = ndcgs(m.ranks);
  const b = ndcgs(single.ranks);
  const pick = (xs: number[], users: number[]) => users.map((u) => xs[u]!);
  return {
    method: m.method,
    versus: single.name,
    users: a.length,
    clusters: mean(a),
    single: mean(b),
    difference: bootstrapDifference(a, b, { resamples }),
    byActivity: buckets.map((bucket) => ({
      range: bucket.label,
      users: bucket.users.length,
      clusters: mean(pick(a, bucket.users)),
      single: mean(pick(b, bucket.users)),
      difference: bootstrapDifference(pick(a, bucket.users), pick(b, bucket.users), { resamples }),
    })),
  };
}
