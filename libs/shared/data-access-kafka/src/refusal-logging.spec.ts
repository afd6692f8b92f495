import * as kafkajs from 'kafkajs';
import {
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type Producer,
} from 'kafkajs';
import { Registry } from 'prom-client';
import type { KafkaSettings } from '@profilestream/config';
import { BatchConsumer } from './batch-consumer';
import { BatchingProducer } from './batching-producer';
import type { ChunkWriter } from './chunk-writer';
import { createKafka } from './kafka.client';
import { KafkaMetrics } from './kafka-metrics';
import { silentLog, type LogSink } from './log-sink';
import { PartitionTaskConsumer } from './partition-task-consumer';
import { ProducerFencedError, TransactionalProducer } from './transactional-producer';
import { kafkaSettings } from './testing';

/**
 * Consumers and producers that Kafka refuses after start-up (a password rotated, an ACL removed)
 * log one line naming what to fix, in the logging shape they had; other errors are logged as they are.
 */

const settings: KafkaSettings = kafkaSettings({
  brokers: ['b1:9093'],
  sasl: { mechanism: 'scram-sha-512', username: 'profilestream-encoder', password: 'secret' },
});

type ErrorClass = new (e: Error | string, options?: object) => Error;
const { KafkaJSNonRetriableError, KafkaJSSASLAuthenticationError } = kafkajs as unknown as Record<
  'KafkaJSNonRetriableError' | 'KafkaJSSASLAuthenticationError',
  ErrorClass
>;
const protocolError = (type: string, code: number, message: string) =>
  new KafkaJSProtocolError({ type, code, retriable: false, message } as unknown as Error);
/** What kafkajs's retrier rejects with for an error it does not retry. */
const notRetried = (e: Error) => new KafkaJSNonRetriableError(e, { cause: e });
const topicDenied = () =>
  notRetried(
    protocolError('TOPIC_AUTHORIZATION_FAILED', 29, 'Not authorized to access topics: [Topic authorization failed]'),
  );
const DENIED =
  '(TOPIC_AUTHORIZATION_FAILED: Not authorized to access topics: [Topic authorization failed]): the user KAFKA_SASL_USERNAME=profilestream-encoder needs an ACL for it; see docs/operations.md';

interface Line {
  level: string;
  obj: Record<string, unknown>;
  msg: string | undefined;
}

function recordingLog(): LogSink & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg?: string) =>
    void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A kafkajs consumer stand-in: its event handlers and the `eachBatch` it was run with. */
function fakeConsumer() {
  const handlers = new Map<string, (event: { payload: Record<string, unknown> }) => void>();
  let run: { eachBatch: (payload: EachBatchPayload) => Promise<void> } | null = null;
  const consumer = {
    events: {
      GROUP_JOIN: 'group_join',
      FETCH_START: 'fetch_start',
      CRASH: 'crash',
      STOP: 'stop',
      END_BATCH_PROCESS: 'end_batch_process',
    },
    on: (event: string, handler: (event: { payload: Record<string, unknown> }) => void) =>
      void handlers.set(event, handler),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => void (run = config),
    disconnect: async () => undefined,
    pause: () => undefined,
    resume: () => undefined,
  };
  return {
    consumer: consumer as unknown as Consumer,
    emit: (event: string, payload: Record<string, unknown>) => handlers.get(event)!({ payload }),
    eachBatch: (payload: EachBatchPayload) => run!.eachBatch(payload),
  };
}

/** A client made from `settings` whose consumer is `consumer`. */
function kafkaWith(parts: { consumer?: Consumer; producer?: Producer }): Kafka {
  const kafka = createKafka(settings, silentLog);
  if (parts.consumer) jest.spyOn(kafka, 'consumer').mockReturnValue(parts.consumer);
  if (parts.producer) jest.spyOn(kafka, 'producer').mockReturnValue(parts.producer);
  return kafka;
}

function batchOf(topic: string): EachBatchPayload {
  return {
    batch: {
      topic,
      partition: 0,
      messages: [{ offset: '7', key: null, value: Buffer.from('x'), headers: {}, timestamp: '0', attributes: 0 }],
      lastOffset: () => '7',
      highWatermark: '8',
    },
    resolveOffset: () => undefined,
    heartbeat: async () => undefined,
    commitOffsetsIfNecessary: async () => undefined,
    uncommittedOffsets: () => ({ topics: [] }),
    isRunning: () => true,
    isStale: () => false,
    pause: () => () => undefined,
  } as unknown as EachBatchPayload;
}

const metrics = () => new KafkaMetrics(new Registry(), 'spec');

