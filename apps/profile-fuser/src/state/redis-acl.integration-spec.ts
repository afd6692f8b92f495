import type { RedisClient } from '@profilestream/redis';
import { describeServiceAclUser, expectAllDenied, type TestRedisServer } from '@profilestream/redis/testing';
import { PartitionStateStore } from './partition-state.store';

/**
 * profile-fuser's Redis user from the operators' ACL file (deploy/redis/users.acl), over TLS: the
 * partition store's scripts and reads work as the service (and the restore command) runs them,
 * with EVALSHA and the EVAL a server that forgot its scripts needs, the server logs no denial on
 * the way, and the user is refused everything else.
 */
describeServiceAclUser('profile-fuser', __dirname, (ctx, cluster) => {
  const { prefix, acl } = ctx;
  let server: TestRedisServer;
  let redis: RedisClient;
  beforeAll(() => ({ server, redis } = ctx));

  it('syncs, loads and reads partition state as the service does, before and after the server forgets its scripts', async () => {
    expect(typeof (redis as { nodes?: unknown }).nodes === 'function').toBe(cluster);
    const store = new PartitionStateStore(redis, prefix, 'm@1|none');
    for (const round of [1, 2]) {
      const ops = [
        { kind: 'user' as const, userId: 'ann', version: round, ttlMs: 0, bytes: Buffer.from(`state ${round}`) },
        { kind: 'user' as const, userId: 'gone', version: round, ttlMs: 60_000, bytes: Buffer.from('erased') },
        { kind: 'pending' as const, itemId: 'i1', bytes: Buffer.from('clicks') },
        { kind: 'pending' as const, itemId: 'i2', bytes: null },
      ];
      expect(await store.sync(3, ops, BigInt(10 * round), round > 1)).toBeUndefined();
      expect(await store.checkpoint(3)).toBe(BigInt(10 * round));
      const loaded = await store.loadUsers(3, ['ann', 'bob']);
      expect(loaded).toEqual(
        new Map([
          ['ann', Buffer.from(`state ${round}`)],
          ['bob', null],
        ]),
      );
      expect(await store.readUser(3, 'ann')).toEqual(Buffer.from(`state ${round}`));
      expect(await store.loadPending(3)).toEqual(new Map([['i1', Buffer.from('clicks')]]));
      // A restarted or failed-over server has no scripts: ioredis then sends EVAL once.
      await server.admin.call('SCRIPT', 'FLUSH');
    }
    expect(await server.deniedFor(acl.user)).toEqual([]);
  });

  it("is refused other services' keys, other deployments' keys and every other command", async () => {
    const attempts = {
      embeddings: () => redis.get(`${prefix}emb:m@1:none:h1`),
      dedup: () => redis.hget(`${prefix}{dd:x}`, 'h'),
      otherPrefix: () => redis.hgetall(`other:{pf-3}:m@1|none:pending`),
      scriptOutside: () => redis.call('EVAL', "return redis.call('GET', KEYS[1])", '1', `${prefix}emb:x`),
      commandInScript: () => redis.call('EVAL', "return redis.call('FLUSHALL')", '1', `${prefix}{pf-3}:x`),
      del: () => redis.del(`${prefix}{pf-3}:m@1|none:ckpt`),
      scriptLoad: () => redis.call('SCRIPT', 'LOAD', 'return 1'),
      keys: () => redis.call('KEYS', '*'),
      flushall: () => redis.call('FLUSHALL'),
      config: () => redis.call('CONFIG', 'SET', 'maxmemory', '1'),
    };
    await expectAllDenied(attempts);
  });
});
