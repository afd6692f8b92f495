import type { Kafka, Producer, RecordMetadata, TopicMessages } from 'kafkajs';
import type { OutgoingMessage } from './batching-producer';
import { describeKafkaAccessError } from './kafka-errors';
import { kafkaSettingsOf } from './kafka.client';
import type { KafkaMetrics } from './kafka-metrics';
import type { LogSink } from './log-sink';

/** Records for one topic; a message with a `partition` goes there, others by the key's hash. */
export interface TopicBatch {
  topic: string;
  messages: OutgoingMessage[];
}

/** Consumed offsets to commit with the transaction: `offset` is the next one to read. */
export interface TransactionOffsets {
  groupId: string;
  partitions: { topic: string; partition: number; offset: string }[];
}

export interface TransactionContent {
  batches: readonly TopicBatch[];
  offsets?: TransactionOffsets;
}

export interface TransactionalProducerOptions {
  /**
   * Identifies the writer across restarts: a producer that connects with the same id fences every
   * earlier one (its open transaction is aborted, its later writes are refused). One id per unit of
   * ownership (an input partition), so the instance that takes a partition over fences the one
   * that lost it.
   */
  transactionalId: string;
  log: LogSink;
  metrics?: KafkaMetrics;
  /** Most payload bytes per produce request (brokers refuse record batches over max.message.bytes). */
  maxRequestBytes?: number;
  /** How long the broker lets a transaction stay open before aborting it. */
  transactionTimeoutMs?: number;
  /**
   * How long one commit may take before the producer is replaced and the commit fails (the caller
   * retries it); under the transaction timeout, so the broker has not aborted it on its own yet.
   */
  commitTimeoutMs?: number;
}

const DEFAULT_COMMIT_TIMEOUT_MS = 45_000;

/** A commit that did not finish in time: nothing is known to be committed, so it may be retried. */
export class CommitTimeoutError extends Error {
  override readonly name = 'CommitTimeoutError';
}

/**
 * Another producer with the same transactional id has connected since this one did: this one no
 * longer owns what it was writing and must stop (not retry).
 */
export class ProducerFencedError extends Error {
  override readonly name = 'ProducerFencedError';

  constructor(
    message: string,
    /** The id the producer held (named when explaining a TRANSACTIONAL_ID_AUTHORIZATION_FAILED). */
    readonly transactionalId?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);

/**
 * A transactional producer: `commit` writes a set of records and, optionally, consumed offsets
 * atomically: consumers reading with read_committed see all of it or none of it, and the offsets
 * move only if the records are there (consume-transform-produce, exactly once).
 */
export class TransactionalProducer {
  private producer: Producer;
  private connected = false;
  private fenced = false;
  /** Disconnected on purpose: no more reconnecting. */
  private closed = false;
  /** A reconnect after a failed transaction failed too (the broker was down): the next commit tries again. */
  private lost = false;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: TransactionalProducerOptions,
  ) {
    this.producer = this.create();
  }

  private create(): Producer {
    return this.kafka.producer({
      transactionalId: this.options.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      transactionTimeout: this.options.transactionTimeoutMs ?? 60_000,
      // After a commit the broker writes its markers asynchronously and answers the next
      // transaction's first request with CONCURRENT_TRANSACTIONS for a few milliseconds; the
      // default 300 ms back-off would cap a producer at about four transactions a second.
      retry: { initialRetryTime: 20, maxRetryTime: 2_000, retries: Number.MAX_SAFE_INTEGER },
    });
  }

  get transactionalId(): string {
    return this.options.transactionalId;
  }

  /** Connects and claims the transactional id, fencing every earlier producer that held it. */
  async connect(): Promise<void> {
    await this.producer.connect();
    try {
      // The first transaction runs InitProducerId; an empty one ends without a request.
      const claim = await this.producer.transaction();
      await claim.abort();
    } catch (err) {
      await this.producer.disconnect().catch(() => undefined);
      throw toFenced(err, this.options.transactionalId) ?? err;
    }
    this.connected = true;
  }