describe('BatchConsumer', () => {
  it('logs a crash Kafka refused as one line naming the subscribed topics, and reports it as the crash', async () => {
    const fake = fakeConsumer();
    const log = recordingLog();
    const consumer = new BatchConsumer(kafkaWith({ consumer: fake.consumer }), {
      groupId: 'encoder',
      topics: ['texts.cleaned.v1'],
      metrics: metrics(),
      log,
      handler: async () => [],
      deadLetters: {} as never,
    });
    fake.emit('crash', { error: topicDenied(), restart: false, groupId: 'encoder' });
    const line = `Kafka denied access to topic texts.cleaned.v1 ${DENIED}`;
    expect(log.lines).toEqual([
      { level: 'error', obj: { err: line, restart: false, groupId: 'encoder' }, msg: 'consumer crashed' },
    ]);
    expect(consumer.health().crashed).toBe(line);
  });

  it('logs a failed write Kafka refused naming the topics written, and so does the crash that may follow', async () => {
    const fake = fakeConsumer();
    const log = recordingLog();
    const writer: ChunkWriter = {
      commitsOffsets: true,
      assigned: () => undefined,
      claim: async () => ({ kind: 'ready' }),
      write: async () => {
        throw topicDenied();
      },
      close: async () => undefined,
    };
    const consumer = new BatchConsumer(kafkaWith({ consumer: fake.consumer }), {
      groupId: 'encoder',
      topics: ['texts.cleaned.v1'],
      metrics: metrics(),
      log,
      transform: async (messages) => ({
        outcomes: messages.map(() => ({ kind: 'ok' as const })),
        records: [{ topic: 'texts.embedded.v1', messages: [{ key: null, value: Buffer.from('y') }] }],
      }),
      writer,
    });
    await consumer.start();
    const thrown = await fake.eachBatch(batchOf('texts.cleaned.v1')).then(
      () => null,
      (err: unknown) => err,
    );
    const line = `Kafka denied access to one of topics texts.embedded.v1, texts.cleaned.v1 ${DENIED}`;
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([
      {
        level: 'error',
        obj: { err: line, topic: 'texts.cleaned.v1', partition: 0, firstOffset: '7' },
        msg: 'handler failed; the chunk will be redelivered',
      },
    ]);
    // The chunk is redelivered as before: the error thrown to kafkajs is the one it always was.
    expect((thrown as Error).name).toBe('ChunkRedeliveryError');
    fake.emit('crash', {
      error: new KafkaJSNumberOfRetriesExceeded(thrown as Error, { retryCount: 5, retryTime: 1000 }),
      restart: true,
      groupId: 'encoder',
    });
    expect(log.lines.at(-1)).toEqual({
      level: 'error',
      obj: { err: line, restart: true, groupId: 'encoder' },
      msg: 'consumer crashed',
    });
  });

  it('logs any other error as it is', () => {
    const fake = fakeConsumer();
    const log = recordingLog();
    const consumer = new BatchConsumer(kafkaWith({ consumer: fake.consumer }), {
      groupId: 'g',
      topics: ['t'],
      metrics: metrics(),
      log,
      handler: async () => [],
      deadLetters: {} as never,
    });
    const error = new Error('This server does not host this topic-partition');
    fake.emit('crash', { error, restart: false, groupId: 'g' });
    expect(log.lines).toEqual([
      { level: 'error', obj: { err: error, restart: false, groupId: 'g' }, msg: 'consumer crashed' },
    ]);
    expect(consumer.health().crashed).toBe(error.message);
  });
});

