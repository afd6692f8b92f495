import type { Admin, Kafka, Producer } from 'kafkajs';
import type { KafkaSettings } from '@profilestream/config';
import type { BatchConsumer } from '../batch-consumer';
import { BatchingProducer } from '../batching-producer';
import { silentLog } from '../log-sink';

/** Settings as a service has them by default (plaintext, exactly once), for specs that never connect. */
export function kafkaSettings(overrides: Partial<KafkaSettings> = {}): KafkaSettings {
  return {
    brokers: ['127.0.0.1:9092'],
    clientId: 'spec',
    sasl: null,
    ssl: null,
    replicationFactor: 1,
    provisionTopics: false,
    topicPartitions: null,
    topicPrefix: '',
    groupSuffix: '',
    exactlyOnce: true,
    consumerGroup: { sessionTimeoutMs: 30_000, heartbeatIntervalMs: 3_000 },
    framing: 'single-object',
    schemaRegistry: null,
    ...overrides,
  };
}

/**
 * For a describe block on the real broker: an admin and a producer (connected for the block, the
 * clients themselves made at once so they can be destructured), and a list the tests put the
 * consumers they start in, stopped after each test.
 */
export function connectedKafka(kafka: Kafka): {
  kafka: Kafka;
  admin: Admin;
  producer: BatchingProducer;
  started: BatchConsumer[];
} {
  const clients = {
    kafka,
    admin: kafka.admin(),
    producer: new BatchingProducer(kafka, { log: silentLog }),
    started: [] as BatchConsumer[],
  };
  beforeAll(async () => {
    await clients.admin.connect();
    await clients.producer.connect();
  });
  afterEach(async () => {
    await Promise.all(clients.started.splice(0).map((c) => c.stop()));
  });
  afterAll(async () => {
    await clients.producer.disconnect();
    await clients.admin.disconnect();
  });
  return clients;
}

/**
 * For a describe block that needs kafkajs's own producer (records placed on chosen partitions, or
 * kafkajs's internals observed): an admin and a plain producer, connected for the block.
 */
export function connectedPlainKafka(kafka: Kafka): { kafka: Kafka; admin: Admin; producer: Producer } {
  const clients = { kafka, admin: kafka.admin(), producer: kafka.producer() };
  beforeAll(async () => {
    await clients.admin.connect();
    await clients.producer.connect();
  });
  afterAll(async () => {
    await clients.producer.disconnect();
    await clients.admin.disconnect();
  });
  return clients;
}
