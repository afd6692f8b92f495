import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseEnv, redisEnvSchema, toRedisSettings } from '@profilestream/config';
import { createRedis, type RedisClient } from '../redis.client';

export * from './secure-redis';

/** A client for the local Redis the test command started (REDIS_URL, default redis://127.0.0.1:6379). */
export async function testRedis(): Promise<RedisClient> {
  const redis = createRedis(toRedisSettings(parseEnv(redisEnvSchema, process.env)), 'integration-test');
  await redis.connect();
  return redis;
}

/** A key prefix no other test uses, so tests never share keys. */
export function uniquePrefix(): string {
  return `test:${randomBytes(4).toString('hex')}:`;
}

/** Where the local Redis Cluster is, or why tests that need one are skipped. */
export type LocalRedisCluster = { nodes: string; skipReason: null } | { nodes: null; skipReason: string };

/**
 * The local Redis Cluster of `tools/infra/redis-cluster.sh`, checked synchronously so a suite can
 * choose between `describe` and `describe.skip`. The test command starts the cluster and sets
 * REDIS_CLUSTER_TEST_NODES: then a cluster that does not answer is an error, never a skip. Without
 * it, the script's seeds (REDIS_CLUSTER_PORT_BASE, default 7101) are tried, and a missing cluster
 * means skip, with the reason.
 */
export function localRedisCluster(): LocalRedisCluster {
  const required = process.env['REDIS_CLUSTER_TEST_NODES'];
  const base = Number(process.env['REDIS_CLUSTER_PORT_BASE'] ?? 7101);
  const nodes = required ?? [0, 1, 2].map((i) => `127.0.0.1:${base + i}`).join(',');
  const down = nodes.split(',').flatMap((seed) => {
    const i = seed.lastIndexOf(':');
    const r = spawnSync('redis-cli', ['-h', seed.slice(0, i), '-p', seed.slice(i + 1), 'cluster', 'info'], {
      encoding: 'utf8',
      timeout: 5000,
    });
    return r.stdout?.includes('cluster_state:ok')
      ? []
      : [`${seed}: ${(r.error?.message ?? (r.stderr || r.stdout) ?? '').trim().split('\n')[0] || 'no answer'}`];
  });
  if (down.length === 0) return { nodes, skipReason: null };
  if (required) throw new Error(`REDIS_CLUSTER_TEST_NODES is set but the cluster is not ok (${down.join('; ')})`);
  return {
    nodes: null,
    skipReason: `no local Redis Cluster (${down.join('; ')}); start one with tools/infra/redis-cluster.sh up`,
  };
}

/** A connected client of the cluster at `nodes` (host:port seeds, comma-separated). */
export async function testRedisCluster(nodes: string): Promise<RedisClient> {
  const redis = createRedis(
    toRedisSettings(parseEnv(redisEnvSchema, { ...process.env, REDIS_CLUSTER_NODES: nodes })),
    'integration-test',
  );
  await redis.connect();
  return redis;
}
export * from './service-user';
