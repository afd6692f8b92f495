/**
 * Chronological leave-last-out: each user's last interaction (by time, then source order) is held
 * out; everything before it is training data. The protocol of the dataset's reference floors.
 */
import type { DatasetEvent } from '@profilestream/tools-events';

/** Event types that are interactions with an item (what is predicted and what is excluded). */
const INTERACTIONS = new Set(['review', 'click']);
/** A catalogue entry: an item's title and description, no user. */
const CATALOGUE = 'item';

export interface HeldOut {
  userId: string;
  itemId: string;
  ts: number;
  seq: number;
}

export interface Split {
  /** Training events in stream order (time, then source order). */
  train: DatasetEvent[];
  /** One held-out interaction per evaluated user. */
  test: HeldOut[];
  /**
   * The candidates, and the tie-break order: items seen in training interactions or described by a
   * catalogue (`item`) event, in order of first appearance in the source. A held-out item that only
   * its description knows is a candidate too: the cold-start case.
   */
  catalogue: string[];
  /** Items some training interaction touched (popularity knows them). */
  interacted: Set<string>;
  /** Items with a catalogue description. */
  described: Set<string>;
  /** Each evaluated user's training items (excluded from their ranking). */
  trainItems: Map<string, Set<string>>;
}

const byTime = (a: DatasetEvent, b: DatasetEvent) => a.ts - b.ts || a.seq - b.seq;

/**
 * Users with at least `minInteractions` interactions are evaluated on their last one. Events of
 * an evaluated user after the held-out interaction are dropped too, so nothing from the future
 * reaches training; other users' events all train.
 */
export function leaveLastOut(events: readonly DatasetEvent[], minInteractions = 3): Split {
  const sorted = [...events].sort(byTime);
  const byUser = new Map<string, DatasetEvent[]>();
  for (const e of sorted) {
    if (!INTERACTIONS.has(e.type)) continue;
    const list = byUser.get(e.user_id) ?? [];
    list.push(e);
    byUser.set(e.user_id, list);
  }
  const heldOut = new Map<string, DatasetEvent>();
  for (const [userId, list] of byUser) if (list.length >= minInteractions) heldOut.set(userId, list[list.length - 1]!);

  const train = sorted.filter((e) => {
    const last = heldOut.get(e.user_id);
    return !last || byTime(e, last) < 0;
  });
  const bySource = [...train].sort((a, b) => a.seq - b.seq);
  const catalogue: string[] = [];
  const seen = new Set<string>();
  const interacted = new Set<string>();
  const described = new Set<string>();
  for (const e of bySource) {
    const isItem = e.type === CATALOGUE && !!e.item_id;
    if (!INTERACTIONS.has(e.type) && !isItem) continue;
    (isItem ? described : interacted).add(e.item_id);
    if (seen.has(e.item_id)) continue;
    seen.add(e.item_id);
    catalogue.push(e.item_id);
  }
  const trainItems = new Map<string, Set<string>>();
  for (const userId of heldOut.keys()) trainItems.set(userId, new Set());
  for (const e of train) if (INTERACTIONS.has(e.type)) trainItems.get(e.user_id)?.add(e.item_id);
  const test = [...heldOut.values()]
    .map((e) => ({ userId: e.user_id, itemId: e.item_id, ts: e.ts, seq: e.seq }))
    .sort((a, b) => (a.userId < b.userId ? -1 : 1));
  return { train, test, catalogue, interacted, described, trainItems };
}

/** Held-out users whose item no training interaction touched, but the catalogue describes. */
export function coldStartUsers(split: Split): Set<string> {
  return new Set(
    split.test.filter((t) => !split.interacted.has(t.itemId) && split.described.has(t.itemId)).map((t) => t.userId),
  );
}

/**
 * Newly listed items, simulated: a seeded `share` of the items that have a catalogue description
 * and training interactions lose every training interaction, as if they had been listed after the
 * training period (their description is all anyone knows of them). Users whose held-out item is
 * one of them join the cold-start slice. Datasets split leave-last-out rarely hold out an item no
 * one touched before, so this is how such a slice gets enough users to measure.
 */
export function withNewItems(
  split: Split,
  share: number,
  random: () => number,
): { split: Split; newItems: Set<string> } {
  const eligible = split.catalogue.filter((id) => split.described.has(id) && split.interacted.has(id));
  // A seeded partial Fisher-Yates shuffle: the first `count` items after it are the new ones.
  const count = Math.round(eligible.length * share);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (eligible.length - i));
    [eligible[i], eligible[j]] = [eligible[j]!, eligible[i]!];
  }
  const newItems = new Set(eligible.slice(0, count));
  if (newItems.size === 0) return { split, newItems };
  const train = split.train.filter((e) => !(INTERACTIONS.has(e.type) && newItems.has(e.item_id)));
  const interacted = new Set([...split.interacted].filter((id) => !newItems.has(id)));
  const trainItems = new Map(
    [...split.trainItems].map(([userId, items]) => [userId, new Set([...items].filter((id) => !newItems.has(id)))]),
  );
  return { split: { ...split, train, interacted, trainItems }, newItems };
}
