import type { Consumer, Kafka } from 'kafkajs';
import { toConsumedMessage, type ConsumedMessage, type ConsumerHealth } from './batch-consumer';
import { coPartitionedAssigner } from './co-partitioned-assigner';
import { describeKafkaAccessError } from './kafka-errors';
import { groupTiming, kafkaSettingsOf, type GroupTimingOptions } from './kafka.client';
import type { KafkaMetrics } from './kafka-metrics';
import type { LogSink } from './log-sink';

/** What the consumer asks of whoever owns the partitions' state. */
export interface PartitionTaskListener {
  /**
   * A new generation of the group gave this member these partition numbers (the same on every
   * subscribed topic). Work of the previous generation must be dropped, also for partitions that
   * stay: a member expelled for a while may get a partition back that another member advanced
   * meanwhile. Owners re-claim each partition and rewind to its committed offsets (`seek`).
   */
  generation(partitions: readonly number[]): void;
  /**
   * A chunk of one topic-partition, in offset order. Resolve `true` once the messages are folded
   * into the partition's working state (not necessarily committed: offsets are committed by the
   * owner's own transactions), `false` to leave them unread (the partition was rewound or is no
   * longer owned). Throw to have the chunk fetched again. `heartbeat` keeps the membership alive
   * during long waits; `isCurrent` turns false once the partition is revoked or the consumer stops.
   */
  chunk(messages: ConsumedMessage[], control: ChunkControl): Promise<boolean>;
  /**
   * The partition's log holds nothing to hand over up to `nextOffset` (transaction markers, aborted
   * records): the owner may count it as consumed.
   */
  passed(topic: string, partition: number, nextOffset: bigint): void;
}

export interface ChunkControl {
  heartbeat(): Promise<void>;
  isCurrent(): boolean;
  /** The offset after the chunk's last record and any transaction markers right behind it. */
  through: bigint;
}

export interface PartitionTaskConsumerOptions extends GroupTimingOptions {
  groupId: string;
  /** Co-partitioned topics: keyed alike, equal partition counts. */
  topics: readonly string[];
  listener: PartitionTaskListener;
  log: LogSink;
  metrics: KafkaMetrics;
  maxChunkMessages?: number;
  stallAfterMs?: number;
}

/**
 * A consumer for a stateful processor that owns partitions, in the manner of Kafka Streams'
 * tasks: partition p of every subscribed topic goes to one member (co-partitioned, sticky
 * assignment), chunks are handed to the owner, and nothing is committed here: the owner commits
 * consumed offsets inside the transactions that write its state, so offsets and state never
 * disagree. Fetching still advances as chunks are handed over (resolveOffset); after a rebalance
 * kafkajs fetches again from the committed offsets, so an owner sees every message at least once
 * after its last commit and must recognise what it already folded in.
 */
export class PartitionTaskConsumer {
  private readonly consumer: Consumer;
  private owned = new Set<number>();
  private generationId = 0;
  private running = false;
  private joined = false;
  private crashed: string | null = null;
  private lastFetchAt = 0;
  private stopRequested = false;
  private starting: Promise<void> | null = null;
  private readonly describeAccessError: (err: unknown, topics: readonly string[]) => string | null;
  /** Errors a chunk failed with (a crash may follow with one of them as its cause). */
  private readonly chunkErrors = new WeakSet<object>();

