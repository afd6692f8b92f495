import type { Kafka, Producer, TopicMessages } from 'kafkajs';
import type { KafkaSettings } from '@profilestream/config';
import { describeKafkaAccessError } from './kafka-errors';
import { kafkaSettingsOf } from './kafka.client';
import type { KafkaMetrics } from './kafka-metrics';
import type { LogSink } from './log-sink';

export interface OutgoingMessage {
  key: string | Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string | Buffer>;
  /** Record timestamp, epoch milliseconds as a string (kafkajs' convention); broker time when omitted. */
  timestamp?: string;
  /** Target partition; by default the key's murmur2 hash picks it (as Java clients do). */
  partition?: number;
}

export interface BatchingProducerOptions {
  /** How long a send waits for company before its batch goes out (kafkajs has no linger.ms). */
  lingerMs?: number;
  /** A batch goes out at once when it holds this many messages. */
  maxBatchMessages?: number;
  /**
   * Most payload bytes per produce request. Brokers reject a record batch over their
   * `max.message.bytes` (1 MB by default), and kafkajs puts a request's messages for one partition
   * in one record batch, so large sends are split below that.
   */
  maxRequestBytes?: number;
  metrics?: KafkaMetrics;
  log: LogSink;
}

interface Pending {
  topic: string;
  messages: OutgoingMessage[];
  startedAt: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * An idempotent producer that gathers sends from concurrent callers into one request. Every
 * `send` resolves only once the brokers (all in-sync replicas) acknowledged its messages, so a
 * caller may resolve consumer offsets after awaiting it. Batches go out one at a time, in order.
 */
export class BatchingProducer {
  private readonly producer: Producer;
  private readonly settings: KafkaSettings | null;
  private readonly lingerMs: number;
  private readonly maxBatchMessages: number;
  private pending: Pending[] = [];
  private pendingCount = 0;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private connected = false;

  constructor(
    kafka: Kafka,
    private readonly options: BatchingProducerOptions,
  ) {
    // Idempotence needs one request in flight; it makes broker-side retries duplicate-free.
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.settings = kafkaSettingsOf(kafka);
    this.lingerMs = options.lingerMs ?? 5;
    this.maxBatchMessages = options.maxBatchMessages ?? 1000;
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  /** Sends the remaining messages, then disconnects. */
  async disconnect(): Promise<void> {
    if (!this.connected) return;
    await this.flush();
    this.connected = false;
    await this.producer.disconnect();
  }

  isConnected(): boolean {
    return this.connected;
  }

  send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    if (!this.connected) return Promise.reject(new Error('producer is not connected'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ topic, messages, startedAt: performance.now(), resolve, reject });
      this.pendingCount += messages.length;
      if (this.pendingCount >= this.maxBatchMessages) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.lingerMs);
    });
  }

  /** Sends everything queued so far and waits for its acknowledgement. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.pending;
    this.pending = [];
    this.pendingCount = 0;
    if (batch.length > 0) this.chain = this.chain.then(() => this.sendBatch(batch));
    return this.chain;
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    const limit = this.options.maxRequestBytes ?? 768 * 1024;
    const requests: TopicMessages[][] = [];
    let current = new Map<string, TopicMessages>();
    let bytes = 0;
    for (const p of batch) {
      for (const m of p.messages) {
        const size = messageBytes(m);
        if (bytes > 0 && bytes + size > limit) {
          requests.push([...current.values()]);
          current = new Map();
          bytes = 0;
        }
        let entry = current.get(p.topic);
        if (!entry) current.set(p.topic, (entry = { topic: p.topic, messages: [] }));
        entry.messages.push(m);
        bytes += size;
      }
    }
    if (current.size > 0) requests.push([...current.values()]);
    const topics = [...new Set(batch.map((p) => p.topic))];
    try {
      for (const topicMessages of requests) await this.producer.sendBatch({ topicMessages, acks: -1 });
    } catch (err) {
      // A refusal (a password rotated, an ACL removed) as one line naming what to fix; any other error as it is.
      this.options.log.error(
        { err: describeKafkaAccessError(err, this.settings, { topics }) ?? err, topics },
        'produce failed',
      );
      for (const p of batch) p.reject(err as Error);
      return;
    }
    const now = performance.now();
    for (const p of batch) {
      this.options.metrics?.produced.inc({ topic: p.topic }, p.messages.length);
      this.options.metrics?.produceSeconds.observe((now - p.startedAt) / 1000);
      p.resolve();
    }
  }
}

function messageBytes(m: OutgoingMessage): number {
  let size =
    64 + (m.value?.length ?? 0) + (typeof m.key === 'string' ? Buffer.byteLength(m.key) : (m.key?.length ?? 0));
  for (const [k, v] of Object.entries(m.headers ?? {}))
    size += k.length + (typeof v === 'string' ? Buffer.byteLength(v) : v.length);
  return size;
}
