import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import {
  SingleObjectSerde,
  dlqTopicName,
  unpackFloat32,
  type CleanedText,
  type EmbeddedText,
} from '@profilestream/contracts';
import { DLQ_HEADERS } from '@profilestream/kafka';
import { readTopic, waitFor } from '@profilestream/kafka/testing';
import { cosine } from '@profilestream/embedding';
import { ServiceHarness } from '@profilestream/stream-service/testing';
import { AppModule } from './app.module';
import { loadEncoderConfig } from './config/encoder.config';

const fixture = join(__dirname, '../../../libs/shared/fixtures/tiny-bert');
const cleanedSerde = new SingleObjectSerde('CleanedText');
const embeddedSerde = new SingleObjectSerde('EmbeddedText');

/** The tiny fixture plus one added token whose id is outside the embedding table: a text containing it cannot run. */
function poisonableModel(): string {
  const dir = mkdtempSync(join(tmpdir(), 'encoder-model-'));
  cpSync(fixture, dir, { recursive: true });
  const tokenizer = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { added_tokens: object[] };
  tokenizer.added_tokens.push({
    id: 5000,
    content: '[POISON]',
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  return dir;
}

function cleaned(eventId: string, text: string, userId = 'u1'): CleanedText {
  return {
    eventId,
    source: 'review',
    userId,
    itemId: 'i1',
    text,
    lang: 'en',
    contentHash: createHash('sha256').update(text).digest('hex'),
    originalLength: text.length,
    truncated: false,
    redactions: {},
    rating: 4,
    tags: [],
    categories: [],
    platform: 'test',
    occurredAt: Date.now() - 1000,
    ingestedAt: Date.now() - 500,
    cleanedAt: Date.now(),
  };
}

describe('encoder on the real broker and Redis', () => {
  const modelDir = poisonableModel();
  const harness = new ServiceHarness(
    { load: loadEncoderConfig, module: (config) => AppModule.forRoot(config) },
    'enc',
    {
      ENCODER_MODEL_DIR: modelDir,
      ENCODER_MODEL_VARIANT: 'fp32',
      ENCODER_WORKERS: '2',
      ENCODER_MAX_WAIT_MS: '20',
      ENCODER_QUEUE_HIGH_WATER: '8',
      ENCODER_QUEUE_LOW_WATER: '2',
      ENCODER_CHUNK_MESSAGES: '50',
    },
  );
  const { topics, kafka, producer } = harness;
  let app: INestApplication;
  const metric = (name: string, reason?: string) =>
    harness.metric(app, name, reason === undefined ? undefined : (labels) => labels['reason'] === reason);

  beforeAll(async () => {
    app = await harness.start();
  }, 60_000);

  afterAll(async () => {
    await harness.close();
    rmSync(modelDir, { recursive: true, force: true });
  });

  const send = (records: CleanedText[]) =>
    producer.send(
      topics.textsCleaned.name,
      records.map((r) => ({ key: r.userId, value: cleanedSerde.encode(r) })),
    );

  it('embeds cleaned texts, serves repeats from the cache and dead-letters a poison text alone', async () => {
    const oracle = JSON.parse(readFileSync(join(fixture, 'oracle.json'), 'utf8')) as {
      texts: { text: string; embedding: number[] }[];
    };
    const first = [
      cleaned('e1', oracle.texts[0]!.text),
      cleaned('e2', 'the strings sound bright'),
      cleaned('e3', 'this [POISON] text breaks the model'),
      cleaned('e4', 'the strings sound bright', 'u2'), // same content as e2: computed once
      cleaned('e5', 'drums and cymbals'),
    ];
    await send(first);
    expect(await waitFor(async () => (await metric('encoder_kafka_message_outcomes_total')) === 5, 60_000)).toBe(true);

    const out = await Promise.all(
      (await readTopic(kafka, topics.textsEmbedded.name, 4)).map((m) => embeddedSerde.decode(m.value!)),
    );
    const byId = new Map<string, EmbeddedText>(out.map((e) => [e.eventId, e]));
    expect([...byId.keys()].sort()).toEqual(['e1', 'e2', 'e4', 'e5']);
    const e1 = byId.get('e1')!;
    expect(e1).toMatchObject({ dim: 64, userId: 'u1', source: 'review', projectionId: null, truncated: false });
    expect(e1.modelId).toMatch(/^tiny-bert@[0-9a-f]{8}$/);
    // The service's vector equals the reference pipeline's (mean pooling over the mask, L2 norm).
    expect(cosine(unpackFloat32(e1.vector), oracle.texts[0]!.embedding)).toBeGreaterThan(0.9999);
    expect(Array.from(unpackFloat32(byId.get('e2')!.vector))).toEqual(
      Array.from(unpackFloat32(byId.get('e4')!.vector)),
    );

    const [letter] = await readTopic(kafka, dlqTopicName(topics.textsCleaned.name), 1);
    expect(letter!.headers[DLQ_HEADERS.reason]!.toString()).toBe('poison_text');
    expect((await cleanedSerde.decode(letter!.value!)).eventId).toBe('e3');
    expect(await metric('encoder_poison_texts_total')).toBe(1);
    // Outputs, the dead letter and the offsets went out in transactions (KAFKA_EXACTLY_ONCE defaults to true).
    expect(await metric('encoder_kafka_transactions_total')).toBeGreaterThan(0);

    // The same contents again: served from the Redis cache, no inference.
    const tokensBefore = await metric('encoder_tokens_total');
    await send([cleaned('e6', oracle.texts[0]!.text), cleaned('e7', 'drums and cymbals')]);
    expect(await waitFor(async () => (await metric('encoder_kafka_message_outcomes_total')) === 7, 30_000)).toBe(true);
    const again = await Promise.all(
      (await readTopic(kafka, topics.textsEmbedded.name, 6)).map((m) => embeddedSerde.decode(m.value!)),
    );
    const e6 = again.find((e) => e.eventId === 'e6')!;
    expect(e6.timing.cacheHit).toBe(true);
    expect(Array.from(unpackFloat32(e6.vector))).toEqual(Array.from(unpackFloat32(e1.vector)));
    expect(await metric('encoder_cache_hits_total')).toBe(2);
    expect(await metric('encoder_tokens_total')).toBe(tokensBefore);
  }, 120_000);

  it('pauses consumption under a burst and still embeds every text', async () => {
    const before = await metric('encoder_kafka_message_outcomes_total');
    const burst = Array.from({ length: 300 }, (_, i) =>
      cleaned(`b${i}`, `burst text number ${i} about guitars drums and pianos ${'more words '.repeat(i % 7)}`),
    );
    await send(burst);
    expect(
      await waitFor(async () => (await metric('encoder_kafka_message_outcomes_total')) === before + 300, 90_000),
    ).toBe(true);
    expect(await metric('encoder_backpressure_pauses_total')).toBeGreaterThan(0);
    expect(await metric('encoder_texts_embedded_total')).toBeGreaterThanOrEqual(306);
  }, 120_000);

  it("does not embed an erased user's texts written before the erasure (a migration re-reading the archive)", async () => {
    const deletionSerde = new SingleObjectSerde('UserDeletion');
    const erasedAt = Date.now() - 100;
    await producer.send(topics.userDeletions.name, [
      { key: 'gone', value: deletionSerde.encode({ userId: 'gone', requestedAt: erasedAt }) },
    ]);
    const before = await metric('encoder_kafka_message_outcomes_total');
    const embeddedBefore = await metric('encoder_texts_embedded_total');
    const old = { ...cleaned('x1', 'written before the erasure', 'gone'), occurredAt: erasedAt - 60_000 };
    const after = { ...cleaned('x2', 'written after the erasure', 'gone'), occurredAt: erasedAt + 50 };
    const other = cleaned('x3', 'another user is unaffected', 'stays');
    // The erasure request travels on its own topic: wait until the encoder has read it.
    expect(
      await waitFor(async () => {
        await send([{ ...old, eventId: `probe-${Date.now()}` }]);
        return (await metric('encoder_kafka_message_outcomes_total', 'erased_user')) > 0;
      }, 30_000),
    ).toBe(true);
    await send([old, after, other]);
    expect(
      await waitFor(async () => (await metric('encoder_kafka_message_outcomes_total', 'erased_user')) >= 2, 30_000),
    ).toBe(true);
    expect(
      await waitFor(async () => (await metric('encoder_texts_embedded_total')) >= embeddedBefore + 2, 30_000),
    ).toBe(true);
    const outs = await Promise.all(
      (await readTopic(kafka, topics.textsEmbedded.name, await metric('encoder_texts_embedded_total'))).map((m) =>
        embeddedSerde.decode(m.value!),
      ),
    );
    const ids = new Set(outs.map((e) => e.eventId));
    expect(ids.has('x2')).toBe(true);
    expect(ids.has('x3')).toBe(true);
    expect(ids.has('x1')).toBe(false);
    expect(await metric('encoder_kafka_message_outcomes_total')).toBeGreaterThan(before);
  }, 120_000);
});
