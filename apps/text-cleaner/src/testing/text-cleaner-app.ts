import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { SingleObjectSerde } from '@profilestream/contracts';
import { BatchingProducer, silentLog, type Kafka } from '@profilestream/kafka';
import { AppModule } from '../app.module';
import { loadTextCleanerConfig } from '../config/text-cleaner.config';

/**
 * Starts text-cleaner on a free port, silent and with one partition per topic, configured by the
 * test's environment with `env` on top. The app joins `opened` before it listens, so the suite's
 * afterAll closes it even when listening fails.
 */
export async function bootTextCleaner(
  opened: INestApplication[],
  env: Record<string, string>,
): Promise<INestApplication> {
  const config = loadTextCleanerConfig({ ...process.env, LOG_LEVEL: 'silent', KAFKA_TOPIC_PARTITIONS: '1', ...env });
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: false });
  opened.push(app);
  await app.listen(0, '127.0.0.1');
  return app;
}

/** Produces one review of user `ann` with text to clean to `topic`. */
export async function produceReview(kafka: Kafka, topic: string): Promise<void> {
  const producer = new BatchingProducer(kafka, { log: silentLog });
  await producer.connect();
  try {
    await producer.send(topic, [
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
}
