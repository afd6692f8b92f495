import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './redis.client';

/**
 * Every key matching `pattern`, in batches, on a single node or a cluster. SCAN walks one node's
 * keyspace, so on a cluster every master is scanned (replicas only hold copies of those keys).
 * For tooling and tests: a service never needs to list keys.
 */
export async function* scanKeys(redis: RedisClient, pattern: string, count = 1000): AsyncGenerator<string[]> {
  if (redis instanceof Cluster) {
    // The node list is known once the client has connected and read the slot map.
    if (redis.status !== 'ready') await redis.ping();
    for (const node of redis.nodes('master')) yield* scanNode(node, pattern, count);
  } else {
    yield* scanNode(redis, pattern, count);
  }
}

async function* scanNode(node: Redis, pattern: string, count: number): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

/**
 * Removes every key matching `pattern` (UNLINK) and returns how many went. On a cluster each key
 * goes on its own: one batch spans slots, which a multi-key command may not.
 */
export async function unlinkKeys(redis: RedisClient, pattern: string): Promise<number> {
  let removed = 0;
  for await (const keys of scanKeys(redis, pattern)) {
    if (redis instanceof Cluster)
      removed += (await Promise.all(keys.map((k) => redis.unlink(k)))).reduce((s, n) => s + n, 0);
    else removed += await redis.unlink(...keys);
  }
  return removed;
}
