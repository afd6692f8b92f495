import type { BatchingProducer } from './batching-producer';
import type { DeadLetter, DeadLetterPublisher } from './dead-letter';
import type { TopicBatch } from './transactional-producer';

/** What a consumer has to make durable for one chunk of one topic-partition. */
export interface ChunkOutput {
  topic: string;
  partition: number;
  /** Records the chunk's `ok` messages produced. */
  records: readonly TopicBatch[];
  /** Dead letters of its `dlq` messages. */
  deadLetters: readonly DeadLetter[];
  /** The offset to read next once the chunk is done (the consumed offset to commit). */
  nextOffset: string;
}

/** Whether a consumer may handle a chunk: `skip` leaves it unhandled, `seekTo` moves the partition's position. */
export type ChunkClaim = { kind: 'ready' } | { kind: 'skip'; reason: string; seekTo?: string };

export const READY: ChunkClaim = Object.freeze({ kind: 'ready' });

/**
 * How a consumer makes a chunk's outputs durable. Either the writer commits the consumed offsets
 * itself, atomically with the records (`commitsOffsets`), or the consumer commits them after
 * `write` resolved (the records are then acknowledged, not atomic with the offsets).
 */
export interface ChunkWriter {
  readonly commitsOffsets: boolean;
  /** The consumer's group assigned it these partitions (by topic); any earlier assignment is void. */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void;
  /** Called before a chunk is handled; throws when the writer cannot write for the partition yet (retriable). */
  claim(topic: string, partition: number, firstOffset: string): Promise<ChunkClaim>;
  /**
   * Makes the chunk's records and dead letters durable (with its offsets when `commitsOffsets`).
   * `fenced`: another member owns the partition now and nothing of the chunk was written. Throws
   * on other failures, after which nothing of the chunk is visible to read_committed readers
   * when `commitsOffsets` (an acknowledged writer may have written part of it).
   */
  write(output: ChunkOutput): Promise<'written' | 'fenced'>;
  close(): Promise<void>;
}

/**
 * At least once: records go through the shared idempotent producer and dead letters through the
 * publisher, each acknowledged by the brokers before `write` resolves; the consumer commits the
 * offsets afterwards, so a crash in between writes the chunk's outputs again on redelivery.
 */
export class AcknowledgedChunkWriter implements ChunkWriter {
  readonly commitsOffsets = false;

  constructor(
    private readonly deadLetters: DeadLetterPublisher,
    /** Needed only by handlers that return records (legacy handlers send their own). */
    private readonly producer?: BatchingProducer,
  ) {}

  assigned(): void {
    // Nothing is owned per partition.
  }

  async claim(): Promise<ChunkClaim> {
    return READY;
  }

  async write(output: ChunkOutput): Promise<'written'> {
    const records = output.records.filter((b) => b.messages.length > 0);
    const { producer } = this;
    if (records.length > 0 && !producer) throw new Error('this writer has no producer for records');
    await Promise.all([
      ...records.map((b) => producer!.send(b.topic, b.messages)),
      output.deadLetters.length > 0 ? this.deadLetters.publish(output.deadLetters) : Promise.resolve(),
    ]);
    return 'written';
  }

  async close(): Promise<void> {
    // The shared producer belongs to whoever created it.
  }
}
