import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import {
  DEAD_LETTERED_TOPICS,
  dlqTopicSpec,
  topicCatalog,
  type TopicKey,
  type TopicSpec,
} from '@profilestream/contracts';
import {
  AcknowledgedChunkWriter,
  BatchConsumer,
  BatchingProducer,
  DeadLetterPublisher,
  KafkaMetrics,
  TransactionalChunkWriter,
  checkKafka,
  createKafka,
  explainKafkaAccessError,
  explainKafkaError,
  probeKafka,
  provisionTopics,
  type Admin,
  type BatchConsumerOptions,
  type BatchHandler,
  type ChunkWriter,
  type ConsumerSettings,
  type Kafka,
  type KafkaResources,
  type LogSink,
  type TransformHandler,
} from '@profilestream/kafka';
import {
  checkRedis,
  closeRedis,
  connectRedis,
  createRedis,
  explainRedisError,
  type RedisClient,
} from '@profilestream/redis';
import {
  HealthRegistry,
  MetricsService,
  SERVICE_LOGGER,
  OBSERVABILITY_OPTIONS,
  type ObservabilityOptions,
} from '@profilestream/observability';
import { startWithRetry } from './consumer-start';
import { STREAM_SERVICE_OPTIONS, type StreamServiceOptions } from './stream-service.options';

/**
 * A service's consumer: a `transform` returns its outputs and the runtime writes them with the
 * dead letters and the consumed offsets (one transaction per chunk when KAFKA_EXACTLY_ONCE, the
 * default); a `handler` writes its own outputs (at least once).
 */
export type ConsumerSpec = Omit<ConsumerSettings, 'metrics' | 'log'> &
  ({ transform: TransformHandler } | { handler: BatchHandler });

/** Omit that keeps a union a union (plain Omit keeps only the keys every member has). */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * The Kafka and Redis plumbing every stream service shares: clients, topic provisioning, the
 * batching producer, dead-letter publishing, the chunk writers (transactional or acknowledged),
 * readiness and liveness checks, and an orderly stop.
 *
 * Start-up order: connect, provision, then consume only once every readiness check passes (a
 * consumer that joins before its dependencies answer would only fail and rebalance). Shutdown
 * order: stop consumers (finish the chunk in flight, commit, close their transactional
 * producers), flush the producer, then close connections in `onApplicationShutdown`, which Nest
 * runs after every `beforeApplicationShutdown`.
 */
@Injectable()
export class StreamRuntime implements BeforeApplicationShutdown, OnApplicationShutdown {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly producer: BatchingProducer;
  readonly kafkaMetrics: KafkaMetrics;
  readonly deadLetters: DeadLetterPublisher;
  /** Every stream service keeps state in Redis (dedup windows, the embedding cache, profiles). */
  readonly redis: RedisClient;
  private readonly consumers: BatchConsumer[] = [];
  private readonly drainHooks: (() => Promise<void>)[] = [];
  private stopping = false;
  private kafkaConnected = false;
  private boot: { step: string; lastError: string | null } = { step: 'starting', lastError: null };

  constructor(
    @Inject(STREAM_SERVICE_OPTIONS) readonly options: StreamServiceOptions,
    @Inject(SERVICE_LOGGER) readonly log: LogSink,
    @Inject(OBSERVABILITY_OPTIONS) private readonly observability: ObservabilityOptions,
    readonly metrics: MetricsService,
    private readonly health: HealthRegistry,
  ) {
    this.kafka = createKafka(options.kafka, log);
    this.admin = this.kafka.admin();
    this.kafkaMetrics = new KafkaMetrics(metrics.registry, metrics.prefix);
    this.producer = new BatchingProducer(this.kafka, { log, metrics: this.kafkaMetrics });
    this.deadLetters = new DeadLetterPublisher(this.producer, options.serviceName, this.kafkaMetrics);
    const redis = createRedis(options.redis, options.serviceName);
    this.redis = redis;
    // The client reconnects by itself; its errors are logged once per distinct cause (readiness
    // shows the outage), not once per reconnect attempt, and never go unhandled.
    let lastError = '';
    redis.on('error', (err: Error) => {
      if (err.message === lastError) return;
      lastError = err.message;
      log.warn({ err: explainRedisError(redis, err).message }, 'Redis connection error');
    });
    redis.on('ready', () => (lastError = ''));

    const timeout = this.observability.healthCheckTimeoutMs;
    health.addReadinessCheck('kafka', async () => {
      // Until the start-up step connected, a metadata request would start kafkajs's own minute of
      // retries on every poll; the `startup` check says meanwhile why it is not connected.
      if (!this.kafkaConnected) throw new Error('not connected yet');
      return checkKafka(this.admin, timeout);
    });
    health.addReadinessCheck('kafka-producer', async () => {
      if (!this.producer.isConnected()) throw new Error('producer not connected');
    });
    health.addReadinessCheck('redis', () => checkRedis(redis, timeout));
  }

