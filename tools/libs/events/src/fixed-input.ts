/**
 * A repeatable input for comparing two runs (the chaos command, the model migration test): the
 * demo's seeded sample feed, frozen. Both runs send exactly these records with exactly these
 * timestamps, so any difference between their final profiles comes from what the runs did to them
 * (faults, a migration), not from the input.
 *
 * Three things keep a fault-free run repeatable, and each is why a rule below exists:
 * - Clicks take the vector of the item's catalogue description when the fuser knows it, else the
 *   mean of the item's reviews so far. The catalogue therefore goes first, as its own phase that
 *   drains before any user event is sent, so every click sees the description.
 * - text-cleaner drops a text its author already sent (the same cleaned text: a double submit, or
 *   two texts that differ only in a redacted e-mail address), keeping whichever copy it meets
 *   first. Copies on one topic meet in partition order; a review and a post with the same cleaned
 *   text would race between two topics, so such cross-kind repeats are left out of the feed.
 * - An erasure removes everything before it, whatever the arrival order, but an event after it
 *   would survive or not depending on whether it overtook the erasure. Each erased user's erasure
 *   therefore follows their last event, and they send nothing afterwards.
 */
import type { PlatformEvent } from '@profilestream/event-producer';
import { seededRandom } from '@profilestream/embedding';
import { cleanText } from '@profilestream/text-cleaning';
import { SampleFeed } from './sample-events';

export interface FixedInputOptions {
  events: number;
  users: number;
  seed: number;
  /** occurredAt of the first user event (epoch ms, in the past: producers refuse future times). */
  startAt: number;
  /** Time between consecutive user events; long enough for the horizons' decay to matter. */
  spacingMs?: number;
  /** Share of users erased after their last event. */
  erasedShare?: number;
}

export interface FixedInput {
  /** Item descriptions, sent and drained before anything else. */
  catalogue: Extract<PlatformEvent, { kind: 'item' }>[];
  /** User events and erasures, in send order. */
  events: PlatformEvent[];
  erasedUsers: string[];
  /** occurredAt of the last user event. */
  endsAt: number;
}

export const DEFAULT_SPACING_MS = 60_000;

/** Deterministic for given options: the same seed gives the same records, byte for byte. */
export function buildFixedInput(options: FixedInputOptions): FixedInput {
  const spacing = options.spacingMs ?? DEFAULT_SPACING_MS;
  const feed = new SampleFeed({ users: options.users, seed: options.seed });
  const catalogue = feed.catalogue(options.startAt - spacing).map((value) => ({ kind: 'item' as const, value }));

  const userEvents: Exclude<PlatformEvent, { kind: 'item' | 'deletion' }>[] = [];
  // Per user: the kind that first sent each cleaned text.
  const firstKind = new Map<string, 'review' | 'post'>();
  // A feed whose texts are all cross-kind repeats cannot exist, but the loop stays bounded anyway.
  for (let drawn = 0; userEvents.length < options.events && drawn < options.events * 20; drawn++) {
    const event = feed.next(options.startAt + userEvents.length * spacing);
    if (event.kind !== 'click') {
      const cleaned = cleanText(event.value.text);
      if (!cleaned.dropped) {
        const key = `${event.value.userId}\u0000${cleaned.text}`;
        const kind = firstKind.get(key);
        if (kind !== undefined && kind !== event.kind) continue;
        firstKind.set(key, event.kind);
      }
    }
    userEvents.push(event);
  }

  const lastIndex = new Map<string, number>();
  userEvents.forEach((e, i) => lastIndex.set(e.value.userId, i));
  const random = seededRandom(options.seed ^ 0x5eed);
  const active = [...lastIndex.keys()].sort();
  const erasedCount = Math.min(active.length, Math.max(1, Math.round(active.length * (options.erasedShare ?? 0.05))));
  const erased = new Set<string>();
  while (erased.size < erasedCount) erased.add(active[Math.floor(random() * active.length)]!);

  const events: PlatformEvent[] = [];
  userEvents.forEach((e, i) => {
    events.push(e);
    const userId = e.value.userId;
    if (erased.has(userId) && lastIndex.get(userId) === i) {
      events.push({ kind: 'deletion', value: { userId, requestedAt: e.value.occurredAt + 1 } });
    }
  });
  return {
    catalogue,
    events,
    erasedUsers: [...erased].sort(),
    endsAt: options.startAt + (userEvents.length - 1) * spacing,
  };
}

/** How many records of each kind: reported with each run. */
export function countKinds(events: readonly PlatformEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[e.kind] = (out[e.kind] ?? 0) + 1;
  return out;
}
