import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { defineScripts, type RedisClient } from '@profilestream/redis';

/** Whose texts a repeat is judged among: a user, or (catalogue texts) an item. */
export interface DedupOwner {
  kind: 'user' | 'item';
  id: string;
}

export interface DedupCandidate {
  owner: DedupOwner;
  /** `textRepeatKey` of the text: the same text about the same item. */
  repeatKey: string;
  eventId: string;
  occurredAt: number;
}

type WithDedup = RedisClient & { dedupMark(key: string, ...args: string[]): Promise<number[]> };

/**
 * Remembers which texts each author sent recently, in Redis, to drop repeats (spam, double
 * submits, re-sent catalogue entries). A repeat is the same cleaned text about the same item from
 * the same author within the window of *event* time, so a replay or backfill of old events judges them as they
 * happened; a claim lives for the window of processing time, which bounds memory. profile-fuser
 * applies the same rule to user texts from its durable state, so repeats stay out of profiles even
 * when this filter's Redis loses its data.
 *
 * Each owner's claims live in one hash (see dedup.lua), so erasing a user is one DEL, and one
 * script call marks all of an owner's texts in a chunk. A claim stores the event id that made it:
 * a redelivered event (the service crashed, or its chunk's transaction aborted, after marking but
 * before its output was committed) finds its own id and goes through again, so a redelivery never
 * turns into a silent loss.
 */
export class DuplicateFilter {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    defineScripts(redis, [{ name: 'dedupMark', file: join(__dirname, 'dedup.lua'), numberOfKeys: 1 }]);
  }

  /** For each candidate, whether it repeats a text another event of the same owner claimed within the window. */
  async markAndCheck(candidates: readonly DedupCandidate[]): Promise<boolean[]> {
    const byOwner = new Map<string, number[]>();
    candidates.forEach((c, i) => {
      const key = this.ownerKey(c.owner);
      const list = byOwner.get(key);
      if (list) list.push(i);
      else byOwner.set(key, [i]);
    });
    const out: boolean[] = new Array(candidates.length).fill(false);
    const now = String(this.now());
    await Promise.all(
      [...byOwner].map(async ([key, indexes]) => {
        const args = indexes.flatMap((i) => {
          const c = candidates[i]!;
          return [c.repeatKey, String(c.occurredAt), c.eventId];
        });
        const flags = await (this.redis as WithDedup).dedupMark(key, now, String(this.windowMs), ...args);
        indexes.forEach((i, j) => (out[i] = flags[j] === 1));
      }),
    );
    return out;
  }

  /** Forgets every text a user sent (erasure). */
  async forgetUser(userId: string): Promise<void> {
    await this.redis.del(this.ownerKey({ kind: 'user', id: userId }));
  }

  /**
   * The owner's key. Its hash tag is a digest of kind and id, so any id (`}`-prefixed, very long,
   * or `item:…` for a user) gets one well-formed cluster slot and never meets another owner's key.
   */
  ownerKey(owner: DedupOwner): string {
    const digest = createHash('sha256')
      .update(owner.kind)
      .update('\0')
      .update(owner.id)
      .digest('base64url')
      .slice(0, 22);
    return `${this.keyPrefix}{dd:${digest}}`;
  }
}
