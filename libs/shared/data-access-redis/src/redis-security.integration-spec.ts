import { parseEnv, redisEnvSchema, toRedisSettings } from '@profilestream/config';
import { checkRedis, connectRedis, createRedis, type RedisClient } from './index';
import { startTestRedisServer, uniquePrefix, type TestRedisServer } from './testing';

/**
 * Redis with TLS and ACL users, as the prod overlay runs it, on a redis-server of the test's own
 * (certificates made by openssl for this run): a client set up from the environment trusts the CA
 * of REDIS_TLS_CA_FILE, logs in as REDIS_USERNAME, and each way of getting that wrong fails fast
 * with one line that names the cause.
 */
describe('Redis over TLS with its own CA and an ACL user', () => {
  let server: TestRedisServer;
  const prefix = uniquePrefix();
  const password = 'app-password';
  const clients: RedisClient[] = [];
  const client = (vars: Record<string, string>): RedisClient => {
    const redis = createRedis(
      toRedisSettings(parseEnv(redisEnvSchema, { REDIS_KEY_PREFIX: prefix, ...vars })),
      'security-test',
    );
    clients.push(redis);
    return redis;
  };

  beforeAll(async () => {
    server = await startTestRedisServer();
    await server.setUser('app', `reset on ~${prefix}* +get +set +ping +info +client|setname`, password);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.disconnect();
  });
  afterAll(() => server?.stop());

  it('connects with REDIS_TLS_CA_FILE and REDIS_USERNAME from the environment, over TLS, as that user', async () => {
    const redis = client({
      REDIS_URL: `rediss://127.0.0.1:${server.tlsPort}`,
      REDIS_USERNAME: 'app',
      REDIS_PASSWORD: password,
      REDIS_TLS_CA_FILE: server.certs.caFile,
    });
    await connectRedis(redis, 2000);
    await redis.set(`${prefix}k`, 'v');
    expect(await redis.get(`${prefix}k`)).toBe('v');
    const list = String(await server.admin.call('CLIENT', 'LIST'));
    expect(list).toMatch(new RegExp(`laddr=127\\.0\\.0\\.1:${server.tlsPort} .*name=security-test .*user=app `));
    // The user is held to its ACL.
    await expect(redis.get('elsewhere')).rejects.toThrow(/NOPERM/);
  });

  it('checks the certificate against REDIS_TLS_SERVERNAME instead of the address connected to', async () => {
    const redis = client({
      REDIS_URL: `redis://127.0.0.1:${server.tlsPort}`,
      REDIS_TLS: 'true',
      REDIS_TLS_SERVERNAME: 'localhost',
      REDIS_USERNAME: 'app',
      REDIS_PASSWORD: password,
      REDIS_TLS_CA_FILE: server.certs.caFile,
    });
    await connectRedis(redis, 2000);
    expect(await redis.ping()).toBe('PONG');
    const other = client({
      REDIS_URL: `rediss://127.0.0.1:${server.tlsPort}`,
      REDIS_TLS_SERVERNAME: 'redis.example',
      REDIS_USERNAME: 'app',
      REDIS_PASSWORD: password,
      REDIS_TLS_CA_FILE: server.certs.caFile,
    });
    await expect(connectRedis(other, 2000)).rejects.toThrow(
      /TLS certificate for other names .*redis\.example.*REDIS_TLS_SERVERNAME$/,
    );
  });

  const failures: [string, () => Record<string, string>, RegExp][] = [
    [
      'a wrong password',
      () => ({ REDIS_URL: `redis://127.0.0.1:${server.port}`, REDIS_USERNAME: 'app', REDIS_PASSWORD: 'wrong' }),
      /refused user "app" \(WRONGPASS .*\): wrong password, unknown user or disabled user; check REDIS_USERNAME and REDIS_PASSWORD/,
    ],
    [
      'an unknown user',
      () => ({ REDIS_URL: `redis://127.0.0.1:${server.port}`, REDIS_USERNAME: 'nobody', REDIS_PASSWORD: password }),
      /refused user "nobody" \(WRONGPASS /,
    ],
    [
      'a CA that did not sign the server certificate',
      () => ({
        REDIS_URL: `rediss://127.0.0.1:${server.tlsPort}`,
        REDIS_USERNAME: 'app',
        REDIS_PASSWORD: password,
        REDIS_TLS_CA_FILE: server.certs.untrustedCaFile,
      }),
      /TLS certificate that is not trusted \(SELF_SIGNED_CERT_IN_CHAIN: .*\): it was not signed by the CA in REDIS_TLS_CA_FILE \(.*other-ca\.crt\)$/,
    ],
    [
      'plaintext against the TLS port',
      () => ({ REDIS_URL: `redis://127.0.0.1:${server.tlsPort}`, REDIS_USERNAME: 'app', REDIS_PASSWORD: password }),
      /closed the connection without a reply \(.*ECONNRESET.*\), as a TLS port does .*: set REDIS_TLS=true/,
    ],
    // A plaintext Redis waits for the end of the "command" a ClientHello starts: without the probe
    // this failed only at the 10 s connect timeout.
    [
      'TLS against the plaintext port',
      () => ({
        REDIS_URL: `rediss://127.0.0.1:${server.port}`,
        REDIS_USERNAME: 'app',
        REDIS_PASSWORD: password,
        REDIS_TLS_CA_FILE: server.certs.caFile,
      }),
      /answered in plaintext \(-?\+?[A-Z]+.*\): REDIS_TLS is on but 127\.0\.0\.1:\d+ is a plaintext port; unset REDIS_TLS/,
    ],
  ];

  it.each(failures)(
    '%s: start-up and readiness fail within 10 s with one line naming the cause',
    async (_what, vars, cause) => {
      const started = Date.now();
      const redis = client(vars());
      const atStart = await connectRedis(redis, 2000).then(
        () => null,
        (err: Error) => err,
      );
      const atReadiness = await checkRedis(redis, 2000).then(
        () => null,
        (err: Error) => err,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      for (const err of [atStart, atReadiness]) {
        expect(err?.message).toMatch(cause);
        expect(err?.message).toMatch(new RegExp(`^Redis at 127\\.0\\.0\\.1:${vars().REDIS_URL!.split(':').pop()} `));
        expect(err?.message).not.toContain('\n');
      }
    },
  );
});

/**
 * A Redis Cluster of three masters over TLS (cluster bus included), its nodes announced by IP
 * address as most operators' clusters are: the cluster client follows the slot map to every
 * master over TLS with the CA of REDIS_TLS_CA_FILE, as an ACL user made on each node, and checks
 * each node's certificate against REDIS_TLS_SERVERNAME when it is set.
 */
describe('a 3-master Redis Cluster over TLS with an ACL user', () => {
  let server: TestRedisServer;
  const prefix = uniquePrefix();
  const password = 'app-password';
  const clients: RedisClient[] = [];
  const client = (vars: Record<string, string>): RedisClient => {
    const redis = createRedis(
      toRedisSettings(
        parseEnv(redisEnvSchema, {
          REDIS_KEY_PREFIX: prefix,
          REDIS_TLS: 'true',
          REDIS_USERNAME: 'app',
          REDIS_PASSWORD: password,
          ...vars,
        }),
      ),
      'cluster-tls-test',
    );
    clients.push(redis);
    return redis;
  };

  beforeAll(async () => {
    server = await startTestRedisServer({ cluster: true, masters: 3 });
    await server.setUser(
      'app',
      `reset on ~${prefix}* +get +set +ping +info +dbsize +client|setname +cluster|slots +cluster|info +asking +readonly +readwrite`,
      password,
    );
  }, 60_000);
  afterEach(() => {
    for (const c of clients.splice(0)) c.disconnect();
  });
  afterAll(() => server?.stop());

  it.each([
    ["by the seed's address", {}],
    ['with REDIS_TLS_SERVERNAME for nodes announced by IP', { REDIS_TLS_SERVERNAME: 'localhost' }],
  ])('reaches every master over TLS %s', async (_how, extra: Record<string, string>) => {
    const redis = client({
      REDIS_CLUSTER_NODES: `127.0.0.1:${server.tlsPort}`,
      REDIS_TLS_CA_FILE: server.certs.caFile,
      ...extra,
    }) as import('ioredis').Cluster;
    await connectRedis(redis, 5000);
    const keys = Array.from({ length: 30 }, (_, i) => `${prefix}{k${i}}`);
    for (const k of keys) await redis.set(k, k);
    for (const k of keys) expect(await redis.get(k)).toBe(k);
    const masters = redis.nodes('master');
    expect(masters).toHaveLength(3);
    // Every master was reached through its TLS port, and holds some of the keys.
    const tlsPorts = new Set(masters.map((m) => m.options.port));
    expect(tlsPorts.has(server.port)).toBe(false);
    const perMaster = await Promise.all(masters.map(async (m) => (await m.call('DBSIZE')) as number));
    expect(perMaster.every((n) => n > 0)).toBe(true);
  });

  // A cluster client reports a failed handshake only as "Connection is closed.": without the
  // handshake probe these read so.
  it.each([
    [
      'a certificate for other names',
      () => ({ REDIS_TLS_CA_FILE: server.certs.caFile, REDIS_TLS_SERVERNAME: 'redis.example' }),
      /TLS certificate for other names .*redis\.example.*REDIS_TLS_SERVERNAME$/,
    ],
    [
      "a CA that did not sign the nodes' certificates",
      () => ({ REDIS_TLS_CA_FILE: server.certs.untrustedCaFile }),
      /TLS certificate that is not trusted .*REDIS_TLS_CA_FILE/,
    ],
  ])('fails fast naming the cause: %s', async (_what, vars, cause) => {
    const started = Date.now();
    const redis = client({ REDIS_CLUSTER_NODES: `127.0.0.1:${server.tlsPort}`, ...vars() });
    await expect(connectRedis(redis, 3000)).rejects.toThrow(cause);
    await expect(checkRedis(redis, 2000)).rejects.toThrow(cause);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
