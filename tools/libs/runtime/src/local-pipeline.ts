import { createServer } from 'node:net';
/**
 * The whole pipeline on this machine for commands that measure it (evaluation, benchmarks): the
 * three built services as separate processes on local Kafka and Redis, isolated from any other
 * run by a topic and key prefix, a typed producer into it, and a way to know when every stage has
 * caught up.
 */
import {
  kafkaEnvSchema,
  parseEnv,
  redisEnvSchema,
  toKafkaSettings,
  toRedisSettings,
  type KafkaSettings,
} from '@profilestream/config';
import {
  SingleObjectSerde,
  allTopicSpecs,
  topicCatalog,
  type TopicCatalog,
  type UserProfile,
} from '@profilestream/contracts';
import { EventProducer } from '@profilestream/event-producer';
import { createKafka, provisionTopics, readTopicToEnd, silentLog, type Admin, type Kafka } from '@profilestream/kafka';
import { createRedis, unlinkKeys } from '@profilestream/redis';
import { ServiceProcess, type ServiceProcessOptions } from './service-process';

export type ServiceName = ServiceProcessOptions['name'];

export interface LocalPipelineOptions {
  /** Topic, consumer-group and Redis key prefix of this run, e.g. `eval-lx3k.`; empty for the services' defaults. */
  prefix: string;
  /** text-cleaner listens on basePort, encoder on +1, profile-fuser on +2. */
  basePort: number;
  partitions?: number;
  /** Extra environment per service (LOG_LEVEL, ENCODER_WORKERS, …). */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Node and V8 flags per service, before its script (a deployment's command). */
  nodeFlags?: Partial<Record<ServiceName, readonly string[]>>;
  /** Environment of every service over this process's, e.g. REDIS_CLUSTER_NODES; the run's own Redis cleanup reads it too. */
  sharedEnv?: Record<string, string>;
  logDir?: string;
  /** Kafka settings of this driver (lag, profiles, cleanup) over this process's environment, e.g. an admin user's. */
  driverKafkaEnv?: Record<string, string>;
  /**
   * Whether `start()` creates the topics before starting the services (default true). False
   * starts the services on a broker without them, as operators do: each creates its own.
   */
  provisionTopics?: boolean;
}

/** Consumer groups as the services name them, with the topics each consumes. */
function consumedTopics(topics: TopicCatalog): Record<ServiceName, string[]> {
  return {
    'text-cleaner': [topics.reviews.name, topics.posts.name, topics.items.name],
    encoder: [topics.textsCleaned.name],
    'profile-fuser': [topics.textsEmbedded.name, topics.clicks.name, topics.userDeletions.name],
  };
}

/** A run of `n` consecutive loopback ports free right now (LocalPipeline takes a base port). */
export async function freePortRun(n: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((done) => {
      const server = createServer();
      server.once('error', () => done(false));
      server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
    });
  for (;;) {
    const base = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    if (
      base + n <= 65536 &&
      (await Promise.all(Array.from({ length: n - 1 }, (_, i) => free(base + i + 1)))).every(Boolean)
    )
      return base;
  }
}

export class LocalPipeline {
  readonly settings: KafkaSettings;
  readonly topics: TopicCatalog;
  readonly kafka: Kafka;
  readonly services: Record<ServiceName, ServiceProcess>;
  private admin: Admin | null = null;

  constructor(private readonly options: LocalPipelineOptions) {
    this.settings = {
      ...toKafkaSettings(parseEnv(kafkaEnvSchema, { ...process.env, ...options.driverKafkaEnv }), 'pipeline-driver'),
      topicPrefix: options.prefix,
    };
    this.topics = topicCatalog(options.prefix);
    this.kafka = createKafka(this.settings, silentLog);
    const service = (name: ServiceName, port: number) =>
      new ServiceProcess({
        name,
        port,
        logDir: options.logDir,
        env: this.environment(name),
        nodeFlags: options.nodeFlags?.[name],
      });
    this.services = {
      'text-cleaner': service('text-cleaner', options.basePort),
      encoder: service('encoder', options.basePort + 1),
      'profile-fuser': service('profile-fuser', options.basePort + 2),
    };
  }

  /** The environment this run gives a service (its topics, keys and settings): for one started beside it. */
  environment(name: ServiceName): Record<string, string> {
    const o = this.options;
    return {
      LOG_LEVEL: 'warn',
      KAFKA_TOPIC_PARTITIONS: String(o.partitions ?? 3),
      ...(o.prefix ? { KAFKA_TOPIC_PREFIX: o.prefix, REDIS_KEY_PREFIX: o.prefix } : {}),
      ...o.sharedEnv,
      ...o.env?.[name],
    };
  }

