// Test-only helpers shared by the specs (not exported from the library).
import fc from 'fast-check';
import type { ClickAction } from '@profilestream/contracts';
import type { ClickFusionEvent, EventPosition, FusionEvent, TextFusionEvent } from './fuse';
import type { DecayedVectorState } from './decayed-vector';
import type { ProfileState } from './profile-state';

export const T0 = 1_700_000_000_000;
export const DAY = 86_400_000;

export function pos(offset: number | string, partition = 0, topic = 'texts.embedded.v1'): EventPosition {
  return { topic, partition, offset: String(offset) };
}

export function text(
  over: Partial<TextFusionEvent> & { vector: Float32Array; position: EventPosition },
): TextFusionEvent {
  return { kind: 'text', source: 'review', occurredAt: T0, rating: null, sentiment: null, categories: [], ...over };
}

export function click(over: Partial<ClickFusionEvent> & { position: EventPosition }): ClickFusionEvent {
  return { kind: 'click', action: 'click', itemVector: null, categories: [], occurredAt: T0, ...over };
}

export const vec = (...xs: number[]): Float32Array => Float32Array.from(xs);

function close(a: number, b: number, tol: number): boolean {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

function vectorDiffs(path: string, a: DecayedVectorState, b: DecayedVectorState, tol: number, out: string[]): void {
  if (a.refTime !== b.refTime) out.push(`${path}.refTime ${a.refTime} != ${b.refTime}`);
  if (a.halfLifeMs !== b.halfLifeMs) out.push(`${path}.halfLifeMs`);
  if (!close(a.weight, b.weight, tol)) out.push(`${path}.weight ${a.weight} != ${b.weight}`);
  for (let i = 0; i < a.sum.length; i++)
    if (!close(a.sum[i]!, b.sum[i]!, tol)) out.push(`${path}.sum[${i}] ${a.sum[i]} != ${b.sum[i]}`);
}

/** Differences between two states: vectors, weights, decayed values within `tol` (relative, floor 1); times and counts exactly. */
export function stateDiffs(a: ProfileState, b: ProfileState, tol = 1e-6): string[] {
  const out: string[] = [];
  for (const k of [
    'userId',
    'modelId',
    'dim',
    'ratingSum',
    'ratingCount',
    'firstEventAt',
    'lastEventAt',
    'eventCount',
  ] as const) {
    if (a[k] !== b[k]) out.push(`${k} ${a[k]} != ${b[k]}`);
  }
  const keys = (d: object): string => Object.keys(d).sort().join('|');
  for (const part of ['horizons', 'counters', 'categoryAffinity', 'appliedOffsets'] as const) {
    if (keys(a[part]) !== keys(b[part])) out.push(`${part} keys ${keys(a[part])} != ${keys(b[part])}`);
  }
  if (out.length) return out;
  for (const k of Object.keys(a.horizons)) vectorDiffs(`horizons.${k}`, a.horizons[k]!, b.horizons[k]!, tol, out);
  for (const ch of ['review', 'post', 'click'] as const)
    vectorDiffs(`channels.${ch}`, a.channels[ch], b.channels[ch], tol, out);
  vectorDiffs('negative', a.negative, b.negative, tol, out);
  for (const k of Object.keys(a.counters)) {
    const ca = a.counters[k]!;
    const cb = b.counters[k]!;
    if (
      ca.total !== cb.total ||
      ca.decayed.refTime !== cb.decayed.refTime ||
      !close(ca.decayed.value, cb.decayed.value, tol)
    )
      out.push(`counters.${k} ${JSON.stringify(ca)} != ${JSON.stringify(cb)}`);
  }
  for (const k of Object.keys(a.categoryAffinity)) {
    const x = a.categoryAffinity[k]!;
    const y = b.categoryAffinity[k]!;
    if (x.refTime !== y.refTime || !close(x.value, y.value, tol))
      out.push(`categoryAffinity.${k} ${JSON.stringify(x)} != ${JSON.stringify(y)}`);
  }
  const sa = a.sentiment;
  const sb = b.sentiment;
  if (sa.positive !== sb.positive || sa.negative !== sb.negative)
    out.push(`sentiment counts ${sa.positive}/${sa.negative} != ${sb.positive}/${sb.negative}`);
  for (const k of ['probability', 'scored'] as const) {
    if (
      sa[k].refTime !== sb[k].refTime ||
      sa[k].halfLifeMs !== sb[k].halfLifeMs ||
      !close(sa[k].value, sb[k].value, tol)
    )
      out.push(`sentiment.${k} ${JSON.stringify(sa[k])} != ${JSON.stringify(sb[k])}`);
  }
  for (const k of Object.keys(a.appliedOffsets))
    if (a.appliedOffsets[k] !== b.appliedOffsets[k]) out.push(`appliedOffsets.${k}`);
  return out;
}

export const DIM = 4;
const ACTIONS: ClickAction[] = ['view', 'click', 'like', 'add_to_cart', 'purchase'];
const CATEGORIES = ['books', 'games', 'music', '__proto__', 'constructor'];

const arbVector = fc
  .array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: DIM, maxLength: DIM })
  .map((xs) => Float32Array.from(xs));
const arbTime = fc.integer({ min: T0, max: T0 + 200 * DAY });
const arbCategories = fc.subarray(CATEGORIES, { maxLength: 3 });

/** An event without its position (assigned by the caller). */
export const arbEventBody: fc.Arbitrary<Omit<TextFusionEvent, 'position'> | Omit<ClickFusionEvent, 'position'>> =
  fc.oneof(
    fc.record({
      kind: fc.constant('text' as const),
      source: fc.constantFrom('review' as const, 'post' as const),
      vector: arbVector,
      occurredAt: arbTime,
      rating: fc.option(fc.integer({ min: 1, max: 5 })),
      sentiment: fc.option(
        fc.record({ probability: fc.double({ min: 0, max: 1, noNaN: true }), positive: fc.boolean() }),
      ),
      categories: arbCategories,
    }),
    fc.record({
      kind: fc.constant('click' as const),
      action: fc.constantFrom(...ACTIONS),
      itemVector: fc.option(arbVector, { freq: 4 }),
      occurredAt: arbTime,
      categories: arbCategories,
    }),
  );

/** Events with positions on a few partitions, offsets increasing per partition in array order. */
export const arbEvents: fc.Arbitrary<FusionEvent[]> = fc
  .array(fc.tuple(arbEventBody, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 5 })), {
    minLength: 1,
    maxLength: 25,
  })
  .map((items) => {
    const next = new Map<number, number>();
    return items.map(([body, partition, gap]) => {
      const offset = (next.get(partition) ?? 0) + gap;
      next.set(partition, offset);
      return {
        ...body,
        position: pos(offset, partition, partition % 2 === 0 ? 'texts.embedded.v1' : 'clicks.v1'),
      } as FusionEvent;
    });
  });

/** Deterministic Fisher-Yates shuffle (mulberry32 from `seed`); a copy. */
export function shuffle<T>(xs: readonly T[], seed: number): T[] {
  let a = seed >>> 0;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Splits `xs` into consecutive batches of sizes drawn from `seed` (1..4). */
export function batches<T>(xs: readonly T[], seed: number): T[][] {
  const out: T[][] = [];
  let s = seed >>> 0;
  for (let i = 0; i < xs.length;) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const n = 1 + ((s >>> 16) % 4);
    out.push(xs.slice(i, i + n));
    i += n;
  }
  return out;
}
