/**
 * Compares the final profiles of two runs of the same input, user by user (pure).
 *
 * Field rules:
 * - `version` and `updatedAt` are ignored: they count and time stored changes, which legitimately
 *   differ with how events were batched and flushed. `state` (the fuser's exact binary state) is
 *   ignored too: it carries the applied offsets of each run's own topics.
 * - Integers and strings must be equal: ids, dimensions, half-lives, reference and event times,
 *   event counts, per-channel and per-action counter totals, rating count, sentiment counts.
 * - Floats (vector components after unpacking the float32 bytes, weights, decayed counts, rating
 *   mean, sentiment, scores) must agree within `DEFAULT_TOLERANCE`: relative 1e-4, absolute 1e-6.
 *   Vector sums are order-insensitive only up to float rounding, and records of different topics
 *   interleave differently in two runs; an event lost or applied twice also shows in the exact
 *   counters, so the tolerance hides no event.
 * - Top-k lists (interests, category affinities) are compared as label → score; a label listed on
 *   one side only is accepted when its score is within tolerance of the other side's lowest listed
 *   score: a near-tie at the cut-off, which float rounding may decide either way.
 * - Attributes must be equal: the same names, values and times (the latest value per attribute by
 *   event time does not depend on arrival order).
 * - `interestClusters` are not compared: which cluster an event joins depends on the order events
 *   arrive in, which two runs with faults legitimately differ in (see interest-clusters.ts).
 * - A null value on profiles.v1 (a tombstone: the user was erased) equals only another tombstone.
 *
 * Events lost and double-applied come from the exact counters: per user and per counter
 * (review, post, each click action), run B's total minus run A's; negative differences add up to
 * the events lost, positive ones to the events applied more often in run B than in run A. A user
 * erased in one run only is counted as that (an erasure applied in one run), not as its profile's
 * events lost or applied twice, and is left out of Σ eventCount B − A too.
 */
import { unpackFloat32, type DecayedVector, type ScoredLabel, type UserProfile } from '@profilestream/contracts';

export interface Tolerance {
  relative: number;
  absolute: number;
}

export const DEFAULT_TOLERANCE: Tolerance = Object.freeze({ relative: 1e-4, absolute: 1e-6 });

/** A user's last record on profiles.v1: the profile, or null for a tombstone (erased). */
export type FinalProfile = UserProfile | null;
export type ProfileSnapshot = ReadonlyMap<string, FinalProfile>;

export interface FieldDifference {
  userId: string;
  /** Path of the field, e.g. `horizons[7d].vector`, `counters[click/view].total`, `interests[guitars]`. */
  field: string;
  a: string;
  b: string;
}

export type UserStatus = 'same' | 'different' | 'missing-in-a' | 'missing-in-b';

export interface ComparisonSummary {
  tolerance: Tolerance;
  /** Users with a record in either run. */
  usersCompared: number;
  usersIdentical: number;
  /** Users whose final record differs in any way, missing ones included. */
  usersDiffering: number;
  /** Users with a record in run B only. */
  missingInA: number;
  /** Users with a record in run A only. */
  missingInB: number;
  /**
   * Users erased (tombstoned) in one run and not in the other: part of usersDiffering, and not in
   * the event counts below (an erasure disagreement, not events lost or applied twice).
   */
  erasedInOneRunOnly: number;
  /** Events run A applied that run B did not (per-counter shortfalls, summed over users). */
  eventsLost: number;
  /** Events run B applied more often than run A (per-counter excesses, summed over users). */
  eventsDoubleApplied: number;
  /** Σ eventCount in run B minus in run A. */
  eventCountDelta: number;
  /** Whether eventsDoubleApplied − eventsLost equals eventCountDelta (each applied event bumps one counter and eventCount). */
  countsConsistent: boolean;
  /** Differences by field family (`horizons.vector`, `counters.total`, …). */
  differencesByField: Record<string, number>;
  differingUsers: string[];
  /** The first differences, in user order: at most three per user, so that several users show. */
  firstDifferences: FieldDifference[];
  runs: { a: RunTotals; b: RunTotals };
}

export interface RunTotals {
  users: number;
  profiles: number;
  erased: number;
  /** Σ eventCount over published profiles. */
  eventCount: number;
}

