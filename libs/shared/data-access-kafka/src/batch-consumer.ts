import type { Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { DeadLetter, DeadLetterPublisher } from './dead-letter';
import type { KafkaMetrics } from './kafka-metrics';
import type { LogSink } from './log-sink';

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
export type Outcome = { kind: 'ok' } | { kind: 'dlq'; reason: string; detail?: string } | { kind: 'drop'; reason: string };

export const ok: Outcome = Object.freeze({ kind: 'ok' });
export const dlq = (reason: string, detail?: string): Outcome => (detail === undefined ? { kind: 'dlq', reason } : { kind: 'dlq', reason, detail });
export const drop = (reason: string): Outcome => ({ kind: 'drop', reason });

/**
 * Handles a chunk of messages from one topic-partition, in offset order, and returns one outcome
 * per message in the same order. Resolve only after the side effects are durable. Throw only for
 * failures that retrying can cure (a dependency is down): the chunk is then redelivered.
 */
export type BatchHandler = (messages: ConsumedMessage[]) => Promise<Outcome[]>;

export interface BatchConsumerOptions {
  groupId: string;
  topics: readonly string[];
  handler: BatchHandler;
  deadLetters: DeadLetterPublisher;
  metrics: KafkaMetrics;
  log: LogSink;
  /** Largest chunk handed to the handler at once. */
  maxChunkMessages?: number;
  partitionsConsumedConcurrently?: number;
  /** Where a new consumer group starts; pipelines start at the beginning so nothing is missed. */
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** A running consumer that has not fetched for this long counts as stalled (health turns red). */
  stallAfterMs?: number;
}

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

/**
 * A kafkajs consumer on `eachBatch` that commits only what its handler finished.
 *
 * Invariant: a message's offset is resolved (and then committed) only after the handler returned
 * its outcome and, for `dlq` outcomes, after the dead-letter record was acknowledged. Offsets are
 * resolved in order, so a commit never passes an unfinished message.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private running = false;
  private joined = false;
  private paused = false;
  private crashed: string | null = null;
  private lastFetchAt = 0;
  private starting: Promise<void> | null = null;
  private stopRequested = false;

  constructor(
    kafka: Kafka,
    private readonly options: BatchConsumerOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
      // After a crash kafkajs disconnects (emitting STOP) and then restarts the consumer on its own;
      // never once we asked it to stop, or a zombie member would rejoin the group and hold
      // partitions nobody consumes. (`running` cannot decide: the crash's own STOP clears it.)
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000, restartOnFailure: async () => !this.stopRequested },
    });
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, () => {
      this.joined = true;
      // A consumer restarted after a crash is running again (the crash's STOP had cleared it).
      this.running = !this.stopRequested;
    });
    this.consumer.on(events.FETCH_START, () => {
      this.lastFetchAt = Date.now();
    });
    this.consumer.on(events.CRASH, (event) => {
      const { error, restart } = event.payload;
      options.log.error({ err: error, restart, groupId: options.groupId }, 'consumer crashed');
      if (!restart) this.crashed = error.message;
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
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: this.options.fromBeginning ?? true });
    this.running = true;
    this.lastFetchAt = Date.now();
    await this.consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** Finishes the chunk in flight, commits what was resolved, leaves the group. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.running = false;
    // A stop during start-up waits for it: disconnecting a half-started consumer leaves it joining.
    await this.starting?.catch(() => undefined);
    await this.consumer.disconnect();
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

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    uncommittedOffsets,
    isRunning,
    isStale,
  }: Parameters<NonNullable<Parameters<Consumer['run']>[0]>['eachBatch'] & object>[0]): Promise<void> {
    const { topic, partition } = batch;
    const { metrics, handler, log } = this.options;
    const chunkSize = this.options.maxChunkMessages ?? 500;
    for (let start = 0; start < batch.messages.length; start += chunkSize) {
      if (!isRunning() || isStale()) break;
      const messages = batch.messages.slice(start, start + chunkSize).map((m) => toConsumedMessage(topic, partition, m));
      metrics.consumed.inc({ topic }, messages.length);
      metrics.batchSize.observe({ topic }, messages.length);
      const stopTimer = metrics.handlerSeconds.startTimer({ topic });
      let outcomes: Outcome[];
      try {
        outcomes = await handler(messages);
        if (outcomes.length !== messages.length) {
          throw new Error(`handler returned ${outcomes.length} outcomes for ${messages.length} messages`);
        }
        const letters: DeadLetter[] = [];
        outcomes.forEach((o, i) => {
          if (o.kind === 'dlq') letters.push({ message: messages[i]!, reason: o.reason, ...(o.detail === undefined ? {} : { detail: o.detail }) });
        });
        if (letters.length > 0) await this.options.deadLetters.publish(letters);
      } catch (err) {
        metrics.handlerErrors.inc({ topic });
        log.error({ err, topic, partition, firstOffset: messages[0]?.offset }, 'handler failed; the chunk will be redelivered');
        throw err;
      }
      stopTimer();
      for (let i = 0; i < messages.length; i++) {
        const o = outcomes[i]!;
        metrics.outcomes.inc({ topic, outcome: o.kind, reason: o.kind === 'ok' ? '' : o.reason });
        resolveOffset(messages[i]!.offset);
      }
      const lastOffset = Number(messages[messages.length - 1]!.offset);
      metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - lastOffset - 1));
      await heartbeat();
      // Commit every finished chunk: a restart then replays at most the chunk that was in flight.
      await commitOffsetsIfNecessary(uncommittedOffsets());
    }
  }
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
