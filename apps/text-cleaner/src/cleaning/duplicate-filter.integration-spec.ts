import { testRedis, uniquePrefix } from '@profilestream/redis/testing';
import type { RedisClient } from '@profilestream/redis';
import { DuplicateFilter, type DedupCandidate } from './duplicate-filter';

const WINDOW = 60_000;

describe('DuplicateFilter on a real Redis', () => {
  let redis: RedisClient;
  let now: number;
  let filter: DuplicateFilter;
  let prefix: string;

  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(() => redis.quit());
  beforeEach(() => {
    now = 1_700_000_000_000;
    prefix = uniquePrefix();
    filter = new DuplicateFilter(redis, prefix, WINDOW, () => now);
  });

  const text = (userId: string, repeatKey: string, eventId: string, occurredAt = now): DedupCandidate => ({
    owner: { kind: 'user', id: userId },
    repeatKey,
    eventId,
    occurredAt,
  });

  it('drops a repeat within the window, in one chunk and across chunks, and lets a redelivered event through', async () => {
    expect(
      await filter.markAndCheck([text('ann', 'h1', 'e1'), text('ann', 'h1', 'e2'), text('bob', 'h1', 'e3')]),
    ).toEqual([false, true, false]);
    expect(await filter.markAndCheck([text('ann', 'h1', 'e4'), text('ann', 'h1', 'e1')])).toEqual([true, false]);
  });

  it('judges repeats by event time, and forgets claims once the window of processing time has passed', async () => {
    await filter.markAndCheck([text('ann', 'h1', 'e1', now)]);
    // The same text two windows later in event time (a backfill) is not a repeat, and claims the text.
    expect(await filter.markAndCheck([text('ann', 'h1', 'e2', now + 2 * WINDOW)])).toEqual([false]);
    expect(await filter.markAndCheck([text('ann', 'h1', 'e3', now + 2 * WINDOW + 10)])).toEqual([true]);
    now += WINDOW + 1;
    expect(await filter.markAndCheck([text('ann', 'h1', 'e4', now + 2 * WINDOW + 20)])).toEqual([false]);
  });

  it('keeps owners apart whatever their ids: a user named like an item, ids with braces', async () => {
    const item: DedupCandidate = { owner: { kind: 'item', id: 'g1' }, repeatKey: 'h1', eventId: 'i1', occurredAt: now };
    expect(
      await filter.markAndCheck([
        item,
        text('item:g1', 'h1', 'u1'),
        text('}abc', 'h1', 'u2'),
        text('{x}y', 'h1', 'u3'),
        text('用户一', 'h1', 'u4'),
      ]),
    ).toEqual([false, false, false, false, false]);
    for (const id of ['}abc', '{x}y', 'item:g1']) {
      const key = filter.ownerKey({ kind: 'user', id });
      expect(key).toMatch(new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\{dd:[\\w-]{22}\\}$`));
      expect(await redis.exists(key)).toBe(1);
    }
  });

  it('erasure deletes every text the user sent: afterwards nothing of the user is left and a resend is new', async () => {
    await filter.markAndCheck([text('ann', 'h1', 'e1'), text('ann', 'h2', 'e2'), text('bob', 'h1', 'e3')]);
    await filter.forgetUser('ann');
    const keys = await redis.keys(`${prefix}*`);
    expect(keys).toEqual([filter.ownerKey({ kind: 'user', id: 'bob' })]);
    expect(await filter.markAndCheck([text('ann', 'h1', 'e9')])).toEqual([false]);
  });

  it('bounds a prolific owner: expired claims are pruned as the hash grows', async () => {
    for (let i = 0; i < 400; i++) {
      await filter.markAndCheck([text('ann', `h${i}`, `e${i}`)]);
      now += WINDOW / 100; // each claim expires 100 texts later
    }
    const size = await redis.hlen(filter.ownerKey({ kind: 'user', id: 'ann' }));
    expect(size).toBeLessThanOrEqual(192);
    expect(await redis.pttl(filter.ownerKey({ kind: 'user', id: 'ann' }))).toBeGreaterThan(0);
  });
});