  constructor(
    kafka: Kafka,
    private readonly options: PartitionTaskConsumerOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      partitionAssigners: [coPartitionedAssigner(() => [...this.owned])],
      ...groupTiming(kafka, options),
      allowAutoTopicCreation: false,
      // Only what committed transactions wrote: upstream services produce transactionally.
      readUncommitted: false,
      maxWaitTimeInMs: 100,
      // A fetch is held (as objects) until all of it is folded: smaller fetches bound the memory a
      // backlog takes without costing throughput (a partition's fetch still holds thousands of clicks).
      maxBytesPerPartition: 512 * 1024,
      maxBytes: 4 * 1024 * 1024,
      retry: {
        retries: 10,
        initialRetryTime: 300,
        maxRetryTime: 10_000,
        restartOnFailure: async () => !this.stopRequested,
      },
    });
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      this.running = !this.stopRequested;
      const now = new Set<number>(Object.values(payload.memberAssignment).flat());
      const revoked = [...this.owned].filter((p) => !now.has(p));
      const assigned = [...now].filter((p) => !this.owned.has(p));
      this.owned = now;
      this.generationId++;
      options.listener.generation([...now].sort((a, b) => a - b));
      options.log.info(
        { groupId: options.groupId, partitions: [...now].sort((a, b) => a - b), assigned, revoked },
        'partitions assigned',
      );
    });
    this.consumer.on(events.END_BATCH_PROCESS, ({ payload }) => {
      // Batches of markers or aborted records only never reach eachBatch; they still move the log on.
      if (payload.batchSize === 0 && this.owned.has(payload.partition))
        options.listener.passed(payload.topic, payload.partition, BigInt(payload.lastOffset) + 1n);
    });
    this.consumer.on(events.FETCH_START, () => {
      this.lastFetchAt = Date.now();
    });
    // A refusal (a password rotated, an ACL removed) is logged as one line naming what to fix. The
    // subscribed topics are named unless the error came from a chunk: that fails in the owner's
    // own writes, to topics of its own.
    const settings = kafkaSettingsOf(kafka);
    this.describeAccessError = (err, topics) =>
      describeKafkaAccessError(err, settings, { topics, groupId: options.groupId });
    this.consumer.on(events.CRASH, ({ payload }) => {
      const explained = this.describeAccessError(payload.error, this.fromChunk(payload.error) ? [] : options.topics);
      options.log.error(
        { err: explained ?? payload.error, restart: payload.restart, groupId: options.groupId },
        'consumer crashed',
      );
      if (!payload.restart) this.crashed = explained ?? payload.error.message;
    });
    this.consumer.on(events.STOP, () => {
      this.running = false;
    });
  }

  private fromChunk(err: unknown): boolean {
    for (
      let e = err as { cause?: unknown } | undefined, depth = 0;
      e && typeof e === 'object' && depth < 8;
      e = e.cause as typeof e, depth++
    ) {
      if (this.chunkErrors.has(e)) return true;
    }
    return false;
  }

  /**
   * Fetches the partition's topics from these offsets next (kafkajs caches the group's committed
   * offsets from its first fetch, and the owner commits through its own producer, so after a
   * rebalance the consumer's idea of them may be old).
   */
  seek(offsets: readonly { topic: string; partition: number; offset: string }[]): void {
    for (const o of offsets) this.consumer.seek(o);
  }

  /** Partitions this member owns now. */
  partitions(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  /** Joins and consumes; a failed start (say, topics not led yet) may be retried by calling it again. */
  start(): Promise<void> {
    this.starting ??= this.doStart().catch((err: unknown) => {
      this.starting = null;
      throw err;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
    this.running = true;
    this.lastFetchAt = Date.now();
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const { topic, partition } = batch;
        const { metrics, listener } = this.options;
        const chunkSize = this.options.maxChunkMessages ?? 2000;
        const generation = this.generationId;
        const isCurrent = () =>
          isRunning() &&
          !isStale() &&
          this.owned.has(partition) &&
          !this.stopRequested &&
          generation === this.generationId;
        for (let start = 0; start < batch.messages.length; start += chunkSize) {
          if (!isCurrent()) break;
          const messages = batch.messages
            .slice(start, start + chunkSize)
            .map((m) => toConsumedMessage(topic, partition, m));
          metrics.consumed.inc({ topic }, messages.length);
          metrics.batchSize.observe({ topic }, messages.length);
          const stop = metrics.handlerSeconds.startTimer({ topic });
          const lastInChunk = BigInt(messages[messages.length - 1]!.offset);
          // The last chunk of a batch also covers the transaction markers that close it.
          const batchEnd = BigInt(batch.lastOffset());
          const through =
            (start + chunkSize >= batch.messages.length && batchEnd > lastInChunk ? batchEnd : lastInChunk) + 1n;
          let taken: boolean;
          try {
            taken = await listener.chunk(messages, { heartbeat, isCurrent, through });
          } catch (err) {
            metrics.handlerErrors.inc({ topic });
            if (typeof err === 'object' && err !== null) this.chunkErrors.add(err);
            this.options.log.error(
              { err: this.describeAccessError(err, []) ?? err, topic, partition, firstOffset: messages[0]?.offset },
              'chunk failed; it will be fetched again',
            );
            throw err;
          }
          stop();
          if (!taken) break;
          resolveOffset(messages[messages.length - 1]!.offset);
          const last = Number(messages[messages.length - 1]!.offset);
          metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - last - 1));
          await heartbeat();
        }
      },
    });
  }

  /**
   * Stops: no new chunks are handed over, `beforeLeave` runs while this member still owns its
   * partitions (the owner flushes and commits there), then the consumer leaves the group.
   */
  async stop(beforeLeave: () => Promise<void> = async () => undefined): Promise<void> {
    this.stopRequested = true;
    await this.starting?.catch(() => undefined);
    // Pausing stops fetching; chunks in flight finish (isCurrent is now false between chunks).
    try {
      this.consumer.pause(this.options.topics.map((topic) => ({ topic })));
    } catch {
      // Not running: nothing to pause.
    }
    await beforeLeave().catch((err: unknown) =>
      this.options.log.error({ err }, 'flush before leaving the group failed'),
    );
    this.running = false;
    await this.consumer.disconnect();
  }

  health(now = Date.now()): ConsumerHealth {
    const stallAfter = this.options.stallAfterMs ?? 60_000;
    return {
      running: this.running,
      joined: this.joined,
      paused: false,
      crashed: this.crashed,
      stalled: this.running && now - this.lastFetchAt > stallAfter,
      lastFetchAt: this.lastFetchAt,
    };
  }
}
