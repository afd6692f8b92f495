import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { topicCatalog } from '@profilestream/contracts';
import { createKafka, silentLog, type Kafka } from '@profilestream/kafka';
import {
  readTopic,
  startSecureKafkaBroker,
  uniqueName,
  waitFor,
  type SecureKafkaBroker,
} from '@profilestream/kafka/testing';
import { bootTextCleaner, produceReview } from './testing/text-cleaner-app';

/**
 * text-cleaner against a broker as production runs it: the only client listener is SASL_SSL with
 * SCRAM-SHA-512 and a certificate from a CA of its own (made for this run). Configured by the
 * variables alone, the service creates its topics, becomes ready, and cleans a record with its
 * exactly-once transactions; with a wrong password, readiness names the cause within seconds.
 */
describe('text-cleaner on a SASL_SSL (SCRAM-SHA-512) broker', () => {
  let broker: SecureKafkaBroker;
  let kafka: Kafka;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    broker = await startSecureKafkaBroker();
    kafka = createKafka(toKafkaSettings(parseEnv(kafkaEnvSchema, broker.env()), 'secure-kafka-test'), silentLog);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await broker?.stop();
  });

  it('becomes ready and cleans a record in a transaction', async () => {
    const prefix = `${uniqueName('tc-sasl')}.`;
    const topics = topicCatalog(prefix);
    const app = await bootTextCleaner(apps, {
      ...broker.env(),
      KAFKA_TOPIC_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      KAFKA_EXACTLY_ONCE: 'true',
    });
    expect(
      await waitFor(async () => (await request(app.getHttpServer()).get('/health/ready')).status === 200, 60_000, 250),
    ).toBe(true);

    await produceReview(kafka, topics.reviews.name);
    // read_committed: only a committed transaction shows the record.
    expect(await readTopic(kafka, topics.textsCleaned.name, 1, 30_000)).toHaveLength(1);
  });

  it('names a wrong password in readiness within 10 s', async () => {
    const prefix = `${uniqueName('tc-sasl-bad')}.`;
    const app = await bootTextCleaner(apps, {
      ...broker.env(),
      KAFKA_SASL_PASSWORD: 'wrong',
      KAFKA_TOPIC_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
    });
    const started = Date.now();
    let error = '';
    const named = await waitFor(
      async () => {
        const r = await request(app.getHttpServer()).get('/health/ready');
        error = (r.body.checks as Record<string, { error?: string }>)['startup']?.error ?? '';
        return (
          r.status === 503 &&
          /^connecting to Kafka: Kafka authentication failed: wrong username or password \(SCRAM-SHA-512/.test(error)
        );
      },
      10_000,
      100,
    );
    expect({ named, error }).toEqual({
      named: true,
      error: expect.stringContaining('check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD'),
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
