import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  SingleObjectSerde,
  packFloat32,
  partitionForKey,
  unpackFloat32,
  withAttributeDefaults,
  topicCatalog,
  type Click,
  type EmbeddedText,
  type ProfileChange,
  type UserAttributes,
  type UserProfile,
} from '@profilestream/contracts';
import { readTopicToEnd } from '@profilestream/kafka';
import { readTopic, uniqueName, waitFor } from '@profilestream/kafka/testing';
import { loadModelBundle, saveProjection } from '@profilestream/inference';
import { MetricsService } from '@profilestream/observability';
import { ServiceHarness } from '@profilestream/stream-service/testing';
import { testRedis } from '@profilestream/redis/testing';
import type { RedisClient } from '@profilestream/redis';
import Ajv from 'ajv';
import { serveOpenApi } from './api/openapi';
import { AppModule } from './app.module';
import { loadProfileFuserConfig } from './config/profile-fuser.config';
import { REDIS_LOST } from './state/partition-state.store';
import { rebuildPartition } from './state/partition-rebuild';
import { decodeStoredUser } from '@profilestream/fusion';

const fixture = join(__dirname, '../../../libs/shared/fixtures/tiny-bert');
const embeddedSerde = new SingleObjectSerde('EmbeddedText');
const clickSerde = new SingleObjectSerde('Click');
const profileSerde = new SingleObjectSerde('UserProfile');
const changeSerde = new SingleObjectSerde('ProfileChange');
const usersSerde = new SingleObjectSerde('UserAttributes');
const DAY = 86_400_000;

/** A deterministic unit-ish vector of the fixture's dimension. */
function vec(seed: number): Float32Array {
  return Float32Array.from({ length: 64 }, (_, i) => Math.sin(seed * 7.3 + i * 0.37));
}