  /**
   * Runs a service's start-up (model, connections, topics, then its consumers) once the HTTP server
   * is listening, so `/health/ready` can say what a slow or failing start waits for: the `startup`
   * check names the step in progress and its last failure, and liveness fails with them once
   * CONSUMER_START_TIMEOUT_MS has passed. Connections are retried with back-off inside their steps;
   * an error that reaches here cannot be cured by waiting (a bad model file, a projection fitted on
   * another model), so the process ends with its cause on one line.
   */
  bootInBackground(start: () => Promise<void>): void {
    const since = Date.now();
    let done = false;
    this.health.addStartupCheck('startup', async () => {
      if (!done) throw new Error(this.bootStatus());
    });
    this.health.addLivenessCheck('startup', async () => {
      const waitedMs = Date.now() - since;
      if (done || waitedMs < this.options.consumerStartTimeoutMs) return;
      throw new Error(`not started within ${this.options.consumerStartTimeoutMs} ms: ${this.bootStatus()}`);
    });
    start().then(
      () => {
        done = true;
        this.log.info({ startupMs: Date.now() - since }, 'started');
      },
      (err: unknown) => {
        if (this.stopping) return;
        this.log.error({ err: errorLine(err), step: this.boot.step }, 'start-up failed');
        this.log.debug({ err }, 'start-up failure in detail');
        process.exit(1);
      },
    );
  }

  /** Names the start-up step in progress for readiness and logs (see `bootInBackground`). */
  startupStep(step: string): void {
    this.boot = { step, lastError: null };
  }

  private bootStatus(): string {
    return this.boot.lastError ? `${this.boot.step}: ${this.boot.lastError}` : this.boot.step;
  }

  /** Connects clients and creates missing topics (with their dead-letter topics), waiting for them to answer. */
  async connect(): Promise<void> {
    this.startupStep('waiting for Redis');
    await this.waitForRedis(this.redis);
    await this.untilDone('connecting to Kafka', async () => {
      try {
        // A wrong password or an untrusted certificate fails the probe at once, where the
        // clients would retry it for about 40 s; the error names the cause in one line.
        await probeKafka(this.options.kafka);
        await this.admin.connect();
        await this.producer.connect();
        this.kafkaConnected = true;
      } catch (err) {
        throw explainKafkaError(err, this.options.kafka);
      }
    });
    if (this.options.kafka.provisionTopics) {
      const specs = withDeadLetterTopics(this.options.topics, this.options.kafka.topicPrefix);
      const result = await this.untilDone('creating topics', () =>
        provisionTopics(this.admin, specs, {
          replicationFactor: this.options.kafka.replicationFactor,
          ...(this.options.kafka.topicPartitions ? { partitions: this.options.kafka.topicPartitions } : {}),
        }).catch((err: unknown) => {
          // A missing Create or Describe ACL, named in one line; other failures as they are.
          throw explainKafkaAccessError(err, this.options.kafka, { topics: specs.map((t) => t.name) });
        }),
      );
      if (result.created.length > 0) this.log.info({ created: result.created }, 'created topics');
    }
    this.startupStep('starting');
  }

