/**
 * Exactly once across a crash: a built service (text-cleaner, the encoder) runs as its own process
 * on the local broker and Redis and is SIGKILLed exactly between the brokers' acknowledgement of a
 * chunk's outputs and the commit of that chunk's offsets (a preloaded test-only module,
 * crash-before-commit.preload.js, kills it there). A second process of the same service then
 * takes over. A read_committed reader must see every output exactly once: no duplicate event id,
 * none missing. The same crash without transactions (KAFKA_EXACTLY_ONCE=false) shows what the
 * transactions prevent: the chunk in flight is written twice.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { SingleObjectSerde, allTopicSpecs, topicCatalog, type TopicCatalog } from '@profilestream/contracts';
import { BatchingProducer, createKafka, provisionTopics, silentLog, type Kafka } from '@profilestream/kafka';
import { freePort, readTopic, uniqueName, waitFor } from '@profilestream/kafka/testing';
import { testRedis, uniquePrefix } from '@profilestream/redis/testing';
import { cleanedReview } from '@profilestream/tools-events';
import { ServiceProcess, ensureBuilt } from '@profilestream/tools-runtime';

const repoRoot = resolve(__dirname, '../../..');
const preload = join(__dirname, 'crash-before-commit.preload.js');
const tinyModel = join(repoRoot, 'libs/shared/fixtures/tiny-bert');
/** Input events per run, on 2 partitions, handled in chunks of 10: the crash hits the 3rd commit of about 8. */
const EVENTS = 80;
const CRASH_AT_COMMIT = 3;

