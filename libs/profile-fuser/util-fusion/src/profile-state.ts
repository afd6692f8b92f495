import type { ClickAction } from '@profilestream/contracts';
import {
  cloneDecayedVector,
  emptyDecayedScalar,
  emptyDecayedVector,
  hasSharedZeroSum,
  type DecayedScalarState,
  type DecayedVectorState,
} from './decayed-vector';
import { cloneAttributes, type AttributeLimits, type AttributeState } from './attributes';
import { clusterCopy, DEFAULT_MAX_CLUSTERS, type InterestClusterState } from './interest-clusters';
import { dict, mapDict, setEntry, type Dict } from './records';

export type FusionChannel = 'review' | 'post' | 'click';
export const FUSION_CHANNELS: readonly FusionChannel[] = ['review', 'post', 'click'];

export const CLICK_ACTIONS: readonly ClickAction[] = ['view', 'click', 'like', 'add_to_cart', 'purchase'];

const DAY_MS = 86_400_000;

export const DEFAULT_HALF_LIVES_MS: Readonly<Record<string, number>> = {
  '1d': DAY_MS,
  '7d': 7 * DAY_MS,
  '90d': 90 * DAY_MS,
};

export const DEFAULT_ACTION_WEIGHTS: Readonly<Record<ClickAction, number>> = {
  view: 0.2,
  click: 0.5,
  like: 1,
  add_to_cart: 2,
  purchase: 3,
};

export interface FusionConfig {
  /** Horizon name → half-life in ms, e.g. { '1d': 86400000 }. Fixed into a state by emptyState. */
  halfLivesMs: Record<string, number>;
  /** Weight of a click's item vector (and category affinity) by action. */
  actionWeights: Record<ClickAction, number>;
  /**
   * A text whose content hash equals one of the user's texts within this many ms of event time is
   * a repeat and is not folded in (0: off). The same rule as text-cleaner's duplicate filter, kept
   * in the durable state, so the decision survives a loss of that filter's Redis.
   */
  textDedupWindowMs?: number;
  /** Bounds on users.v1 attributes (default: DEFAULT_ATTRIBUTE_LIMITS). */
  attributeLimits?: AttributeLimits;
  /**
   * Separate interests per user (see interest-clusters): K (0 turns them off) and the cosine τ an
   * event needs to join one. Default: DEFAULT_MAX_CLUSTERS and DEFAULT_JOIN_SIMILARITY.
   */
  interestClusters?: { maxClusters: number; joinSimilarity: number };
}

/** Most recent texts remembered per user for the repeat check. */
export const RECENT_TEXTS = 32;

/** A text the user wrote: its content hash (a prefix suffices) and event time. */
export interface RecentText {
  hash: string;
  at: number;
}

export const DEFAULT_FUSION_CONFIG: FusionConfig = {
  halfLivesMs: { ...DEFAULT_HALF_LIVES_MS },
  actionWeights: { ...DEFAULT_ACTION_WEIGHTS },
};

/** Activity per (channel, action): `total` never decays; `decayed` uses the longest half-life. */
export interface CounterState {
  channel: FusionChannel;
  /** Click action; null for review and post. */
  action: ClickAction | null;
  total: number;
  decayed: DecayedScalarState;
}

/**
 * What the sentiment classifier said about the user's posts. `probability` and `scored` decay with
 * the longest half-life and move together (same refTime), so their ratio is the decayed mean
 * probability that a post is positive.
 */
export interface SentimentState {
  /** Posts judged positive and negative (at the classifier's threshold); never decay. */
  positive: number;
  negative: number;
  /** Σ decayed P(positive) of scored posts. */
  probability: DecayedScalarState;
  /** Decayed number of scored posts. */
  scored: DecayedScalarState;
}

/** Everything the fuser keeps for one user and one model. Dictionaries are null-prototype objects. */
export interface ProfileState {
  userId: string;
  modelId: string;
  dim: number;
  /** Horizon name (e.g. '1d') → decayed vector of all positive evidence. */
  horizons: Dict<DecayedVectorState>;
  /** Per channel, with the longest half-life. */
  channels: Record<FusionChannel, DecayedVectorState>;
  /** Reviews rated 1 or 2 (only here), with the longest half-life. */
  negative: DecayedVectorState;
  /** counterKey(channel, action) → counter. */
  counters: Dict<CounterState>;
  /** Sum and count of review ratings. */
  ratingSum: number;
  ratingCount: number;
  /** Category → decayed affinity (longest half-life). */
  categoryAffinity: Dict<DecayedScalarState>;
  sentiment: SentimentState;
  /** Min and max event time applied; 0 while eventCount is 0. */
  firstEventAt: number;
  lastEventAt: number;
  eventCount: number;
  /** `topic:partition` → highest applied offset (decimal string). */
  appliedOffsets: Dict<string>;
  /** The user's latest texts (at most RECENT_TEXTS, by event time), for the repeat check. */
  recentTexts: RecentText[];
  /** users.v1 attributes by name (standard, or custom.<name>): latest value by event time. */
  attributes: Dict<AttributeState>;
  /** Separate interests: at most K decayed vectors of the positive evidence, in creation order. */
  interestClusters: InterestClusterState[];
}

