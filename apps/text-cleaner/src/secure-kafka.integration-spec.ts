import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { SingleObjectSerde, topicCatalog } from '@profilestream/contracts';
import { BatchingProducer, createKafka, silentLog, type Kafka } from '@profilestream/kafka';
import {
  readTopic,
  startSecureKafkaBroker,
  uniqueName,
  waitFor,
  type SecureKafkaBroker,
} from '@profilestream/kafka/testing';
import { AppModule } from './app.module';
import { loadTextCleanerConfig } from './config/text-cleaner.config';

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

  async function boot(env: Record<string, string>): Promise<INestApplication> {
    const config = loadTextCleanerConfig({ ...process.env, LOG_LEVEL: 'silent', KAFKA_TOPIC_PARTITIONS: '1', ...env });
    const app = await NestFactory.create(AppModule.forRoot(config), { logger: false });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return app;
  }

  it('becomes ready and cleans a record in a transaction', async () => {
    const prefix = `${uniqueName('tc-sasl')}.`;
    const topics = topicCatalog(prefix);
    const app = await boot({
      ...broker.env(),
      KAFKA_TOPIC_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      KAFKA_EXACTLY_ONCE: 'true',
    });
    expect(
      await waitFor(async () => (await request(app.getHttpServer()).get('/health/ready')).status === 200, 60_000, 250),
    ).toBe(true);

    const producer = new BatchingProducer(kafka, { log: silentLog });
    await producer.connect();
    try {
      await producer.send(topics.reviews.name, [
        {
          key: 'ann',
          value: new SingleObjectSerde('Review').encode({
            eventId: 'e1',
            userId: 'ann',
            itemId: 'i1',
            text: 'Warm tone, good strings',
            rating: 5,
            platform: 'shop',
            occurredAt: Date.now(),
          }),
        },
      ]);
    } finally {
      await producer.disconnect();
    }
    // read_committed: only a committed transaction shows the record.
    expect(await readTopic(kafka, topics.textsCleaned.name, 1, 30_000)).toHaveLength(1);
  });

  it('names a wrong password in readiness within 10 s', async () => {
    const prefix = `${uniqueName('tc-sasl-bad')}.`;
    const app = await boot({
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
