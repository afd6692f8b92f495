import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { dlqTopicName } from '@profilestream/contracts';
import type { KafkaSettings } from '@profilestream/config';
import { AcknowledgedChunkWriter, type ChunkWriter } from './chunk-writer';
import type { DeadLetter, DeadLetterPublisher } from './dead-letter';
import { describeKafkaAccessError } from './kafka-errors';
import { groupTiming, kafkaSettingsOf, type GroupTimingOptions } from './kafka.client';
import type { KafkaMetrics } from './kafka-metrics';
import type { LogSink } from './log-sink';
import type { TopicBatch } from './transactional-producer';

/** A consumed record, detached from kafkajs' types. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  /** Record timestamp, epoch milliseconds. */
  timestamp: number;
}

/**
 * What became of one message. Every consumed message gets exactly one: applied (`ok`),
 * dead-lettered with a reason (`dlq`), or deliberately dropped with a counted reason (`drop`).
 */
export type Outcome =
  { kind: 'ok' } | { kind: 'dlq'; reason: string; detail?: string } | { kind: 'drop'; reason: string };

export const ok: Outcome = Object.freeze({ kind: 'ok' });
export const dlq = (reason: string, detail?: string): Outcome =>
  detail === undefined ? { kind: 'dlq', reason } : { kind: 'dlq', reason, detail };
export const drop = (reason: string): Outcome => ({ kind: 'drop', reason });

/**
 * Handles a chunk of messages from one topic-partition, in offset order, and returns one outcome
 * per message in the same order. Resolve only after the side effects are durable. Throw only for
 * failures that retrying can cure (a dependency is down): the chunk is then redelivered.
 */
export type BatchHandler = (messages: ConsumedMessage[]) => Promise<Outcome[]>;

/** What a transforming handler made of a chunk; the consumer writes it, the handler writes nothing to Kafka. */
export interface ChunkResult {
  /** One per consumed message, in order. */
  outcomes: Outcome[];
  /** The records the chunk's `ok` messages produce. */
  records: TopicBatch[];
  /** Runs once the records are durable: counters that a redelivered chunk must not count twice. */
  onDurable?: () => void;
}

/**
 * Turns a chunk of messages from one topic-partition, in offset order, into records to write and
 * one outcome per message. The consumer writes the records, the dead letters of `dlq` outcomes and
 * the chunk's offsets together (one Kafka transaction with a TransactionalChunkWriter). Throw only
 * for failures that retrying can cure: the chunk is then redelivered.
 */
export type TransformHandler = (messages: ConsumedMessage[]) => Promise<ChunkResult>;

/** Settings shared by both kinds of consumer. */
export interface ConsumerSettings extends GroupTimingOptions {
  groupId: string;
  topics: readonly string[];
  metrics: KafkaMetrics;
  log: LogSink;
  /** Largest chunk handed to the handler at once. */
  maxChunkMessages?: number;
  /**
   * Chunks of one partition whose handlers may run at once (default 1: one after another). With
   * more, the next chunk is handled while the one before it is still being handled or written,
   * so a handler that queues work elsewhere (inference) stays fed while a chunk's transaction
   * commits. Writes, offsets and `onDurable` still follow offset order, one chunk after another;
   * when a chunk fails, the chunks started after it are not written. Handlers must tolerate
   * running ahead of the previous chunk's write (their side effects before the write, such as a
   * cache, must be safe to repeat on redelivery).
   */
  chunksInFlight?: number;
  partitionsConsumedConcurrently?: number;
  /** Where a new consumer group starts; pipelines start at the beginning so nothing is missed. */
  fromBeginning?: boolean;
  /** A running consumer that has not fetched for this long counts as stalled (health turns red). */
  stallAfterMs?: number;
  /**
   * How long a partition whose writer was fenced waits for the rebalance that gives it away
   * (default 15 s, several heartbeats) before this member claims it again.
   */
  reclaimAfterFenceMs?: number;
}