export function counterKey(channel: FusionChannel, action: ClickAction | null): string {
  return action === null ? channel : `${channel}:${action}`;
}

/** The longest configured half-life (the one channels, negative, counters and affinities use). */
export function longestHalfLifeMs(halfLivesMs: Record<string, number>): number {
  const values = Object.values(halfLivesMs);
  if (values.length === 0) throw new RangeError('at least one half-life must be configured');
  return Math.max(...values);
}

/** The longest half-life of an existing state (its horizons fix it). */
export function stateLongestHalfLifeMs(state: ProfileState): number {
  return state.negative.halfLifeMs;
}

export function emptySentiment(halfLifeMs: number): SentimentState {
  return {
    positive: 0,
    negative: 0,
    probability: emptyDecayedScalar(halfLifeMs),
    scored: emptyDecayedScalar(halfLifeMs),
  };
}

export function emptyState(
  userId: string,
  modelId: string,
  dim: number,
  config: FusionConfig = DEFAULT_FUSION_CONFIG,
): ProfileState {
  const longest = longestHalfLifeMs(config.halfLivesMs);
  const horizons = dict<DecayedVectorState>();
  for (const [name, h] of Object.entries(config.halfLivesMs)) setEntry(horizons, name, emptyDecayedVector(dim, h));
  return {
    userId,
    modelId,
    dim,
    horizons,
    channels: {
      review: emptyDecayedVector(dim, longest),
      post: emptyDecayedVector(dim, longest),
      click: emptyDecayedVector(dim, longest),
    },
    negative: emptyDecayedVector(dim, longest),
    counters: dict(),
    ratingSum: 0,
    ratingCount: 0,
    categoryAffinity: dict(),
    sentiment: emptySentiment(longest),
    firstEventAt: 0,
    lastEventAt: 0,
    eventCount: 0,
    appliedOffsets: dict(),
    recentTexts: [],
    attributes: dict(),
    interestClusters: [],
  };
}

const VECTOR_OBJECT_BYTES = 200;
const OTHER_STATE_BYTES = 2_500;

function vectorMemoryBytes(v: DecayedVectorState): number {
  return VECTOR_OBJECT_BYTES + (hasSharedZeroSum(v) ? 0 : v.sum.byteLength);
}

/**
 * About the bytes a state takes in memory, for a cache's budget: every decayed vector (horizons,
 * channels, negative, interest clusters) as its float32 sum, unless it shares the all-zero one,
 * plus the objects around it, and an allowance for the rest (counters, affinities, offsets,
 * attributes, recent texts). Bounded time (a few vectors): it is asked after every event.
 */
export function stateMemoryBytes(s: ProfileState): number {
  let bytes = OTHER_STATE_BYTES;
  for (const name in s.horizons) bytes += vectorMemoryBytes(s.horizons[name]!);
  bytes += vectorMemoryBytes(s.channels.review) + vectorMemoryBytes(s.channels.post);
  bytes += vectorMemoryBytes(s.channels.click) + vectorMemoryBytes(s.negative);
  for (const c of s.interestClusters) bytes += vectorMemoryBytes(c.vector);
  return bytes;
}

/**
 * What a state takes once its first event is folded in (the horizons, one channel and, where
 * interest clusters are on, one cluster): the least a user brought into memory costs.
 */
export function firstEventMemoryBytes(dim: number, config: FusionConfig = DEFAULT_FUSION_CONFIG): number {
  const horizons = Object.keys(config.halfLivesMs).length;
  const clusters = (config.interestClusters?.maxClusters ?? DEFAULT_MAX_CLUSTERS) > 0 ? 1 : 0;
  const withSums = horizons + 1 + clusters;
  return OTHER_STATE_BYTES + (horizons + 4 + clusters) * VECTOR_OBJECT_BYTES + withSums * 4 * dim;
}

/** A deep copy sharing nothing mutable with `s`. */
export function cloneState(s: ProfileState): ProfileState {
  return {
    userId: s.userId,
    modelId: s.modelId,
    dim: s.dim,
    horizons: mapDict(s.horizons, cloneDecayedVector),
    channels: {
      review: cloneDecayedVector(s.channels.review),
      post: cloneDecayedVector(s.channels.post),
      click: cloneDecayedVector(s.channels.click),
    },
    negative: cloneDecayedVector(s.negative),
    counters: mapDict(s.counters, (c) => ({
      channel: c.channel,
      action: c.action,
      total: c.total,
      decayed: { ...c.decayed },
    })),
    ratingSum: s.ratingSum,
    ratingCount: s.ratingCount,
    categoryAffinity: mapDict(s.categoryAffinity, (a) => ({ ...a })),
    sentiment: {
      positive: s.sentiment.positive,
      negative: s.sentiment.negative,
      probability: { ...s.sentiment.probability },
      scored: { ...s.sentiment.scored },
    },
    firstEventAt: s.firstEventAt,
    lastEventAt: s.lastEventAt,
    eventCount: s.eventCount,
    appliedOffsets: mapDict(s.appliedOffsets, (o) => o),
    recentTexts: s.recentTexts.map((t) => ({ ...t })),
    attributes: cloneAttributes(s.attributes),
    interestClusters: s.interestClusters.map(clusterCopy),
  };
}