describe('PartitionTaskConsumer', () => {
  it('logs a crash Kafka refused as one line; a rotated password names the user and the variables', () => {
    const fake = fakeConsumer();
    const log = recordingLog();
    const listener = { generation: () => undefined, chunk: async () => true, passed: () => undefined };
    const consumer = new PartitionTaskConsumer(kafkaWith({ consumer: fake.consumer }), {
      groupId: 'profile-fuser',
      topics: ['texts.embedded.v1', 'clicks.v1'],
      listener,
      log,
      metrics: metrics(),
    });
    fake.emit('crash', {
      error: notRetried(
        new KafkaJSSASLAuthenticationError(
          'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
        ),
      ),
      restart: false,
    });
    expect(log.lines[0]).toEqual({
      level: 'error',
      obj: {
        err: expect.stringMatching(
          /^Kafka authentication failed: wrong username or password \(SCRAM-SHA-512, user "profilestream-encoder" at b1:9093\); check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
        ),
        restart: false,
        groupId: 'profile-fuser',
      },
      msg: 'consumer crashed',
    });
    fake.emit('crash', { error: topicDenied(), restart: false });
    expect(log.lines[1]!.obj['err']).toBe(
      `Kafka denied access to one of topics texts.embedded.v1, clicks.v1 ${DENIED}`,
    );
    expect(consumer.health().crashed).toBe(log.lines[1]!.obj['err']);
  });

  it("names no topic for a chunk that failed in the owner's own writes", async () => {
    const fake = fakeConsumer();
    const log = recordingLog();
    const listener = {
      generation: () => undefined,
      chunk: async () => {
        throw topicDenied();
      },
      passed: () => undefined,
    };
    const consumer = new PartitionTaskConsumer(kafkaWith({ consumer: fake.consumer }), {
      groupId: 'profile-fuser',
      topics: ['clicks.v1'],
      listener,
      log,
      metrics: metrics(),
    });
    fake.emit('group_join', { memberAssignment: { 'clicks.v1': [0] } });
    await consumer.start();
    const thrown = await fake.eachBatch(batchOf('clicks.v1')).then(
      () => null,
      (err: unknown) => err,
    );
    const line = `Kafka denied access to a topic ${DENIED}`;
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([
      {
        level: 'error',
        obj: { err: line, topic: 'clicks.v1', partition: 0, firstOffset: '7' },
        msg: 'chunk failed; it will be fetched again',
      },
    ]);
    fake.emit('crash', {
      error: new KafkaJSNumberOfRetriesExceeded(thrown as Error, { retryCount: 5, retryTime: 1000 }),
      restart: true,
    });
    expect(log.lines.at(-1)!.obj['err']).toBe(line);
  });
});

describe('BatchingProducer', () => {
  it('logs a produce Kafka refused as one line naming the topics, and rejects the sends with the error as before', async () => {
    const error = topicDenied();
    const producer = {
      connect: async () => undefined,
      sendBatch: async () => Promise.reject(error),
      disconnect: async () => undefined,
    } as unknown as Producer;
    const log = recordingLog();
    const batching = new BatchingProducer(kafkaWith({ producer }), { log, lingerMs: 1 });
    await batching.connect();
    await expect(batching.send('texts.cleaned.v1.dlq', [{ key: null, value: Buffer.from('x') }])).rejects.toBe(error);
    expect(log.lines).toEqual([
      {
        level: 'error',
        obj: { err: `Kafka denied access to topic texts.cleaned.v1.dlq ${DENIED}`, topics: ['texts.cleaned.v1.dlq'] },
        msg: 'produce failed',
      },
    ]);
  });
});

describe('TransactionalProducer', () => {
  it('says when a "fence" was Kafka denying the transactional id, and still handles it as fenced', async () => {
    const denied = notRetried(
      protocolError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53, 'Transactional Id authorization failed'),
    );
    let transactions = 0;
    const producer = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      transaction: async () => {
        transactions++;
        // The first transaction claims the id at connect; the next one is refused.
        return transactions === 1
          ? { abort: async () => undefined }
          : {
              sendBatch: async () => Promise.reject(denied),
              abort: async () => undefined,
              commit: async () => undefined,
            };
      },
    } as unknown as Producer;
    const log = recordingLog();
    const txn = new TransactionalProducer(kafkaWith({ producer }), {
      transactionalId: 'encoder-texts.cleaned.v1-3',
      log,
    });
    await txn.connect();
    const err = await txn
      .commit({ batches: [{ topic: 'texts.embedded.v1', messages: [{ key: null, value: Buffer.from('x') }] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProducerFencedError);
    expect(txn.isFenced()).toBe(true);
    expect(log.lines).toEqual([
      {
        level: 'error',
        obj: {
          err: 'Kafka denied access to transactional id encoder-texts.cleaned.v1-3 (TRANSACTIONAL_ID_AUTHORIZATION_FAILED: Transactional Id authorization failed): the user KAFKA_SASL_USERNAME=profilestream-encoder needs an ACL for it; see docs/operations.md',
          transactionalId: 'encoder-texts.cleaned.v1-3',
        },
        msg: 'transactional id denied; handled as fenced',
      },
    ]);
  });

  it('logs nothing more for a producer that was fenced indeed', async () => {
    const fencedErr = protocolError(
      'PRODUCER_FENCED',
      90,
      'There is a newer producer with the same transactionalId which fences the current one',
    );
    let transactions = 0;
    const producer = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      transaction: async () =>
        ++transactions === 1
          ? { abort: async () => undefined }
          : { sendBatch: async () => Promise.reject(fencedErr), abort: async () => undefined },
    } as unknown as Producer;
    const log = recordingLog();
    const txn = new TransactionalProducer(kafkaWith({ producer }), { transactionalId: 'id', log });
    await txn.connect();
    await expect(
      txn.commit({ batches: [{ topic: 't', messages: [{ key: null, value: null }] }] }),
    ).rejects.toBeInstanceOf(ProducerFencedError);
    expect(log.lines).toEqual([]);
  });
});
