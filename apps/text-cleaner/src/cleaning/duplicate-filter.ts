import { userKey, type RedisClient } from '@profilestream/redis';

/**
 * Remembers which texts each author sent recently, in Redis, to drop repeats (spam, double
 * submits, re-sent catalogue entries).
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

  /** For each candidate, whether it repeats a text another event of the same owner already claimed. */
  async markAndCheck(candidates: readonly { owner: string; contentHash: string; eventId: string }[]): Promise<boolean[]> {
    return Promise.all(
      candidates.map(async ({ owner, contentHash, eventId }) => {
        // SET NX GET (Redis 7): claims the text when free and returns the previous claimant otherwise.
        const previous = await this.redis.set(userKey(this.keyPrefix, owner, `dedup:${contentHash}`), eventId, 'PX', this.windowMs, 'NX', 'GET');
        return previous !== null && previous !== eventId;
      }),
    );
  }
}
