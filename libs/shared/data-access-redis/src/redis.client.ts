import Redis, { Cluster, type RedisOptions } from 'ioredis';
import type { RedisSettings } from '@profilestream/config';

export type RedisClient = Redis | Cluster;

/**
 * Connects to a single Redis node or a Redis Cluster. Auto-pipelining batches concurrent commands
 * into one round trip, which is most of the throughput on a busy service.
 */
export function createRedis(settings: RedisSettings, connectionName: string): RedisClient {
  const common: RedisOptions = {
    connectionName,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 3,
    lazyConnect: true,
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.tls ? { tls: {} } : {}),
  };
  if (settings.clusterNodes) {
    return new Cluster(settings.clusterNodes, { redisOptions: common, enableAutoPipelining: true, scaleReads: 'master' });
  }
  return new Redis(settings.url, common);
}

/**
 * Key of one user's entry. The user id sits in a hash tag, `{userId}`, so every key of one user
 * lands in the same cluster slot and multi-key scripts stay legal on Redis Cluster.
 */
export function userKey(prefix: string, userId: string, part: string): string {
  return `${prefix}{${userId}}:${part}`;
}

/** Resolves when Redis answers PING within `timeoutMs`, rejects otherwise. */
export async function checkRedis(redis: RedisClient, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const pong = await Promise.race([redis.ping(), timeout]);
    if (pong !== 'PONG') throw new Error(`unexpected PING reply ${String(pong)}`);
  } finally {
    clearTimeout(timer);
  }
}
