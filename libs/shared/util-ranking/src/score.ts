/**
 * Scoring for a recommender that reads profiles.v1: the candidates it retrieved, ranked by the
 * artefact with the same features the ranker was trained on.
 */
import type { UserProfile } from '@profilestream/contracts';
import type { RankerArtefact } from './artefact';
import { popularityFeature, rankerFeatures, unitCandidates } from './features';
import { rankerScores } from './ranker';
import { segmentOf, segmentPopularityFeature } from './segments';
import { normalise, rankerVectors } from './vectors';

/** A profile from another vector space than the ranker's: its cosines would mean nothing. */
export class RankerSpaceError extends Error {
  override readonly name = 'RankerSpaceError';
}

export interface RankCandidate {
  /** The item's vector in the ranker's space (its catalogue description's embedding); null: cosines 0. */
  vector: ArrayLike<number> | null;
  /** Interactions with the item (clicks and reviews) in the recommender's window. */
  interactions: number;
  /** Co-occurrence similarity of the item with the user's recent items (sum and largest); 0 when unknown. */
  knn?: { sum: number; max: number };
  /**
   * Interactions with the item by users of the profile's segment (their value of the artefact's
   * `segments.attribute`) in the same window; absent: segment_popularity falls back to popularity.
   */
  segmentInteractions?: number;
}

/**
 * The ranker's score (a logit: higher first) of each candidate for `profile`; a user without a
 * profile (null) is scored on behaviour alone, and one without a value for the segment attribute
 * (or of a segment the ranker never saw) with overall popularity in place of its segment's. Throws
 * RankerSpaceError for a profile of another model or projection, RangeError for a vector of the
 * wrong length.
 */
export function scoreCandidates(
  ranker: RankerArtefact,
  profile: UserProfile | null,
  candidates: readonly RankCandidate[],
): Float64Array {
  if (
    profile &&
    (profile.modelId !== ranker.space.modelId || (profile.projectionId ?? null) !== ranker.space.projectionId)
  ) {
    throw new RankerSpaceError(
      `profile of ${profile.userId} is in space ${profile.modelId}/${profile.projectionId ?? 'none'}, ranker ${ranker.id} in ${ranker.space.modelId}/${ranker.space.projectionId ?? 'none'}`,
    );
  }
  const units = candidates.map((c, i) => {
    if (c.vector && c.vector.length !== ranker.space.dim)
      throw new RangeError(
        `candidate ${i}: vector of ${c.vector.length} dimensions, ranker ${ranker.id} expects ${ranker.space.dim}`,
      );
    return c.vector ? normalise(c.vector) : null;
  });
  const items = unitCandidates(units);
  const popularity = candidates.map((c) => popularityFeature(c.interactions, ranker.popularity.maxInteractions));
  const segment = segmentOf(profile, ranker.segments.attribute);
  const maxBySegment = ranker.segments.maxInteractions;
  // Own keys only: a segment named like an Object method ("constructor") is simply unknown.
  const segmentMax = segment !== null && Object.hasOwn(maxBySegment, segment) ? maxBySegment[segment]! : 0;
  const behaviour = {
    popularity,
    knnSum: candidates.map((c) => c.knn?.sum ?? 0),
    knnMax: candidates.map((c) => c.knn?.max ?? 0),
    segmentPopularity: candidates.map((c, i) =>
      segmentPopularityFeature(c.segmentInteractions, segmentMax, popularity[i]!),
    ),
  };
  const vectors = profile ? rankerVectors(profile) : new Map<string, Float32Array>();
  return rankerScores(
    ranker,
    rankerFeatures(
      items,
      vectors,
      behaviour,
      candidates.map((_, i) => i),
    ),
  );
}
