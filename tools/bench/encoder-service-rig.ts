/**
 * The built encoder service as a child process on the local Kafka and Redis, under a topic and key
 * prefix of its own, fed rounds of cleaned texts that were produced beforehand: each round is
 * written in one Kafka transaction, so the service (a read_committed reader) sees the whole round
 * at once when it commits and the clock starts there; it stops when the encoder's group has
 * committed the round's last offset (its outputs commit in the same transaction). Polling the
 * broker, not the service's /metrics, keeps the clock off the service's event loop. Each round's
 * content hashes are salted, so every round misses the embedding cache as a fresh stream would.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaEnvSchema, parseEnv, redisEnvSchema, toKafkaSettings, toRedisSettings } from '@profilestream/config';
import {
  SingleObjectSerde,
  allTopicSpecs,
  topicCatalog,
  type CleanedText,
  type TopicCatalog,
} from '@profilestream/contracts';
import {
  TransactionalProducer,
  createKafka,
  provisionTopics,
  silentLog,
  type Admin,
  type Kafka,
} from '@profilestream/kafka';
import { createRedis, unlinkKeys } from '@profilestream/redis';
import { cleanedReview } from '@profilestream/tools-events';
import { ServiceProcess } from '@profilestream/tools-runtime';
import { splitThreadCpu, threadCpuSeconds, type ThreadCpuSplit } from './thread-cpu';

/** A cleaned review as text-cleaner would emit it (the fields the encoder carries through). */
export interface FeedText {
  text: string;
  lang: string;
  userId: string;
  itemId: string;
  rating: number | null;
  occurredAt: number;
}

export interface ServiceRound {
  texts: number;
  seconds: number;
  /** Share of the inference workers' wall time spent in runs (from encoder_run_seconds). */
  workerBusy: number;
  cpu: ThreadCpuSplit;
  /** CLOCK_MONOTONIC microseconds, to cut a CPU profile to the round. */
  window: [number, number];
}

export interface EncoderServiceRigOptions {
  prefix: string;
  port: number;
  partitions: number;
  /** Inference workers the service runs (its default: one per core). */
  workers: number;
  /** Extra environment for the service (ENCODER_* settings under test). */
  env?: Record<string, string>;
  /** Directory for a CPU profile of the service's main thread (written when it stops). */
  cpuProfileDir?: string;
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const RUN_SECONDS = 'encoder_run_seconds_sum';
const POLL_MS = 25;

export class EncoderServiceRig {
  readonly service: ServiceProcess;
  private readonly kafka: Kafka;
  private readonly topics: TopicCatalog;
  private readonly serde = new SingleObjectSerde('CleanedText');
  private admin: Admin | null = null;
  private feeder: TransactionalProducer | null = null;
  private readonly windows: [number, number][] = [];

  constructor(private readonly options: EncoderServiceRigOptions) {
    this.topics = topicCatalog(options.prefix);
    this.kafka = createKafka(
      { ...toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'bench-encoder-feed'), topicPrefix: options.prefix },
      silentLog,
    );
    const profile: Record<string, string> = options.cpuProfileDir
      ? {
          NODE_OPTIONS: `--require "${join(__dirname, 'cpu-profile.preload.js')}"`,
          PS_CPU_PROFILE_FILE: join(options.cpuProfileDir, 'encoder-service.cpuprofile'),
        }
      : {};
    this.service = new ServiceProcess({
      name: 'encoder',
      port: options.port,
      env: {
        LOG_LEVEL: 'warn',
        KAFKA_TOPIC_PREFIX: options.prefix,
        REDIS_KEY_PREFIX: options.prefix,
        KAFKA_TOPIC_PARTITIONS: String(options.partitions),
        ENCODER_WORKERS: String(options.workers),
        ...profile,
        ...options.env,
      },
    });
  }

  /** Creates the run's topics, starts the service and feeds it `warmUp` until the group has joined and the workers have run. */
  async start(warmUp: readonly FeedText[]): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await provisionTopics(this.admin, [this.topics.textsCleaned, this.topics.textsEmbedded], {
      replicationFactor: 1,
      partitions: this.options.partitions,
    });
    this.feeder = new TransactionalProducer(this.kafka, {
      transactionalId: `${this.options.prefix}bench-feed`,
      log: silentLog,
    });
    await this.feeder.connect();
    this.service.start();
    await this.service.waitReady(120_000);
    await this.round(warmUp, 'warm-up');
  }

  /** Feeds one round and waits until every text is embedded. */
  async round(texts: readonly FeedText[], salt: string): Promise<ServiceRound> {
    const pid = this.service.pid!;
    const messages = texts.map((t, i) => ({ key: t.userId, value: this.serde.encode(this.record(t, i, salt)) }));
    const before = { busy: await this.service.metric(RUN_SECONDS), cpu: threadCpuSeconds(pid) };
    await this.feeder!.commit({ batches: [{ topic: this.topics.textsCleaned.name, messages }] });
    const started = performance.now();
    const from = monotonicUs();
    const ends = await this.admin!.fetchTopicOffsets(this.topics.textsCleaned.name);
    while (!(await this.consumed(ends))) await new Promise((r) => setTimeout(r, POLL_MS));
    const seconds = (performance.now() - started) / 1000;
    const window: [number, number] = [from, monotonicUs()];
    const cpu = splitThreadCpu(pid, before.cpu, threadCpuSeconds(pid), this.options.workers);
    const busy = (await this.service.metric(RUN_SECONDS)) - before.busy;
    if (salt !== 'warm-up') this.windows.push(window);
    return { texts: texts.length, seconds, workerBusy: busy / (seconds * this.options.workers), cpu, window };
  }

  /** Whether the encoder's group has committed every partition up to `ends` (its end offsets after a round was fed). */
  private async consumed(ends: { partition: number; high: string }[]): Promise<boolean> {
    const [committed] = await this.admin!.fetchOffsets({
      groupId: `${this.options.prefix}encoder`,
      topics: [this.topics.textsCleaned.name],
    });
    const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    return ends.every((e) => (done.get(e.partition) ?? -1n) >= BigInt(e.high));
  }

  /** Stops the service (its CPU profile is written then), deletes the run's topics and keys; writes the measured windows beside the profile. */
  async stop(): Promise<void> {
    await this.service.stop();
    if (this.options.cpuProfileDir)
      writeFileSync(join(this.options.cpuProfileDir, 'encoder-service.windows.json'), JSON.stringify(this.windows));
    await this.feeder?.disconnect().catch(() => undefined);
    if (this.admin) {
      await this.admin.deleteTopics({ topics: allTopicSpecs(this.topics).map((t) => t.name) }).catch(() => undefined);
      await this.admin.disconnect();
    }
    const redis = createRedis(toRedisSettings(parseEnv(redisEnvSchema, process.env)), 'bench-encoder');
    try {
      await redis.connect();
      await unlinkKeys(redis, `${this.options.prefix}*`);
    } finally {
      redis.disconnect();
    }
  }

  private record(t: FeedText, i: number, salt: string): CleanedText {
    const now = Date.now();
    return cleanedReview({
      ...t,
      eventId: `bench-${salt}-${i}`,
      platform: 'bench',
      ingestedAt: now,
      cleanedAt: now,
      contentHash: createHash('sha256').update(`${salt}\n${t.text}`).digest('hex'),
    });
  }
}