  isFenced(): boolean {
    return this.fenced;
  }

  /**
   * Writes `content` in one transaction and commits it. Resolves with the next offset after the
   * last record written to each explicitly targeted partition (`topic:partition` → offset).
   * Transactions of one producer run one after another. Throws ProducerFencedError when fenced
   * (nothing was committed); on other errors the transaction is aborted and the error rethrown, so
   * the caller may retry the same content.
   */
  commit(content: TransactionContent): Promise<Map<string, bigint>> {
    const run = this.chain.then(() => this.commitNow(content));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async reconnect(): Promise<void> {
    this.connected = false;
    this.lost = true;
    await this.producer.disconnect().catch(() => undefined);
    this.producer = this.create();
    try {
      await this.connect();
    } catch (err) {
      if (err instanceof ProducerFencedError) this.fenced = true;
      throw err;
    }
    this.lost = false;
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    await this.chain;
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }

  private async commitNow(content: TransactionContent): Promise<Map<string, bigint>> {
    if (this.fenced)
      throw new ProducerFencedError(
        `${this.options.transactionalId} was fenced by a newer producer`,
        this.options.transactionalId,
      );
    // A reconnect that failed while the broker was away is tried again here, not given up for good.
    if (!this.connected && this.lost && !this.closed) await this.reconnect();
    if (!this.connected) throw new Error('transactional producer is not connected');
    const producer = this.producer;
    const started = performance.now();
    const timeoutMs = this.options.commitTimeoutMs ?? DEFAULT_COMMIT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new CommitTimeoutError(
              `transaction of ${this.options.transactionalId} not committed within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
    });
    let ends: Map<string, bigint>;
    try {
      ends = await Promise.race([this.transact(producer, content), deadline]);
    } catch (err) {
      if (err instanceof CommitTimeoutError && this.producer === producer) {
        // kafkajs retries some failures without end (a coordinator it keeps asking, a leader it
        // waits for). The stuck producer is left behind; the new one's claim fences it, and its
        // transaction is aborted (or completed, if its commit had reached the broker) before the
        // claim returns. Either way the caller may write the same content again.
        this.options.metrics?.transactions.inc({ outcome: 'aborted' });
        this.options.log.warn(
          { transactionalId: this.options.transactionalId, timeoutMs },
          'transaction stuck; starting over with a new producer',
        );
        await this.reconnect();
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
    const seconds = (performance.now() - started) / 1000;
    this.options.metrics?.transactions.inc({ outcome: 'committed' });
    this.options.metrics?.transactionSeconds.observe(seconds);
    for (const b of content.batches) {
      if (b.messages.length === 0) continue;
      this.options.metrics?.produced.inc({ topic: b.topic }, b.messages.length);
      this.options.metrics?.producedBytes.inc(
        { topic: b.topic },
        b.messages.reduce(
          (n, m) =>
            n + (m.value?.length ?? 0) + (typeof m.key === 'string' ? Buffer.byteLength(m.key) : (m.key?.length ?? 0)),
          0,
        ),
      );
    }
    return ends;
  }

  /** One transaction on `producer`; a producer left behind after a deadline touches nothing shared. */
  private async transact(producer: Producer, content: TransactionContent): Promise<Map<string, bigint>> {
    const txn = await producer.transaction();
    const ends = new Map<string, bigint>();
    try {
      for (const request of splitRequests(content.batches, this.options.maxRequestBytes ?? 768 * 1024)) {
        const written = await txn.sendBatch({ topicMessages: request.topicMessages, acks: -1 });
        for (const [key, count] of request.explicit) {
          const meta = written.find((m: RecordMetadata) => `${m.topicName}:${m.partition}` === key);
          if (meta?.baseOffset !== undefined) ends.set(key, BigInt(meta.baseOffset) + BigInt(count));
        }
      }
      if (content.offsets && content.offsets.partitions.length > 0) {
        await txn.sendOffsets({ consumerGroupId: content.offsets.groupId, topics: groupOffsets(content.offsets) });
      }
      await txn.commit();
    } catch (err) {
      // Left behind after its deadline: the newer producer fenced it, which says nothing about this one.
      if (producer !== this.producer) throw err;
      const fenced = toFenced(err, this.options.transactionalId);
      if (fenced) {
        this.fenced = true;
        this.options.metrics?.transactions.inc({ outcome: 'fenced' });
        // Kafka refuses a transactional id its user may no longer use like a fenced producer's:
        // handled alike, but the log says which it was (the consumer logs only "producer fenced").
        const denied = this.describeAccessError(fenced);
        if (denied)
          this.options.log.error(
            { err: denied, transactionalId: this.options.transactionalId },
            'transactional id denied; handled as fenced',
          );
        throw fenced;
      }
      await txn.abort().catch((abortErr: unknown) => {
        if (toFenced(abortErr)) this.fenced = true;
        this.options.log.warn(
          { err: this.describeAccessError(abortErr) ?? abortErr, transactionalId: this.options.transactionalId },
          'abort after a failed transaction failed',
        );
      });
      this.options.metrics?.transactions.inc({ outcome: 'aborted' });
      // kafkajs may have advanced (or not) its sequence numbers for records the broker did or did
      // not take; a later record reusing a taken sequence number would be acknowledged as a
      // duplicate and silently dropped. A fresh producer id starts the sequences over.
      if (!this.fenced) await this.reconnect();
      throw err;
    }
    return ends;
  }

  /** `describeKafkaAccessError`'s line for a refusal by Kafka, naming this producer's id; else null. */
  private describeAccessError(err: unknown): string | null {
    return describeKafkaAccessError(err, kafkaSettingsOf(this.kafka), {
      transactionalId: this.options.transactionalId,
    });
  }
}

interface Request {
  topicMessages: TopicMessages[];
  /** Explicitly partitioned messages per `topic:partition` in this request. */
  explicit: Map<string, number>;
}

/** Splits batches into produce requests under the byte limit, keeping each partition's order. */
function splitRequests(batches: readonly TopicBatch[], limit: number): Request[] {
  const requests: Request[] = [];
  let current: Map<string, TopicMessages> = new Map();
  let explicit = new Map<string, number>();
  let bytes = 0;
  const close = () => {
    if (current.size > 0) requests.push({ topicMessages: [...current.values()], explicit });
    current = new Map();
    explicit = new Map();
    bytes = 0;
  };
  for (const b of batches) {
    for (const m of b.messages) {
      const size =
        64 + (m.value?.length ?? 0) + (typeof m.key === 'string' ? Buffer.byteLength(m.key) : (m.key?.length ?? 0));
      if (bytes > 0 && bytes + size > limit) close();
      let entry = current.get(b.topic);
      if (!entry) current.set(b.topic, (entry = { topic: b.topic, messages: [] }));
      entry.messages.push(m);
      if (m.partition !== undefined) {
        const key = `${b.topic}:${m.partition}`;
        explicit.set(key, (explicit.get(key) ?? 0) + 1);
      }
      bytes += size;
    }
  }
  close();
  return requests;
}

function groupOffsets(
  offsets: TransactionOffsets,
): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const p of offsets.partitions) {
    const list = byTopic.get(p.topic) ?? [];
    list.push({ partition: p.partition, offset: p.offset });
    byTopic.set(p.topic, list);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

function toFenced(err: unknown, transactionalId?: string): ProducerFencedError | null {
  let e = err as { type?: string; message?: string; cause?: unknown; originalError?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (e.type && FENCED_TYPES.has(e.type))
      return new ProducerFencedError(e.message ?? e.type, transactionalId, { cause: e });
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return null;
}
