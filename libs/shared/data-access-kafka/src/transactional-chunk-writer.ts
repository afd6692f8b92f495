import type { Admin, Kafka } from 'kafkajs';
import { READY, type ChunkClaim, type ChunkOutput, type ChunkWriter } from './chunk-writer';
import { countDeadLetters, deadLetterBatches } from './dead-letter';
import type { KafkaMetrics } from './kafka-metrics';
import type { LogSink } from './log-sink';
import { ProducerFencedError, TransactionalProducer } from './transactional-producer';

export interface TransactionalChunkWriterOptions {
  /** The consumer group whose offsets the transactions commit; also the transactional ids' prefix. */
  groupId: string;
  /** Written on dead letters (`ps-dlq-stage`). */
  stage: string;
  log: LogSink;
  metrics?: KafkaMetrics;
  /** How long the broker lets one chunk's transaction stay open before aborting it. */
  transactionTimeoutMs?: number;
}

/**
 * Exactly once (consume-transform-produce): each chunk's records, its dead letters and its
 * consumed offset are committed in one Kafka transaction, so a read_committed reader sees the
 * chunk's outputs once, or not at all and the chunk is redelivered.
 *
 * Zombie fencing. kafkajs lacks KIP-447 (its offset commits in a transaction carry no group
 * generation, so the broker cannot refuse a member that lost its partitions), so fencing comes
 * from the transactional id instead: one per consumed partition, `<group>-<topic>-<partition>`.
 * After every assignment, a member connects a producer with a partition's id before handling the
 * partition's first chunk, which aborts the previous owner's open transaction and refuses every
 * later write of the previous owner's producer (`fenced`). Invariant: a partition's records are
 * written only by the producer that claimed it last, and only for chunks that start at or after
 * the group's committed offset read once that claim had fenced everyone before it.
 */
export class TransactionalChunkWriter implements ChunkWriter {
  readonly commitsOffsets = true;
  private readonly producers = new Map<string, TransactionalProducer>();
  private assignment = new Set<string>();
  private readonly closing = new Set<Promise<void>>();
  private admin: Promise<Admin> | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: TransactionalChunkWriterOptions,
  ) {}

  transactionalId(topic: string, partition: number): string {
    return `${this.options.groupId}-${topic}-${partition}`;
  }

  /**
   * A new generation of the group: every producer is closed, those of partitions that stay here
   * too, and each partition is claimed again at its next chunk. A member that missed a generation
   * (it stalled and was expelled) may keep a partition whose producer the member that owned it
   * in between has fenced; a fence must only ever mean that someone claimed the partition after
   * this member did in the current generation.
   */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    this.assignment = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) =>
        partitions.map((p) => this.transactionalId(topic, p)),
      ),
    );
    for (const id of [...this.producers.keys()]) this.drop(id);
  }

  async claim(topic: string, partition: number, firstOffset: string): Promise<ChunkClaim> {
    const id = this.transactionalId(topic, partition);
    if (!this.assignment.has(id)) return { kind: 'skip', reason: 'not_assigned' };
    if (this.producers.has(id)) return READY;
    const producer = new TransactionalProducer(this.kafka, {
      transactionalId: id,
      log: this.options.log,
      ...(this.options.metrics ? { metrics: this.options.metrics } : {}),
      ...(this.options.transactionTimeoutMs ? { transactionTimeoutMs: this.options.transactionTimeoutMs } : {}),
    });
    // Claiming the id fences the previous owner: its open transaction is aborted, or completed
    // first if it was already committing, before connect resolves.
    await producer.connect();
    let committed: bigint | null;
    try {
      // kafkajs read the committed offset when the group formed, before this claim: a previous
      // owner's transaction that was committing then is in the group's offsets only now. Its
      // records are written; start after them.
      committed = await this.committedOffset(topic, partition);
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    if (!this.assignment.has(id)) {
      // The group moved the partition on while we were claiming it.
      this.closeInBackground(producer);
      return { kind: 'skip', reason: 'not_assigned' };
    }
    this.producers.set(id, producer);
    this.options.log.info(
      { transactionalId: id, committed: committed?.toString() ?? null },
      'claimed partition for transactional writes',
    );
    if (committed !== null && committed > BigInt(firstOffset)) {
      return { kind: 'skip', reason: 'already_committed', seekTo: committed.toString() };
    }
    return READY;
  }

  async write(output: ChunkOutput): Promise<'written' | 'fenced'> {
    const id = this.transactionalId(output.topic, output.partition);
    const producer = this.producers.get(id);
    if (!producer) throw new Error(`${id} is not claimed`);
    try {
      await producer.commit({
        batches: [
          ...output.records.filter((b) => b.messages.length > 0),
          ...deadLetterBatches(output.deadLetters, this.options.stage),
        ],
        offsets: {
          groupId: this.options.groupId,
          partitions: [{ topic: output.topic, partition: output.partition, offset: output.nextOffset }],
        },
      });
    } catch (err) {
      // Dropped either way. Fenced, it must never write again. Failed, a fresh claim re-reads the
      // committed offset: a commit whose answer was lost may have gone through after all.
      this.drop(id);
      // (The producer counts it: *_kafka_transactions_total{outcome="fenced"}.)
      if (err instanceof ProducerFencedError) return 'fenced';
      throw err;
    }
    countDeadLetters(output.deadLetters, this.options.metrics);
    return 'written';
  }

  async close(): Promise<void> {
    for (const id of [...this.producers.keys()]) this.drop(id);
    await Promise.all([...this.closing]);
    const admin = this.admin;
    this.admin = null;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => undefined);
  }

  private drop(id: string): void {
    const producer = this.producers.get(id);
    if (!producer) return;
    this.producers.delete(id);
    this.closeInBackground(producer);
  }

  /** Closes a producer in the background (after its transaction in flight); `close` waits for it. */
  private closeInBackground(producer: TransactionalProducer): void {
    const closing = producer
      .disconnect()
      .catch((err: unknown) =>
        this.options.log.warn(
          { err, transactionalId: producer.transactionalId },
          'closing a transactional producer failed',
        ),
      )
      .finally(() => this.closing.delete(closing));
    this.closing.add(closing);
  }

  /** The group's committed offset for the partition, fresh from the coordinator; null when there is none. */
  private async committedOffset(topic: string, partition: number): Promise<bigint | null> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    let admin: Admin;
    try {
      admin = await this.admin;
    } catch (err) {
      this.admin = null;
      throw err;
    }
    const [entry] = await admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] });
    const offset = BigInt(entry?.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
    return offset >= 0n ? offset : null;
  }
}
