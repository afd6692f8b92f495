import {
  packFloat32,
  type ActivityCounter,
  type ClickAction,
  type DecayedVector,
  type InterestCluster as PublishedInterestCluster,
  type ScoredLabel,
  type SentimentSummary,
  type UserProfile,
} from '@profilestream/contracts';
import { publishedAttributes } from './attributes';
import { clusterSummaries, type InterestClusterState } from './interest-clusters';
import { decayFactor, decayScalarTo, normalised, type DecayedVectorState } from './decayed-vector';
import { CLICK_ACTIONS, FUSION_CHANNELS, type ProfileState, type SentimentState } from './profile-state';
import { compareStrings, sortedKeys } from './records';

export const DEFAULT_MAX_CATEGORY_AFFINITIES = 20;

export interface ToUserProfileOptions {
  version: number;
  interests: ScoredLabel[];
  updatedAt: number;
  /** Bytes for the record's `state` field (kept for old readers); null, the default, leaves it out. */
  stateBytes?: Buffer | null;
  projectionId?: string | null;
  /** How many category affinities to publish (default 20). */
  maxCategoryAffinities?: number;
  /** Id of the classifier scoring posts; the profile's `sentiment` is null without one. */
  sentimentClassifierId?: string | null;
  /** Attributes left out of the record (sensitive ones where publishing them is not allowed). */
  withheldAttributes?: ReadonlySet<string>;
  /** The user's interest clusters as published (labelled by the caller); none by default. */
  interestClusters?: PublishedInterestCluster[];
}

/** The published sentiment summary: counts, and the decayed mean P(positive) with its evidence at refTime. */
export function toSentimentSummary(s: SentimentState, classifierId: string): SentimentSummary {
  return {
    classifierId,
    positive: s.positive,
    negative: s.negative,
    meanPositive: s.scored.value > 0 ? s.probability.value / s.scored.value : null,
    scored: s.scored.value,
    halfLifeMs: s.scored.halfLifeMs,
    refTime: s.scored.refTime,
  };
}

/** One decayed vector as published: unit float32 vector (zeros when empty) with weight at refTime. */
export function toDecayedVectorRecord(name: string, s: DecayedVectorState): DecayedVector {
  return { name, halfLifeMs: s.halfLifeMs, vector: packFloat32(normalised(s)), weight: s.weight, refTime: s.refTime };
}

/**
 * The top category affinities, each decayed to one common time `at` (default: the last event
 * time, so the published record depends on event times only), best first, ties by label.
 */
export function topCategoryAffinities(
  state: ProfileState,
  k = DEFAULT_MAX_CATEGORY_AFFINITIES,
  at = state.lastEventAt,
): ScoredLabel[] {
  const scored = sortedKeys(state.categoryAffinity).map((label) => ({
    label,
    score: decayScalarTo(state.categoryAffinity[label]!, at).value,
  }));
  scored.sort((a, b) => b.score - a.score || compareStrings(a.label, b.label));
  return scored.slice(0, Math.max(0, Math.floor(k)));
}

/**
 * The published record for `state`. Horizons are ordered by half-life (then name), every one
 * present; channels review, post, click, only those something was folded into (weight > 0);
 * `negative` null until a negative review is folded in. Leaving the empty ones out is most of a
 * click-only user's record (four vectors of seven), and each publish is written twice (profiles.v1
 * and the changelog);
 * counters are ordered by channel then action (null, view, click, like, add_to_cart, purchase); categoryAffinities are valued at
 * lastEventAt (see decayProfileTo).
 */
