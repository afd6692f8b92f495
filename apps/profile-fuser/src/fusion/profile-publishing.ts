import type { ProfileChange, ScoredLabel, ValueSerde } from '@profilestream/contracts';
import { normalised, toUserProfile, topInterests, type InterestLabel, type ProfileState } from '@profilestream/fusion';
import type { ProfilePublishing } from '../state/partition-task';

export interface PublishingOptions {
  serdes: { profile: ValueSerde<'UserProfile'>; change: ValueSerde<'ProfileChange'> };
  interests: { labels: InterestLabel[]; top: number };
  projectionId: string | null;
  sentimentClassifierId: string;
}

/**
 * Builds the records recommenders read: the profile on profiles.v1 (what is served; the exact
 * state stays in the fuser's state topic) and the changelog record of the same publish, which
 * carries the same profile for point-in-time training joins.
 */
export function profilePublishing(o: PublishingOptions): ProfilePublishing {
  return {
    update(state: ProfileState, version: number, now: number) {
      const interests = interestsOf(state, o.interests);
      const profile = toUserProfile(state, {
        version,
        interests,
        updatedAt: now,
        stateBytes: null,
        sentimentClassifierId: o.sentimentClassifierId,
        projectionId: o.projectionId,
      });
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

/** The state's top interest labels: the longest horizon's nearest labels, as published. */
export function interestsOf(state: ProfileState, interests: PublishingOptions['interests']): ScoredLabel[] {
  return interests.top > 0 ? topInterests(normalised(longestHorizon(state)), interests.labels, interests.top) : [];
}

function longestHorizon(state: ProfileState) {
  return Object.values(state.horizons).reduce((a, b) => (b.halfLifeMs > a.halfLifeMs ? b : a));
}
