import { randomBytes } from 'node:crypto';
import { parseEnv, redisEnvSchema, toRedisSettings } from '@profilestream/config';
import { closeRedis, connectRedis, createRedis, type RedisClient } from '../redis.client';
import {
  serviceAcl,
  serviceTlsEnv,
  startTestRedisServer,
  type RedisService,
  type TestRedisServer,
} from './secure-redis';
import { uniquePrefix } from './index';

export interface ServiceUserOnTestRedis {
  prefix: string;
  acl: { user: string; rules: string };
  /** Set once the block's beforeAll has run. */
  server: TestRedisServer;
  /** The service's client, logged in as its ACL user over TLS; set once the block's beforeAll has run. */
  redis: RedisClient;
}

/**
 * For a describe block: a TLS Redis (one node or a cluster) that knows the service's user from the
 * operators' ACL file (deploy/redis/users.acl), and a client logged in as that user with the
 * settings the service would parse; both stopped after the block.
 */
export function serviceUserOnTestRedis(service: RedisService, cluster: boolean): ServiceUserOnTestRedis {
  const prefix = uniquePrefix();
  const password = randomBytes(12).toString('hex');
  const ctx = { prefix, acl: serviceAcl(service, prefix) } as ServiceUserOnTestRedis;
  beforeAll(async () => {
    ctx.server = await startTestRedisServer({ cluster });
    await ctx.server.setUser(ctx.acl.user, ctx.acl.rules, password);
    ctx.redis = createRedis(
      toRedisSettings(parseEnv(redisEnvSchema, serviceTlsEnv(ctx.server, ctx.acl.user, password, prefix, cluster))),
      service,
    );
    await connectRedis(ctx.redis, 5000);
  });
  afterAll(async () => {
    if (ctx.redis) await closeRedis(ctx.redis);
    await ctx.server?.stop();
  });
  return ctx;
}
