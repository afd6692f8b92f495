/**
 * profile-fuser across crashes and zombies, as a built service on the local broker and Redis.
 *
 * The same clicks (on items whose vectors are committed first, so every user's events are folded
 * in offset order) go through a fault-free run and through runs where the fuser is SIGKILLed at
 * one point of a flush (a preloaded test-only module kills it there): before its transaction
 * commits, right after the commit (before the Redis sync), and after the sync. A second process
 * then takes over. Every user's published profile and Redis state must equal the fault-free run's
 * byte for byte (versions and times aside: they count flushes).
 *
 * And a zombie: an instance frozen (SIGSTOP) with changes not yet flushed loses its partitions to a
 * second instance; woken up (SIGCONT) its flushes are fenced, and every click counts once.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import {
  SingleObjectSerde,
  partitionForKey,
  topicCatalog,
  type Click,
  type EmbeddedText,
  type TopicCatalog,
} from '@profilestream/contracts';
import {
  BatchingProducer,
  createKafka,
  provisionTopics,
  readTopicToEnd,
  silentLog,
  type Kafka,
} from '@profilestream/kafka';
import { freePort, uniqueName, waitFor } from '@profilestream/kafka/testing';
import { testRedis } from '@profilestream/redis/testing';
import type { RedisClient } from '@profilestream/redis';
import { loadModelBundle } from '@profilestream/inference';
import { encodeState } from '@profilestream/fusion';
import { decodeStoredUser } from '@profilestream/fusion';
import { itemEmbedding } from '@profilestream/tools-events';
import { ServiceProcess, ensureBuilt } from '@profilestream/tools-runtime';

const repoRoot = resolve(__dirname, '../../..');
const preload = join(__dirname, 'crash-before-commit.preload.js');
const tinyModel = join(repoRoot, 'libs/shared/fixtures/tiny-bert');
const PARTITIONS = 2;
const USERS = 24;
const ITEMS = 6;
const ROUNDS = 6;
const ACTIONS = ['view', 'click', 'like', 'add_to_cart', 'purchase'] as const;

const serdes = {
  embedded: new SingleObjectSerde('EmbeddedText'),
  click: new SingleObjectSerde('Click'),
  profile: new SingleObjectSerde('UserProfile'),
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Every user's published profile and Redis state, without what counts flushes (version, times). */
type Outcome = Map<string, { profile: string; state: string }>;

