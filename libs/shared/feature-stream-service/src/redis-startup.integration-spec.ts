import { kafkaEnvSchema, parseEnv, redisEnvSchema, toKafkaSettings, toRedisSettings } from '@profilestream/config';
import { HealthRegistry, MetricsService, createLogger, type ObservabilityOptions } from '@profilestream/observability';
import { startTestRedisServer, type TestRedisServer } from '@profilestream/redis/testing';
import { StreamRuntime } from './stream-runtime';

/**
 * What an operator sees when a service cannot log in to Redis or cannot agree on TLS with it: the
 * start-up log (at the default level) and readiness name the cause in one line, within seconds,
 * without a stack trace. The runtime is the one every service runs, its logger the services' own.
 */
describe('a Redis the service cannot use: the start-up log and readiness say why', () => {
  let server: TestRedisServer;
  const password = 'app-password';

  beforeAll(async () => {
    server = await startTestRedisServer();
    await server.setUser('app', 'reset on ~startup:* +ping +info +client|setname', password);
  });
  afterAll(() => server?.stop());

  const cases: [string, () => Record<string, string>, RegExp][] = [
    [
      'a wrong password',
      () => ({ REDIS_URL: `redis://127.0.0.1:${server.port}`, REDIS_USERNAME: 'app', REDIS_PASSWORD: 'wrong' }),
      /refused user "app" \(WRONGPASS .*check REDIS_USERNAME and REDIS_PASSWORD/,
    ],
    [
      'an unknown user',
      () => ({ REDIS_URL: `redis://127.0.0.1:${server.port}`, REDIS_USERNAME: 'nobody', REDIS_PASSWORD: password }),
      /refused user "nobody" \(WRONGPASS /,
    ],
    [
      'an untrusted CA',
      () => ({
        REDIS_URL: `rediss://127.0.0.1:${server.tlsPort}`,
        REDIS_USERNAME: 'app',
        REDIS_PASSWORD: password,
        REDIS_TLS_CA_FILE: server.certs.untrustedCaFile,
      }),
      /TLS certificate that is not trusted \(SELF_SIGNED_CERT_IN_CHAIN: .*\): it was not signed by the CA in REDIS_TLS_CA_FILE/,
    ],
    [
      'plaintext against the TLS port',
      () => ({ REDIS_URL: `redis://127.0.0.1:${server.tlsPort}`, REDIS_USERNAME: 'app', REDIS_PASSWORD: password }),
      /closed the connection without a reply .*as a TLS port does .*set REDIS_TLS=true/,
    ],
  ];

  it.each(cases)('%s', async (_what, vars, cause) => {
    const lines: string[] = [];
    const observability: ObservabilityOptions = {
      serviceName: 'redis-startup-test',
      metricsPrefix: 'redis_startup_test',
      logLevel: 'info',
      healthCheckTimeoutMs: 2000,
    };
    const log = createLogger(observability.serviceName, observability.logLevel, {
      write: (line: string) => void lines.push(line),
    });
    const metrics = new MetricsService(observability);
    const health = new HealthRegistry(observability, metrics);
    // Readiness runs the Redis check alone here: the Kafka check would open broker connections.
    const readiness = new Map<string, () => Promise<unknown>>();
    health.addReadinessCheck = (name, check) => void readiness.set(name, check);
    const runtime = new StreamRuntime(
      {
        serviceName: observability.serviceName,
        kafka: toKafkaSettings(parseEnv(kafkaEnvSchema, {}), observability.serviceName),
        redis: toRedisSettings(parseEnv(redisEnvSchema, vars())),
        topics: [],
        consumerStartTimeoutMs: 300_000,
      },
      log,
      observability,
      metrics,
      health,
    );
    const started = Date.now();
    const connecting = runtime.connect().catch((err: unknown) => err);
    try {
      const entries = () => lines.map((l) => JSON.parse(l) as { msg: string; level: string; err?: unknown });
      while (!entries().some((e) => e.msg === 'waiting for Redis') && Date.now() - started < 10_000)
        await new Promise((r) => setTimeout(r, 50));
      const waiting = entries().find((e) => e.msg === 'waiting for Redis');
      expect(waiting).toBeDefined();
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(waiting!.err).toMatch(cause);
      // Every Redis line names the cause the same way, as one line of text: no stack, no object.
      const redisLines = entries().filter((e) => /Redis/.test(e.msg));
      expect(redisLines.length).toBeGreaterThan(0);
      for (const e of redisLines) {
        expect(typeof e.err).toBe('string');
        expect(e.err).toMatch(/^Redis at 127\.0\.0\.1:\d+ /);
        expect(e.err).not.toContain('\n');
      }
      expect(lines.join('')).not.toMatch(/\bat .*\.js:\d+/);
      await expect(readiness.get('redis')!()).rejects.toThrow(cause);
    } finally {
      await runtime.beforeApplicationShutdown();
      await runtime.onApplicationShutdown();
      await connecting;
    }
  });
});
