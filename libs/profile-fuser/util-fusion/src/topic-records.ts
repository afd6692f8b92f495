import { decodeState, encodeState } from './state-codec';
import type { ProfileState } from './profile-state';
import type { ClickAction } from '@profilestream/contracts';

/**
 * Records of profile-fuser's internal topics. The state topic (compacted, one partition per input
 * partition, written only by the partition's owner in its transactions) holds what the partition
 * owns: each user's exact state or erasure mark, and the clicks waiting for their item. The items
 * topic (compacted) holds each item's description vector; every instance reads all of it.
 */

const SEP = '|';

export type StateKey =
  { kind: 'user'; space: string; userId: string } | { kind: 'pending'; space: string; itemId: string };

export function userStateKey(space: string, userId: string): string {
  return `${space}${SEP}u${SEP}${userId}`;
}

export function pendingStateKey(space: string, itemId: string): string {
  return `${space}${SEP}p${SEP}${itemId}`;
}

/** Parses a state-topic key; null for keys of another kind (newer releases may add some). */
export function parseStateKey(key: string): StateKey | null {
  const a = key.indexOf(SEP);
  const b = a < 0 ? -1 : key.indexOf(SEP, a + 1);
  if (a < 0 || b < 0) return null;
  const space = key.slice(0, a);
  const kind = key.slice(a + 1, b);
  const id = key.slice(b + 1);
  if (kind === 'u') return { kind: 'user', space, userId: id };
  if (kind === 'p') return { kind: 'pending', space, itemId: id };
  return null;
}

/** What the state topic and Redis hold for a user. */
export type StoredUser =
  | { kind: 'profile'; version: number; publishedAt: number; state: ProfileState }
  | { kind: 'erased'; version: number; requestedAt: number };

const PROFILE = 1;
const ERASED = 2;

/** u8 kind · f64 version · f64 publishedAt|requestedAt · [state bytes] */
export function encodeStoredUser(u: StoredUser): Buffer {
  const head = Buffer.allocUnsafe(17);
  head.writeUInt8(u.kind === 'profile' ? PROFILE : ERASED, 0);
  head.writeDoubleLE(u.version, 1);
  head.writeDoubleLE(u.kind === 'profile' ? u.publishedAt : u.requestedAt, 9);
  return u.kind === 'profile' ? Buffer.concat([head, encodeState(u.state)]) : head;
}

export function decodeStoredUser(bytes: Buffer): StoredUser {
  if (bytes.length < 17) throw new Error(`stored user record of ${bytes.length} bytes is too short`);
  const kind = bytes.readUInt8(0);
  const version = bytes.readDoubleLE(1);
  const at = bytes.readDoubleLE(9);
  if (kind === PROFILE) return { kind: 'profile', version, publishedAt: at, state: decodeState(bytes.subarray(17)) };
  if (kind === ERASED) {
    if (bytes.length !== 17) throw new Error('erasure mark with trailing bytes');
    return { kind: 'erased', version, requestedAt: at };
  }
  throw new Error(`unknown stored user kind ${kind}`);
}

/** A click applied before its item had a vector: its content is folded in when the item arrives. */
export interface PendingClick {
  userId: string;
  action: ClickAction;
  occurredAt: number;
  /** When it started waiting (processing time): pending clicks expire after the configured TTL. */
  since: number;
}

export function encodePending(clicks: readonly PendingClick[]): Buffer {
  return Buffer.from(JSON.stringify(clicks.map((c) => [c.userId, c.action, c.occurredAt, c.since])));
}

export function decodePending(bytes: Buffer): PendingClick[] {
  const rows = JSON.parse(bytes.toString()) as [string, ClickAction, number, number][];
  return rows.map(([userId, action, occurredAt, since]) => ({ userId, action, occurredAt, since }));
}

/** An item's catalogue description vector, as every fuser instance keeps it. */
export interface ItemVector {
  vector: Float32Array;
  categories: string[];
  /** Event time of the description: an older one arriving late never replaces a newer one. */
  occurredAt: number;
}

export function itemKey(space: string, itemId: string): string {
  return `${space}${SEP}${itemId}`;
}

/** Splits an items-topic key into space and item id. */
export function parseItemKey(key: string): { space: string; itemId: string } | null {
  const a = key.indexOf(SEP);
  return a < 0 ? null : { space: key.slice(0, a), itemId: key.slice(a + 1) };
}

/** f64 occurredAt · u32 dim · dim × f32 · JSON categories */
export function encodeItem(item: ItemVector): Buffer {
  const head = Buffer.allocUnsafe(12);
  head.writeDoubleLE(item.occurredAt, 0);
  head.writeUInt32LE(item.vector.length, 8);
  const floats = Buffer.from(item.vector.buffer, item.vector.byteOffset, item.vector.byteLength);
  return Buffer.concat([head, floats, Buffer.from(JSON.stringify(item.categories))]);
}

export function decodeItem(bytes: Buffer): ItemVector {
  const occurredAt = bytes.readDoubleLE(0);
  const dim = bytes.readUInt32LE(8);
  const end = 12 + dim * 4;
  if (bytes.length < end) throw new Error(`item record of ${bytes.length} bytes cannot hold ${dim} floats`);
  const vector = new Float32Array(dim);
  new Uint8Array(vector.buffer).set(bytes.subarray(12, end));
  return { vector, categories: JSON.parse(bytes.subarray(end).toString()) as string[], occurredAt };
}
