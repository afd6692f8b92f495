/**
 * The ranker's features of a (profile, item) pair: what the user wrote and did, against the item's
 * vector (cosines), next to what the crowd does (popularity, item-to-item co-occurrence, popularity
 * among users of the same segment).
 */
import type { ProfileVectors } from './vectors';

/** Feature names, in the order of a feature row. */
export const RANKER_FEATURES = [
  'cos_fused',
  'cos_short',
  'cos_long',
  'cos_click',
  'cos_negative',
  'popularity',
  'item_knn',
  'item_knn_max',
  'segment_popularity',
] as const;
export type RankerFeature = (typeof RANKER_FEATURES)[number];
export const FEATURE_COUNT = RANKER_FEATURES.length;

/** Items addressed by index, each with a unit vector (or none: cosine 0). */
export interface CandidateVectors {
  /** Cosine of a unit query with the i-th item; 0 when the item has no vector. */
  cosine(i: number, query: Float32Array): number;
}

/** Candidate vectors from a list of (already unit) vectors by index; null: the item has none. */
export function unitCandidates(units: readonly (Float32Array | null)[]): CandidateVectors {
  return {
    cosine(i, query) {
      const u = units[i];
      if (!u) return 0;
      let s = 0;
      for (let d = 0; d < u.length; d++) s += u[d]! * query[d]!;
      return s;
    },
  };
}

/** What behaviour says about one user's candidates at one time, per item index. */
export interface BehaviourContext {
  /** `popularityFeature` of each item. */
  popularity: ArrayLike<number>;
  /** Summed co-occurrence similarity to the user's items, and the largest single one. */
  knnSum: ArrayLike<number>;
  knnMax: ArrayLike<number>;
  /** `segmentPopularityFeature` of each item: popularity among the user's segment, else `popularity`. */
  segmentPopularity: ArrayLike<number>;
}

/** log(1 + interactions) / log(1 + the most any item had): 0 to 1, comparable across catalogues. */
export function popularityFeature(interactions: number, maxInteractions: number): number {
  return maxInteractions > 0 ? Math.log1p(Math.max(0, interactions)) / Math.log1p(maxInteractions) : 0;
}

/** Feature rows (row-major, RANKER_FEATURES order) of the given candidates for one profile. */
export function rankerFeatures(
  items: CandidateVectors,
  vectors: ProfileVectors,
  behaviour: BehaviourContext,
  candidates: readonly number[],
): Float64Array {
  const { short, long } = horizonExtremes(vectors);
  // Cosines with each of the profile's vectors; 0 where either side has none.
  const queries = [vectors.get('fused'), short, long, vectors.get('channel:click'), vectors.get('negative')];
  const out = new Float64Array(candidates.length * FEATURE_COUNT);
  candidates.forEach((i, r) => {
    const row = r * FEATURE_COUNT;
    queries.forEach((q, c) => (out[row + c] = q ? items.cosine(i, q) : 0));
    out[row + 5] = behaviour.popularity[i]!;
    out[row + 6] = behaviour.knnSum[i]!;
    out[row + 7] = behaviour.knnMax[i]!;
    out[row + 8] = behaviour.segmentPopularity[i]!;
  });
  return out;
}

/** The shortest and longest horizons the profile has (by their names' half-lives). */
function horizonExtremes(vectors: ProfileVectors): { short?: Float32Array; long?: Float32Array } {
  const horizons = [...vectors.keys()]
    .filter((k) => k.startsWith('horizon:'))
    .sort((a, b) => halfLifeSeconds(a) - halfLifeSeconds(b));
  if (horizons.length === 0) return {};
  return { short: vectors.get(horizons[0]!), long: vectors.get(horizons[horizons.length - 1]!) };
}

function halfLifeSeconds(name: string): number {
  const m = /^horizon:(\d+(?:\.\d+)?)([smhd])$/.exec(name);
  if (!m) return Number.MAX_VALUE;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
