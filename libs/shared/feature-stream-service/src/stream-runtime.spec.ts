import * as kafkajs from 'kafkajs';
import { KafkaJSProtocolError } from 'kafkajs';
import { parseEnv, redisEnvSchema, toRedisSettings, type KafkaSettings } from '@profilestream/config';
import type { LogSink } from '@profilestream/kafka';
import { HealthRegistry, MetricsService, type ObservabilityOptions } from '@profilestream/observability';
import { StreamRuntime } from './stream-runtime';
import { kafkaSettings } from '@profilestream/kafka/testing';

const kafka: KafkaSettings = kafkaSettings({
  brokers: ['b1:9093'],
  sasl: { mechanism: 'scram-sha-512', username: 'profilestream-encoder', password: 'secret' },
});

type ErrorClass = new (e: Error | string, options?: object) => Error;
const { KafkaJSNonRetriableError } = kafkajs as unknown as Record<'KafkaJSNonRetriableError', ErrorClass>;
const groupDenied = () => {
  const e = new KafkaJSProtocolError({
    type: 'GROUP_AUTHORIZATION_FAILED',
    code: 30,
    retriable: false,
    message: 'Not authorized to access group: Group authorization failed',
  } as unknown as Error);
  return new KafkaJSNonRetriableError(e, { cause: e });
};

function runtimeWith(log: LogSink): { runtime: StreamRuntime; health: HealthRegistry } {
  const observability: ObservabilityOptions = {
    serviceName: 'stream-runtime-spec',
    metricsPrefix: 'stream_runtime_spec',
    logLevel: 'info',
    healthCheckTimeoutMs: 2000,
  };
  const metrics = new MetricsService(observability);
  const health = new HealthRegistry(observability, metrics);
  const runtime = new StreamRuntime(
    {
      serviceName: observability.serviceName,
      kafka,
      redis: toRedisSettings(parseEnv(redisEnvSchema, { REDIS_URL: 'redis://127.0.0.1:1' })),
      topics: [],
      consumerStartTimeoutMs: 300_000,
    },
    log,
    observability,
    metrics,
    health,
  );
  return { runtime, health };
}

describe('StreamRuntime.startWithRetry', () => {
  it('names what Kafka denied a consumer start in one line, in the log and in readiness, and retries it all the same', async () => {
    const warnings: Record<string, unknown>[] = [];
    const log: LogSink = {
      debug: () => undefined,
      info: () => undefined,
      error: () => undefined,
      warn: (obj) => void ('consumer' in obj && warnings.push(obj as Record<string, unknown>)),
    };
    const { runtime, health } = runtimeWith(log);
    let attempts = 0;
    const started = runtime.startWithRetry(
      'encoder',
      async () => {
        attempts++;
        throw groupDenied();
      },
      { groupId: 'encoder', topics: ['texts.cleaned.v1'] },
    );
    try {
      while (warnings.length === 0) await new Promise((r) => setTimeout(r, 10));
      const line =
        'Kafka denied access to group encoder (GROUP_AUTHORIZATION_FAILED: Not authorized to access group: Group authorization failed): the user KAFKA_SASL_USERNAME=profilestream-encoder needs an ACL for it; see docs/operations.md';
      expect(warnings[0]).toEqual({ err: line, consumer: 'encoder', attempt: 1, retryInMs: 500 });
      expect((await health.ready()).checks['consumer:encoder']?.error).toBe(`not started after 1 attempts: ${line}`);
    } finally {
      await runtime.beforeApplicationShutdown();
      await runtime.onApplicationShutdown();
    }
    expect(await started).toBe(false);
    expect(attempts).toBe(1);
  });

  it('leaves any other failure as it is', async () => {
    const warnings: Record<string, unknown>[] = [];
    const log: LogSink = {
      debug: () => undefined,
      info: () => undefined,
      error: () => undefined,
      warn: (obj) => void ('consumer' in obj && warnings.push(obj as Record<string, unknown>)),
    };
    const { runtime } = runtimeWith(log);
    const error = new Error('This server does not host this topic-partition');
    const started = runtime.startWithRetry('encoder', async () => Promise.reject(error));
    try {
      while (warnings.length === 0) await new Promise((r) => setTimeout(r, 10));
      expect(warnings[0]?.['err']).toBe(error);
    } finally {
      await runtime.beforeApplicationShutdown();
      await runtime.onApplicationShutdown();
    }
    expect(await started).toBe(false);
  });
});