/** Compares two runs' snapshots; `listed` bounds firstDifferences, `perUser` each user's share of them. */
export function compareSnapshots(
  a: ProfileSnapshot,
  b: ProfileSnapshot,
  tolerance: Tolerance = DEFAULT_TOLERANCE,
  listed = 20,
  perUser = 3,
): ComparisonSummary {
  const users = [...new Set([...a.keys(), ...b.keys()])].sort();
  const byField: Record<string, number> = {};
  const firstDifferences: FieldDifference[] = [];
  const differingUsers: string[] = [];
  let identical = 0;
  let missingInA = 0;
  let missingInB = 0;
  let erasedInOne = 0;
  let lost = 0;
  let doubled = 0;
  let eventCountDelta = 0;
  for (const userId of users) {
    const pa = a.get(userId);
    const pb = b.get(userId);
    const { status, differences } = compareUser(userId, pa, pb, tolerance);
    const erasedInOneRun = pa !== undefined && pb !== undefined && (pa === null) !== (pb === null);
    if (erasedInOneRun) erasedInOne++;
    if (status === 'missing-in-a') missingInA++;
    if (status === 'missing-in-b') missingInB++;
    if (status === 'same') identical++;
    else differingUsers.push(userId);
    differences.forEach((d, i) => {
      const family = fieldFamily(d.field);
      byField[family] = (byField[family] ?? 0) + 1;
      if (firstDifferences.length < listed && i < perUser) firstDifferences.push(d);
    });
    if (erasedInOneRun) continue;
    const delta = eventDelta(pa ?? null, pb ?? null);
    lost += delta.lost;
    doubled += delta.doubled;
    eventCountDelta += (pb?.eventCount ?? 0) - (pa?.eventCount ?? 0);
  }
  return {
    tolerance,
    usersCompared: users.length,
    usersIdentical: identical,
    usersDiffering: differingUsers.length,
    missingInA,
    missingInB,
    erasedInOneRunOnly: erasedInOne,
    eventsLost: lost,
    eventsDoubleApplied: doubled,
    eventCountDelta,
    countsConsistent: doubled - lost === eventCountDelta,
    differencesByField: byField,
    differingUsers,
    firstDifferences,
    runs: { a: runTotals(a), b: runTotals(b) },
  };
}

export function runTotals(s: ProfileSnapshot): RunTotals {
  let profiles = 0;
  let erased = 0;
  let eventCount = 0;
  for (const p of s.values()) {
    if (p === null) erased++;
    else {
      profiles++;
      eventCount += p.eventCount;
    }
  }
  return { users: s.size, profiles, erased, eventCount };
}

/** One user's final records in both runs (undefined: no record at all in that run). */
export function compareUser(
  userId: string,
  a: FinalProfile | undefined,
  b: FinalProfile | undefined,
  tolerance: Tolerance = DEFAULT_TOLERANCE,
): { status: UserStatus; differences: FieldDifference[] } {
  const describe = (p: FinalProfile | undefined) =>
    p === undefined ? 'no record' : p === null ? 'erased' : `profile (${p.eventCount} events)`;
  if (a === undefined || b === undefined) {
    return {
      status: a === undefined ? 'missing-in-a' : 'missing-in-b',
      differences: [{ userId, field: '(record)', a: describe(a), b: describe(b) }],
    };
  }
  if (a === null || b === null) {
    if (a === b) return { status: 'same', differences: [] };
    return { status: 'different', differences: [{ userId, field: '(erased)', a: describe(a), b: describe(b) }] };
  }
  const differences = compareProfiles(a, b, tolerance).map((d) => ({ userId, ...d }));
  return { status: differences.length === 0 ? 'same' : 'different', differences };
}

type Difference = Omit<FieldDifference, 'userId'>;