/** The handler writes its own outputs; dead letters are acknowledged, then offsets committed (at least once). */
export interface HandlerConsumerOptions extends ConsumerSettings {
  handler: BatchHandler;
  deadLetters: DeadLetterPublisher;
}

/** The handler returns its outputs; `writer` makes them durable with the chunk's offsets. */
export interface TransformConsumerOptions extends ConsumerSettings {
  transform: TransformHandler;
  writer: ChunkWriter;
}

export type BatchConsumerOptions = HandlerConsumerOptions | TransformConsumerOptions;

export interface ConsumerHealth {
  running: boolean;
  /** Joined its group and was assigned partitions (or none, if there are more members than partitions). */
  joined: boolean;
  paused: boolean;
  /** A crash kafkajs will not restart from; the process should be replaced. */
  crashed: string | null;
  stalled: boolean;
  lastFetchAt: number;
}

type PartitionKey = `${string}:${number}`;

/**
 * How long a member waits, after a partition's writer was fenced, before it claims the partition
 * again when no rebalance has taken it away: several heartbeats, so a member that really lost the
 * partition hears of it first (`ConsumerSettings.reclaimAfterFenceMs`; profile-fuser's tasks too).
 */
export const RECLAIM_AFTER_FENCE_MS = 15_000;
const keyOf = (topic: string, partition: number): PartitionKey => `${topic}:${partition}`;

