/**
 * A model migration on the real broker and Redis, with the built services as processes: profiles
 * served under the tiny fixture model move to a second fixture model (other weights, so another
 * vector space) while traffic flows, the way docs/operations.md tells operators to do it.
 *
 * - history, including one user's erasure, goes through the pipeline under model A;
 * - the next space's encoder (KAFKA_GROUP_SUFFIX=.next, model B, rate-limited) re-embeds the
 *   archive while live events keep arriving, one of them a second user's erasure; it is killed
 *   with SIGKILL mid-way and restarted, and resumes;
 * - items first, then the next space's fuser re-fuses the archive onto profiles.shadow.v1;
 * - cut-over: profiles.v1 switches to model B, every user at once, versions above A's;
 * - the new space's profiles equal those of a fresh pipeline run with model B over the same events;
 * - neither erased user is rebuilt; no user who had a profile ever loses it on profiles.v1;
 * - rollback is the same command back.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { EPOCH_VERSION_STRIDE, SingleObjectSerde, topicCatalog } from '@profilestream/contracts';
import { EventProducer, type PlatformEvent } from '@profilestream/event-producer';
import { createKafka, readTopicToEnd, silentLog, type Admin, type Kafka } from '@profilestream/kafka';
import { freePort, uniqueName, waitFor } from '@profilestream/kafka/testing';
import { testRedis } from '@profilestream/redis/testing';
import type { RedisClient } from '@profilestream/redis';
import { embeddingSpaceOf, loadModelBundle } from '@profilestream/inference';
import { spaceKey, type EmbeddingSpace } from '@profilestream/embedding';
import { buildFixedInput, type FixedInput } from '@profilestream/tools-events';
import {
  ServiceProcess,
  compareSnapshots,
  endOffsetsFingerprint,
  ensureBuilt,
  prefixLag,
  type FinalProfile,
} from '@profilestream/tools-runtime';
import {
  CutOverRefused,
  cutOver,
  dropSpace,
  readServing,
  runMigration,
  spaceCoverage,
  type MigrationProgress,
} from '@profilestream/tools-migration';

const repoRoot = resolve(__dirname, '../../..');
const modelA = join(repoRoot, 'libs/shared/fixtures/tiny-bert');
const PARTITIONS = 2;
const SUFFIX = '.next';
const profileSerde = new SingleObjectSerde('UserProfile');
const embeddedSerde = new SingleObjectSerde('EmbeddedText');

type Service = 'text-cleaner' | 'encoder' | 'profile-fuser';

describe('changing the encoder model: shadow space, re-embedding, cut-over', () => {
  let kafka: Kafka;
  let admin: Admin;
  let redis: RedisClient;
  const workDir = mkdtempSync(join(tmpdir(), 'profilestream-migrate-'));
  const modelB = join(workDir, 'tiny-bert-b');
  const prefixes: string[] = [];
  const running: ServiceProcess[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  let spaceA: EmbeddingSpace & { key: string };
  let spaceB: EmbeddingSpace & { key: string };
  let input: FixedInput;
  let history: PlatformEvent[];
  let live: PlatformEvent[];
  /** Erased before the migration (their texts are in the archive) and during it. */
  let erasedBefore: string;
  let erasedDuring: string;

  beforeAll(async () => {
    ensureBuilt();
    execFileSync('npx', ['tsx', 'tools/model/make-tiny-fixture.ts', '--out', modelB, '--seed', '7'], {
      cwd: repoRoot,
      stdio: 'ignore',
    });
    const space = async (dir: string) => {
      const s = embeddingSpaceOf(await loadModelBundle(dir, 'fp32'), null);
      return { ...s, key: spaceKey(s) };
    };
    spaceA = await space(modelA);
    spaceB = await space(modelB);
    const settings = toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'migrate-test');
    kafka = createKafka(settings, silentLog);
    admin = kafka.admin();
    await admin.connect();
    redis = await testRedis();

    input = buildFixedInput({
      events: 140,
      users: 14,
      seed: 11,
      startAt: Date.now() - 3 * 3_600_000,
      spacingMs: 60_000,
      erasedShare: 0.15,
    });
    const deletions = input.events.flatMap((e, i) => (e.kind === 'deletion' ? [i] : []));
    // The first erasure before the migration, the last one during it.
    const split = Math.max(Math.floor(input.events.length * 0.6), deletions[0]! + 1);
    expect(deletions[deletions.length - 1]).toBeGreaterThanOrEqual(split);
    history = input.events.slice(0, split);
    live = input.events.slice(split);
    erasedBefore = (input.events[deletions[0]!] as Extract<PlatformEvent, { kind: 'deletion' }>).value.userId;
    erasedDuring = (input.events[deletions[deletions.length - 1]!] as Extract<PlatformEvent, { kind: 'deletion' }>)
      .value.userId;
  }, 120_000);

  afterAll(async () => {
    for (const c of cleanups) await c().catch(() => undefined);
    await Promise.all(running.map((s) => s.kill('SIGKILL')));
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

  async function service(name: Service, prefix: string, model: string, extra: Record<string, string> = {}) {
    const s = new ServiceProcess({
      name,
      port: await freePort(),
      env: {
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
        REDIS_KEY_PREFIX: prefix,
        LOG_LEVEL: 'info',
        ENCODER_MODEL_DIR: model,
        ENCODER_MODEL_VARIANT: 'fp32',
        ENCODER_WORKERS: '1',
        FUSER_MODEL_DIR: model,
        FUSER_MODEL_VARIANT: 'fp32',
        FUSER_PUBLISH_INTERVAL_MS: '200',
        ...extra,
      },
      logDir: join(workDir, `${prefix}${name}${extra['KAFKA_GROUP_SUFFIX'] ?? ''}`),
    });
    running.push(s);
    s.start();
    await s.waitReady(120_000);
    return s;
  }

  async function pipeline(prefix: string, model: string): Promise<ServiceProcess[]> {
    return Promise.all((['text-cleaner', 'encoder', 'profile-fuser'] as const).map((n) => service(n, prefix, model)));
  }

  /**
   * Every group under the prefix has consumed everything (the encoders up to the transaction
   * markers closing their input partitions) and nothing was written for 3 s.
   */
  async function settled(prefix: string, timeoutMs = 180_000): Promise<void> {
    let fingerprint = '';
    let since = Date.now();
    const ok = await waitFor(
      async () => {
        const lag = await prefixLag(admin, prefix);
        const now = await endOffsetsFingerprint(admin, prefix);
        if (now !== fingerprint) {
          fingerprint = now;
          since = Date.now();
        }
        const behind = Object.entries(lag.byGroup).some(([group, n]) =>
          group.includes('encoder') ? n > PARTITIONS : n > 0,
        );
        // Services that have not joined yet have no group: nothing consumed is not settled.
        const joined = ['text-cleaner', 'encoder', 'profile-fuser'].every((g) => lag.groups.includes(`${prefix}${g}`));
        return joined && !behind && Date.now() - since >= 3_000;
      },
      timeoutMs,
      500,
    );
    if (!ok) throw new Error(`${prefix}: not settled: ${JSON.stringify((await prefixLag(admin, prefix)).byGroup)}`);
  }

  async function latest(topic: string): Promise<Map<string, FinalProfile>> {
    const out = new Map<string, FinalProfile>();
    const raw = new Map<string, Buffer | null>();
    await readTopicToEnd(kafka, topic, (m) => void raw.set(m.key!.toString(), m.value));
    for (const [userId, value] of raw) out.set(userId, value ? await profileSerde.decode(value) : null);
    return out;
  }

  it('migrates with traffic flowing, equals a fresh run of the new model, honours erasures, and rolls back', async () => {
    const prefix = `${uniqueName('migrate')}.`;
    prefixes.push(prefix);
    const topics = topicCatalog(prefix);
    await pipeline(prefix, modelA);
    const sendTo = new EventProducer(
      { ...toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'migrate-test'), topicPrefix: prefix },
      silentLog,
    );
    await sendTo.connect();
    cleanups.push(() => sendTo.disconnect());
    const sendAll = async (events: readonly PlatformEvent[]) => {
      for (const e of events) await sendTo.send(e);
    };
    await sendAll(input.catalogue);
    await settled(prefix);
    await sendAll(history);
    await settled(prefix);
    const before = await latest(topics.profiles.name);
    const served = [...before].filter(([, p]) => p !== null).map(([u]) => u);
    expect(served.length).toBeGreaterThan(8);
    expect(before.get(erasedBefore)).toBeNull();
    for (const u of served) expect(before.get(u)!.modelId).toBe(spaceA.modelId);

    // Every record profiles.v1 gets from here on, in offset order per user.
    const seen = new Map<string, { version: number; modelId: string | null; eventCount: number }[]>();
    // Not under the prefix: its lag is not the pipeline's.
    const watcher = kafka.consumer({ groupId: `watcher-${prefix}` });
    await watcher.connect();
    cleanups.push(
      () => watcher.disconnect(),
      () => admin.deleteGroups([`watcher-${prefix}`]),
    );
    await watcher.subscribe({ topic: topics.profiles.name, fromBeginning: false });
    await watcher.run({
      eachMessage: async ({ message }) => {
        const userId = message.key!.toString();
        const p = message.value ? await profileSerde.decode(message.value) : null;
        const list = seen.get(userId) ?? [];
        list.push({ version: p?.version ?? -1, modelId: p?.modelId ?? null, eventCount: p?.eventCount ?? 0 });
        seen.set(userId, list);
      },
    });

    // The migration, with live traffic and a crash of the re-embedding encoder.
    let encoder: ServiceProcess | null = null;
    let killed = false;
    const progress: MigrationProgress[] = [];
    const liveSent = sendAll(live);
    const report = await runMigration({
      kafka,
      admin,
      prefix,
      groupSuffix: SUFFIX,
      space: spaceB,
      servedSpace: spaceA.key,
      embeddedSerde,
      replicationFactor: 1,
      maxLag: 0,
      pollMs: 300,
      deadline: Date.now() + 240_000,
      startEncoder: async () => {
        encoder = await service('encoder', prefix, modelB, {
          KAFKA_GROUP_SUFFIX: SUFFIX,
          ENCODER_MAX_TEXTS_PER_SECOND: '8',
          ENCODER_CHUNK_MESSAGES: '4',
        });
      },
      startFuser: async () => {
        await liveSent;
        await service('profile-fuser', prefix, modelB, { KAFKA_GROUP_SUFFIX: SUFFIX });
      },
      onProgress: async (p) => {
        progress.push(p);
        if (p.phase === 're-embed' && !killed && p.consumed > 0 && p.lag > 8) {
          killed = true;
          await encoder!.kill('SIGKILL');
          encoder!.start();
          await encoder!.waitReady(120_000);
        }
        // The re-embedding only catches up once the live events are all in.
        if (p.phase === 're-embed' && p.lag <= PARTITIONS) await liveSent;
      },
      log: () => undefined,
    });
    expect(killed).toBe(true);
    expect(report.seeded.items).toBe(input.catalogue.length);
    expect(progress.some((p) => p.phase === 're-embed' && p.etaS !== null && p.etaS > 0)).toBe(true);
    await settled(prefix);

    // Before the cut-over profiles.v1 carries model A only; the next space publishes on the shadow topic.
    const shadow = await latest(topics.profilesShadow.name);
    for (const p of shadow.values()) if (p) expect(p.modelId).toBe(spaceB.modelId);
    expect(shadow.get(erasedBefore) ?? null).toBeNull();
    expect(shadow.get(erasedDuring) ?? null).toBeNull();
    for (const list of seen.values()) for (const r of list) if (r.modelId) expect(r.modelId).toBe(spaceA.modelId);

    // Cut-over, refused while a fuser group is behind: nothing is behind now.
    const coverage = await spaceCoverage(kafka, admin, prefix, spaceB.key, profileSerde);
    expect(coverage.share).toBe(1);
    expect(coverage.served).toBeGreaterThanOrEqual(served.length - 1);
    const record = await cutOver(kafka, admin, {
      prefix,
      space: spaceB.key,
      servedBefore: spaceA.key,
      replicationFactor: 1,
      maxLag: 0,
      coverage: { min: 1, profileSerde },
      force: false,
    });
    expect(record).toMatchObject({ space: spaceB.key, epoch: 1, previousSpace: spaceA.key });
    expect((await readServing(kafka, admin, prefix))?.epoch).toBe(1);
    const survivors = served.filter((u) => u !== erasedDuring);
    const cutOverDone = await waitFor(
      async () => {
        const now = await latest(topics.profiles.name);
        return survivors.every((u) => now.get(u)?.modelId === spaceB.modelId);
      },
      60_000,
      500,
    );
    expect(cutOverDone).toBe(true);
    await settled(prefix);
    const after = await latest(topics.profiles.name);

    // No user who had a profile ever lost it; versions only went up, and B's are above A's.
    for (const u of survivors) {
      const list = seen.get(u) ?? [];
      // Never a tombstone, never an empty profile (the new space's republish carries its whole history).
      expect(list.every((r) => r.version >= 0 && r.eventCount > 0)).toBe(true);
      for (let i = 1; i < list.length; i++) expect(list[i]!.version).toBeGreaterThan(list[i - 1]!.version);
      expect(after.get(u)!.version).toBeGreaterThanOrEqual(EPOCH_VERSION_STRIDE);
    }
    expect(after.get(erasedBefore) ?? null).toBeNull();
    expect(after.get(erasedDuring) ?? null).toBeNull();

    // Rollback: the same command back to A.
    const back = await cutOver(kafka, admin, {
      prefix,
      space: spaceA.key,
      servedBefore: null,
      replicationFactor: 1,
      maxLag: 0,
      force: false,
    });
    expect(back).toMatchObject({ space: spaceA.key, epoch: 2, previousSpace: spaceB.key });
    const rolledBack = await waitFor(
      async () => {
        const now = await latest(topics.profiles.name);
        return survivors.every(
          (u) => now.get(u)?.modelId === spaceA.modelId && now.get(u)!.version >= 2 * EPOCH_VERSION_STRIDE,
        );
      },
      60_000,
      500,
    );
    expect(rolledBack).toBe(true);
    await Promise.all([...running].map((s) => s.kill('SIGTERM')));
    running.length = 0;

    // The grace period over: drop the space rolled back from. The served one cannot be dropped.
    await expect(
      dropSpace(kafka, admin, redis, { prefix, redisKeyPrefix: prefix, space: spaceA.key, groupSuffix: '' }),
    ).rejects.toThrow(CutOverRefused);
    const dropped = await dropSpace(kafka, admin, redis, {
      prefix,
      redisKeyPrefix: prefix,
      space: spaceB.key,
      groupSuffix: SUFFIX,
    });
    expect(dropped.stateRecords).toBeGreaterThan(survivors.length - 1);
    expect(dropped.itemRecords).toBe(input.catalogue.length);
    expect(dropped.redisKeys).toBeGreaterThan(survivors.length - 1);
    expect(dropped.groupsDeleted.sort()).toEqual([`${prefix}encoder${SUFFIX}`, `${prefix}profile-fuser${SUFFIX}`]);
    const liveKeys = new Map<string, boolean>();
    await readTopicToEnd(kafka, topics.fuserState.name, (m) => void liveKeys.set(m.key!.toString(), m.value !== null));
    const spaceOfKey = (k: string) => k.slice(0, k.indexOf('|'));
    expect([...liveKeys].filter(([k, live]) => live && spaceOfKey(k) === spaceB.key)).toEqual([]);
    expect([...liveKeys].filter(([k, live]) => live && spaceOfKey(k) === spaceA.key).length).toBeGreaterThan(0);
    expect(await redis.keys(`${prefix}{pf-*}:${spaceB.key}:*`)).toEqual([]);
    expect((await redis.keys(`${prefix}{pf-*}:${spaceA.key}:*`)).length).toBeGreaterThan(0);

    // A fresh pipeline under model B over the same events: the reference for the new space.
    const fresh = `${uniqueName('migrate-fresh')}.`;
    prefixes.push(fresh);
    await pipeline(fresh, modelB);
    const freshSend = new EventProducer(
      { ...toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'migrate-test'), topicPrefix: fresh },
      silentLog,
    );
    await freshSend.connect();
    for (const e of input.catalogue) await freshSend.send(e);
    await settled(fresh);
    for (const e of [...history, ...live]) await freshSend.send(e);
    await freshSend.disconnect();
    await settled(fresh);
    const reference = await latest(topicCatalog(fresh).profiles.name);
    const migrated = new Map([...after].map(([u, p]) => [u, p]));
    const summary = compareSnapshots(reference, migrated);
    expect({ differing: summary.differingUsers, first: summary.firstDifferences }).toEqual({
      differing: [],
      first: [],
    });
    expect(summary.usersCompared).toBeGreaterThan(8);
  }, 900_000);
});
