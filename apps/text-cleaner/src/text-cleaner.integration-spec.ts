import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { SingleObjectSerde, dlqTopicName, type CleanedText } from '@profilestream/contracts';
import { DLQ_HEADERS } from '@profilestream/kafka';
import { readTopic, waitFor } from '@profilestream/kafka/testing';
import { ServiceHarness } from '@profilestream/stream-service/testing';
import { AppModule } from './app.module';
import { loadTextCleanerConfig } from './config/text-cleaner.config';

const reviewSerde = new SingleObjectSerde('Review');
const postSerde = new SingleObjectSerde('Post');
const itemSerde = new SingleObjectSerde('Item');
const cleanedSerde = new SingleObjectSerde('CleanedText');

describe('text-cleaner on the real broker and Redis', () => {
  const harness = new ServiceHarness(
    { load: loadTextCleanerConfig, module: (config) => AppModule.forRoot(config) },
    'tc',
  );
  const { topics, kafka, producer } = harness;
  let app: INestApplication;

  beforeAll(async () => {
    app = await harness.start({}, { ready: false });
  });

  afterAll(() => harness.close());

  const sum = (name: string, filter?: (labels: Partial<Record<string, string | number>>) => boolean) =>
    harness.metric(app, name, filter);

  it('cleans, redacts, deduplicates and dead-letters a mixed stream, accounting for every event', async () => {
    const now = Date.now();
    const review = (
      eventId: string,
      userId: string,
      text: string,
      extra: Partial<{ occurredAt: number; rating: number }> = {},
    ) => ({
      key: userId,
      value: reviewSerde.encode({
        eventId,
        userId,
        itemId: 'guitar-1',
        text,
        rating: 5,
        platform: 'shop',
        occurredAt: now - 60_000,
        ...extra,
      }),
    });
    await waitFor(async () => (await request(app.getHttpServer()).get('/health/ready')).status === 200, 30_000);

    await producer.send(topics.reviews.name, [
      review('r1', 'alice', '<p>Great <b>strings</b>! Mail me at alice.smith@example.com</p>'),
      review('r2', 'alice', 'Great strings! Mail me at alice.smith@example.com'), // same cleaned text, same user
      review('r3', 'bob', 'Great strings! Mail me at alice.smith@example.com'), // same text, another user
      review('r4', 'carol', 'Arrives tomorrow?', { occurredAt: now + 86_400_000 }),
      review('r5', '', 'No author'),
      review('r6', 'dave', '!!!??? ... ###'),
      { key: 'mallory', value: Buffer.from('<xml>not avro</xml>') },
    ]);
    await producer.send(topics.posts.name, [
      {
        key: 'li',
        value: postSerde.encode({
          eventId: 'p1',
          userId: 'li',
          text: '这把吉他音色很好，有问题请打13812345678联系我',
          tags: ['music', 'li@example.com'],
          platform: 'forum',
          occurredAt: now - 1000,
        }),
      },
    ]);
    await producer.send(topics.items.name, [
      {
        key: 'guitar-1',
        value: itemSerde.encode({
          itemId: 'guitar-1',
          title: 'Nylon strings',
          description: 'Soft &amp; warm tone.',
          categories: ['strings'],
          occurredAt: now - 5000,
        }),
      },
    ]);
    const consumedTotal = 9;

    expect(
      await waitFor(async () => (await sum('text_cleaner_kafka_message_outcomes_total')) === consumedTotal, 30_000),
    ).toBe(true);

    // consumed = cleaned + dead-lettered + dropped, exactly.
    const consumed = await sum('text_cleaner_kafka_consumed_messages_total');
    const cleaned = await sum('text_cleaner_texts_cleaned_total');
    const dropped = await sum('text_cleaner_texts_dropped_total');
    const deadLettered = await sum('text_cleaner_texts_dead_lettered_total');
    expect({ consumed, cleaned, dropped, deadLettered }).toEqual({
      consumed: 9,
      cleaned: 4,
      dropped: 2,
      deadLettered: 3,
    });
    expect(await sum('text_cleaner_texts_dropped_total', (l) => l['reason'] === 'duplicate')).toBe(1);
    expect(await sum('text_cleaner_texts_dropped_total', (l) => l['reason'] === 'only_symbols')).toBe(1);
    // Redactions count what cleaning removed, the duplicate's included (it was cleaned, then dropped).
    expect(await sum('text_cleaner_redactions_total', (l) => l['type'] === 'email')).toBe(4);
    expect(await sum('text_cleaner_redactions_total', (l) => l['type'] === 'phone')).toBe(1);

    const outputs = await Promise.all(
      (await readTopic(kafka, topics.textsCleaned.name, 4)).map((m) => cleanedSerde.decode(m.value!)),
    );
    const byEvent = new Map<string, CleanedText>(outputs.map((o) => [o.eventId, o]));
    expect([...byEvent.keys()].sort()).toEqual(['item:guitar-1:' + (now - 5000), 'p1', 'r1', 'r3'].sort());
    expect(byEvent.get('r1')).toMatchObject({
      source: 'review',
      userId: 'alice',
      itemId: 'guitar-1',
      text: 'Great strings! Mail me at [EMAIL]',
      lang: 'en',
      rating: 5,
    });
    expect(byEvent.get('r1')!.redactions).toEqual({ email: 1 });
    expect(byEvent.get('r1')!.contentHash).toBe(byEvent.get('r3')!.contentHash);
    expect(byEvent.get('p1')).toMatchObject({ source: 'post', lang: 'zh', tags: ['music', '[EMAIL]'] });
    expect(byEvent.get('p1')!.text).toContain('[PHONE]');
    expect(byEvent.get('p1')!.text).not.toContain('13812345678');
    expect(byEvent.get(`item:guitar-1:${now - 5000}`)).toMatchObject({
      source: 'item',
      userId: null,
      text: 'Nylon strings. Soft & warm tone.',
      categories: ['strings'],
    });
    for (const o of outputs) expect(o.ingestedAt).toBeGreaterThan(0);

    const letters = await readTopic(kafka, dlqTopicName(topics.reviews.name), 3);
    const reasons = letters.map((l) => l.headers[DLQ_HEADERS.reason]!.toString()).sort();
    expect(reasons).toEqual(['future_timestamp', 'missing_id', 'unknown_framing']);
    for (const l of letters) {
      expect(l.headers[DLQ_HEADERS.stage]!.toString()).toBe('text-cleaner');
      expect(l.headers[DLQ_HEADERS.sourceTopic]!.toString()).toBe(topics.reviews.name);
    }
    const raw = letters.find((l) => l.headers[DLQ_HEADERS.reason]!.toString() === 'unknown_framing')!;
    expect(raw.value!.toString()).toBe('<xml>not avro</xml>');

    // Outputs, dead letters and offsets went out in transactions (KAFKA_EXACTLY_ONCE defaults to true).
    expect(await sum('text_cleaner_kafka_transactions_total', (l) => l['outcome'] === 'committed')).toBeGreaterThan(0);
    expect(await sum('text_cleaner_kafka_transactions_total', (l) => l['outcome'] !== 'committed')).toBe(0);

    const metricsText = (await request(app.getHttpServer()).get('/metrics')).text;
    expect(metricsText).toMatch(/text_cleaner_texts_cleaned_total\{source="post",lang="zh"\} 1/);
  });

  it('keys repeats on author, item and text, in event time: another item, or a replayed old event, is no repeat', async () => {
    await waitFor(async () => (await request(app.getHttpServer()).get('/health/ready')).status === 200, 30_000);
    const text = 'Works great, would buy again';
    const now = Date.now();
    const year = 365 * 86_400_000;
    const review = (eventId: string, itemId: string, occurredAt: number) => ({
      key: 'finn',
      value: reviewSerde.encode({ eventId, userId: 'finn', itemId, text, rating: 5, platform: 'shop', occurredAt }),
    });
    const cleanedFor = async () =>
      (
        await Promise.all(
          (await readTopic(kafka, topics.textsCleaned.name, 20, 3000)).map((m) => cleanedSerde.decode(m.value!)),
        )
      ).filter((o) => o.userId === 'finn');
    const duplicatesBefore = await sum('text_cleaner_texts_dropped_total', (l) => l['reason'] === 'duplicate');
    await producer.send(topics.reviews.name, [
      review('finn-1', 'capo-1', now - 1000),
      review('finn-2', 'tuner-2', now - 900), // the same short text about another item: an opinion of its own
      review('finn-3', 'capo-1', now - 800), // the same text about the same item: a double submit
      // A backfill of a year-old review with the same text and item: a year apart in event time.
      review('finn-4', 'capo-1', now - year),
      review('finn-5', 'capo-1', now - year + 1000), // ...and its own double submit, a second later then
    ]);
    expect(
      await waitFor(
        async () =>
          (await sum('text_cleaner_texts_dropped_total', (l) => l['reason'] === 'duplicate')) === duplicatesBefore + 2,
        30_000,
      ),
    ).toBe(true);
    expect(
      await waitFor(
        async () =>
          (await cleanedFor())
            .map((o) => o.eventId)
            .sort()
            .join() === 'finn-1,finn-2,finn-4',
        30_000,
      ),
    ).toBe(true);
  });

  it("forgets an erased user's texts: the same text sent again after the erasure is cleaned, not dropped as a repeat", async () => {
    await waitFor(async () => (await request(app.getHttpServer()).get('/health/ready')).status === 200, 30_000);
    const text = 'Bright attack and a long sustain on this one';
    const review = (eventId: string) => ({
      key: 'erin',
      value: reviewSerde.encode({
        eventId,
        userId: 'erin',
        itemId: 'amp-9',
        text,
        rating: 4,
        platform: 'shop',
        occurredAt: Date.now() - 1000,
      }),
    });
    const cleanedFor = async () =>
      (
        await Promise.all(
          (await readTopic(kafka, topics.textsCleaned.name, 10_000, 3000)).map((m) => cleanedSerde.decode(m.value!)),
        )
      ).filter((o) => o.userId === 'erin');
    await producer.send(topics.reviews.name, [review('erin-1')]);
    expect(await waitFor(async () => (await cleanedFor()).length === 1, 30_000)).toBe(true);
    await producer.send(topics.reviews.name, [review('erin-2')]);
    expect(
      await waitFor(
        async () => (await sum('text_cleaner_texts_dropped_total', (l) => l['reason'] === 'duplicate')) >= 2,
        30_000,
      ),
    ).toBe(true);

    await producer.send(topics.userDeletions.name, [
      { key: 'erin', value: new SingleObjectSerde('UserDeletion').encode({ userId: 'erin', requestedAt: Date.now() }) },
    ]);
    expect(await waitFor(async () => (await sum('text_cleaner_erasures_total')) === 1, 60_000)).toBe(true);
    await producer.send(topics.reviews.name, [review('erin-3')]);
    expect(
      await waitFor(
        async () =>
          (await cleanedFor())
            .map((o) => o.eventId)
            .sort()
            .join() === 'erin-1,erin-3',
        30_000,
      ),
    ).toBe(true);
  });
});