/** Every difference between two published profiles of one user, by the field rules above. */
export function compareProfiles(
  a: UserProfile,
  b: UserProfile,
  tolerance: Tolerance = DEFAULT_TOLERANCE,
): Difference[] {
  const out: Difference[] = [];
  const exact = (field: string, x: unknown, y: unknown) => {
    if (x !== y) out.push({ field, a: show(x), b: show(y) });
  };
  const float = (field: string, x: number | null | undefined, y: number | null | undefined) => {
    if (x === null || x === undefined || y === null || y === undefined) exact(field, x ?? null, y ?? null);
    else if (!closeEnough(x, y, tolerance)) out.push({ field, a: show(x), b: show(y) });
  };

  exact('modelId', a.modelId, b.modelId);
  exact('projectionId', a.projectionId ?? null, b.projectionId ?? null);
  exact('dim', a.dim, b.dim);
  const vectors = (family: string, xs: readonly DecayedVector[], ys: readonly DecayedVector[]) => {
    for (const [name, x, y] of pairBy(xs, ys, (v) => v.name)) {
      if (!x || !y) {
        out.push({ field: `${family}[${name}]`, a: x ? 'present' : 'absent', b: y ? 'present' : 'absent' });
        continue;
      }
      compareDecayedVector(`${family}[${name}]`, x, y, tolerance, out);
    }
  };
  vectors('horizons', a.horizons, b.horizons);
  vectors('channels', a.channels, b.channels);
  if (a.negative && b.negative) compareDecayedVector('negative', a.negative, b.negative, tolerance, out);
  else exact('negative', a.negative ? 'present' : null, b.negative ? 'present' : null);

  for (const [key, x, y] of pairBy(a.counters, b.counters, counterKey)) {
    if (!x || !y) {
      out.push({
        field: `counters[${key}]`,
        a: x ? `total ${x.total}` : 'absent',
        b: y ? `total ${y.total}` : 'absent',
      });
      continue;
    }
    exact(`counters[${key}].total`, x.total, y.total);
    float(`counters[${key}].decayed`, x.decayed, y.decayed);
    exact(`counters[${key}].refTime`, x.refTime, y.refTime);
  }

  float('ratingMean', a.ratingMean, b.ratingMean);
  exact('ratingCount', a.ratingCount, b.ratingCount);
  if (a.sentiment && b.sentiment) {
    exact('sentiment.classifierId', a.sentiment.classifierId, b.sentiment.classifierId);
    exact('sentiment.positive', a.sentiment.positive, b.sentiment.positive);
    exact('sentiment.negative', a.sentiment.negative, b.sentiment.negative);
    float('sentiment.meanPositive', a.sentiment.meanPositive, b.sentiment.meanPositive);
    float('sentiment.scored', a.sentiment.scored, b.sentiment.scored);
    exact('sentiment.halfLifeMs', a.sentiment.halfLifeMs, b.sentiment.halfLifeMs);
    exact('sentiment.refTime', a.sentiment.refTime, b.sentiment.refTime);
  } else exact('sentiment', a.sentiment ? 'present' : null, b.sentiment ? 'present' : null);

  compareTopK('categoryAffinities', a.categoryAffinities, b.categoryAffinities, tolerance, out);
  compareTopK('interests', a.interests, b.interests, tolerance, out);
  for (const [name, x, y] of pairBy(a.attributes ?? [], b.attributes ?? [], (v) => v.name))
    exact(
      `attributes[${name}]`,
      x && `${JSON.stringify(x.value)}@${x.updatedAt}`,
      y && `${JSON.stringify(y.value)}@${y.updatedAt}`,
    );
  exact('firstEventAt', a.firstEventAt, b.firstEventAt);
  exact('lastEventAt', a.lastEventAt, b.lastEventAt);
  exact('eventCount', a.eventCount, b.eventCount);
  return out;
}

