import { userKey, type RedisClient } from '@profilestream/redis';

/**
 * Remembers which texts each author sent recently, in Redis, to drop repeats (spam, double
 * submits, re-sent catalogue entries). A repeat is the same cleaned text from the same author
 * within the window of *event* time, so a replay or backfill of old events judges them as they
 * happened; the Redis key lives for the window of processing time, which bounds memory. profile-fuser
 * applies the same rule to user texts from its durable state, so repeats stay out of profiles even
 * when this filter's Redis loses its data.
 *
 * The marker stores the event id that claimed the text. A redelivered event (the service crashed,
 * or its chunk's transaction aborted, after marking but before its output was committed) finds its
 * own id and goes through again, so a redelivery never turns into a silent loss.
 */
export class DuplicateFilter {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly windowMs: number,
  ) {}

  /** For each candidate, whether it repeats a text another event of the same owner claimed within the window. */
  async markAndCheck(candidates: readonly { owner: string; contentHash: string; eventId: string; occurredAt: number }[]): Promise<boolean[]> {
    return Promise.all(
      candidates.map(async ({ owner, contentHash, eventId, occurredAt }) => {
        const key = userKey(this.keyPrefix, owner, `dedup:${contentHash}`);
        const claim = `${occurredAt} ${eventId}`;
        // SET NX GET (Redis 7): claims the text when free and returns the previous claim otherwise.
        const previous = await this.redis.set(key, claim, 'PX', this.windowMs, 'NX', 'GET');
        if (previous === null) return false;
        const space = previous.indexOf(' ');
        const previousAt = Number(previous.slice(0, space));
        if (previous.slice(space + 1) === eventId) return false;
        if (Math.abs(occurredAt - previousAt) <= this.windowMs) return true;
        // The same text long before or after in event time: not a repeat; it claims the text now.
        await this.redis.set(key, claim, 'PX', this.windowMs);
        return false;
      }),
    );
  }
}
