import { NestFactory } from '@nestjs/core';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { topicCatalog, type TopicCatalog } from '@profilestream/contracts';
import { BatchingProducer, silentLog, type Kafka } from '@profilestream/kafka';
import { testKafka, uniqueName, waitFor } from '@profilestream/kafka/testing';
import { HealthRegistry, MetricsService } from '@profilestream/observability';

/** How a service is built from its environment, as its `main` does. */
export interface ServiceDefinition<C> {
  load: (env: Record<string, string | undefined>) => C;
  module: (config: C) => DynamicModule;
  /** What `main` does to the application before it listens (extra routes). */
  configure?: (app: INestApplication) => void;
}

type Labels = Partial<Record<string, string | number>>;

/**
 * One service on the real broker and Redis, the way its integration specs run it: topics and Redis
 * keys under a prefix of their own (created by the service itself, as on a fresh broker), the
 * environment of the machine plus the spec's, a producer to feed it, its metrics summed by name.
 */
export class ServiceHarness<C> {
  readonly prefix: string;
  readonly topics: TopicCatalog;
  readonly kafka: Kafka = testKafka();
  readonly producer = new BatchingProducer(this.kafka, { log: silentLog });
  private readonly apps: INestApplication[] = [];

  constructor(
    private readonly service: ServiceDefinition<C>,
    name: string,
    private readonly baseEnv: Record<string, string> = {},
  ) {
    this.prefix = `${uniqueName(name)}.`;
    this.topics = topicCatalog(this.prefix);
  }

  /** The environment an instance gets: the machine's, the prefix, two partitions, quiet logs, the spec's. */
  env(extra: Record<string, string> = {}): Record<string, string | undefined> {
    return {
      ...process.env,
      KAFKA_TOPIC_PREFIX: this.prefix,
      KAFKA_TOPIC_PARTITIONS: '2',
      REDIS_KEY_PREFIX: this.prefix,
      LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
      ...this.baseEnv,
      ...extra,
    };
  }

  /** Starts an instance and, unless told not to, waits until it is ready (its consumers started). */
  async start(
    extra: Record<string, string> = {},
    options: { ready?: boolean; readyTimeoutMs?: number } = {},
  ): Promise<INestApplication> {
    if (!this.producer.isConnected()) await this.producer.connect();
    const app = await NestFactory.create(this.service.module(this.service.load(this.env(extra))), { logger: false });
    this.service.configure?.(app);
    await app.init();
    this.apps.push(app);
    if (options.ready !== false) {
      const health = app.get(HealthRegistry);
      const ready = await waitFor(
        async () => (await health.ready()).status === 'ok',
        options.readyTimeoutMs ?? 60_000,
        100,
      );
      if (!ready) throw new Error(`the service did not become ready: ${JSON.stringify((await health.ready()).checks)}`);
    }
    return app;
  }

  /** Stops one instance (drained, as on SIGTERM). */
  async stop(app: INestApplication): Promise<void> {
    const i = this.apps.indexOf(app);
    if (i >= 0) this.apps.splice(i, 1);
    await app.close();
  }

  /** The sum of a metric's series (those whose labels pass `filter`) in an instance's registry. */
  async metric(app: INestApplication, name: string, filter: (labels: Labels) => boolean = () => true): Promise<number> {
    const metric = app.get(MetricsService).registry.getSingleMetric(name);
    if (!metric) throw new Error(`no metric ${name}`);
    return (await metric.get()).values.filter((v) => filter(v.labels)).reduce((s, v) => s + v.value, 0);
  }

  /** Stops every instance still running and the producer. */
  async close(): Promise<void> {
    for (const app of [...this.apps].reverse()) await this.stop(app);
    await this.producer.disconnect();
  }
}
