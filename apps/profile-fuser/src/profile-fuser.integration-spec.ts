import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  SingleObjectSerde,
  packFloat32,
  topicCatalog,
  type Click,
  type EmbeddedText,
  type ProfileChange,
} from '@profilestream/contracts';
import { BatchingProducer, silentLog } from '@profilestream/kafka';
import { readTopic, testKafka, uniqueName, waitFor } from '@profilestream/kafka/testing';
import { loadModelBundle, saveProjection } from '@profilestream/inference';
import { MetricsService } from '@profilestream/observability';
import { testRedis } from '@profilestream/redis/testing';
import type { RedisClient } from '@profilestream/redis';
import { AppModule } from './app.module';
import { loadProfileFuserConfig } from './config/profile-fuser.config';
import { ProfileFuserService } from './fusion/profile-fuser.service';
import { ProfileStore } from './fusion/profile.store';
import { restoreProfiles } from './restore/restore-profiles';

const fixture = join(__dirname, '../../../libs/encoder/fixtures/tiny-bert');
const embeddedSerde = new SingleObjectSerde('EmbeddedText');
const clickSerde = new SingleObjectSerde('Click');
const profileSerde = new SingleObjectSerde('UserProfile');
const changeSerde = new SingleObjectSerde('ProfileChange');
const DAY = 86_400_000;

/** A deterministic unit-ish vector of the fixture's dimension. */
function vec(seed: number): Float32Array {
  return Float32Array.from({ length: 64 }, (_, i) => Math.sin(seed * 7.3 + i * 0.37));
}

