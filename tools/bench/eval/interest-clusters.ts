/**
 * Several interests per user, as a retriever reads them: score(item) = max over the user's
 * clusters of cos(cluster, item), optionally with each cluster's weight share (+ α·ln share).
 * Clusters come either from the published profile or from a replay of the user's training events
 * through the fuser's own fold (foldEvents, so the same weights, negatives and repeat rule), with
 * any K and τ: the settings can then be chosen on validation users instead of taken as shipped.
 */
import {
  ClickActionValues,
  textRepeatKey,
  unpackFloat32,
  type ClickAction,
  type UserProfile,
} from '@profilestream/contracts';
import {
  clusterSummaries,
  decayFactor,
  emptyState,
  foldEvents,
  type EventPosition,
  type FusionConfig,
  type FusionEvent,
} from '@profilestream/fusion';
import type { ItemVectors } from './recommenders';

/** A user's text as the encoder embedded it: what the fuser folds into the profile. */
export interface EmbeddedUserText {
  userId: string;
  itemId: string | null;
  source: 'review' | 'post';
  occurredAt: number;
  rating: number | null;
  contentHash: string;
  categories: string[];
  vector: Float32Array;
}

/** A training click, as the producer maps a dataset line. */
export interface ReplayClick {
  userId: string;
  itemId: string;
  action: ClickAction;
  occurredAt: number;
}

/** A user's interests as a scorer reads them: unit centroids, heaviest first, and their weight shares. */
export interface UserClusters {
  centroids: Float32Array[];
  /** Each cluster's decayed weight over the user's total, valued at the same time; sums to 1. */
  shares: number[];
  /** Events each cluster gathered. */
  events: number[];
}

/** The clusters a profile published, with shares from their weights decayed to the latest refTime; null when none. */
export function publishedClusters(profile: Pick<UserProfile, 'interestClusters'>): UserClusters | null {
  const list = profile.interestClusters.filter((c) => c.weight > 0);
  if (list.length === 0) return null;
  const at = Math.max(...list.map((c) => c.refTime));
  const weights = list.map((c) => c.weight * decayFactor(at - c.refTime, c.halfLifeMs));
  const total = weights.reduce((a, b) => a + b, 0);
  return {
    centroids: list.map((c) => unpackFloat32(c.vector)),
    shares: weights.map((w) => (total > 0 ? w / total : 1 / list.length)),
    events: list.map((c) => c.events),
  };
}

/** The click actions the producer accepts ('click' when a line names none); null for an unknown one. */
export function clickActionOf(action: unknown): ClickAction | null {
  const a = action ?? 'click';
  return ClickActionValues.includes(a as ClickAction) ? (a as ClickAction) : null;
}

/**
 * Each user's texts and clicks as the fuser's events, in the order the replay folds them: time
 * order (ties: texts in the order given, then clicks), on one partition. A click carries its item's
 * vector, or none (counters only) when the item has none.
 */
export function replayEvents(
  texts: readonly EmbeddedUserText[],
  clicks: readonly ReplayClick[],
  itemVectors: ReadonlyMap<string, Float32Array>,
): Map<string, FusionEvent[]> {
  const byUser = new Map<string, { at: number; event: (position: EventPosition) => FusionEvent }[]>();
  const push = (userId: string, at: number, event: (position: EventPosition) => FusionEvent) => {
    const list = byUser.get(userId);
    if (list) list.push({ at, event });
    else byUser.set(userId, [{ at, event }]);
  };
  for (const t of texts)
    push(t.userId, t.occurredAt, (position) => ({
      kind: 'text',
      source: t.source,
      vector: t.vector,
      occurredAt: t.occurredAt,
      rating: t.rating,
      sentiment: null,
      categories: t.categories,
      repeatKey: textRepeatKey(t.itemId, t.contentHash),
      position,
    }));
  for (const c of clicks)
    push(c.userId, c.occurredAt, (position) => ({
      kind: 'click',
      action: c.action,
      itemVector: itemVectors.get(c.itemId) ?? null,
      categories: [],
      occurredAt: c.occurredAt,
      position,
    }));
  const out = new Map<string, FusionEvent[]>();
  for (const [userId, list] of byUser) {
    // A stable sort keeps texts before clicks at equal times; foldEvents applies offsets in order.
    list.sort((a, b) => a.at - b.at);
    out.set(
      userId,
      list.map(({ event }, i) => event({ topic: 'replay', partition: 0, offset: String(i) })),
    );
  }
  return out;
}