describe('profile-fuser on the real broker and Redis', () => {
  const harness = new ServiceHarness(
    { load: loadProfileFuserConfig, module: (config) => AppModule.forRoot(config), configure: serveOpenApi },
    'pf',
    {
      FUSER_MODEL_DIR: fixture,
      FUSER_MODEL_VARIANT: 'fp32',
      FUSER_PUBLISH_INTERVAL_MS: '200',
      FUSER_API_TOKEN: 'secret-token',
    },
  );
  const { prefix, topics, kafka, producer } = harness;
  let redis: RedisClient;
  let modelId: string;
  const startApp = (extra: Record<string, string> = {}) => harness.start(extra);
  const stopApp = (app: INestApplication) => harness.stop(app);
  const metric = (
    app: INestApplication,
    name: string,
    filter?: (l: Partial<Record<string, string | number>>) => boolean,
  ) => harness.metric(app, name, filter);

  function embedded(eventId: string, userId: string | null, extra: Partial<EmbeddedText> = {}): EmbeddedText {
    const now = Date.now();
    return {
      eventId,
      source: 'review',
      userId,
      itemId: 'guitar-1',
      lang: 'en',
      contentHash: eventId,
      rating: 5,
      tags: [],
      categories: [],
      platform: 'test',
      occurredAt: now - DAY,
      ingestedAt: now - 100,
      modelId,
      projectionId: null,
      dim: 64,
      vector: packFloat32(vec(eventId.length + eventId.charCodeAt(eventId.length - 1))),
      tokenCount: 5,
      truncated: false,
      timing: { cacheHit: false, queuedMs: 1, inferenceMs: 2, embeddedAt: now },
      ...extra,
    };
  }

  const sendEmbedded = (records: EmbeddedText[]) =>
    producer.send(
      topics.textsEmbedded.name,
      records.map((r) => ({ key: r.userId ?? r.itemId, value: embeddedSerde.encode(r) })),
    );
  const sendClicks = (records: Click[]) =>
    producer.send(
      topics.clicks.name,
      records.map((r) => ({ key: r.userId, value: clickSerde.encode(r) })),
    );

  beforeAll(async () => {
    modelId = (await loadModelBundle(fixture, 'fp32')).modelId;
    redis = await testRedis();
  }, 60_000);

  afterAll(async () => {
    await harness.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  /** The latest profiles.v1 value per user (null: tombstone), in offset order. */
  async function latestProfiles(topicPrefix = prefix) {
    const latest = new Map<string, Buffer | null>();
    await readTopicToEnd(kafka, topicCatalog(topicPrefix).profiles.name, (m) => {
      if (m.key) latest.set(m.key.toString(), m.value);
    });
    return latest;
  }

  /** Whether the fuser's group commits every clicks.v1 offset produced so far (waits up to 30 s). */
  async function clicksCommitted(): Promise<boolean> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = new Map((await admin.fetchTopicOffsets(topics.clicks.name)).map((p) => [p.partition, p.high]));
      return await waitFor(async () => {
        const [committed] = await admin.fetchOffsets({
          groupId: `${prefix}profile-fuser`,
          topics: [topics.clicks.name],
        });
        return committed!.partitions.every((p) => p.offset === ends.get(p.partition));
      }, 30_000);
    } finally {
      await admin.disconnect();
    }
  }

  const userKey = (userId: string) => `${prefix}{pf-${partitionForKey(userId, 2)}}:${modelId}:u:${userId}`;

  it('fuses texts and clicks into profiles, folds a click that came before its item, publishes them and keeps state in Kafka and Redis', async () => {
    const app = await startApp();
    const now = Date.now();
    // The click outruns its item: its counters count at once, its vector waits.
    await sendClicks([
      {
        eventId: 'c0',
        userId: 'alice',
        itemId: 'guitar-1',
        action: 'purchase',
        dwellMs: 1000,
        platform: 'test',
        occurredAt: now - 1500,
      },
    ]);
    expect(await waitFor(async () => (await metric(app, 'profile_fuser_pending_clicks')) === 1, 30_000)).toBe(true);
    await sendEmbedded([
      embedded('item-desc', null, {
        source: 'item',
        itemId: 'guitar-1',
        userId: null,
        categories: ['guitars'],
        rating: null,
      }),
      embedded('r1', 'alice'),
      embedded('r2', 'alice', { rating: 1, occurredAt: now - 2 * DAY }),
      embedded('p1', 'alice', { source: 'post', itemId: null, rating: null }),
      embedded('other-model', 'alice', { modelId: 'someone-else@00000000' }),
    ]);
    expect(
      await waitFor(async () => (await metric(app, 'profile_fuser_kafka_message_outcomes_total')) === 6, 30_000),
    ).toBe(true);
    expect(
      await waitFor(
        async () =>
          (await metric(app, 'profile_fuser_clicks_without_item_vector_total', (l) => l['outcome'] === 'folded')) === 1,
        30_000,
      ),
    ).toBe(true);
    expect(await metric(app, 'profile_fuser_pending_clicks')).toBe(0);
    await sendClicks([
      {
        eventId: 'c1',
        userId: 'alice',
        itemId: 'guitar-1',
        action: 'purchase',
        dwellMs: 1000,
        platform: 'test',
        occurredAt: now - 1000,
      },
      {
        eventId: 'c2',
        userId: 'alice',
        itemId: 'unknown-item',
        action: 'view',
        dwellMs: null,
        platform: 'test',
        occurredAt: now - 500,
      },
    ]);
    expect(
      await waitFor(async () => (await metric(app, 'profile_fuser_kafka_message_outcomes_total')) === 8, 30_000),
    ).toBe(true);
    expect(await metric(app, 'profile_fuser_events_skipped_total', (l) => l['reason'] === 'other_model')).toBe(1);
    expect(await metric(app, 'profile_fuser_clicks_without_item_vector_total', (l) => l['outcome'] === 'pending')).toBe(
      2,
    );

    // The read API: decayed to now, from Redis once the flush is synced there.
    expect(
      await waitFor(
        async () => (await request(app.getHttpServer()).get('/v1/profiles/alice')).body.eventCount === 6,
        30_000,
      ),
    ).toBe(true);
    const res = await request(app.getHttpServer()).get('/v1/profiles/alice').expect(200);
    expect(res.body).toMatchObject({ userId: 'alice', modelId, dim: 64, ratingCount: 2, eventCount: 6 });
    expect(res.body.horizons.map((h: { name: string }) => h.name)).toEqual(['1d', '7d', '90d']);
    expect(res.body.horizons[0].vector).toHaveLength(64);
    expect(res.body.negative.weight).toBeGreaterThan(0);
    // Both purchases carry the guitar's vector (3 each), the view none yet.
    expect(res.body.channels.find((c: { name: string }) => c.name === 'click').weight).toBeGreaterThan(5.9);
    const counters = Object.fromEntries(
      res.body.counters.map((c: { channel: string; action: string | null; total: number }) => [
        `${c.channel}:${c.action}`,
        c.total,
      ]),
    );
    expect(counters).toMatchObject({ 'review:null': 2, 'post:null': 1, 'click:purchase': 2, 'click:view': 1 });
    expect(res.body.categoryAffinities[0]).toMatchObject({ label: 'guitars' });
    await request(app.getHttpServer()).get('/v1/profiles/nobody').expect(404);
    await request(app.getHttpServer()).get('/v1/profiles/%20%20').expect(400);

    // Published: profiles.v1 carries what recommenders read (no exact state), the changelog every publish.
    const latest = await latestProfiles();
    const published = await profileSerde.decode(latest.get('alice')!);
    expect(published).toMatchObject({ userId: 'alice', eventCount: 6, state: null });
    expect(published.interests.length).toBeGreaterThan(0);
    const changes: ProfileChange[] = await Promise.all(
      (await readTopic(kafka, topics.profilesChangelog.name, 1, 10_000)).map((m) => changeSerde.decode(m.value!)),
    );
    expect(changes[0]).toMatchObject({ userId: 'alice', kind: 'update' });
    expect(changes[0]!.profile!.horizons.length).toBeGreaterThan(0);
    // Kafka is the record: the state topic holds alice's exact state, equal to Redis's copy.
    const stateRecords = new Map<string, Buffer | null>();
    await readTopicToEnd(kafka, topics.fuserState.name, (m) => void stateRecords.set(m.key!.toString(), m.value));
    const inKafka = stateRecords.get(`${modelId}|u|alice`)!;
    expect(decodeStoredUser(inKafka)).toMatchObject({ kind: 'profile', version: published.version });
    expect(
      await waitFor(async () => (await redis.hgetBuffer(userKey('alice'), 's'))?.equals(inKafka) ?? false, 10_000),
    ).toBe(true);
    // The item's vector is in the items topic, for every instance.
    const itemRecords: string[] = [];
    await readTopicToEnd(kafka, topics.fuserItems.name, (m) => void itemRecords.push(m.key!.toString()));
    expect(itemRecords).toContain(`${modelId}|guitar-1`);
    // Offsets were committed with the states.
    const admin = kafka.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: `${prefix}profile-fuser`, topics: [topics.clicks.name] });
    await admin.disconnect();
    expect(committed[0]!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0)).toBe(3);
    const latencyCount = async () =>
      (
        await app.get(MetricsService).registry.getSingleMetric('profile_fuser_event_to_profile_seconds')!.get()
      ).values.find((v) => (v as { metricName?: string }).metricName === 'profile_fuser_event_to_profile_seconds_count')
        ?.value ?? 0;
    // One observation per event (3 texts, 3 clicks), not one per publish: each event's own wait.
    expect(await latencyCount()).toBe(6);
    await stopApp(app);
  }, 120_000);

  it('leaves every counter and vector exactly as before when committed events are delivered again', async () => {
    const before = await redis.hgetBuffer(userKey('alice'), 's');
    expect(before).not.toBeNull();
    // As after a rebalance that raced a commit: every event comes again.
    const admin = kafka.admin();
    await admin.connect();
    for (const t of [topics.textsEmbedded.name, topics.clicks.name])
      await admin.resetOffsets({ groupId: `${prefix}profile-fuser`, topic: t, earliest: true });
    await admin.disconnect();
    const app = await startApp();
    expect(
      await waitFor(async () => (await metric(app, 'profile_fuser_kafka_message_outcomes_total')) >= 8, 30_000),
    ).toBe(true);
    // Three clicks and three texts of alice were already in her state; the item is simply rewritten.
    expect(await metric(app, 'profile_fuser_events_skipped_total', (l) => l['reason'] === 'duplicate')).toBe(6);
    expect((await redis.hgetBuffer(userKey('alice'), 's'))!.equals(before!)).toBe(true);
    await stopApp(app);
  }, 120_000);

  it('rebuilds Redis from the state topic when Redis loses its data while the fuser runs, and publishes no partial profile', async () => {
    const app = await startApp();
    const before = await redis.hgetBuffer(userKey('alice'), 's');
    const versionBefore = decodeStoredUser(before!).version;
    // Redis comes back empty (as a restart without persistence would).
    const keys = await redis.keys(`${prefix}*`);
    await redis.del(...keys);
    await sendEmbedded([embedded('r3', 'alice', { occurredAt: Date.now() - 1000 })]);
    expect(
      await waitFor(
        async () => (await metric(app, 'profile_fuser_redis_rebuilds_total', (l) => l['reason'] === 'missing')) >= 1,
        30_000,
      ),
    ).toBe(true);
    expect(
      await waitFor(
        async () => (await request(app.getHttpServer()).get('/v1/profiles/alice')).body.eventCount === 7,
        30_000,
      ),
    ).toBe(true);
    const after = decodeStoredUser((await redis.hgetBuffer(userKey('alice'), 's'))!);
    // Everything alice had, plus the new review: no partial state, and the version moved forward.
    expect(after.kind === 'profile' && after.state.ratingCount).toBe(3);
    expect(after.version).toBeGreaterThan(versionBefore);
    const published: UserProfile[] = [];
    await readTopicToEnd(kafka, topics.profiles.name, async (m) => {
      if (m.key?.toString() === 'alice' && m.value) published.push(await profileSerde.decode(m.value));
    });
    for (let i = 1; i < published.length; i++) {
      expect(published[i]!.version).toBeGreaterThan(published[i - 1]!.version);
      expect(published[i]!.eventCount).toBeGreaterThanOrEqual(published[i - 1]!.eventCount);
    }
    await stopApp(app);
  }, 120_000);

  it('catches Redis up when it comes back from an older copy while the fuser runs (an AOF or snapshot restart, a lagging replica)', async () => {
    const app = await startApp();
    const read = async (userId: string) =>
      (await request(app.getHttpServer()).get(`/v1/profiles/${userId}`)).body as { eventCount?: number };
    const countBefore = (await read('alice')).eventCount!;
    // What Redis holds now, as a snapshot would keep it.
    const snapshot: { key: string; ttl: number; dump: Buffer }[] = [];
    for (const key of await redis.keys(`${prefix}*`))
      snapshot.push({ key, ttl: Math.max(0, await redis.pttl(key)), dump: (await redis.dumpBuffer(key))! });

    await sendEmbedded([embedded('r-older-copy', 'alice', { occurredAt: Date.now() - 1000 })]);
    expect(await waitFor(async () => (await read('alice')).eventCount === countBefore + 1, 30_000)).toBe(true);

    // Redis restarts from the snapshot: alice's state and the partition's checkpoint are older again.
    await redis.del(...(await redis.keys(`${prefix}*`)));
    for (const { key, ttl, dump } of snapshot) await redis.restore(key, ttl, dump, 'REPLACE');
    expect((await read('alice')).eventCount).toBe(countBefore);

    // The next flush of the partition (another user's event) notices and replays from the checkpoint.
    const neighbour = ['bob', 'carl', 'dave', 'erin', 'fay', 'gus'].find(
      (u) => partitionForKey(u, 2) === partitionForKey('alice', 2),
    )!;
    await sendEmbedded([embedded('r-neighbour', neighbour, { occurredAt: Date.now() - 1000 })]);
    expect(
      await waitFor(
        async () => (await metric(app, 'profile_fuser_redis_rebuilds_total', (l) => l['reason'] === 'behind')) >= 1,
        30_000,
      ),
    ).toBe(true);
    expect(await waitFor(async () => (await read('alice')).eventCount === countBefore + 1, 30_000)).toBe(true);
    await stopApp(app);
  }, 120_000);

  it("restores every partition's Redis copy from the state topic exactly as it was (the restore command)", async () => {
    const keys = await redis.keys(`${prefix}{pf-*:u:*`);
    const before = new Map<string, Buffer>();
    for (const k of keys) before.set(k, (await redis.hgetBuffer(k, 's'))!);
    expect(before.size).toBeGreaterThan(0);
    await redis.del(...(await redis.keys(`${prefix}*`)));
    const store = new (await import('./state/partition-state.store')).PartitionStateStore(redis, prefix, modelId);
    for (const partition of [0, 1]) {
      const report = await rebuildPartition({
        kafka,
        stateTopic: topics.fuserState.name,
        partition,
        store,
        space: modelId,
        deletionRetentionMs: DAY,
        from: 0n,
      });
      expect(report).not.toBe(REDIS_LOST);
    }
    for (const [k, state] of before) expect((await redis.hgetBuffer(k, 's'))!.equals(state)).toBe(true);
    expect(await store.checkpoint(0)).not.toBeNull();
  }, 60_000);

  it('loses nothing while two instances share the group through a rebalance', async () => {
    const first = await startApp();
    const users = Array.from({ length: 12 }, (_, i) => `u${i}`);
    const clicks = (round: number): Click[] =>
      users.map((userId, i) => ({
        eventId: `k${round}-${i}`,
        userId,
        itemId: 'guitar-1',
        action: 'click',
        dwellMs: null,
        platform: 'test',
        occurredAt: Date.now() - 10,
      }));
    await sendClicks(clicks(0));
    const second = await startApp(); // joins the group: partitions move
    for (let round = 1; round < 5; round++) await sendClicks(clicks(round));
    for (const userId of users) {
      const total = async () => {
        const res = await request(first.getHttpServer()).get(`/v1/profiles/${userId}`);
        return res.status === 200
          ? res.body.counters.find(
              (c: { channel: string; action: string }) => c.channel === 'click' && c.action === 'click',
            )?.total
          : 0;
      };
      expect(await waitFor(async () => (await total()) === 5, 60_000)).toBe(true);
    }
    await stopApp(second);
    await stopApp(first);
  }, 180_000);

  it('claims a partition again after a fence that no rebalance explains, and folds again what it had not committed, also on a topic with nothing committed yet', async () => {
    // Topics of their own, so users.v1 has no committed offset for the fuser's group when the fence comes.
    const fencePrefix = `${uniqueName('pff')}.`;
    const fenceTopics = topicCatalog(fencePrefix);
    const app = await startApp({
      KAFKA_TOPIC_PREFIX: fencePrefix,
      REDIS_KEY_PREFIX: fencePrefix,
      FUSER_PUBLISH_INTERVAL_MS: '10000',
    });
    const userId = 'fenced-fay';
    const click = (eventId: string): Click => ({
      eventId,
      userId,
      itemId: 'guitar-1',
      action: 'click',
      dwellMs: null,
      platform: 'test',
      occurredAt: Date.now() - 100,
    });
    const published = async () => {
      const v = (await latestProfiles(fencePrefix)).get(userId);
      return v ? await profileSerde.decode(v) : null;
    };
    await producer.send(fenceTopics.clicks.name, [{ key: userId, value: clickSerde.encode(click('f1')) }]);
    expect(await waitFor(async () => (await published())?.eventCount === 1, 30_000)).toBe(true);
    const attribute = (extra: Partial<UserAttributes>) => ({
      key: userId,
      value: usersSerde.encode(withAttributeDefaults({ userId, occurredAt: Date.now(), ...extra })),
    });
    // Published a moment ago: the attribute waits in memory for the next publish, uncommitted.
    await producer.send(fenceTopics.users.name, [attribute({ country: 'PT' })]);
    const applied = (kind: string) => metric(app, 'profile_fuser_events_applied_total', (l) => l['kind'] === kind);
    expect(await waitFor(async () => (await applied('attributes')) === 1, 30_000)).toBe(true);
    const admin = kafka.admin();
    await admin.connect();
    const [usersCommitted] = await admin.fetchOffsets({
      groupId: `${fencePrefix}profile-fuser`,
      topics: [fenceTopics.users.name],
    });
    await admin.disconnect();
    expect(usersCommitted!.partitions.map((p) => p.offset)).toEqual(['-1', '-1']);
    // Something else takes the partition's transactional id (as a coordinator failing over can).
    const fencer = kafka.producer({
      transactionalId: `${fencePrefix}profile-fuser-${modelId}-p${partitionForKey(userId, 2)}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await fencer.connect();
    await (await fencer.transaction()).abort();
    await fencer.disconnect();
    const fenced = () => metric(app, 'profile_fuser_kafka_transactions_total', (l) => l['outcome'] === 'fenced');
    expect(await waitFor(async () => (await fenced()) >= 1, 30_000)).toBe(true);
    // The next records claim the partition again; the new task rewinds, users.v1 to its start. A
    // later record of the same user on users.v1 must not be folded before the one read again.
    await producer.send(fenceTopics.users.name, [attribute({ accountType: 'premium' })]);
    await producer.send(fenceTopics.clicks.name, [{ key: userId, value: clickSerde.encode(click('f2')) }]);
    const names = (p: UserProfile | null) => (p?.attributes ?? []).map((a) => `${a.name}=${String(a.value)}`);
    expect(
      await waitFor(async () => {
        const p = await published();
        return p?.eventCount === 2 && names(p).length === 2;
      }, 30_000),
    ).toBe(true);
    expect(names(await published())).toEqual(['accountType=premium', 'country=PT']);
    await stopApp(app);
    const keys = await redis.keys(`${fencePrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }, 120_000);

  it('flushes every user when flushes are smaller than the users due, and commits every offset', async () => {
    const app = await startApp({ FUSER_MAX_USERS_PER_FLUSH: '3' });
    const users = Array.from({ length: 40 }, (_, i) => `small-${i}`);
    await sendClicks(
      users.map((userId, i) => ({
        eventId: `s-${i}`,
        userId,
        itemId: 'guitar-1',
        action: 'like',
        dwellMs: null,
        platform: 'test',
        occurredAt: Date.now() - 100,
      })),
    );
    expect(
      await waitFor(async () => {
        const latest = await latestProfiles();
        return users.every((u) => latest.get(u));
      }, 30_000),
    ).toBe(true);
    expect(await clicksCommitted()).toBe(true);
    await stopApp(app);
  }, 120_000);

  it('folds a backlog chunk of more new users than the state budget holds in slices, and applies and commits all of it', async () => {
    // 8 MB over 2 partitions at 64 dimensions: about 600 new users a slice, so a chunk of 1,500
    // users each takes three loads; loaded at once it would take one. The backlog is there before
    // the instance starts, so each partition's chunk holds all of it.
    await stopApp(await startApp());
    const users = Array.from({ length: 3_000 }, (_, i) => `backlog-${i}`);
    await sendClicks(
      users.map((userId, i) => ({
        eventId: `b-${i}`,
        userId,
        itemId: 'guitar-1',
        action: 'view',
        dwellMs: null,
        platform: 'test',
        occurredAt: Date.now() - 100,
      })),
    );
    const app = await startApp({ FUSER_STATE_MEMORY_MB: '8', FUSER_CHUNK_MESSAGES: '2000' });
    const loads = () =>
      metric(app, 'profile_fuser_redis_seconds', (l) => l['operation'] === 'load' && l['le'] === '+Inf');
    const applied = () => metric(app, 'profile_fuser_events_applied_total', (l) => l['kind'] === 'click');
    expect(await waitFor(async () => (await applied()) >= users.length, 60_000)).toBe(true);
    expect(await applied()).toBe(users.length);
    expect(await loads()).toBeGreaterThanOrEqual(6);
    const cached = () => metric(app, 'profile_fuser_state_cache_bytes');
    expect(await waitFor(async () => (await cached()) <= 8 * 1024 * 1024, 30_000)).toBe(true);
    expect(await clicksCommitted()).toBe(true);
    const stored = await Promise.all(users.filter((_, i) => i % 100 === 0).map((u) => redis.exists(userKey(u))));
    expect(stored.every((n) => n === 1)).toBe(true);
    await stopApp(app);
  }, 120_000);

  it('erases a user: an erasure mark instead of the state, a tombstone published, and an old replayed event does not bring them back', async () => {
    const app = await startApp();
    const requestedAt = Date.now();
    await request(app.getHttpServer()).delete('/v1/profiles/alice').expect(401);
    await request(app.getHttpServer())
      .delete('/v1/profiles/alice')
      .set('authorization', 'Bearer secret-token')
      .expect(202);
    expect(
      await waitFor(
        async () => (await metric(app, 'profile_fuser_events_applied_total', (l) => l['kind'] === 'deletion')) === 1,
        60_000,
      ),
    ).toBe(true);
    expect(await waitFor(async () => (await latestProfiles()).get('alice') === null, 30_000)).toBe(true);
    expect(
      await waitFor(async () => {
        const s = await redis.hgetBuffer(userKey('alice'), 's');
        return s !== null && decodeStoredUser(s).kind === 'erased';
      }, 30_000),
    ).toBe(true);
    // The erasure mark expires with the deletion retention.
    expect(await redis.pttl(userKey('alice'))).toBeGreaterThan(0);
    await request(app.getHttpServer()).get('/v1/profiles/alice').expect(404);

    await sendEmbedded([embedded('late', 'alice', { occurredAt: requestedAt - DAY })]);
    expect(
      await waitFor(
        async () =>
          (await metric(app, 'profile_fuser_events_skipped_total', (l) => l['reason'] === 'deleted_user')) === 1,
        30_000,
      ),
    ).toBe(true);
    await request(app.getHttpServer()).get('/v1/profiles/alice').expect(404);
    await stopApp(app);
  }, 120_000);

  it('folds users.v1 attributes: latest per attribute by event time, sensitive ones withheld, custom text redacted, erased with the user', async () => {
    const app = await startApp();
    const t = Date.now() - DAY;
    const attrs = (occurredAt: number, extra: Partial<UserAttributes>): UserAttributes =>
      withAttributeDefaults({ userId: 'carol', occurredAt, ...extra });
    await producer.send(topics.users.name, [
      {
        key: 'carol',
        value: usersSerde.encode(
          attrs(t + 10, {
            country: 'DE',
            gender: 'f',
            ageBand: '25-34',
            languages: ['de', 'en'],
            custom: { tier: 'gold', contact: 'write to carol@example.com', seats: 3 },
          }),
        ),
      },
      // Arrives later but happened earlier: loses to the values above.
      { key: 'carol', value: usersSerde.encode(attrs(t, { country: 'FR', accountType: 'premium' })) },
    ]);
    const published = async () => {
      const v = (await latestProfiles()).get('carol');
      return v ? await profileSerde.decode(v) : null;
    };
    expect(await waitFor(async () => (await published())?.attributes.length === 6, 30_000)).toBe(true);
    const profile = (await published())!;
    expect(profile.eventCount).toBe(0);
    expect(profile.attributes).toEqual([
      { name: 'accountType', value: 'premium', updatedAt: t },
      { name: 'country', value: 'DE', updatedAt: t + 10 },
      { name: 'custom.contact', value: 'write to [EMAIL]', updatedAt: t + 10 },
      { name: 'custom.seats', value: 3, updatedAt: t + 10 },
      { name: 'custom.tier', value: 'gold', updatedAt: t + 10 },
      { name: 'languages', value: ['de', 'en'], updatedAt: t + 10 },
    ]);
    expect(await metric(app, 'profile_fuser_attribute_changes_total', (l) => l['outcome'] === 'stale')).toBe(1);
    expect(await metric(app, 'profile_fuser_attribute_values_redacted_total')).toBe(1);
    // The read API shows what profiles.v1 shows; the changelog too.
    expect(
      await waitFor(
        async () => (await request(app.getHttpServer()).get('/v1/profiles/carol')).body.attributes?.length === 6,
        30_000,
      ),
    ).toBe(true);
    let carolChange: Buffer | null = null;
    await readTopicToEnd(kafka, topics.profilesChangelog.name, (m) => {
      if (m.key?.toString() === 'carol' && m.value) carolChange = m.value;
    });
    expect(carolChange).not.toBeNull();
    const change = await changeSerde.decode(carolChange!);
    expect(change.profile!.attributes.map((a) => a.name)).not.toContain('gender');
    // The state keeps the sensitive ones, for modelling.
    expect(
      await waitFor(async () => {
        const s = await redis.hgetBuffer(userKey('carol'), 's');
        const stored = s && decodeStoredUser(s);
        return stored?.kind === 'profile' && stored.state.attributes['gender']?.value === 'f';
      }, 30_000),
    ).toBe(true);

    // The platform's tombstone only compacts users.v1: counted, nothing changes, nothing dead-lettered.
    await producer.send(topics.users.name, [{ key: 'carol', value: null }]);
    expect(
      await waitFor(
        async () => (await metric(app, 'profile_fuser_events_skipped_total', (l) => l['reason'] === 'tombstone')) === 1,
        30_000,
      ),
    ).toBe(true);
    expect(await metric(app, 'profile_fuser_kafka_dead_lettered_total', (l) => l['topic'] === topics.users.name)).toBe(
      0,
    );
    await request(app.getHttpServer())
      .delete('/v1/profiles/carol')
      .set('authorization', 'Bearer secret-token')
      .expect(202);
    expect(await waitFor(async () => (await latestProfiles()).get('carol') === null, 30_000)).toBe(true);
    // An attribute record from before the erasure does not bring the user back.
    await producer.send(topics.users.name, [
      { key: 'carol', value: usersSerde.encode(attrs(t + 20, { country: 'AT' })) },
    ]);
    expect(
      await waitFor(
        async () =>
          (await metric(app, 'profile_fuser_events_skipped_total', (l) => l['reason'] === 'deleted_user')) >= 1,
        30_000,
      ),
    ).toBe(true);
    expect((await latestProfiles()).get('carol')).toBeNull();
    await stopApp(app);
  }, 120_000);

  it('keeps separate interests as clusters: published with their categories and label, served by the read API', async () => {
    const app = await startApp();
    // Two unrelated tastes: texts near one direction about drums, near another about headphones.
    const around = (axis: number, seed: number) =>
      Float32Array.from({ length: 64 }, (_, i) => (i === axis ? 1 : 0) + 0.05 * Math.sin(seed * 3.1 + i));
    const texts = [0, 1, 2].flatMap((k) => [
      embedded(`drums-${k}`, 'dana', {
        vector: packFloat32(around(3, k)),
        categories: ['drums'],
        itemId: `snare-${k}`,
      }),
      embedded(`phones-${k}`, 'dana', {
        vector: packFloat32(around(40, k + 10)),
        categories: ['headphones'],
        itemId: `phones-${k}`,
      }),
    ]);
    await sendEmbedded(texts);
    const published = async () => {
      const v = (await latestProfiles()).get('dana');
      return v ? await profileSerde.decode(v) : null;
    };
    expect(await waitFor(async () => (await published())?.eventCount === 6, 30_000)).toBe(true);
    const clusters = (await published())!.interestClusters;
    expect(clusters).toHaveLength(2);
    expect(clusters.map((c) => c.events)).toEqual([3, 3]);
    expect(clusters.map((c) => c.topCategories[0]).sort()).toEqual(['drums', 'headphones']);
    for (const c of clusters) {
      const v = unpackFloat32(c.vector);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
      expect(c.weight).toBeGreaterThan(0);
      expect(typeof c.label).toBe('string');
    }
    const drums = clusters.find((c) => c.topCategories[0] === 'drums')!;
    expect(unpackFloat32(drums.vector)[3]).toBeGreaterThan(0.9);
    expect(
      await waitFor(
        async () => (await request(app.getHttpServer()).get('/v1/profiles/dana')).body.interestClusters?.length === 2,
        30_000,
      ),
    ).toBe(true);
    const res = await request(app.getHttpServer()).get('/v1/profiles/dana').expect(200);
    expect(res.body.interestClusters[0].vector).toHaveLength(64);
    expect(res.body.interestClusters.map((c: { events: number }) => c.events)).toEqual([3, 3]);
    await stopApp(app);
  }, 120_000);

  it('reads and erases users of any id the stream accepts over HTTP (URL-encoded), reads behind their own token', async () => {
    const app = await startApp({ FUSER_API_READ_TOKEN: 'read-token' });
    const ids = ['a+b@example.com', '用户一', '}abc', 'x/y z'];
    await sendEmbedded(ids.map((id, i) => embedded(`odd-${i}`, id)));
    const get = (id: string, token?: string) => {
      const r = request(app.getHttpServer()).get(`/v1/profiles/${encodeURIComponent(id)}`);
      return token ? r.set('authorization', `Bearer ${token}`) : r;
    };
    for (const id of ids)
      expect(await waitFor(async () => (await get(id, 'read-token')).status === 200, 30_000)).toBe(true);
    expect((await get('用户一', 'read-token')).body).toMatchObject({ userId: '用户一', eventCount: 1 });
    // Read scope is its own: no token, or the deletion token, is refused.
    await get('用户一').expect(401);
    await get('用户一', 'secret-token').expect(401);
    await get('  ', 'read-token').expect(400);
    await get('u'.repeat(257), 'read-token').expect(400);

    await request(app.getHttpServer())
      .delete(`/v1/profiles/${encodeURIComponent('用户一')}`)
      .set('authorization', 'Bearer read-token')
      .expect(401);
    await request(app.getHttpServer())
      .delete(`/v1/profiles/${encodeURIComponent('用户一')}`)
      .set('authorization', 'Bearer secret-token')
      .expect(202);
    expect(await waitFor(async () => (await get('用户一', 'read-token')).status === 404, 60_000)).toBe(true);
    // Its history ends with the erasure: what was published before it is not shown again.
    const erasedHistory = await request(app.getHttpServer())
      .get(`/v1/profiles/${encodeURIComponent('用户一')}/history`)
      .set('authorization', 'Bearer read-token')
      .expect(200);
    expect(erasedHistory.body.points).toEqual([]);
    await get('a+b@example.com', 'read-token').expect(200);

    // Interests as published; vectors as asked: arrays (default), base64 float32, none.
    const asArrays = (await get('a+b@example.com', 'read-token')).body;
    expect(asArrays.interests.length).toBeGreaterThan(0);
    const base64 = (await get('a+b@example.com', 'read-token').query({ vectors: 'base64' })).body;
    const decoded = Buffer.from(base64.horizons[0].vector, 'base64');
    expect(Array.from(new Float32Array(decoded.buffer, decoded.byteOffset, decoded.byteLength / 4))).toEqual(
      asArrays.horizons[0].vector,
    );
    const bare = (await get('a+b@example.com', 'read-token').query({ vectors: 'none' })).body;
    expect(bare.horizons[0]).not.toHaveProperty('vector');
    expect(bare.horizons[0].weight).toBeGreaterThan(0);
    expect((await get('a+b@example.com', 'read-token').query({ vectors: 'floats' })).status).toBe(400);

    // A batch read: found, missing (the erased one and a stranger), each id once; bounded; behind the read token.
    const batch = (body: unknown, token = 'read-token') =>
      request(app.getHttpServer())
        .post('/v1/profiles/batch')
        .set('authorization', `Bearer ${token}`)
        .send(body as object);
    const answer = (
      await batch({ userIds: ['a+b@example.com', '}abc', '用户一', 'nobody', '}abc'], vectors: 'none' }).expect(200)
    ).body;
    expect(answer.profiles.map((p: { userId: string }) => p.userId)).toEqual(['a+b@example.com', '}abc']);
    expect(answer.profiles[0].horizons[0]).not.toHaveProperty('vector');
    expect(answer).toMatchObject({ missing: ['用户一', 'nobody'], restoring: [] });
    await batch({ userIds: [] }).expect(400);
    await batch({ userIds: Array.from({ length: 101 }, (_, i) => `u${i}`) }).expect(400);
    await batch({ userIds: ['ok', '  '] }).expect(400);
    await batch({ userIds: ['ok'] }, 'secret-token').expect(401);

    // The OpenAPI description lists every route, and the answers above match its schemas.
    const doc = (await request(app.getHttpServer()).get('/v1/openapi.json').expect(200)).body as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: { 'application/json': { schema: object } } }> }>
      >;
      components: { schemas: Record<string, object> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/profiles/{userId}',
        '/v1/profiles/{userId}/history',
        '/v1/profiles/batch',
        '/explorer',
      ]),
    );
    expect(Object.keys(doc.paths['/v1/profiles/{userId}']!).sort()).toEqual(['delete', 'get']);
    // OpenAPI's formats (int64, float, byte) are annotations here; types and shapes are checked.
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ components: doc.components }, 'doc');
    const schemaOf = (path: string, method: string) =>
      JSON.parse(
        JSON.stringify(doc.paths[path]![method]!.responses['200']!.content!['application/json'].schema).replace(
          /"#\/components/g,
          '"doc#/components',
        ),
      ) as object;
    const validProfile = ajv.compile(schemaOf('/v1/profiles/{userId}', 'get'));
    for (const body of [asArrays, base64, bare]) expect(validProfile(body) ? [] : validProfile.errors).toEqual([]);
    expect(validProfile({ ...asArrays, userId: 7 })).toBe(false);
    const validBatch = ajv.compile(schemaOf('/v1/profiles/batch', 'post'));
    expect(validBatch(answer) ? [] : validBatch.errors).toEqual([]);
    const validHistory = ajv.compile(schemaOf('/v1/profiles/{userId}/history', 'get'));
    const historyAnswer = (
      await get('a+b@example.com', 'read-token').then(() =>
        request(app.getHttpServer())
          .get(`/v1/profiles/${encodeURIComponent('a+b@example.com')}/history`)
          .set('authorization', 'Bearer read-token')
          .expect(200),
      )
    ).body;
    expect(historyAnswer.points.length).toBeGreaterThan(0);
    expect(validHistory(historyAnswer) ? [] : validHistory.errors).toEqual([]);
    await stopApp(app);
  }, 120_000);

  it("with the encoder's PCA projection, builds profiles in the projected space and skips unprojected embeddings", async () => {
    // A projection of the fixture's 64 dimensions onto its first 8 axes.
    const dir = mkdtempSync(join(tmpdir(), 'pf-projection-'));
    const projectionFile = join(dir, 'pca8.json');
    saveProjection(projectionFile, {
      id: 'pca8-test',
      modelId,
      inputDim: 64,
      outputDim: 8,
      mean: new Array(64).fill(0),
      components: Array.from({ length: 8 }, (_, c) => Array.from({ length: 64 }, (_, d) => (d === c ? 1 : 0))),
      explainedVarianceRatio: new Array(8).fill(0.1),
      fittedOn: 1,
    });
    const projectedPrefix = `${uniqueName('pfp')}.`;
    const projectedTopics = topicCatalog(projectedPrefix);
    const app = await startApp({
      KAFKA_TOPIC_PREFIX: projectedPrefix,
      REDIS_KEY_PREFIX: projectedPrefix,
      FUSER_PROJECTION_FILE: projectionFile,
    });

    const projected = embedded('pr1', 'pat', {
      projectionId: 'pca8-test',
      dim: 8,
      vector: packFloat32(vec(3).subarray(0, 8)),
    });
    const unprojected = embedded('pr2', 'pat');
    await producer.send(
      projectedTopics.textsEmbedded.name,
      [projected, unprojected].map((r) => ({ key: r.userId, value: embeddedSerde.encode(r) })),
    );
    expect(
      await waitFor(async () => (await metric(app, 'profile_fuser_kafka_message_outcomes_total')) === 2, 30_000),
    ).toBe(true);
    expect(await metric(app, 'profile_fuser_events_skipped_total', (l) => l['reason'] === 'other_model')).toBe(1);

    expect(
      await waitFor(async () => (await request(app.getHttpServer()).get('/v1/profiles/pat')).status === 200, 10_000),
    ).toBe(true);
    const res = await request(app.getHttpServer()).get('/v1/profiles/pat').expect(200);
    expect(res.body).toMatchObject({ userId: 'pat', modelId, projectionId: 'pca8-test', dim: 8, eventCount: 1 });
    expect(res.body.horizons[0].vector).toHaveLength(8);
    expect(await redis.exists(`${projectedPrefix}{pf-${partitionForKey('pat', 2)}}:${modelId}+pca8-test:u:pat`)).toBe(
      1,
    );
    expect(await waitFor(async () => (await latestProfiles(projectedPrefix)).has('pat'), 10_000)).toBe(true);
    const published = [await profileSerde.decode((await latestProfiles(projectedPrefix)).get('pat')!)];
    expect(published[0]).toMatchObject({ userId: 'pat', projectionId: 'pca8-test', dim: 8 });
    // Interest labels were embedded through the same projection, so they score in this space.
    expect(published[0]!.interests.length).toBeGreaterThan(0);
    await stopApp(app);
    const keys = await redis.keys(`${projectedPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }, 120_000);

  it("dead-letters the events of a user whose stored state it cannot read, and applies everyone else's", async () => {
    // As after a rollback: a state written by a newer release (here, an unknown codec version).
    await redis.hset(userKey('mallory'), 's', Buffer.from([99, 1, 2, 3]), 'v', '1');
    const app = await startApp();
    const before = await metric(app, 'profile_fuser_events_applied_total', (l) => l['kind'] === 'text');
    await sendEmbedded([embedded('m1', 'mallory'), embedded('o1', 'oscar')]);
    const dlqTopic = `${topics.textsEmbedded.name}.dlq`;
    const letters = await readTopic(kafka, dlqTopic, 1, 30_000);
    const letter = letters.find((m) => m.key?.toString() === 'mallory');
    expect(letter?.headers['ps-dlq-reason']?.toString()).toBe('undecodable_state');
    expect(letter?.headers['ps-dlq-detail']?.toString()).toMatch(/stored state of mallory cannot be read/);
    expect(
      await waitFor(
        async () =>
          (await metric(app, 'profile_fuser_events_applied_total', (l) => l['kind'] === 'text')) === before + 1,
        30_000,
      ),
    ).toBe(true);
    expect(
      await waitFor(async () => (await request(app.getHttpServer()).get('/v1/profiles/oscar')).status === 200, 10_000),
    ).toBe(true);
    await stopApp(app);
  }, 120_000);
});