function compareDecayedVector(
  field: string,
  x: DecayedVector,
  y: DecayedVector,
  tolerance: Tolerance,
  out: Difference[],
): void {
  if (x.halfLifeMs !== y.halfLifeMs)
    out.push({ field: `${field}.halfLifeMs`, a: show(x.halfLifeMs), b: show(y.halfLifeMs) });
  if (!closeEnough(x.weight, y.weight, tolerance))
    out.push({ field: `${field}.weight`, a: show(x.weight), b: show(y.weight) });
  if (x.refTime !== y.refTime) out.push({ field: `${field}.refTime`, a: show(x.refTime), b: show(y.refTime) });
  const vx = unpackFloat32(x.vector);
  const vy = unpackFloat32(y.vector);
  if (vx.length !== vy.length) {
    out.push({ field: `${field}.vector`, a: `${vx.length} components`, b: `${vy.length} components` });
    return;
  }
  let first = -1;
  let count = 0;
  let maxDelta = 0;
  for (let i = 0; i < vx.length; i++) {
    if (closeEnough(vx[i]!, vy[i]!, tolerance)) continue;
    if (first < 0) first = i;
    count++;
    maxDelta = Math.max(maxDelta, Math.abs(vx[i]! - vy[i]!));
  }
  if (first >= 0) {
    const note = ` (${count} of ${vx.length} components differ, max |Δ| ${show(maxDelta)})`;
    out.push({
      field: `${field}.vector`,
      a: `[${first}] ${show(vx[first]!)}${note}`,
      b: `[${first}] ${show(vy[first]!)}`,
    });
  }
}

function compareTopK(
  family: string,
  xs: readonly ScoredLabel[],
  ys: readonly ScoredLabel[],
  tolerance: Tolerance,
  out: Difference[],
): void {
  const lowest = (list: readonly ScoredLabel[]) => (list.length === 0 ? null : Math.min(...list.map((l) => l.score)));
  const lowA = lowest(xs);
  const lowB = lowest(ys);
  for (const [label, x, y] of pairBy(xs, ys, (l) => l.label)) {
    if (x && y) {
      if (!closeEnough(x.score, y.score, tolerance))
        out.push({ field: `${family}[${label}]`, a: show(x.score), b: show(y.score) });
      continue;
    }
    const present = (x ?? y)!;
    const otherLowest = x ? lowB : lowA;
    if (otherLowest !== null && closeEnough(present.score, otherLowest, tolerance)) continue; // a near-tie at the cut-off
    out.push({
      field: `${family}[${label}]`,
      a: x ? show(x.score) : 'not listed',
      b: y ? show(y.score) : 'not listed',
    });
  }
}

/** Events per counter (channel, or click/action): the exact integers lost and double-applied come from. */
export function counterTotals(p: FinalProfile): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of p?.counters ?? []) out.set(counterKey(c), (out.get(counterKey(c)) ?? 0) + c.total);
  return out;
}

/** Run B against run A for one user: per counter, shortfalls are lost, excesses double-applied. */
export function eventDelta(a: FinalProfile, b: FinalProfile): { lost: number; doubled: number } {
  const ta = counterTotals(a);
  const tb = counterTotals(b);
  let lost = 0;
  let doubled = 0;
  for (const key of new Set([...ta.keys(), ...tb.keys()])) {
    const d = (tb.get(key) ?? 0) - (ta.get(key) ?? 0);
    if (d < 0) lost -= d;
    else doubled += d;
  }
  return { lost, doubled };
}

/** |x − y| ≤ max(absolute, relative × max(|x|, |y|)). */
export function closeEnough(x: number, y: number, tolerance: Tolerance = DEFAULT_TOLERANCE): boolean {
  if (x === y) return true;
  if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
  return Math.abs(x - y) <= Math.max(tolerance.absolute, tolerance.relative * Math.max(Math.abs(x), Math.abs(y)));
}

function counterKey(c: { channel: string; action?: string | null }): string {
  return c.action ? `${c.channel}/${c.action}` : c.channel;
}

/** Entries of two lists matched by key, in key order: [key, a's or undefined, b's or undefined]. */
function pairBy<T>(
  xs: readonly T[],
  ys: readonly T[],
  key: (t: T) => string,
): [string, T | undefined, T | undefined][] {
  const mx = new Map(xs.map((x) => [key(x), x]));
  const my = new Map(ys.map((y) => [key(y), y]));
  return [...new Set([...mx.keys(), ...my.keys()])].sort().map((k) => [k, mx.get(k), my.get(k)]);
}

/** `horizons[7d].vector` → `horizons.vector`: differences grouped for the summary. */
export function fieldFamily(field: string): string {
  return field.replace(/\[[^\]]*\]/g, '');
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(7);
  if (typeof v === 'bigint') return v.toString();
  return String(v);
}