/**
 * A kafkajs consumer on `eachBatch` that commits only what its handler finished.
 *
 * Invariant: a message's offset is resolved (and then committed) only after its outcome is
 * durable: its records and, for `dlq` outcomes, its dead letter written by the chunk writer (in
 * the same transaction as the offsets, for a transactional writer). Chunks are written and their
 * offsets resolved in offset order, one after another, even when their handlers overlap
 * (`chunksInFlight`), so a commit never passes an unfinished message.
 *
 * Reads committed data only (read_committed): records of aborted or open transactions of the
 * stage before never reach a handler.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private readonly transform: TransformHandler;
  private readonly writer: ChunkWriter;
  private readonly settings: KafkaSettings | null;
  /** Refusals a chunk step failed with, and the topics that step read or wrote. */
  private readonly batchRefusals = new WeakMap<object, readonly string[]>();
  private running = false;
  private joined = false;
  private paused = false;
  private crashed: string | null = null;
  private lastFetchAt = 0;
  private starting: Promise<void> | null = null;
  private stopRequested = false;
  /** Partitions whose writer was fenced: another member owns them now; untouched until the next assignment. */
  private readonly fenced = new Map<PartitionKey, { topic: string; partition: number }>();
  private readonly reclaims = new Set<NodeJS.Timeout>();

  constructor(
    kafka: Kafka,
    private readonly options: BatchConsumerOptions,
  ) {
    this.settings = kafkaSettingsOf(kafka);
    if ('transform' in options) {
      this.transform = options.transform;
      this.writer = options.writer;
    } else {
      const { handler } = options;
      this.transform = async (messages) => ({ outcomes: await handler(messages), records: [] });
      this.writer = new AcknowledgedChunkWriter(options.deadLetters);
    }
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      ...groupTiming(kafka, options),
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
      // kafkajs' default, stated because exactly-once depends on it: never hand a handler records of
      // a transaction that was aborted (or is still open) upstream.
      readUncommitted: false,
      // After a crash kafkajs disconnects (emitting STOP) and then restarts the consumer on its own;
      // never once we asked it to stop, or a zombie member would rejoin the group and hold
      // partitions nobody consumes. (`running` cannot decide: the crash's own STOP clears it.)
      retry: {
        retries: 10,
        initialRetryTime: 300,
        maxRetryTime: 10_000,
        restartOnFailure: async () => !this.stopRequested,
      },
    });
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, (event) => {
      this.joined = true;
      // A consumer restarted after a crash is running again (the crash's STOP had cleared it).
      this.running = !this.stopRequested;
      this.onAssignment(event.payload.memberAssignment);
    });
    this.consumer.on(events.FETCH_START, () => {
      this.lastFetchAt = Date.now();
    });
    this.consumer.on(events.CRASH, (event) => {
      const { error, restart } = event.payload;
      // A refusal (a password rotated, an ACL removed) as one line naming what to fix; any other error as it is.
      const explained = this.describeAccessError(error, this.topicsInvolvedIn(error));
      options.log.error({ err: explained ?? error, restart, groupId: options.groupId }, 'consumer crashed');
      if (!restart) this.crashed = explained ?? error.message;
    });
    this.consumer.on(events.STOP, () => {
      this.running = false;
    });
  }

  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [...this.options.topics],
      fromBeginning: this.options.fromBeginning ?? true,
    });
    this.running = true;
    this.lastFetchAt = Date.now();
    await this.consumer.run({
      eachBatchAutoResolve: false,
      // A writer that commits offsets in its transactions is their only committer: a plain commit
      // could move an offset past records whose transaction then aborts.
      autoCommit: !this.writer.commitsOffsets,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** Finishes the chunk in flight, commits what was resolved, leaves the group, closes the writer. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.running = false;
    this.cancelReclaims();
    // A stop during start-up waits for it: disconnecting a half-started consumer leaves it joining.
    await this.starting?.catch(() => undefined);
    await this.consumer.disconnect();
    await this.writer
      .close()
      .catch((err: unknown) =>
        this.options.log.error({ err, groupId: this.options.groupId }, 'closing the chunk writer failed'),
      );
  }

  /** Stops fetching from every subscribed topic (backpressure); in-flight work continues. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.consumer.pause(this.options.topics.map((topic) => ({ topic })));
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.consumer.resume(this.options.topics.map((topic) => ({ topic })));
    // Resuming whole topics also lifts the pause of partitions lost to another member.
    for (const { topic, partition } of this.fenced.values()) this.consumer.pause([{ topic, partitions: [partition] }]);
  }

  health(now = Date.now()): ConsumerHealth {
    const stallAfter = this.options.stallAfterMs ?? 60_000;
    return {
      running: this.running,
      joined: this.joined,
      paused: this.paused,
      crashed: this.crashed,
      stalled: this.running && !this.paused && now - this.lastFetchAt > stallAfter,
      lastFetchAt: this.lastFetchAt,
    };
  }

  /** `describeKafkaAccessError`'s line when Kafka refused this consumer (or its writer) `topics` or its group; else null. */
  private describeAccessError(err: unknown, topics: readonly string[]): string | null {
    return describeKafkaAccessError(err, this.settings, { topics, groupId: this.options.groupId });
  }

  /** The topics a crash's error concerns: those of the chunk step that failed with it, else (a fetch, a join) the subscribed ones. */
  private topicsInvolvedIn(err: unknown): readonly string[] {
    for (
      let e = err as { cause?: unknown } | undefined, depth = 0;
      e && typeof e === 'object' && depth < 8;
      e = e.cause as typeof e, depth++
    ) {
      const topics = this.batchRefusals.get(e);
      if (topics) return topics;
    }
    return this.options.topics;
  }

  /** A new generation of the group: what this member owns now. */
  private onAssignment(assignment: Record<string, number[]>): void {
    this.writer.assigned(assignment);
    // Partitions lost to another member may be ours again, under a fresh claim.
    this.cancelReclaims();
    const lost = [...this.fenced.values()];
    this.fenced.clear();
    if (!this.paused)
      for (const { topic, partition } of lost) this.consumer.resume([{ topic, partitions: [partition] }]);
  }

  /**
   * The writer was fenced: another member took the partition over. Leave it alone until the next
   * assignment. When none comes, the fence came from something else (the broker expiring a
   * transaction that stayed open through an outage bumps the producer's epoch too): the partition
   * is claimed again, from its committed offset. Without that it would stay paused for good.
   */
  private onFenced(topic: string, partition: number, firstOffset: string): void {
    const key = keyOf(topic, partition);
    this.fenced.set(key, { topic, partition });
    // Under backpressure whole topics are paused already, and a partition-level pause would lift
    // that (kafkajs keeps one or the other per topic); resume() pauses fenced partitions again.
    if (!this.paused) this.consumer.pause([{ topic, partitions: [partition] }]);
    this.options.log.warn(
      { topic, partition, firstOffset, groupId: this.options.groupId },
      'producer fenced: another member took this partition over; its chunk was not written and the partition is left to the new owner',
    );
    const timer = setTimeout(() => {
      this.reclaims.delete(timer);
      if (this.stopRequested || !this.fenced.delete(key)) return;
      this.options.log.warn(
        { topic, partition, groupId: this.options.groupId },
        'partition still assigned here after its writer was fenced; claiming it again',
      );
      if (!this.paused) this.consumer.resume([{ topic, partitions: [partition] }]);
    }, this.options.reclaimAfterFenceMs ?? RECLAIM_AFTER_FENCE_MS);
    timer.unref();
    this.reclaims.add(timer);
  }

  private cancelReclaims(): void {
    for (const timer of this.reclaims) clearTimeout(timer);
    this.reclaims.clear();
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    uncommittedOffsets,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const { metrics, log } = this.options;
    if (this.fenced.has(keyOf(topic, partition))) return;
    const chunkSize = this.options.maxChunkMessages ?? 500;
    const depth = Math.max(1, this.options.chunksInFlight ?? 1);
    /** Chunks whose handler has started, oldest first; each is written only after the one before it. */
    const started: StartedChunk[] = [];
    let start = 0;
    let firstOffset = '';
    /** The topics the step in progress reads or writes: named when Kafka denies one of them. */
    let involved: string[] = [topic];
    try {
      for (;;) {
        // Start chunks, in offset order, while there is room.
        while (started.length < depth && start < batch.messages.length && isRunning() && !isStale()) {
          involved = [topic];
          const messages = batch.messages
            .slice(start, start + chunkSize)
            .map((m) => toConsumedMessage(topic, partition, m));
          const first = messages[0]!.offset;
          const lastOffset = BigInt(messages[messages.length - 1]!.offset);
          // The last chunk of a batch also passes the control records (transaction markers) behind it.
          const next =
            (start + chunkSize >= batch.messages.length
              ? maxOffset(lastOffset, BigInt(batch.lastOffset()))
              : lastOffset) + 1n;
          firstOffset = first;
          const claim = await this.writer.claim(topic, partition, first).catch(redeliver);
          if (claim.kind === 'skip') {
            // Nothing started after a skip is written: it runs from offsets this member may not own or that were committed already.
            if (started.length > 0)
              log.info(
                { topic, partition, dropped: started.length, groupId: this.options.groupId },
                'chunks in flight left unwritten',
              );
            started.length = 0;
            if (claim.seekTo !== undefined) this.consumer.seek({ topic, partition, offset: claim.seekTo });
            log.info(
              {
                topic,
                partition,
                firstOffset: first,
                seekTo: claim.seekTo,
                reason: claim.reason,
                groupId: this.options.groupId,
              },
              'chunk not handled here',
            );
            return;
          }
          start += chunkSize;
          metrics.consumed.inc({ topic }, messages.length);
          metrics.batchSize.observe({ topic }, messages.length);
          const stopTimer = metrics.handlerSeconds.startTimer({ topic });
          const result = this.transform(messages);
          // Awaited in order below; a chunk left unwritten after an earlier one failed must not surface as an unhandled rejection.
          result.catch(() => undefined);
          started.push({ messages, next, result, stopTimer });
        }
        const chunk = started.shift();
        if (!chunk) return;
        firstOffset = chunk.messages[0]!.offset;
        // A handler's own writes are to topics this consumer does not know.
        involved = [];
        const result = await chunk.result;
        if (result.outcomes.length !== chunk.messages.length) {
          throw new Error(`handler returned ${result.outcomes.length} outcomes for ${chunk.messages.length} messages`);
        }
        const deadLetters: DeadLetter[] = [];
        result.outcomes.forEach((o, i) => {
          if (o.kind === 'dlq')
            deadLetters.push({
              message: chunk.messages[i]!,
              reason: o.reason,
              ...(o.detail === undefined ? {} : { detail: o.detail }),
            });
        });
        involved = [
          ...result.records.filter((b) => b.messages.length > 0).map((b) => b.topic),
          ...(deadLetters.length > 0 ? [dlqTopicName(topic)] : []),
          topic,
        ];
        const written = await this.writer
          .write({ topic, partition, records: result.records, deadLetters, nextOffset: chunk.next.toString() })
          .catch(redeliver);
        chunk.stopTimer();
        if (written === 'fenced') {
          // The chunks started after it are dropped with it: the partition is someone else's now.
          this.onFenced(topic, partition, firstOffset);
          return;
        }
        result.onDurable?.();
        for (let i = 0; i < chunk.messages.length; i++) {
          const o = result.outcomes[i]!;
          metrics.outcomes.inc({ topic, outcome: o.kind, reason: o.kind === 'ok' ? '' : o.reason });
          resolveOffset(chunk.messages[i]!.offset);
        }
        metrics.lag.set(
          { topic, partition: String(partition) },
          Math.max(0, Number(BigInt(batch.highWatermark) - chunk.next)),
        );
        involved = [topic];
        await heartbeat();
        // Commit every finished chunk: a restart then replays at most the chunks that were in flight.
        // (A transactional writer committed the offsets with the chunk's records already.)
        if (!this.writer.commitsOffsets) await commitOffsetsIfNecessary(uncommittedOffsets());
      }
    } catch (err) {
      // Chunks started after the failed one are not written; kafkajs fetches them again from the last resolved offset.
      metrics.handlerErrors.inc({ topic });
      const explained = this.describeAccessError(err, involved);
      // Should kafkajs give up on the chunk, the consumer crashes with this error: its explanation names the same topics.
      if (explained && typeof err === 'object' && err !== null) this.batchRefusals.set(err, involved);
      log.error(
        { err: explained ?? err, topic, partition, firstOffset },
        'handler failed; the chunk will be redelivered',
      );
      throw err;
    }
  }
}

