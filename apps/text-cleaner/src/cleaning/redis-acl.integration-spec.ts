import type { RedisClient } from '@profilestream/redis';
import { describeServiceAclUser, expectAllDenied, type TestRedisServer } from '@profilestream/redis/testing';
import { DuplicateFilter, type DedupCandidate } from './duplicate-filter';

/**
 * text-cleaner's Redis user from the operators' ACL file (deploy/redis/users.acl), over TLS: the
 * duplicate filter marks and forgets texts as the service runs it, with EVALSHA and the EVAL a
 * server that forgot its scripts needs, the server logs no denial on the way, and the user is
 * refused everything else.
 */
describeServiceAclUser('text-cleaner', __dirname, (ctx, cluster) => {
  const { prefix, acl } = ctx;
  let server: TestRedisServer;
  let redis: RedisClient;
  beforeAll(() => ({ server, redis } = ctx));

  it('marks, judges and forgets texts as the service does, before and after the server forgets its scripts', async () => {
    expect(typeof (redis as { nodes?: unknown }).nodes === 'function').toBe(cluster);
    const filter = new DuplicateFilter(redis, prefix, 60_000);
    const text = (id: string, repeatKey: string, eventId: string): DedupCandidate => ({
      owner: { kind: 'user', id },
      repeatKey,
      eventId,
      occurredAt: Date.now(),
    });
    for (const round of [1, 2]) {
      expect(
        await filter.markAndCheck([
          text(`ann${round}`, 'h1', 'e1'),
          text(`ann${round}`, 'h1', 'e2'),
          { ...text(`g${round}`, 'h1', 'i1'), owner: { kind: 'item', id: `g${round}` } },
        ]),
      ).toEqual([false, true, false]);
      await filter.forgetUser(`ann${round}`);
      expect(await filter.markAndCheck([text(`ann${round}`, 'h1', 'e3')])).toEqual([false]);
      // A restarted or failed-over server has no scripts: ioredis then sends EVAL once.
      await server.admin.call('SCRIPT', 'FLUSH');
    }
    expect(await server.deniedFor(acl.user)).toEqual([]);
  });

  it("is refused other services' keys, other deployments' keys and every other command", async () => {
    const own = `${prefix}{dd:x}`;
    const attempts = {
      embeddings: () => redis.get(`${prefix}emb:m@1:none:h1`),
      fuserState: () => redis.hget(`${prefix}{pf-0}:m@1|none:u:ann`, 's'),
      otherPrefix: () => redis.hget(`other:{dd:x}`, 'h1'),
      scriptOutside: () => redis.call('EVAL', "return redis.call('HGET', KEYS[1], 'f')", '1', `${prefix}emb:x`),
      commandInScript: () => redis.call('EVAL', "return redis.call('FLUSHALL')", '1', own),
      plainSet: () => redis.set(own, '1'),
      unlink: () => redis.unlink(own),
      scan: () => redis.call('SCAN', '0'),
      keys: () => redis.call('KEYS', '*'),
      flushdb: () => redis.call('FLUSHDB'),
      config: () => redis.call('CONFIG', 'GET', '*'),
    };
    await expectAllDenied(attempts);
  });
});
