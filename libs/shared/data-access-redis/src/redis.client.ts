import { readFileSync } from 'node:fs';
import Redis, { Cluster, type RedisOptions } from 'ioredis';
import { fileErrorReason, type RedisSettings } from '@profilestream/config';
import { explainRedisError, probeRedisTls, trackRedisErrors } from './redis-errors';

export type RedisClient = Redis | Cluster;

/**
 * Connects to a single Redis node or a Redis Cluster. Auto-pipelining batches concurrent commands
 * into one round trip, which is most of the throughput on a busy service. A CA file is read here,
 * at start-up, and trusted by this client alone (NODE_EXTRA_CA_CERTS would trust it for Kafka too).
 */
export function createRedis(settings: RedisSettings, connectionName: string): RedisClient {
  const common: RedisOptions = {
    connectionName,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 3,
    lazyConnect: true,
    // No CLIENT SETINFO: the per-service ACLs would have to allow it, and Redis 7.0 cannot name it.
    disableClientInfo: true,
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
  };
  const tls = settings.tls ? tlsOptions(settings) : null;
  if (tls) common.tls = tls;
  if (settings.clusterNodes) {
    // lazyConnect belongs at this level too: in redisOptions it only reaches the per-node clients,
    // and a Cluster without it connects in its constructor, so the caller's connect() would throw.
    return tracked(
      new Cluster(settings.clusterNodes, {
        redisOptions: common,
        lazyConnect: true,
        enableAutoPipelining: true,
        scaleReads: 'master',
      }),
      settings,
      tls,
    );
  }
  return tracked(new Redis(settings.url, common), settings, tls);
}

function tracked<C extends RedisClient>(
  redis: C,
  settings: RedisSettings,
  tls: ReturnType<typeof tlsOptions> | null,
): C {
  trackRedisErrors(redis, settings, tls);
  return redis;
}

function tlsOptions(settings: RedisSettings): NonNullable<RedisOptions['tls']> {
  const file = settings.tlsCaFile;
  let ca: string | undefined;
  if (file) {
    try {
      ca = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`REDIS_TLS_CA_FILE: cannot read ${file} (${fileErrorReason(err)})`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new Error(`REDIS_TLS_CA_FILE: ${file} holds no PEM certificate`);
  }
  return { ...(ca ? { ca: [ca] } : {}), ...(settings.tlsServername ? { servername: settings.tlsServername } : {}) };
}

/**
 * Key of one user's entry. The user id sits in a hash tag, `{userId}`, so every key of one user
 * lands in the same cluster slot and multi-key scripts stay legal on Redis Cluster.
 */
export function userKey(prefix: string, userId: string, part: string): string {
  return `${prefix}{${userId}}:${part}`;
}

/**
 * Resolves when Redis answers PING within `timeoutMs`, rejects otherwise with one line naming the
 * cause (a refused password, an untrusted certificate, a TLS port reached without TLS, ...).
 */
export async function checkRedis(redis: RedisClient, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not answer PING within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const pong = await Promise.race([redis.ping(), timeout]);
    if (pong !== 'PONG') throw new Error(`unexpected PING reply ${String(pong)}`);
  } catch (err) {
    throw explainRedisError(redis, err);
  } finally {
    clearTimeout(timer);
  }
}

/** Connects a client that is not connected yet and checks it answers, failing as `checkRedis` does. */
export async function connectRedis(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'wait' || redis.status === 'end') {
    await probeRedisTls(redis);
    try {
      await redis.connect();
    } catch (err) {
      throw explainRedisError(redis, err);
    }
  }
  await checkRedis(redis, timeoutMs);
}

/**
 * Closes a client for good: QUIT when connected (replies still due arrive first), and no more
 * reconnecting either way: `quit()` alone leaves a client that cannot log in retrying forever.
 */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => undefined);
  redis.disconnect();
}
