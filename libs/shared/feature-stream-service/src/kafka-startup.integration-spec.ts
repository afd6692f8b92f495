import {
  kafkaEnvSchema,
  kafkaCrossChecks,
  parseEnv,
  redisEnvSchema,
  toKafkaSettings,
  toRedisSettings,
} from '@profilestream/config';
import { startSecureKafkaBroker, type SecureKafkaBroker } from '@profilestream/kafka/testing';
import { HealthRegistry, MetricsService, createLogger, type ObservabilityOptions } from '@profilestream/observability';
import { StreamRuntime } from './stream-runtime';

/**
 * What an operator sees when a service cannot log in to Kafka or cannot agree on TLS with it: on a
 * broker whose only client listener is SASL_SSL with SCRAM-SHA-512, the start-up log (at the
 * default level) and readiness name the cause in one line within 10 s, without a stack trace.
 * The runtime is the one every service runs, its logger the services' own, its settings parsed
 * from the variables an operator sets.
 */
describe('a Kafka the service cannot use: the start-up log and readiness say why', () => {
  let broker: SecureKafkaBroker;

  beforeAll(async () => {
    broker = await startSecureKafkaBroker();
  });
  afterAll(() => broker?.stop());

  const cases: [string, () => Record<string, string>, RegExp][] = [
    [
      'a wrong password',
      () => ({ ...broker.env(), KAFKA_SASL_PASSWORD: 'wrong' }),
      /^Kafka authentication failed: wrong username or password \(SCRAM-SHA-512, user "app" at 127\.0\.0\.1:\d+\); check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD \(.*invalid credentials/,
    ],
    [
      'a SASL mechanism the listener does not enable',
      () => ({ ...broker.env(), KAFKA_SASL_MECHANISM: 'scram-sha-256' }),
      /^Kafka at 127\.0\.0\.1:\d+ does not accept SASL mechanism SCRAM-SHA-256 \(.*\): set KAFKA_SASL_MECHANISM/,
    ],
    [
      'an untrusted CA',
      () => ({ ...broker.env(), KAFKA_SSL_CA_FILE: broker.certs.untrustedCaFile }),
      /^Kafka at 127\.0\.0\.1:\d+ presented a TLS certificate that is not trusted \(SELF_SIGNED_CERT_IN_CHAIN: .*\): it was not signed by the CA in KAFKA_SSL_CA_FILE \(.*other-ca\.crt\)$/,
    ],
    [
      'a plaintext client on the TLS port',
      () => {
        const { KAFKA_SSL_CA_FILE: _ca, ...rest } = broker.env();
        return { ...rest, KAFKA_SSL: 'false' };
      },
      /^no TLS handshake: Kafka at 127\.0\.0\.1:\d+ closed the connection without a reply \(Closed connection\), as a TLS listener does .*Set KAFKA_SSL=true$/,
    ],
  ];

  it.each(cases)('%s', async (_what, vars, cause) => {
    const lines: string[] = [];
    const observability: ObservabilityOptions = {
      serviceName: 'kafka-startup-test',
      metricsPrefix: 'kafka_startup_test',
      logLevel: 'info',
      healthCheckTimeoutMs: 2000,
    };
    const log = createLogger(observability.serviceName, observability.logLevel, {
      write: (line: string) => void lines.push(line),
    });
    const metrics = new MetricsService(observability);
    const health = new HealthRegistry(observability, metrics);
    const runtime = new StreamRuntime(
      {
        serviceName: observability.serviceName,
        kafka: toKafkaSettings(parseEnv(kafkaEnvSchema, vars(), kafkaCrossChecks), observability.serviceName),
        // The local Redis answers: the Kafka step is the one under test.
        redis: toRedisSettings(parseEnv(redisEnvSchema, process.env)),
        topics: [],
        consumerStartTimeoutMs: 300_000,
      },
      log,
      observability,
      metrics,
      health,
    );
    runtime.bootInBackground(() => runtime.connect());
    const started = Date.now();
    try {
      const entries = () =>
        lines.map((l) => JSON.parse(l) as { msg: string; level: string; err?: unknown; step?: string });
      const failed = () =>
        entries().find((e) => e.msg === 'start-up step failed; retrying' && e.step === 'connecting to Kafka');
      while (!failed() && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50));
      expect(failed()).toBeDefined();
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(failed()!.err).toMatch(cause);
      // Every line so far is one line of text: the cause as a string, no stack, no error object.
      for (const e of entries()) {
        if (e.err !== undefined) expect(typeof e.err).toBe('string');
        expect(String(e.err ?? '')).not.toContain('\n');
      }
      expect(lines.join('')).not.toMatch(/\bat .*\.js:\d+|"stack"/);
      const ready = await health.ready();
      expect(ready.checks['startup']?.error).toMatch(/^connecting to Kafka: /);
      expect(ready.checks['startup']?.error?.slice('connecting to Kafka: '.length)).toMatch(cause);
    } finally {
      await runtime.beforeApplicationShutdown();
      await runtime.onApplicationShutdown();
    }
  });
});