export function toUserProfile(state: ProfileState, opts: ToUserProfileOptions): UserProfile {
  const horizons = Object.entries(state.horizons)
    .sort(([na, a], [nb, b]) => a.halfLifeMs - b.halfLifeMs || compareStrings(na, nb))
    .map(([name, s]) => toDecayedVectorRecord(name, s));
  const counters: ActivityCounter[] = Object.values(state.counters)
    .sort(
      (a, b) =>
        FUSION_CHANNELS.indexOf(a.channel) - FUSION_CHANNELS.indexOf(b.channel) ||
        actionRank(a.action) - actionRank(b.action),
    )
    .map((c) => ({
      channel: c.channel,
      action: c.action,
      total: c.total,
      decayed: c.decayed.value,
      refTime: c.decayed.refTime,
    }));
  return {
    userId: state.userId,
    version: opts.version,
    modelId: state.modelId,
    projectionId: opts.projectionId ?? null,
    dim: state.dim,
    horizons,
    channels: FUSION_CHANNELS.filter((ch) => state.channels[ch].weight > 0).map((ch) =>
      toDecayedVectorRecord(ch, state.channels[ch]),
    ),
    negative: state.negative.weight > 0 ? toDecayedVectorRecord('negative', state.negative) : null,
    counters,
    ratingMean: state.ratingCount > 0 ? state.ratingSum / state.ratingCount : null,
    ratingCount: state.ratingCount,
    sentiment: opts.sentimentClassifierId ? toSentimentSummary(state.sentiment, opts.sentimentClassifierId) : null,
    categoryAffinities: topCategoryAffinities(state, opts.maxCategoryAffinities ?? DEFAULT_MAX_CATEGORY_AFFINITIES),
    interests: opts.interests,
    attributes: publishedAttributes(state.attributes, opts.withheldAttributes),
    interestClusters: opts.interestClusters ?? [],
    firstEventAt: state.firstEventAt,
    lastEventAt: state.lastEventAt,
    eventCount: state.eventCount,
    updatedAt: opts.updatedAt,
    state: opts.stateBytes ?? null,
  };
}

/**
 * The user's interest clusters as published, heaviest first (weights compared at the latest
 * cluster time): unit vector, own decayed weight at its refTime, events, top categories, and the
 * label `labelOf` gives its vector (the nearest taxonomy interest), if any.
 */
export function interestClusterRecords(
  state: ProfileState,
  labelOf: (cluster: InterestClusterState, unitVector: Float32Array) => string | null = () => null,
): PublishedInterestCluster[] {
  return clusterSummaries(state.interestClusters).map((c) => ({
    vector: packFloat32(c.centroid),
    weight: c.weight,
    halfLifeMs: c.halfLifeMs,
    refTime: c.refTime,
    events: c.events,
    label: labelOf(state.interestClusters[c.index]!, c.centroid),
    topCategories: c.categories.map((x) => x.label),
  }));
}

function actionRank(a: ClickAction | null): number {
  return a === null ? -1 : CLICK_ACTIONS.indexOf(a);
}

function decayRecord(v: DecayedVector, now: number): DecayedVector {
  if (now <= v.refTime) return { ...v };
  return { ...v, weight: v.weight * decayFactor(now - v.refTime, v.halfLifeMs), refTime: now };
}

/**
 * A copy of `profile` with every weight valued at `now` (for the read API): vector weights,
 * counters' decayed counts and the sentiment evidence move to refTime = now (never backwards), category affinity scores are
 * decayed from lastEventAt with the longest half-life. Vectors (directions), totals, interests and
 * `state` are unchanged (buffers are shared, not copied).
 */
export function decayProfileTo(profile: UserProfile, now: number): UserProfile {
  const halfLives = [...profile.horizons, ...profile.channels].map((v) => v.halfLifeMs);
  const longest = halfLives.length > 0 ? Math.max(...halfLives) : null;
  const affinityFactor =
    longest !== null && now > profile.lastEventAt ? decayFactor(now - profile.lastEventAt, longest) : 1;
  return {
    ...profile,
    horizons: profile.horizons.map((v) => decayRecord(v, now)),
    channels: profile.channels.map((v) => decayRecord(v, now)),
    negative: profile.negative === null ? null : decayRecord(profile.negative, now),
    counters: profile.counters.map((c) =>
      longest === null || now <= c.refTime
        ? { ...c }
        : { ...c, decayed: c.decayed * decayFactor(now - c.refTime, longest), refTime: now },
    ),
    categoryAffinities: profile.categoryAffinities.map((a) => ({ label: a.label, score: a.score * affinityFactor })),
    interestClusters: profile.interestClusters.map((c) =>
      now <= c.refTime
        ? { ...c }
        : { ...c, weight: c.weight * decayFactor(now - c.refTime, c.halfLifeMs), refTime: now },
    ),
    // The mean is a ratio of two sums decayed alike: only its evidence decays.
    sentiment:
      profile.sentiment === null || now <= profile.sentiment.refTime
        ? profile.sentiment && { ...profile.sentiment }
        : {
            ...profile.sentiment,
            scored:
              profile.sentiment.scored * decayFactor(now - profile.sentiment.refTime, profile.sentiment.halfLifeMs),
            refTime: now,
          },
  };
}
