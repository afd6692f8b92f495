import type { ProfileChange, ScoredLabel, UserProfile, ValueSerde } from '@profilestream/contracts';
import {
  interestClusterRecords,
  normalised,
  toUserProfile,
  topInterests,
  type InterestClusterState,
  type InterestLabel,
  type ProfileState,
} from '@profilestream/fusion';
import type { ProfilePublishing } from '../state/partition-task';

/** What a published profile shows besides the state: the same for profiles.v1, the changelog and the read API. */
export interface ProfileShape {
  interests: { labels: InterestLabel[]; top: number };
  projectionId: string | null;
  sentimentClassifierId: string;
  /** Sensitive attributes where publishing them is not allowed: left out of every record. */
  withheldAttributes: ReadonlySet<string>;
}

export interface PublishingOptions extends ProfileShape {
  serdes: { profile: ValueSerde<'UserProfile'>; change: ValueSerde<'ProfileChange'> };
}

/** The profile as readers see it (no exact state). */
export function profileOf(state: ProfileState, version: number, updatedAt: number, shape: ProfileShape): UserProfile {
  return toUserProfile(state, {
    version,
    interests: interestsOf(state, shape.interests),
    updatedAt,
    stateBytes: null,
    sentimentClassifierId: shape.sentimentClassifierId,
    projectionId: shape.projectionId,
    withheldAttributes: shape.withheldAttributes,
    interestClusters: interestClusterRecords(state, (cluster, unit) =>
      clusterLabel(cluster, unit, shape.interests.labels),
    ),
  });
}

/**
 * Builds the records recommenders read: the profile on profiles.v1 (what is served; the exact
 * state stays in the fuser's state topic) and the changelog record of the same publish, which
 * carries the same profile for point-in-time training joins.
 */
export function profilePublishing(o: PublishingOptions): ProfilePublishing {
  return {
    update(state: ProfileState, version: number, now: number) {
      const profile = profileOf(state, version, now, o);
      const change: ProfileChange = {
        userId: state.userId,
        kind: 'update',
        version,
        eventTime: state.lastEventAt,
        publishedAt: now,
        profile,
      };
      return { profile: o.serdes.profile.encode(profile), change: o.serdes.change.encode(change) };
    },
    erasure(userId: string, version: number, requestedAt: number, now: number) {
      const change: ProfileChange = {
        userId,
        kind: 'delete',
        version,
        eventTime: requestedAt,
        publishedAt: now,
        profile: null,
      };
      return o.serdes.change.encode(change);
    },
  };
}

interface KnownLabel {
  events: number;
  weight: number;
  refTime: number;
  label: string | null;
}

/** Per taxonomy, each cluster's label as of its last change: most clusters do not change between publishes. */
const clusterLabels = new WeakMap<readonly InterestLabel[], WeakMap<InterestClusterState, KnownLabel>>();

/** The nearest taxonomy label of a cluster (null without a taxonomy), computed again only when the cluster changed. */
function clusterLabel(
  cluster: InterestClusterState,
  unit: Float32Array,
  labels: readonly InterestLabel[],
): string | null {
  if (labels.length === 0) return null;
  let known = clusterLabels.get(labels);
  if (!known) clusterLabels.set(labels, (known = new WeakMap()));
  const { events, vector } = cluster;
  const cached = known.get(cluster);
  if (cached && cached.events === events && cached.weight === vector.weight && cached.refTime === vector.refTime)
    return cached.label;
  const label = topInterests(unit, labels, 1)[0]?.label ?? null;
  known.set(cluster, { events, weight: vector.weight, refTime: vector.refTime, label });
  return label;
}

/** The state's top interest labels: the longest horizon's nearest labels, as published. */
export function interestsOf(state: ProfileState, interests: PublishingOptions['interests']): ScoredLabel[] {
  return interests.top > 0 ? topInterests(normalised(longestHorizon(state)), interests.labels, interests.top) : [];
}

function longestHorizon(state: ProfileState) {
  return Object.values(state.horizons).reduce((a, b) => (b.halfLifeMs > a.halfLifeMs ? b : a));
}
