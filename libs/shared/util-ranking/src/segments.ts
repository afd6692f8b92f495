/**
 * Segments for the `segment_popularity` feature: users grouped by their value of one profile
 * attribute (country by default), and what each segment interacted with. A user-constant attribute
 * cannot reorder one user's candidates by itself; the crowd of users like them can.
 */
import type { UserProfile } from '@profilestream/contracts';
import { popularityFeature } from './features';

/** The attribute that defines segments when training does not name another. */
export const DEFAULT_SEGMENT_ATTRIBUTE = 'country';

/**
 * The user's segment: their value of `attribute`, for string values only; of a list (`languages`)
 * the first, the one the platform put first. Null when the attribute is off (null), the profile has
 * no value for it, or the value is not a string.
 */
export function segmentOf(profile: Pick<UserProfile, 'attributes'> | null, attribute: string | null): string | null {
  if (!profile || attribute === null) return null;
  const value = profile.attributes.find((a) => a.name === attribute)?.value;
  const segment = Array.isArray(value) ? value[0] : value;
  return typeof segment === 'string' && segment !== '' ? segment : null;
}

/**
 * The `segment_popularity` feature: the item's popularity within the user's segment, on that
 * segment's scale; the overall `popularity` feature when the segment has no interactions (or the
 * user none), so that it carries no extra signal rather than a misleading zero.
 */
export function segmentPopularityFeature(
  segmentInteractions: number | undefined,
  segmentMax: number,
  popularity: number,
): number {
  return segmentMax > 0 && segmentInteractions !== undefined
    ? popularityFeature(segmentInteractions, segmentMax)
    : popularity;
}

/** Interactions per item (by catalogue index) within each segment, sparse, counted as they come. */
export class SegmentCounts {
  private readonly counts = new Map<string, Map<number, number>>();
  private readonly max = new Map<string, number>();

  add(segment: string, item: number): void {
    const items = this.counts.get(segment) ?? new Map<number, number>();
    this.counts.set(segment, items);
    const n = (items.get(item) ?? 0) + 1;
    items.set(item, n);
    this.max.set(segment, Math.max(this.max.get(segment) ?? 0, n));
  }

  count(segment: string, item: number): number {
    return this.counts.get(segment)?.get(item) ?? 0;
  }

  /** The most interactions any item had within the segment (0: none yet, or no segment). */
  maxOf(segment: string | null): number {
    return segment === null ? 0 : (this.max.get(segment) ?? 0);
  }

  /** The artefact's `segments.maxInteractions`: each segment's largest item count. */
  maxInteractions(): Record<string, number> {
    return Object.fromEntries([...this.max].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}
