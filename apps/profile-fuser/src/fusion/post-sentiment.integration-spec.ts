import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { SingleObjectSerde, packFloat32, type EmbeddedText, type UserProfile } from '@profilestream/contracts';
import { readTopic, waitFor } from '@profilestream/kafka/testing';
import { loadModelBundle } from '@profilestream/inference';
import { ServiceHarness } from '@profilestream/stream-service/testing';
import { testRedis } from '@profilestream/redis/testing';
import type { RedisClient } from '@profilestream/redis';
import {
  SENTIMENT_MODEL_FORMAT,
  scoreSentiment,
  serializeSentimentModel,
  type SentimentModel,
} from '@profilestream/sentiment';
import { AppModule } from '../app.module';
import { loadProfileFuserConfig } from '../config/profile-fuser.config';

const fixture = join(__dirname, '../../../../libs/shared/fixtures/tiny-bert');
const embeddedSerde = new SingleObjectSerde('EmbeddedText');
const profileSerde = new SingleObjectSerde('UserProfile');
const DAY = 86_400_000;

/** A fixed direction of the fixture's dimension: the hand-made classifier calls it positive. */
const direction = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 0.37 + 1) / 4);
const scaled = (k: number) => direction.map((x) => k * x);

describe('post sentiment in published profiles, on the real broker and Redis', () => {
  const harness = new ServiceHarness(
    { load: loadProfileFuserConfig, module: (config) => AppModule.forRoot(config) },
    'pfs',
    {
      KAFKA_TOPIC_PARTITIONS: '1',
      FUSER_MODEL_DIR: fixture,
      FUSER_MODEL_VARIANT: 'fp32',
      FUSER_PUBLISH_INTERVAL_MS: '100',
    },
  );
  const { prefix, topics, kafka, producer } = harness;
  let redis: RedisClient;
  let modelId: string;
  const startApp = (extra: Record<string, string>) => harness.start(extra);
  const metric = (
    app: INestApplication,
    name: string,
    filter?: (l: Partial<Record<string, string | number>>) => boolean,
  ) => harness.metric(app, name, filter);

  function embedded(
    eventId: string,
    userId: string,
    source: 'post' | 'review',
    vector: Float32Array,
    occurredAt: number,
  ): EmbeddedText {
    return {
      eventId,
      source,
      userId,
      itemId: source === 'review' ? 'guitar-1' : null,
      lang: 'en',
      contentHash: eventId,
      rating: source === 'review' ? 5 : null,
      tags: [],
      categories: [],
      platform: 'test',
      occurredAt,
      ingestedAt: Date.now() - 100,
      modelId,
      projectionId: null,
      dim: 64,
      vector: packFloat32(vector),
      tokenCount: 5,
      truncated: false,
      timing: { cacheHit: false, queuedMs: 1, inferenceMs: 2, embeddedAt: Date.now() },
    };
  }

  const send = (records: EmbeddedText[]) =>
    producer.send(
      topics.textsEmbedded.name,
      records.map((r) => ({ key: r.userId, value: embeddedSerde.encode(r) })),
    );

  /** The newest profile of `userId` on the compacted topic (everything published within a few seconds is read). */
  async function latestProfile(userId: string): Promise<UserProfile | undefined> {
    const messages = (await readTopic(kafka, topics.profiles.name, 1_000, 4_000)).filter(
      (m) => m.key?.toString() === userId && m.value,
    );
    const profiles = await Promise.all(messages.map((m) => profileSerde.decode(m.value!)));
    return profiles.sort((a, b) => b.version - a.version)[0];
  }

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

  it('counts posts it cannot score when the classifier was trained on another model, and scores none', async () => {
    // The shipped classifier belongs to all-MiniLM-L6-v2; the profiles here are built with the tiny fixture.
    const app = await startApp({});
    const now = Date.now();
    await send([
      embedded('bob-p1', 'bob', 'post', scaled(1), now - DAY),
      embedded('bob-r1', 'bob', 'review', scaled(1), now - DAY),
    ]);
    expect(
      await waitFor(
        async () => (await metric(app, 'profile_fuser_events_applied_total', (l) => l['kind'] === 'text')) === 2,
        30_000,
      ),
    ).toBe(true);
    expect(await metric(app, 'profile_fuser_sentiment_unscored_total', (l) => l['reason'] === 'model_mismatch')).toBe(
      1,
    ); // the post; reviews are never scored
    expect(await metric(app, 'profile_fuser_sentiment_scored_total')).toBe(0);
    expect(await waitFor(async () => (await latestProfile('bob')) !== undefined, 20_000)).toBe(true);
    const shippedId = loadProfileFuserConfig(harness.env()).sentiment.model.id;
    expect((await latestProfile('bob'))!.sentiment).toEqual({
      classifierId: shippedId,
      positive: 0,
      negative: 0,
      meanPositive: null,
      scored: 0,
      halfLifeMs: 90 * DAY,
      refTime: 0,
    });
    await harness.stop(app);
  }, 120_000);

  it("scores posts with a classifier trained on the profiles' model and publishes the summary", async () => {
    const classifier: SentimentModel = {
      format: SENTIMENT_MODEL_FORMAT,
      formatVersion: 1,
      id: 'sentiment-test-direction',
      kind: 'logistic-regression',
      embedding: { modelId, projectionId: null, dim: 64 },
      weights: Array.from(direction, (x) => 8 * x),
      bias: 0,
      threshold: 0.5,
      training: null,
      metrics: null,
    };
    const file = join(mkdtempSync(join(tmpdir(), 'pfs-')), 'classifier.json');
    writeFileSync(file, serializeSentimentModel(classifier));
    const app = await startApp({ FUSER_SENTIMENT_MODEL_FILE: file });
    const now = Date.now();
    const liked = scaled(1);
    const disliked = scaled(-0.5);
    await send([
      embedded('carol-p1', 'carol', 'post', liked, now - 90 * DAY),
      embedded('carol-p2', 'carol', 'post', disliked, now),
      embedded('carol-r1', 'carol', 'review', disliked, now),
    ]);
    expect(
      await waitFor(
        async () => (await metric(app, 'profile_fuser_events_applied_total', (l) => l['kind'] === 'text')) === 3,
        30_000,
      ),
    ).toBe(true);
    expect(await metric(app, 'profile_fuser_sentiment_scored_total', (l) => l['label'] === 'positive')).toBe(1);
    expect(await metric(app, 'profile_fuser_sentiment_scored_total', (l) => l['label'] === 'negative')).toBe(1);
    expect(await metric(app, 'profile_fuser_sentiment_unscored_total')).toBe(0);

    // The older post weighs half (one 90-day half-life).
    const p1 = scoreSentiment(classifier, liked).probability;
    const p2 = scoreSentiment(classifier, disliked).probability;
    expect(p1).toBeGreaterThan(0.9);
    expect(p2).toBeLessThan(0.1);
    expect(await waitFor(async () => (await latestProfile('carol'))?.eventCount === 3, 20_000)).toBe(true);
    const { sentiment } = (await latestProfile('carol'))!;
    expect(sentiment).toEqual({
      classifierId: 'sentiment-test-direction',
      positive: 1,
      negative: 1,
      meanPositive: expect.closeTo((0.5 * p1 + p2) / 1.5, 6),
      scored: 1.5,
      halfLifeMs: 90 * DAY,
      refTime: now,
    });

    const res = await request(app.getHttpServer()).get('/v1/profiles/carol').expect(200);
    expect(res.body.sentiment).toMatchObject({ classifierId: 'sentiment-test-direction', positive: 1, negative: 1 });
    expect(res.body.sentiment.meanPositive).toBeCloseTo((0.5 * p1 + p2) / 1.5, 6);
    expect(res.body.sentiment.scored).toBeLessThanOrEqual(1.5);
  }, 120_000);
});