describe('profile-fuser on the real broker and Redis', () => {
  const prefix = `${uniqueName('pf')}.`;
  const topics = topicCatalog(prefix);
  const kafka = testKafka();
  const producer = new BatchingProducer(kafka, { log: silentLog });
  const apps: INestApplication[] = [];
  let redis: RedisClient;
  let modelId: string;
  const env = {
    ...process.env,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: '2',
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    FUSER_MODEL_DIR: fixture,
    FUSER_MODEL_VARIANT: 'fp32',
    FUSER_PUBLISH_INTERVAL_MS: '200',
    FUSER_API_TOKEN: 'secret-token',
  };

  async function startApp(): Promise<INestApplication> {
    const app = await NestFactory.create(AppModule.forRoot(loadProfileFuserConfig(env)), { logger: false });
    await app.init();
    apps.push(app);
    await waitFor(async () => (await request(app.getHttpServer()).get('/health/ready')).status === 200, 60_000);
    return app;
  }

  async function stopApp(app: INestApplication): Promise<void> {
    apps.splice(apps.indexOf(app), 1);
    await app.close();
  }

  const metric = async (app: INestApplication, name: string, filter: (l: Partial<Record<string, string | number>>) => boolean = () => true) =>
    (await app.get(MetricsService).registry.getSingleMetric(name)!.get()).values.filter((v) => filter(v.labels)).reduce((s, v) => s + v.value, 0);

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
    producer.send(topics.textsEmbedded.name, records.map((r) => ({ key: r.userId ?? r.itemId, value: embeddedSerde.encode(r) })));
  const sendClicks = (records: Click[]) => producer.send(topics.clicks.name, records.map((r) => ({ key: r.userId, value: clickSerde.encode(r) })));

  beforeAll(async () => {
    modelId = (await loadModelBundle(fixture, 'fp32')).modelId;
    redis = await testRedis();
    await producer.connect();
  }, 60_000);

  afterAll(async () => {
    for (const app of [...apps]) await app.close();
    await producer.disconnect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('fuses texts and clicks into profiles, stores them in Redis and publishes them on both topics', async () => {
    const app = await startApp();
    const now = Date.now();
    await sendEmbedded([
      embedded('item-desc', null, { source: 'item', itemId: 'guitar-1', userId: null, categories: ['guitars'], rating: null }),
      embedded('r1', 'alice'),
      embedded('r2', 'alice', { rating: 1, occurredAt: now - 2 * DAY }),
      embedded('p1', 'alice', { source: 'post', itemId: null, rating: null }),
      embedded('other-model', 'alice', { modelId: 'someone-else@00000000' }),
    ]);
    expect(await waitFor(async () => (await metric(app, 'profile_fuser_kafka_message_outcomes_total')) === 5, 30_000)).toBe(true);
    await sendClicks([
      { eventId: 'c1', userId: 'alice', itemId: 'guitar-1', action: 'purchase', dwellMs: 1000, platform: 'test', occurredAt: now - 1000 },
      { eventId: 'c2', userId: 'alice', itemId: 'unknown-item', action: 'view', dwellMs: null, platform: 'test', occurredAt: now - 500 },
    ]);
    expect(await waitFor(async () => (await metric(app, 'profile_fuser_kafka_message_outcomes_total')) === 7, 30_000)).toBe(true);
    expect(await metric(app, 'profile_fuser_events_skipped_total', (l) => l['reason'] === 'other_model')).toBe(1);
    expect(await metric(app, 'profile_fuser_clicks_without_item_vector_total')).toBe(1);

    // The read API: decayed to now.
    const res = await request(app.getHttpServer()).get('/v1/profiles/alice').expect(200);
    expect(res.body).toMatchObject({ userId: 'alice', modelId, dim: 64, ratingCount: 2, eventCount: 5 });
    expect(res.body.horizons.map((h: { name: string }) => h.name)).toEqual(['1d', '7d', '90d']);
    expect(res.body.horizons[0].vector).toHaveLength(64);
    expect(res.body.negative.weight).toBeGreaterThan(0);
    const counters = Object.fromEntries(res.body.counters.map((c: { channel: string; action: string | null; total: number }) => [`${c.channel}:${c.action}`, c.total]));
    expect(counters).toMatchObject({ 'review:null': 2, 'post:null': 1, 'click:purchase': 1, 'click:view': 1 });
    expect(res.body.categoryAffinities[0]).toMatchObject({ label: 'guitars' });
    await request(app.getHttpServer()).get('/v1/profiles/nobody').expect(404);
    await request(app.getHttpServer()).get('/v1/profiles/bad%20id%3F').expect(400);

    // Published: the compacted topic carries the latest state, the changelog every publish.
    const published = await Promise.all((await readTopic(kafka, topics.profiles.name, 1, 10_000)).map((m) => profileSerde.decode(m.value!)));
    const latest = published.filter((p) => p.userId === 'alice').sort((a, b) => b.version - a.version)[0]!;
    expect(latest.interests.length).toBeGreaterThan(0);
    expect(latest.state).not.toBeNull();
    const changes: ProfileChange[] = await Promise.all((await readTopic(kafka, topics.profilesChangelog.name, 1, 10_000)).map((m) => changeSerde.decode(m.value!)));
    expect(changes[0]).toMatchObject({ userId: 'alice', kind: 'update' });
    // The changelog carries the published view only; the exact state rides on profiles.v1.
    expect(changes[0]!.profile).toMatchObject({ userId: 'alice', state: null });
    expect(changes[0]!.profile!.horizons.length).toBeGreaterThan(0);
    const latencyCount = async () =>
      (await app.get(MetricsService).registry.getSingleMetric('profile_fuser_event_to_profile_seconds')!.get()).values.find((v) => (v as { metricName?: string }).metricName === 'profile_fuser_event_to_profile_seconds_count')?.value ?? 0;
    expect(await waitFor(async () => (await latencyCount()) > 0, 10_000)).toBe(true);
    await stopApp(app);
  }, 120_000);

  it('leaves every counter and vector exactly as before when uncommitted events are redelivered', async () => {
    const profileKey = `${prefix}{alice}:profile:${modelId}`;
    const before = await redis.hgetBuffer(profileKey, 'state');
    expect(before).not.toBeNull();
    // As if the fuser had written Redis but died before committing: every event comes again.
    const admin = kafka.admin();
    await admin.connect();
    for (const t of [topics.textsEmbedded.name, topics.clicks.name]) await admin.resetOffsets({ groupId: `${prefix}profile-fuser`, topic: t, earliest: true });
    await admin.disconnect();
    const app = await startApp();
    expect(await waitFor(async () => (await metric(app, 'profile_fuser_kafka_message_outcomes_total')) >= 7, 30_000)).toBe(true);
    expect(await metric(app, 'profile_fuser_events_skipped_total', (l) => l['reason'] === 'duplicate')).toBe(5);
    expect((await redis.hgetBuffer(profileKey, 'state'))!.equals(before!)).toBe(true);
    await stopApp(app);
  }, 120_000);

  it('restores every profile into an empty Redis exactly as it was, from the compacted topic', async () => {
    const keys = await redis.keys(`${prefix}{*}:profile:*`);
    const before = new Map<string, Buffer>();
    for (const k of keys) before.set(k, (await redis.hgetBuffer(k, 'state'))!);
    expect(before.size).toBeGreaterThan(0);
    await redis.del(...(await redis.keys(`${prefix}{*`)));
    const report = await restoreProfiles(kafka, topics.profiles.name, profileSerde, new ProfileStore(redis, prefix));
    expect(report.restored).toBe(before.size);
    for (const [k, state] of before) expect((await redis.hgetBuffer(k, 'state'))!.equals(state)).toBe(true);
  }, 60_000);

  it('loses nothing while two instances share the group through a rebalance', async () => {
    const first = await startApp();
    const users = Array.from({ length: 12 }, (_, i) => `u${i}`);
    const clicks = (round: number): Click[] =>
      users.map((userId, i) => ({ eventId: `k${round}-${i}`, userId, itemId: 'guitar-1', action: 'click', dwellMs: null, platform: 'test', occurredAt: Date.now() - 10 }));
    await sendClicks(clicks(0));
    const second = await startApp(); // joins the group: partitions move
    for (let round = 1; round < 5; round++) await sendClicks(clicks(round));
    const total = async () => (await metric(first, 'profile_fuser_events_applied_total')) + (await metric(second, 'profile_fuser_events_applied_total'));
    expect(await waitFor(async () => (await total()) >= 60, 60_000)).toBe(true);
    for (const userId of users) {
      const res = await request(first.getHttpServer()).get(`/v1/profiles/${userId}`).expect(200);
      const clickCounter = res.body.counters.find((c: { channel: string; action: string }) => c.channel === 'click' && c.action === 'click');
      expect(clickCounter.total).toBe(5);
    }
    await stopApp(second);
    await stopApp(first);
  }, 180_000);

  it('erases a user: no key left, a tombstone published, and an old replayed event does not bring them back', async () => {
    const app = await startApp();
    const requestedAt = Date.now();
    await request(app.getHttpServer()).delete('/v1/profiles/alice').expect(401);
    await request(app.getHttpServer()).delete('/v1/profiles/alice').set('authorization', 'Bearer secret-token').expect(202);
    expect(await waitFor(async () => (await metric(app, 'profile_fuser_events_applied_total', (l) => l['kind'] === 'deletion')) === 1, 60_000)).toBe(true);
    const { profiles } = app.get(ProfileFuserService).context!;
    const remaining = (await profiles.keysOf('alice')).filter((k) => !k.endsWith(':deleted'));
    expect(remaining).toEqual([]);
    const tombstones = (await readTopic(kafka, topics.profiles.name, 100, 5_000)).filter((m) => m.key?.toString() === 'alice' && m.value === null);
    expect(tombstones.length).toBeGreaterThan(0);

    await sendEmbedded([embedded('late', 'alice', { occurredAt: requestedAt - DAY })]);
    expect(await waitFor(async () => (await metric(app, 'profile_fuser_events_skipped_total', (l) => l['reason'] === 'deleted_user')) === 1, 30_000)).toBe(true);
    expect((await profiles.keysOf('alice')).filter((k) => !k.endsWith(':deleted'))).toEqual([]);
    await request(app.getHttpServer()).get('/v1/profiles/alice').expect(404);
    await stopApp(app);
  }, 120_000);

  it('with the encoder\'s PCA projection, builds profiles in the projected space and skips unprojected embeddings', async () => {
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
    const app = await NestFactory.create(
      AppModule.forRoot(loadProfileFuserConfig({ ...env, KAFKA_TOPIC_PREFIX: projectedPrefix, REDIS_KEY_PREFIX: projectedPrefix, FUSER_PROJECTION_FILE: projectionFile })),
      { logger: false },
    );
    await app.init();
    apps.push(app);
    expect(await waitFor(async () => (await request(app.getHttpServer()).get('/health/ready')).status === 200, 60_000)).toBe(true);

    const projected = embedded('pr1', 'pat', { projectionId: 'pca8-test', dim: 8, vector: packFloat32(vec(3).subarray(0, 8)) });
    const unprojected = embedded('pr2', 'pat');
    await producer.send(projectedTopics.textsEmbedded.name, [projected, unprojected].map((r) => ({ key: r.userId, value: embeddedSerde.encode(r) })));
    expect(await waitFor(async () => (await metric(app, 'profile_fuser_kafka_message_outcomes_total')) === 2, 30_000)).toBe(true);
    expect(await metric(app, 'profile_fuser_events_skipped_total', (l) => l['reason'] === 'other_model')).toBe(1);

    const res = await request(app.getHttpServer()).get('/v1/profiles/pat').expect(200);
    expect(res.body).toMatchObject({ userId: 'pat', modelId, projectionId: 'pca8-test', dim: 8, eventCount: 1 });
    expect(res.body.horizons[0].vector).toHaveLength(8);
    expect(await redis.exists(`${projectedPrefix}{pat}:profile:${modelId}+pca8-test`)).toBe(1);
    const published = await Promise.all((await readTopic(kafka, projectedTopics.profiles.name, 1, 10_000)).map((m) => profileSerde.decode(m.value!)));
    expect(published[0]).toMatchObject({ userId: 'pat', projectionId: 'pca8-test', dim: 8 });
    // Interest labels were embedded through the same projection, so they score in this space.
    expect(published[0]!.interests.length).toBeGreaterThan(0);
    await stopApp(app);
    const keys = await redis.keys(`${projectedPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }, 120_000);

  it('dead-letters the events of a user whose stored state it cannot read, and applies everyone else\'s', async () => {
    // As after a rollback: a state written by a newer release (here, an unknown codec version).
    await redis.hset(`${prefix}{mallory}:profile:${modelId}`, 'state', Buffer.from([99, 1, 2, 3]), '_v', '1');
    const app = await startApp();
    const before = await metric(app, 'profile_fuser_events_applied_total', (l) => l['kind'] === 'text');
    await sendEmbedded([embedded('m1', 'mallory'), embedded('o1', 'oscar')]);
    const dlqTopic = `${topics.textsEmbedded.name}.dlq`;
    const letters = await readTopic(kafka, dlqTopic, 1, 30_000);
    const letter = letters.find((m) => m.key?.toString() === 'mallory');
    expect(letter?.headers['ps-dlq-reason']?.toString()).toBe('undecodable_state');
    expect(letter?.headers['ps-dlq-detail']?.toString()).toMatch(/stored state of mallory cannot be read/);
    expect(await waitFor(async () => (await metric(app, 'profile_fuser_events_applied_total', (l) => l['kind'] === 'text')) === before + 1, 30_000)).toBe(true);
    await request(app.getHttpServer()).get('/v1/profiles/oscar').expect(200);
    await stopApp(app);
  }, 120_000);
});