describe('profile-fuser killed mid-flush, and a zombie instance', () => {
  let kafka: Kafka;
  let redis: RedisClient;
  let producer: BatchingProducer;
  let modelId: string;
  const workDir = mkdtempSync(join(tmpdir(), 'profilestream-fuser-crash-'));
  const prefixes: string[] = [];
  const now = Date.now();

  beforeAll(async () => {
    ensureBuilt();
    kafka = createKafka(toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'fuser-crash-test'), silentLog);
    producer = new BatchingProducer(kafka, { log: silentLog });
    await producer.connect();
    redis = await testRedis();
    modelId = (await loadModelBundle(tinyModel, 'fp32')).modelId;
  }, 60_000);

  afterAll(async () => {
    await producer?.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const ours = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(p)));
    await admin.deleteTopics({ topics: ours }).catch(() => undefined);
    await admin.disconnect();
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
    rmSync(workDir, { recursive: true, force: true });
  }, 60_000);

  const item = (i: number): EmbeddedText =>
    itemEmbedding({
      itemId: `item-${i}`,
      vector: Float32Array.from({ length: 64 }, (_, d) => Math.sin(i * 1.7 + d * 0.31)),
      modelId,
      occurredAt: now - 3_600_000,
      categories: [`cat-${i % 3}`],
    });

  const clicks = (round: number): Click[] =>
    Array.from({ length: USERS }, (_, u) => ({
      eventId: `c${round}-${u}`,
      userId: `user-${u}`,
      itemId: `item-${(u + round) % ITEMS}`,
      action: ACTIONS[(u * 3 + round) % ACTIONS.length]!,
      dwellMs: null,
      platform: 'test',
      occurredAt: now - 600_000 + round * 10_000 + u,
    }));

  async function setUp(name: string): Promise<{ prefix: string; topics: TopicCatalog }> {
    const prefix = `${uniqueName(name)}.`;
    prefixes.push(prefix);
    const topics = topicCatalog(prefix);
    const admin = kafka.admin();
    await admin.connect();
    const specs = [
      topics.textsEmbedded,
      topics.clicks,
      topics.users,
      topics.userDeletions,
      topics.profiles,
      topics.profilesChangelog,
      topics.fuserState,
      topics.fuserItems,
    ];
    await provisionTopics(admin, specs, { replicationFactor: 1, partitions: PARTITIONS });
    // Several runs create topics at once: wait until every partition has a leader before sending.
    const led = await waitFor(
      async () => {
        const meta = await admin.fetchTopicMetadata({ topics: specs.map((t) => t.name) }).catch(() => null);
        return (
          meta !== null &&
          meta.topics.every((t) => t.partitions.length === PARTITIONS && t.partitions.every((p) => p.leader >= 0))
        );
      },
      30_000,
      200,
    );
    await admin.disconnect();
    if (!led) throw new Error(`topics under ${prefix} have no leaders`);
    return { prefix, topics };
  }

  function fuser(prefix: string, run: string, extra: Record<string, string> = {}): Promise<ServiceProcess> {
    return freePort().then(
      (port) =>
        new ServiceProcess({
          name: 'profile-fuser',
          port,
          env: {
            KAFKA_TOPIC_PREFIX: prefix,
            REDIS_KEY_PREFIX: prefix,
            LOG_LEVEL: 'info',
            FUSER_MODEL_DIR: tinyModel,
            FUSER_MODEL_VARIANT: 'fp32',
            FUSER_PUBLISH_INTERVAL_MS: '200',
            ...extra,
          },
          logDir: join(workDir, `${prefix}${run}`),
        }),
    );
  }

  async function sendItems(topics: TopicCatalog): Promise<void> {
    await producer.send(
      topics.textsEmbedded.name,
      Array.from({ length: ITEMS }, (_, i) => ({ key: `item-${i}`, value: serdes.embedded.encode(item(i)) })),
    );
  }

  async function sendRound(topics: TopicCatalog, round: number): Promise<void> {
    await producer.send(
      topics.clicks.name,
      clicks(round).map((c) => ({ key: c.userId, value: serdes.click.encode(c) })),
    );
  }

  /** Every click committed by the group and every partition's Redis copy caught up. */
  async function drained(prefix: string, topics: TopicCatalog): Promise<boolean> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = new Map((await admin.fetchTopicOffsets(topics.clicks.name)).map((p) => [p.partition, p.high]));
      const [committed] = await admin.fetchOffsets({ groupId: `${prefix}profile-fuser`, topics: [topics.clicks.name] });
      if (!committed!.partitions.every((p) => p.offset === ends.get(p.partition))) return false;
      for (const { partition, high } of await admin.fetchTopicOffsets(topics.fuserState.name)) {
        const ckpt = await redis.get(`${prefix}{pf-${partition}}:${modelId}:ckpt`);
        if (Number(high) > 0 && (ckpt === null || Number(ckpt) < Number(high) - 1)) return false;
      }
      return true;
    } finally {
      await admin.disconnect();
    }
  }

  async function outcome(prefix: string, topics: TopicCatalog): Promise<Outcome> {
    const latest = new Map<string, Buffer | null>();
    await readTopicToEnd(kafka, topics.profiles.name, (m) => void latest.set(m.key!.toString(), m.value));
    const out: Outcome = new Map();
    for (const [userId, value] of latest) {
      const profile = await serdes.profile.decode(value!);
      const stored = decodeStoredUser(
        (await redis.hgetBuffer(`${prefix}{pf-${partitionOf(userId)}}:${modelId}:u:${userId}`, 's'))!,
      );
      if (stored.kind !== 'profile') throw new Error(`${userId} has no profile`);
      // Applied offsets are kept per topic name, which carries this run's prefix.
      const applied = Object.entries(stored.state.appliedOffsets).map(([k, v]) => [k.slice(prefix.length), v] as const);
      stored.state.appliedOffsets = Object.assign(
        Object.create(null) as Record<string, string>,
        Object.fromEntries(applied),
      );
      out.set(userId, {
        profile: serdes.profile.encode({ ...profile, version: 0, updatedAt: 0 }).toString('hex'),
        state: encodeState(stored.state).toString('hex'),
      });
    }
    return out;
  }

  const partitionOf = (userId: string) => partitionForKey(userId, PARTITIONS);

  /** Feeds the input in rounds (so flushes happen between them), optionally through a crash. */
  async function runWith(
    name: string,
    crash: Record<string, string> | null,
  ): Promise<{ outcome: Outcome; crashLogged: boolean }> {
    const { prefix, topics } = await setUp(name);
    const first = await fuser(prefix, 'first', crash ? { NODE_OPTIONS: `--require "${preload}"`, ...crash } : {});
    first.start();
    await first.waitReady(120_000);
    await sendItems(topics);
    if (
      !(await waitFor(
        async () =>
          (await first.metric('profile_fuser_events_applied_total', (l) => l.includes('kind="item"'))) === ITEMS,
        30_000,
        100,
      ))
    )
      throw new Error('items not applied');
    // The items go through a transaction and back through the item table before the clicks.
    await new Promise((r) => setTimeout(r, 1500));
    let service = first;
    for (let round = 0; round < ROUNDS; round++) {
      await sendRound(topics, round);
      await new Promise((r) => setTimeout(r, 400));
    }
    let crashLogged = false;
    if (crash) {
      const pid = first.pid!;
      if (!(await waitFor(async () => !alive(pid), 60_000, 100)))
        throw new Error(`the fuser did not crash:\n${first.logTail()}`);
      crashLogged = /crash-(before|after)-commit: SIGKILL/.test(readFileSync(first.logFile, 'utf8'));
      service = await fuser(prefix, 'second');
      service.start();
      await service.waitReady(120_000);
    }
    try {
      // A takeover waits for the killed member's session (30 s) to expire.
      if (!(await waitFor(() => drained(prefix, topics), 150_000, 500)))
        throw new Error(`not drained:\n${service.logTail()}`);
      return { outcome: await outcome(prefix, topics), crashLogged };
    } finally {
      await service.stop();
    }
  }

  it('gives byte-identical profiles and Redis states whatever point of a flush the fuser is killed at', async () => {
    const [reference, ...crashed] = await Promise.all([
      runWith('fuser-ok', null),
      runWith('fuser-before-commit', { PS_CRASH_BEFORE_COMMIT: '4' }),
      runWith('fuser-after-commit', { PS_CRASH_AFTER_COMMIT: '4' }),
      runWith('fuser-after-sync', { PS_CRASH_AFTER_COMMIT: '4', PS_CRASH_AFTER_COMMIT_DELAY_MS: '300' }),
    ]);
    expect(reference!.outcome.size).toBe(USERS);
    for (const run of crashed) {
      expect(run.crashLogged).toBe(true);
      expect([...run.outcome.keys()].sort()).toEqual([...reference!.outcome.keys()].sort());
      for (const [userId, r] of reference!.outcome)
        expect({ userId, ...run.outcome.get(userId) }).toEqual({ userId, ...r });
    }
  }, 420_000);

  it('fences a zombie: an instance frozen past its session loses its partitions, and its late flushes are refused', async () => {
    const { prefix, topics } = await setUp('fuser-zombie');
    const zombie = await fuser(prefix, 'zombie', { FUSER_PUBLISH_INTERVAL_MS: '2000' });
    zombie.start();
    await zombie.waitReady(120_000);
    await sendItems(topics);
    await new Promise((r) => setTimeout(r, 2000));
    await sendRound(topics, 0);
    await sendRound(topics, 1);
    // Round 1 is folded but not flushed yet (each user's second change waits for its interval).
    expect(
      await waitFor(
        async () =>
          (await zombie.metric('profile_fuser_events_applied_total', (l) => l.includes('kind="click"'))) === 2 * USERS,
        30_000,
        50,
      ),
    ).toBe(true);
    process.kill(zombie.pid!, 'SIGSTOP');
    const successor = await fuser(prefix, 'successor');
    try {
      successor.start();
      await successor.waitReady(120_000);
      for (let round = 2; round < 4; round++) await sendRound(topics, round);
      // The successor owns every partition once the zombie's session expired.
      expect(await waitFor(() => drained(prefix, topics), 150_000, 500)).toBe(true);
      process.kill(zombie.pid!, 'SIGCONT');
      // Woken, the zombie flushes what it folded: refused, since the successor claimed its partitions.
      expect(
        await waitFor(
          async () =>
            (await zombie.metric('profile_fuser_kafka_transactions_total', (l) => l.includes('outcome="fenced"'))) >= 1,
          60_000,
          200,
        ),
      ).toBe(true);
      await sendRound(topics, 4);
      expect(await waitFor(() => drained(prefix, topics), 150_000, 500)).toBe(true);
      // Every click counted exactly once, whoever owned the user when.
      const latest = new Map<string, Buffer | null>();
      await readTopicToEnd(kafka, topics.profiles.name, (m) => void latest.set(m.key!.toString(), m.value));
      expect(latest.size).toBe(USERS);
      for (const value of latest.values()) {
        const profile = await serdes.profile.decode(value!);
        expect(profile.eventCount).toBe(5);
        expect(profile.counters.filter((c) => c.channel === 'click').reduce((s, c) => s + c.total, 0)).toBe(5);
      }
    } finally {
      if (alive(zombie.pid!)) process.kill(zombie.pid!, 'SIGCONT');
      await zombie.stop();
      await successor.stop();
    }
  }, 420_000);
});