  /**
   * A start-up step that may fail while a dependency is unreachable (a broker, the schema
   * registry): runs it until it succeeds or the service stops, with back-off; readiness names the
   * step and its last failure meanwhile.
   */
  async untilDone<T>(name: string, step: () => Promise<T>): Promise<T> {
    this.startupStep(name);
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) throw new Error('service is stopping');
      try {
        return await step();
      } catch (err) {
        const retryInMs = Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
        this.boot.lastError = errorLine(err);
        this.log.warn(
          { err: this.boot.lastError, step: this.boot.step, attempt, retryInMs },
          'start-up step failed; retrying',
        );
        await new Promise((r) => setTimeout(r, retryInMs));
      }
    }
  }

  /**
   * Connects to Redis, waiting (with back-off) while it is unreachable instead of failing the
   * start: Redis may come up after the service, or restart. A cluster client connects on its own
   * when created, so only a client that is not connecting yet is told to.
   */
  private async waitForRedis(redis: RedisClient): Promise<void> {
    const timeout = this.observability.healthCheckTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) throw new Error('service is stopping');
      try {
        await connectRedis(redis, timeout);
        if (attempt > 1) this.log.info({ attempts: attempt }, 'Redis answers');
        return;
      } catch (err) {
        const retryInMs = Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
        // connect() says only "Connection is closed."; the explanation names the cause behind it.
        this.boot.lastError = errorLine(explainRedisError(redis, err));
        this.log.warn({ err: this.boot.lastError, attempt, retryInMs }, 'waiting for Redis');
        await new Promise((r) => setTimeout(r, retryInMs));
      }
    }
  }

  /**
   * Starts a batch consumer once every dependency is ready; its health joins liveness (a crashed
   * or stalled consume loop restarts the pod) and readiness. A consumer that fails to start is
   * stopped and the failure thrown.
   */
  async startConsumer(spec: ConsumerSpec, readinessPollMs = 500): Promise<BatchConsumer> {
    for (;;) {
      if (this.stopping) throw new Error('service is stopping');
      const report = await this.health.dependenciesReady();
      if (report.status === 'ok') break;
      this.log.warn({ checks: report.checks }, 'waiting for dependencies before consuming');
      await new Promise((r) => setTimeout(r, readinessPollMs));
    }
    const settings = { ...spec, metrics: this.kafkaMetrics, log: this.log };
    const options: BatchConsumerOptions =
      'transform' in spec
        ? { ...settings, transform: spec.transform, writer: this.chunkWriter(spec.groupId) }
        : { ...settings, handler: spec.handler, deadLetters: this.deadLetters };
    const consumer = new BatchConsumer(this.kafka, options);
    this.consumers.push(consumer);
    try {
      await consumer.start();
    } catch (err) {
      this.consumers.splice(this.consumers.indexOf(consumer), 1);
      await consumer.stop().catch(() => undefined);
      throw err;
    }
    this.health.addLivenessCheck(`consumer:${spec.groupId}`, async () => {
      const h = consumer.health();
      if (h.crashed) throw new Error(`consumer crashed: ${h.crashed}`);
      if (h.stalled) throw new Error(`consumer has not fetched since ${new Date(h.lastFetchAt).toISOString()}`);
      return { joined: h.joined, paused: h.paused };
    });
    this.log.info({ groupId: spec.groupId, topics: spec.topics }, 'consuming');
    return consumer;
  }

  /**
   * Starts a service's consumer the way every service does, without holding up the HTTP server:
   * the group and topics under the deployment's topic prefix, consumption once dependencies are
   * ready, a failed start retried with back-off (see `startWithRetry`: readiness is down until it
   * starts, liveness once CONSUMER_START_TIMEOUT_MS has passed). Resolves with the consumer, or
   * null when the service stopped first.
   */
  async consumeInBackground(
    spec: OmitEach<ConsumerSpec, 'groupId' | 'topics'> & { group: string; topics: readonly TopicKey[] },
  ): Promise<BatchConsumer | null> {
    const { group, topics, ...rest } = spec;
    const prefix = this.options.kafka.topicPrefix;
    const catalog = topicCatalog(prefix);
    let consumer: BatchConsumer | null = null;
    const groupId = `${prefix}${group}${this.options.kafka.groupSuffix}`;
    const names = topics.map((key) => catalog[key].name);
    await this.startWithRetry(
      group,
      async () => {
        consumer = await this.startConsumer({ ...rest, groupId, topics: names });
      },
      { groupId, topics: names },
    );
    return consumer;
  }

  /**
   * Retries a consumer's start (see `startWithRetry`) until it starts or the service stops. A
   * start Kafka refuses (authentication, an ACL for `resources`, a certificate) fails with one
   * line naming what to fix, in the log and in health; it is retried all the same.
   */
  startWithRetry(name: string, start: () => Promise<void>, resources: KafkaResources = {}): Promise<boolean> {
    const explained = async () => {
      try {
        await start();
      } catch (err) {
        throw explainKafkaAccessError(err, this.options.kafka, resources);
      }
    };
    return startWithRetry(explained, {
      name,
      timeoutMs: this.options.consumerStartTimeoutMs,
      health: this.health,
      log: this.log,
      isStopping: () => this.stopping,
    });
  }

  /**
   * Exactly once: a transactional producer per consumed partition commits each chunk's outputs,
   * dead letters and offsets together; read_committed readers never see a chunk twice. Otherwise
   * outputs are acknowledged through the shared producer before the offsets are committed.
   */
  private chunkWriter(groupId: string): ChunkWriter {
    if (!this.options.kafka.exactlyOnce) return new AcknowledgedChunkWriter(this.deadLetters, this.producer);
    return new TransactionalChunkWriter(this.kafka, {
      groupId,
      stage: this.options.serviceName,
      log: this.log,
      metrics: this.kafkaMetrics,
    });
  }

  /** Work to finish after consumers stopped and before the producer closes (pending publishes). */
  onDrain(hook: () => Promise<void>): void {
    this.drainHooks.push(hook);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled(this.consumers.map((c) => c.stop()));
    for (const hook of this.drainHooks)
      await hook().catch((err: unknown) => this.log.error({ err }, 'drain step failed on shutdown'));
    await this.producer
      .disconnect()
      .catch((err: unknown) => this.log.error({ err }, 'producer flush failed on shutdown'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
    await closeRedis(this.redis);
  }
}

/** An error as one line: its message (with the cause's, when it wraps one), never a stack. */
export function errorLine(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? ` (${err.cause.message})` : '';
  return `${err.message}${cause}`;
}

/** The topics with the dead-letter topics the contracts give them (those consumed from outside). */
function withDeadLetterTopics(topics: readonly TopicSpec[], topicPrefix: string): TopicSpec[] {
  const catalog = topicCatalog(topicPrefix);
  const deadLettered = new Set<string>(DEAD_LETTERED_TOPICS.map((k) => catalog[k].name));
  const out = new Map<string, TopicSpec>();
  for (const t of topics) {
    out.set(t.name, t);
    if (deadLettered.has(t.name)) {
      const dlq = dlqTopicSpec(t);
      out.set(dlq.name, dlq);
    }
  }
  return [...out.values()];
}
