/**
 * Training rows from point-in-time joins of the changelog with the interactions that followed:
 * each interaction is paired with the newest profile published *before* it (features as a
 * recommender would have seen them, no leakage), against sampled items the user never touched.
 */
import { seededRandom } from '@profilestream/embedding';
import { CoOccurrence } from './co-occurrence';
import { popularityFeature, rankerFeatures, type CandidateVectors } from './features';
import type { TrainingRows } from './ranker';
import { SegmentCounts, segmentPopularityFeature } from './segments';
import type { ProfileVectors } from './vectors';

/** One published profile of a user, as the changelog carried it. */
export interface Snapshot {
  /** eventTime of the changelog record (epoch ms): the newest event folded in. */
  at: number;
  vectors: ProfileVectors;
  /** The user's segment as this profile's attributes gave it (`segmentOf`); null or absent: none. */
  segment?: string | null;
}

/** The newest snapshot holding only events before `t` (snapshots in `at` order), or null. */
export function snapshotBefore(snapshots: readonly Snapshot[] | undefined, t: number): Snapshot | null {
  if (!snapshots) return null;
  let lo = 0;
  let hi = snapshots.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (snapshots[mid]!.at < t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? snapshots[lo - 1]! : null;
}

export interface Interaction {
  userId: string;
  itemId: string;
  /** Epoch ms. */
  at: number;
}

/**
 * Every interaction (in time order) whose user had a profile published before it becomes one
 * positive row, against `negatives` items the user never touched. The behaviour features are
 * point in time too: popularity counts the interactions before this one, and co-occurrence the
 * item pairs of every user up to then, so no feature sees the interaction it predicts or any later.
 * Segment popularity likewise counts, per segment, the interactions before this one; an interaction
 * counts towards the segment of the user's newest profile holding events up to it. `segments` is
 * what the counts are after the last interaction (the artefact's per-segment scale).
 */
export function pointInTimeRows(o: {
  catalogue: readonly string[];
  items: CandidateVectors;
  interactions: readonly Interaction[];
  history: ReadonlyMap<string, readonly Snapshot[]>;
  negatives: number;
  seed: number;
}): TrainingRows & { skipped: number; segments: SegmentCounts } {
  const index = new Map(o.catalogue.map((id, i) => [id, i]));
  const allItems = new Map<string, Set<number>>();
  for (const x of o.interactions) {
    const i = index.get(x.itemId);
    if (i === undefined) continue;
    const set = allItems.get(x.userId) ?? new Set<number>();
    set.add(i);
    allItems.set(x.userId, set);
  }
  const co = new CoOccurrence(o.catalogue, []);
  const counts = new Float64Array(o.catalogue.length);
  let maxCount = 0;
  const segments = new SegmentCounts();
  const before = new Map<string, string[]>();
  const rand = seededRandom(o.seed);
  const chunks: Float64Array[] = [];
  const labels: number[] = [];
  const users: string[] = [];
  let skipped = 0;
  for (const x of o.interactions) {
    const prior = before.get(x.userId) ?? [];
    const target = index.get(x.itemId);
    const snapshot = snapshotBefore(o.history.get(x.userId), x.at);
    if (snapshot && target !== undefined) {
      // Negatives: items the user never touched, in the whole window (not only so far).
      const touched = allItems.get(x.userId)!;
      const candidates = [target];
      for (let tries = 0; candidates.length <= o.negatives && tries < 50 * o.negatives; tries++) {
        const j = Math.floor(rand() * o.catalogue.length);
        if (!touched.has(j) && !candidates.includes(j)) candidates.push(j);
      }
      const knn = co.scoresAt(prior, candidates);
      // Only the candidates' popularity is read: a sparse array of it, as of now.
      const popularity: number[] = [];
      const segment = snapshot.segment ?? null;
      const segmentMax = segments.maxOf(segment);
      const segmentPopularity: number[] = [];
      for (const c of candidates) {
        const overall = popularityFeature(counts[c]!, maxCount);
        popularity[c] = overall;
        segmentPopularity[c] = segmentPopularityFeature(
          segment === null ? undefined : segments.count(segment, c),
          segmentMax,
          overall,
        );
      }
      const behaviour = { popularity, knnSum: knn.sum, knnMax: knn.max, segmentPopularity };
      chunks.push(rankerFeatures(o.items, snapshot.vectors, behaviour, candidates));
      candidates.forEach((_, k) => {
        labels.push(k === 0 ? 1 : 0);
        users.push(x.userId);
      });
    } else skipped++;
    if (target !== undefined) {
      counts[target]! += 1;
      maxCount = Math.max(maxCount, counts[target]!);
      const segment = snapshotBefore(o.history.get(x.userId), x.at + 1)?.segment;
      if (segment) segments.add(segment, target);
      co.extend(prior, x.itemId);
    }
    prior.push(x.itemId);
    before.set(x.userId, prior);
  }
  const rows = new Float64Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    rows.set(c, offset);
    offset += c.length;
  }
  return { rows, labels: Uint8Array.from(labels), users, skipped, segments };
}
