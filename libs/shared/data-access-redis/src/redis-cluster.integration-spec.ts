import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { parseEnv, redisEnvSchema, toRedisSettings } from '@profilestream/config';
import {
  VersionedHashStore,
  checkRedis,
  createRedis,
  defineScripts,
  scanKeys,
  unlinkKeys,
  type RedisClient,
} from './index';
import { localRedisCluster, testRedisCluster, uniquePrefix } from './testing';

// The test command starts the cluster (tools/infra/redis-cluster.sh) and requires it; elsewhere
// these tests skip, saying why, when no cluster runs.
const local = localRedisCluster();
if (local.skipReason) console.warn(`Redis Cluster tests skipped: ${local.skipReason}`);
const describeOnCluster = local.nodes ? describe : describe.skip;

describeOnCluster(
  `Redis data access on a real Redis Cluster (3 masters)${local.skipReason ? ` (skipped: ${local.skipReason})` : ''}`,
  () => {
    const nodes = local.nodes!;
    const prefix = uniquePrefix();
    let redis: Cluster;

    beforeAll(async () => {
      redis = (await testRedisCluster(nodes)) as Cluster;
    });

    afterAll(async () => {
      await unlinkKeys(redis, `${prefix}*`);
      await redis.quit();
    });

    it('makes a cluster client that connects when told to, as services start it, not in its constructor', async () => {
      const client: RedisClient = createRedis(
        toRedisSettings(parseEnv(redisEnvSchema, { REDIS_CLUSTER_NODES: nodes })),
        'cluster-test',
      );
      expect(client).toBeInstanceOf(Cluster);
      expect(client.status).toBe('wait');
      await client.connect();
      await expect(checkRedis(client, 2000)).resolves.toBeUndefined();
      expect((client as Cluster).nodes('master')).toHaveLength(3);
      await client.quit();
    });

    it('lists and removes keys on every master, not only the one a client happens to reach', async () => {
      const written = Array.from({ length: 60 }, (_, i) => `${prefix}{k${i}}:x`);
      await Promise.all(written.map((k) => redis.set(k, '1')));
      // The keys really are spread: each master holds some of them.
      const perMaster = await Promise.all(
        redis.nodes('master').map(async (node) => (await node.keys(`${prefix}*`)).length),
      );
      expect(perMaster).toHaveLength(3);
      for (const n of perMaster) expect(n).toBeGreaterThan(0);

      const listed: string[] = [];
      for await (const keys of scanKeys(redis, `${prefix}*`)) listed.push(...keys);
      expect(listed.sort()).toEqual([...written].sort());
      expect(await unlinkKeys(redis, `${prefix}*`)).toBe(60);
      for await (const keys of scanKeys(redis, `${prefix}*`)) expect(keys).toEqual([]);
    });

    it('runs concurrent calls of a script with a variable key count on every master (auto-pipelining would group them by their count)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-script-'));
      const client = createRedis(
        toRedisSettings(parseEnv(redisEnvSchema, { REDIS_CLUSTER_NODES: nodes })),
        'cluster-test',
      );
      try {
        writeFileSync(
          join(dir, 'touch-all.lua'),
          "for _, k in ipairs(KEYS) do redis.call('SET', k, ARGV[1]) end\nreturn #KEYS\n",
        );
        await client.connect();
        defineScripts(client, [{ name: 'touchAll', file: join(dir, 'touch-all.lua') }]);
        const touchAll = (
          client as unknown as { touchAll(n: number, ...keysAndArgs: string[]): Promise<number> }
        ).touchAll.bind(client);
        // Same key count for all, keys on all three masters, in one tick: as the fuser's flushes do.
        const replies = await Promise.allSettled(
          Array.from({ length: 12 }, (_, i) => touchAll(2, `${prefix}{t-${i}}:a`, `${prefix}{t-${i}}:b`, 'v')),
        );
        expect(replies.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)))).toEqual(Array(12).fill(2));
      } finally {
        client.disconnect();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('runs a Lua script on the node that owns its key (EVALSHA routed by slot)', async () => {
      const store = new VersionedHashStore(redis);
      // Keys on each master, so the script is loaded and run on all three.
      for (let i = 0; i < 12; i++) {
        const key = `${prefix}{script-${i}}:h`;
        expect(await store.write(key, 0, { n: String(i) })).toEqual({ ok: true, version: 1 });
        expect(await store.write(key, 0, { n: 'stale' })).toEqual({ ok: false });
        expect((await store.read(key)).fields['n']!.toString()).toBe(String(i));
      }
    });
  },
);