interface StartedChunk {
  messages: ConsumedMessage[];
  /** The offset to read after this chunk (its consumed offset to commit). */
  next: bigint;
  result: Promise<ChunkResult>;
  stopTimer: () => number;
}

/**
 * A failure to claim a partition or write a chunk, marked retriable: kafkajs then redelivers the
 * chunk (from the last resolved offset) instead of crashing the consumer for good, as it does on a
 * Kafka error it deems final (a record too large, an authorisation refused). Once its retries are
 * spent it restarts the consumer, which redelivers the chunk too.
 */
export class ChunkRedeliveryError extends Error {
  override readonly name = 'ChunkRedeliveryError';
  readonly retriable = true;
}

function redeliver(err: unknown): never {
  throw new ChunkRedeliveryError(err instanceof Error ? err.message : String(err), { cause: err });
}

function maxOffset(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** A kafkajs message as handlers, readers and tests see it. */
export function toConsumedMessage(topic: string, partition: number, m: KafkaMessage): ConsumedMessage {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ?? null,
    value: m.value ?? null,
    headers: normaliseHeaders(m.headers),
    timestamp: Number(m.timestamp),
  };
}

/** kafkajs headers (string, Buffer or arrays of them) as one Buffer per name. */
export function normaliseHeaders(headers: IHeaders | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = Buffer.isBuffer(first) ? first : Buffer.from(first);
  }
  return out;
}