/**
 * One user's clusters as the fuser would build them from `events` (replayEvents) with `config`
 * (its interestClusters give K and τ): the fuser's own fold, so the same weights (texts 1, clicks
 * by action), reviews rated ≤ 2 left out and repeated texts folded once. Null when nothing joined a
 * cluster (only disliked reviews, or clicks on items without a vector).
 */
export function foldClusters(
  userId: string,
  events: readonly FusionEvent[],
  dim: number,
  config: FusionConfig,
): UserClusters | null {
  if (dim <= 0) return null;
  const state = emptyState(userId, 'replay', dim, config);
  foldEvents(state, events, config);
  const summaries = clusterSummaries(state.interestClusters).filter((s) => s.weight > 0);
  if (summaries.length === 0) return null;
  return {
    centroids: summaries.map((s) => s.centroid),
    shares: summaries.map((s) => s.share),
    events: summaries.map((s) => s.events),
  };
}

/** Every user's clusters from replayEvents and foldClusters; users left without one are absent. */
export function replayClusters(
  texts: readonly EmbeddedUserText[],
  clicks: readonly ReplayClick[],
  itemVectors: ReadonlyMap<string, Float32Array>,
  config: FusionConfig,
): Map<string, UserClusters> {
  const dim = vectorDim(texts, itemVectors);
  const out = new Map<string, UserClusters>();
  for (const [userId, events] of replayEvents(texts, clicks, itemVectors)) {
    const c = foldClusters(userId, events, dim, config);
    if (c) out.set(userId, c);
  }
  return out;
}

/** The dimension of the replayed vectors (0 when there are none). */
export function vectorDim(texts: readonly EmbeddedUserText[], itemVectors: ReadonlyMap<string, Float32Array>): number {
  return texts[0]?.vector.length ?? itemVectors.values().next().value?.length ?? 0;
}

/** cos(cluster, item) for every cluster and item (-Infinity for an item without a vector). */
export function clusterCosines(items: ItemVectors, clusters: UserClusters): Float64Array[] {
  return clusters.centroids.map((c) => items.scores(c));
}

/**
 * score(item) = max over clusters of cos(cluster, item) + α·ln(share): α = 0 is the plain max; a
 * larger α lets a heavier interest outrank a slightly closer but minor one (a cluster of share s
 * needs a cosine α·ln(1/s) higher than a cluster of share 1 would). Written in log space so a
 * negative cosine is never rewarded by a small share, as share^α·cos would.
 */
export function maxOverClusters(cosines: readonly Float64Array[], shares: readonly number[], alpha = 0): Float64Array {
  const n = cosines[0]?.length ?? 0;
  const out = new Float64Array(n).fill(-Infinity);
  cosines.forEach((cos, c) => {
    const bonus = alpha === 0 ? 0 : alpha * Math.log(shares[c]!);
    for (let i = 0; i < n; i++) {
      const s = cos[i]! + bonus;
      if (s > out[i]!) out[i] = s;
    }
  });
  return out;
}

/** How far two users' cluster lists agree: same count, same events per cluster, centroid cosines ≥ `minCosine`. */
export function sameClusters(a: UserClusters | null, b: UserClusters | null, minCosine = 0.999): boolean {
  if (!a || !b) return a === b;
  if (a.centroids.length !== b.centroids.length) return false;
  return a.centroids.every((c, k) => {
    if (a.events[k] !== b.events[k]) return false;
    const d = b.centroids[k]!;
    let dot = 0;
    for (let i = 0; i < c.length; i++) dot += c[i]! * d[i]!;
    return dot >= minCosine;
  });
}
