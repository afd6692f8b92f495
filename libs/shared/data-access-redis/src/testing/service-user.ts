import { randomBytes } from 'node:crypto';
import { parseEnv, redisEnvSchema, toRedisSettings } from '@profilestream/config';
import { closeRedis, connectRedis, createRedis, type RedisClient } from '../redis.client';
import {
  luaCommands,
  outcome,
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

/** How Redis refuses a command or key outside the ACL (inside a script it says so in its own words). */
const DENIED = /NOPERM|can't run this command/;

/**
 * The ACL suite of one service's Redis user, on a single node and on a cluster, each block with a
 * `serviceUserOnTestRedis` of its own and a check that the ACL allows every command the `.lua`
 * files in `luaDir` call; `tests` adds the service's own cases to each block.
 */
export function describeServiceAclUser(
  service: RedisService,
  luaDir: string,
  tests: (ctx: ServiceUserOnTestRedis, cluster: boolean) => void,
): void {
  describe.each([['a single node', false] as const, ['a cluster', true] as const])(
    `${service}'s ACL user on %s`,
    (_mode, cluster) => {
      const ctx = serviceUserOnTestRedis(service, cluster);
      it('allows every command its Lua scripts call', () => {
        const allowed = new Set(
          ctx.acl.rules
            .split(/\s+/)
            .filter((r) => r.startsWith('+'))
            .map((r) => r.slice(1)),
        );
        expect(luaCommands(luaDir).filter((c) => !allowed.has(c))).toEqual([]);
      });
      tests(ctx, cluster);
    },
  );
}

/** Expects the ACL to refuse every attempt; a failure names the attempts that got through. */
export async function expectAllDenied(attempts: Record<string, () => Promise<unknown>>): Promise<void> {
  for (const [name, attempt] of Object.entries(attempts))
    expect([name, await outcome(attempt())]).toEqual([name, expect.stringMatching(DENIED)]);
}
