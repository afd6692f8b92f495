import { randomBytes } from 'node:crypto';
import { parseEnv, redisEnvSchema, toRedisSettings } from '@profilestream/config';
import { createRedis, type RedisClient } from '../redis.client';

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