const serdes = {
  review: new SingleObjectSerde('Review'),
  cleaned: new SingleObjectSerde('CleanedText'),
  embedded: new SingleObjectSerde('EmbeddedText'),
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What a stage reads, writes and needs, for one run. */
interface Stage {
  name: 'text-cleaner' | 'encoder';
  group: string;
  input: (t: TopicCatalog) => string;
  output: (t: TopicCatalog) => string;
  env: Record<string, string>;
  inputRecord: (i: number, now: number) => { key: string; value: Buffer };
  eventIdOf: (value: Buffer) => Promise<string>;
}

const cleaner: Stage = {
  name: 'text-cleaner',
  group: 'text-cleaner',
  input: (t) => t.reviews.name,
  output: (t) => t.textsCleaned.name,
  env: { CLEANER_CHUNK_MESSAGES: '10' },
  inputRecord: (i, now) => ({
    key: `user-${i % 7}`,
    value: serdes.review.encode({
      eventId: `ev-${i}`,
      userId: `user-${i % 7}`,
      itemId: `item-${i}`,
      text: `Review number ${i}: the strings sound warm and stay in tune.`,
      rating: 4,
      lang: null,
      platform: 'test',
      occurredAt: now - 60_000,
    }),
  }),
  eventIdOf: async (value) => (await serdes.cleaned.decode(value)).eventId,
};

const encoder: Stage = {
  name: 'encoder',
  group: 'encoder',
  input: (t) => t.textsCleaned.name,
  output: (t) => t.textsEmbedded.name,
  env: {
    ENCODER_CHUNK_MESSAGES: '10',
    ENCODER_MODEL_DIR: tinyModel,
    ENCODER_MODEL_VARIANT: 'fp32',
    ENCODER_WORKERS: '1',
  },
  inputRecord: (i, now) => ({
    key: `user-${i % 7}`,
    value: serdes.cleaned.encode(
      cleanedReview({
        eventId: `ev-${i}`,
        text: `cleaned text number ${i} about a guitar`,
        userId: `user-${i % 7}`,
        itemId: `item-${i}`,
        lang: 'en',
        rating: 4,
        platform: 'test',
        occurredAt: now - 60_000,
        ingestedAt: now - 50_000,
        cleanedAt: now - 40_000,
      }),
    ),
  }),
  eventIdOf: async (value) => (await serdes.embedded.decode(value)).eventId,
};

interface RunResult {
  /** Records of the output topic right after the crash, committed and all (aborted and open transactions included). */
  afterCrash: { committed: number; all: number };
  /** Event ids of every output record a read_committed reader sees once the second process finished. */
  eventIds: string[];
  crashLogged: boolean;
}

describe('a service killed between the produce acknowledgement and the commit', () => {
  let kafka: Kafka;
  let producer: BatchingProducer;
  const workDir = mkdtempSync(join(tmpdir(), 'profilestream-crash-'));
  const prefixes: string[] = [];
  const redisPrefixes: string[] = [];

  // The three runs go concurrently (each waits 30 s for the killed member's session to expire);
  // the tests below check one run each.
  const runs: Partial<Record<'cleaner' | 'encoder' | 'cleanerAtLeastOnce', PromiseSettledResult<RunResult>>> = {};
  const run = (name: keyof typeof runs): RunResult => {
    const settled = runs[name]!;
    if (settled.status === 'rejected') throw settled.reason;
    return settled.value;
  };

  beforeAll(async () => {
    ensureBuilt();
    kafka = createKafka(toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'crash-test'), silentLog);
    producer = new BatchingProducer(kafka, { log: silentLog });
    await producer.connect();
    const [a, b, c] = await Promise.allSettled([
      crashAndRecover(cleaner, true),
      crashAndRecover(encoder, true),
      crashAndRecover(cleaner, false),
    ]);
    Object.assign(runs, { cleaner: a, encoder: b, cleanerAtLeastOnce: c });
  }, 420_000);

  afterAll(async () => {
    await producer?.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const ours = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(p)));
    await admin.deleteTopics({ topics: ours }).catch(() => undefined);
    await admin.deleteGroups(prefixes.flatMap((p) => [`${p}text-cleaner`, `${p}encoder`])).catch(() => undefined);
    await admin.disconnect();
    const redis = await testRedis();
    for (const prefix of redisPrefixes) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
    rmSync(workDir, { recursive: true, force: true });
  }, 60_000);

  async function crashAndRecover(stage: Stage, exactlyOnce: boolean): Promise<RunResult> {
    const prefix = `${uniqueName(`crash-${stage.name}`)}.`;
    const redisPrefix = uniquePrefix();
    prefixes.push(prefix);
    redisPrefixes.push(redisPrefix);
    const topics = topicCatalog(prefix);
    const admin = kafka.admin();
    await admin.connect();
    try {
      // Idempotent; retried because three runs creating topics at once can outpace the metadata
      // kafkajs waits on for their leaders.
      const provisioned = await waitFor(
        () =>
          provisionTopics(admin, allTopicSpecs(topics), { replicationFactor: 1, partitions: 2 }).then(
            () => true,
            () => false,
          ),
        60_000,
        1_000,
      );
      if (!provisioned) throw new Error(`could not create the topics under ${prefix}`);
      const now = Date.now();
      const inputs = Array.from({ length: EVENTS }, (_, i) => stage.inputRecord(i, now));
      // Fresh topics take a moment to have leaders everywhere; a send retried after a partial
      // failure could write an input twice, so wait instead.
      const led = async (topic: string) => {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => null);
        return meta?.topics[0]?.partitions.length === 2 && meta.topics[0].partitions.every((p) => p.leader >= 0);
      };
      if (!(await waitFor(async () => (await led(stage.input(topics))) && led(stage.output(topics)), 30_000, 200)))
        throw new Error('topics without leaders');
      await producer.send(stage.input(topics), inputs);

      const env = {
        ...stage.env,
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_TOPIC_PARTITIONS: '2',
        KAFKA_EXACTLY_ONCE: String(exactlyOnce),
        REDIS_KEY_PREFIX: redisPrefix,
        LOG_LEVEL: 'info',
      };
      const logs = (run: string) => join(workDir, `${prefix}${run}`);
      const first = new ServiceProcess({
        name: stage.name,
        port: await freePort(),
        env: { ...env, NODE_OPTIONS: `--require "${preload}"`, PS_CRASH_BEFORE_COMMIT: String(CRASH_AT_COMMIT) },
        logDir: logs('first'),
      });
      first.start();
      const pid = first.pid!;
      if (!(await waitFor(() => !alive(pid), 120_000, 100))) {
        await first.stop();
        throw new Error(`${stage.name} did not crash:\n${first.logTail()}`);
      }
      const crashLogged = readFileSync(first.logFile, 'utf8').includes(
        `crash-before-commit: SIGKILL before commit ${CRASH_AT_COMMIT}`,
      );
      const output = stage.output(topics);
      const afterCrash = {
        committed: (await readTopic(kafka, output, 2 * EVENTS, 5_000)).length,
        all: (await readTopic(kafka, output, 2 * EVENTS, 5_000, { readUncommitted: true })).length,
      };

      const second = new ServiceProcess({ name: stage.name, port: await freePort(), env, logDir: logs('second') });
      second.start();
      try {
        await second.waitReady(90_000);
        // Done when the group's committed offsets reach the end of the input (the takeover waits
        // for the killed member's session, 30 s, to expire).
        const input = stage.input(topics);
        const ends = new Map((await admin.fetchTopicOffsets(input)).map((p) => [p.partition, p.high]));
        const drained = await waitFor(
          async () => {
            const [committed] = await admin.fetchOffsets({ groupId: `${prefix}${stage.group}`, topics: [input] });
            return committed!.partitions.every((p) => p.offset === ends.get(p.partition));
          },
          150_000,
          500,
        );
        if (!drained) throw new Error(`${stage.name} did not finish its input:\n${second.logTail()}`);
        const records = await readTopic(kafka, output, 2 * EVENTS, 8_000);
        return { afterCrash, eventIds: await Promise.all(records.map((r) => stage.eventIdOf(r.value!))), crashLogged };
      } finally {
        await second.stop();
      }
    } finally {
      await admin.disconnect();
    }
  }

  const everyEvent = Array.from({ length: EVENTS }, (_, i) => `ev-${i}`).sort();

  it.each([
    ['text-cleaner', 'cleaner'],
    ['encoder', 'encoder'],
  ] as const)('%s: a read_committed reader sees every output exactly once', (_name, key) => {
    const r = run(key);
    expect(r.crashLogged).toBe(true);
    // The kill came after the chunk's records were written and before its commit: they exist,
    // but only a read_uncommitted reader sees them.
    expect(r.afterCrash.all).toBeGreaterThan(r.afterCrash.committed);
    expect(r.eventIds).toHaveLength(EVENTS);
    expect([...new Set(r.eventIds)].sort()).toEqual(everyEvent);
  });

  it('text-cleaner without transactions (KAFKA_EXACTLY_ONCE=false): the chunk in flight is written twice', () => {
    const r = run('cleanerAtLeastOnce');
    expect(r.crashLogged).toBe(true);
    expect([...new Set(r.eventIds)].sort()).toEqual(everyEvent);
    // Nothing is lost, but the crashed chunk's outputs were acknowledged before its offsets were
    // committed, so its replacement wrote them again.
    expect(r.eventIds.length).toBeGreaterThan(EVENTS);
  });
});
