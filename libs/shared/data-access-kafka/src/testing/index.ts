import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { kafkaEnvSchema, parseEnv, toKafkaSettings, type KafkaSettings } from '@profilestream/config';
import { toConsumedMessage, type ConsumedMessage } from '../batch-consumer';
import { waitForLeaders } from '../topic-provisioner';
import { installRequestQueueFix } from '../request-queue-fix';

/** A name no other test (or earlier run) uses: tests never share topics or groups. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Settings for the local broker the test command started (KAFKA_BROKERS, default 127.0.0.1:9092). */
export function testKafkaSettings(clientId = 'integration-test'): KafkaSettings {
  return toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), clientId);
}

export function testKafka(clientId = 'integration-test'): Kafka {
  installRequestQueueFix();
  return new Kafka({ clientId, brokers: testKafkaSettings(clientId).brokers, logLevel: logLevel.NOTHING });
}

export async function createTopic(
  admin: Admin,
  topic: string,
  partitions = 1,
  configEntries: { name: string; value: string }[] = [],
): Promise<void> {
  await admin.createTopics({
    waitForLeaders: false,
    topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries }],
  });
  await waitForLeaders(admin, [topic], 30_000);
}

/**
 * Reads a topic from the beginning until `count` records arrived or `timeoutMs` passed, with a
 * throwaway group, and returns what it read (fewer than `count` on timeout). Reads committed
 * records only, as every reader of the pipeline's topics must; `readUncommitted` also returns
 * records of aborted and open transactions (to show what a transaction did not let through).
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 60_000,
  options: { readUncommitted?: boolean } = {},
): Promise<ConsumedMessage[]> {
  const consumer = kafka.consumer({
    groupId: uniqueName('reader'),
    maxWaitTimeInMs: 100,
    readUncommitted: options.readUncommitted ?? false,
  });
  const out: ConsumedMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const timer = setTimeout(() => done(), timeoutMs);
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      out.push(toConsumedMessage(topic, partition, message));
      if (out.length >= count) done();
    },
  });
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return out;
}

/**
 * Polls `predicate` until it holds or `timeoutMs` passes; returns whether it held. The default is
 * generous: on a broker that has just started, the first consumer group takes a while to form.
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return predicate();
}

/** A TCP port free on loopback right now (for a server a test starts itself). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
export * from './secure-broker';
export * from './fixtures';
