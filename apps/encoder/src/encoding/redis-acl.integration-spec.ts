import type { RedisClient } from '@profilestream/redis';
import { outcome, serviceUserOnTestRedis, type TestRedisServer } from '@profilestream/redis/testing';
import { EmbeddingCache } from './embedding-cache';

/** How Redis refuses a command or key outside the ACL (inside a script it says so in its own words). */
const DENIED = /NOPERM|can't run this command/;

/**
 * The encoder's Redis user from the operators' ACL file (deploy/redis/users.acl), over TLS: the
 * embedding cache works as the service runs it, the server logs no denial on the way, and the
 * user is refused everything else.
 */
describe.each([['a single node', false] as const, ['a cluster', true] as const])(
  "the encoder's ACL user on %s",
  (_mode, cluster) => {
    const ctx = serviceUserOnTestRedis('encoder', cluster);
    const { prefix, acl } = ctx;
    let server: TestRedisServer;
    let redis: RedisClient;
    beforeAll(() => ({ server, redis } = ctx));

    it('caches and reads embeddings as the service does, and the server denies it nothing', async () => {
      expect(typeof (redis as { nodes?: unknown }).nodes === 'function').toBe(cluster);
      const cache = new EmbeddingCache(redis, prefix, 60);
      const vector = new Float32Array([0.25, -0.5, 1]);
      await cache.setMany({ modelId: 'm@1', projectionId: null, dim: 3 }, [
        { hash: 'h1', vector, tokens: 7, truncated: false },
      ]);
      const [hit, miss] = await cache.getMany({ modelId: 'm@1', projectionId: null, dim: 3 }, ['h1', 'h2']);
      expect(hit).toEqual({ vector, tokens: 7, truncated: false });
      expect(miss).toBeNull();
      expect(await server.deniedFor(acl.user)).toEqual([]);
    });

    it("is refused other services' keys, other deployments' keys and every other command", async () => {
      const attempts = {
        fuserState: () => redis.get(`${prefix}{pf-0}:space:ckpt`),
        dedup: () => redis.set(`${prefix}{dd:x}`, '1'),
        otherPrefix: () => redis.get(`other:emb:m@1:none:h1`),
        del: () => redis.del(`${prefix}emb:m@1:none:h1`),
        keys: () => redis.call('KEYS', '*'),
        flushall: () => redis.call('FLUSHALL'),
        config: () => redis.call('CONFIG', 'GET', 'requirepass'),
        eval: () => redis.call('EVAL', 'return 1', '0'),
        aclList: () => redis.call('ACL', 'LIST'),
      };
      for (const [name, attempt] of Object.entries(attempts))
        expect([name, await outcome(attempt())]).toEqual([name, expect.stringMatching(DENIED)]);
    });
  },
);