  /**
   * Provisions every topic of the run, starts the services and waits until all are ready. If any
   * fails to start, the others are stopped and the run's data removed before the error is thrown:
   * nothing is left holding ports.
   */
  async start(readyTimeoutMs = 120_000): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    try {
      if (this.options.provisionTopics ?? true)
        await provisionTopics(this.admin, allTopicSpecs(this.topics), {
          replicationFactor: 1,
          partitions: this.options.partitions ?? 3,
        });
      for (const s of Object.values(this.services)) s.start();
      await Promise.all(Object.values(this.services).map((s) => s.waitReady(readyTimeoutMs)));
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw err;
    }
  }

  /** A typed producer into this run's input topics (connect and disconnect it yourself). */
  producer(): EventProducer {
    return new EventProducer(this.settings, silentLog);
  }

  /** Messages every stage still has to consume: end offsets minus committed offsets, per service. */
  async lag(): Promise<Record<ServiceName, number>> {
    const admin = this.requireAdmin();
    const out = { 'text-cleaner': 0, encoder: 0, 'profile-fuser': 0 };
    for (const [name, topics] of Object.entries(consumedTopics(this.topics)) as [ServiceName, string[]][]) {
      const committed = await admin.fetchOffsets({ groupId: `${this.options.prefix}${name}`, topics });
      for (const topic of topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const done = new Map(
          (committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [
            p.partition,
            Math.max(0, Number(p.offset)),
          ]),
        );
        for (const p of ends) out[name] += Math.max(0, Number(p.high) - (done.get(p.partition) ?? 0));
      }
    }
    return out;
  }

  /**
   * Resolves once every stage has consumed everything produced so far, twice in a row (a stage
   * may still be writing to the next topic while its own offsets are already committed), plus
   * `settleMs` for the fuser's rate-limited last publishes. Returns when the first of the quiet
   * polls was seen (epoch ms): when the pipeline had caught up.
   */
  async waitDrained(
    options: {
      timeoutMs?: number;
      pollMs?: number;
      settleMs?: number;
      onPoll?: (lag: Record<ServiceName, number>) => void;
    } = {},
  ): Promise<number> {
    const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
    let quietSince = 0;
    let quiet = 0;
    while (quiet < 2) {
      if (Date.now() > deadline)
        throw new Error(`pipeline not drained in time: lag ${JSON.stringify(await this.lag())}`);
      await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
      const polledAt = Date.now();
      const lag = await this.lag();
      options.onPoll?.(lag);
      const idle = Object.values(lag).every((n) => n === 0);
      if (idle && quiet === 0) quietSince = polledAt;
      quiet = idle ? quiet + 1 : 0;
    }
    await new Promise((r) => setTimeout(r, options.settleMs ?? 2500));
    return quietSince;
  }

  /** The latest published profile per user (tombstoned users left out). */
  async profiles(): Promise<Map<string, UserProfile>> {
    const serde = new SingleObjectSerde('UserProfile');
    const out = new Map<string, UserProfile>();
    await readTopicToEnd(this.kafka, this.topics.profiles.name, (m) => {
      const key = m.key?.toString() ?? '';
      if (!m.value) out.delete(key);
      else {
        const profile = serde.decodeSync(m.value);
        if ((out.get(key)?.version ?? -1) < profile.version) out.set(key, profile);
      }
    });
    return out;
  }

  /** Peak resident memory of each service so far, MiB. */
  peakRssMiB(): Record<ServiceName, number> {
    const out = { 'text-cleaner': 0, encoder: 0, 'profile-fuser': 0 };
    for (const [name, s] of Object.entries(this.services) as [ServiceName, ServiceProcess][])
      out[name] = Math.round(s.peakRssMiB() ?? 0);
    return out;
  }

  /** Stops the services (SIGTERM, drained), then deletes a prefixed run's topics and Redis keys unless kept. */
  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    await Promise.all(Object.values(this.services).map((s) => s.stop()));
    if (!this.admin) return;
    if (!options.keepData && this.options.prefix) {
      await this.admin.deleteTopics({ topics: allTopicSpecs(this.topics).map((t) => t.name) }).catch(() => undefined);
      await this.deleteRedisKeys();
    }
    await this.admin.disconnect();
    this.admin = null;
  }

  private async deleteRedisKeys(): Promise<void> {
    const redis = createRedis(
      toRedisSettings(parseEnv(redisEnvSchema, { ...process.env, ...this.options.sharedEnv })),
      'pipeline-driver',
    );
    try {
      await redis.connect();
      await unlinkKeys(redis, `${this.options.prefix}*`);
    } finally {
      redis.disconnect();
    }
  }

  private requireAdmin(): Admin {
    if (!this.admin) throw new Error('pipeline not started');
    return this.admin;
  }
}
