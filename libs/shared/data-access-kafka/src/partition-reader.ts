import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka, PartitionAssigner } from 'kafkajs';
import { AssignerProtocol } from 'kafkajs';
import { toConsumedMessage, type ConsumedMessage } from './batch-consumer';

/** Marks the groups of readers: they never commit, so they hold no lag to watch. */
const READER_MARK = '.reader.';

/**
 * The name prefix of a reader group of the consumer group `owner` (for `purpose`): it starts with
 * the owner's name, so the prefixed group ACL of the owner's principal covers it.
 */
export function readerGroupPrefix(owner: string, purpose: string): string {
  return `${owner}${READER_MARK}${purpose}`;
}

/** Whether a group is a reader's (see `readerGroupPrefix`): lag tools leave these out. */
export function isReaderGroup(groupId: string): boolean {
  return groupId.includes(READER_MARK);
}

/**
 * A throwaway group name: readers never commit, so nothing of them stays on the broker. The name
 * starts with the caller's prefix, which is what its principal's group ACL allows.
 */
function readerGroup(name: string): string {
  return `${name}-${randomBytes(6).toString('hex')}`;
}

/** Assigns the one member of a throwaway group exactly the partitions asked for. */
function fixedAssigner(topic: string, partitions: readonly number[]): PartitionAssigner {
  return () => ({
    name: 'FixedPartitionsAssigner',
    version: 1,
    async assign({ members }) {
      return members.map(({ memberId }, i) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: i === 0 ? { [topic]: [...partitions] } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'FixedPartitionsAssigner',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}

/**
 * Tracks when each partition has been read up to the end offset it had when reading began. Batches
 * that hold only transaction markers (or aborted records) are never handed to eachBatch, but
 * kafkajs reports their last offset in its end-of-batch event, so a partition whose log ends with a
 * commit marker is still seen to end.
 */
class EndTracker {
  private readonly pending: Map<number, bigint>;
  private done!: () => void;
  readonly reached = new Promise<void>((resolve) => (this.done = resolve));

  constructor(ends: Map<number, { from: bigint; end: bigint }>) {
    this.pending = new Map([...ends].filter(([, r]) => r.end > r.from).map(([p, r]) => [p, r.end]));
    if (this.pending.size === 0) this.done();
  }

  seen(partition: number, lastOffset: bigint): void {
    const end = this.pending.get(partition);
    if (end === undefined || lastOffset + 1n < end) return;
    this.pending.delete(partition);
    if (this.pending.size === 0) this.done();
  }

  waitingFor(): number[] {
    return [...this.pending.keys()];
  }
}

/**
 * Reads one partition from `fromOffset` up to the end it has when the call starts (committed
 * records only), handing each record to `onRecord` in offset order. Fails when no progress is made
 * for `stallMs`.
 */
export async function readPartition(
  kafka: Kafka,
  topic: string,
  partition: number,
  fromOffset: bigint,
  onRecord: (m: ConsumedMessage) => Promise<void> | void,
  options: { stallMs?: number; heartbeat?: () => Promise<void>; groupPrefix?: string } = {},
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  let end: bigint;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const p = offsets.find((o) => o.partition === partition);
    if (!p) throw new Error(`${topic} has no partition ${partition}`);
    end = BigInt(p.high);
  } finally {
    await admin.disconnect();
  }
  if (fromOffset >= end) return 0;
  const tracker = new EndTracker(new Map([[partition, { from: fromOffset, end }]]));
  const consumer = kafka.consumer({
    groupId: readerGroup(options.groupPrefix ?? 'partition-reader'),
    partitionAssigners: [fixedAssigner(topic, [partition])],
    maxWaitTimeInMs: 100,
    readUncommitted: false,
  });
  return runReader(
    consumer,
    topic,
    tracker,
    options.stallMs ?? 120_000,
    async (m) => {
      if (BigInt(m.offset) >= fromOffset) await onRecord(m);
    },
    async () => {
      if (fromOffset > 0n) consumer.seek({ topic, partition, offset: fromOffset.toString() });
    },
    options.heartbeat,
  );
}

async function runReader(
  consumer: Consumer,
  topic: string,
  tracker: EndTracker,
  stallMs: number,
  onRecord: (m: ConsumedMessage) => Promise<void>,
  afterRun: () => Promise<void>,
  heartbeat?: () => Promise<void>,
): Promise<number> {
  let count = 0;
  let lastProgress = Date.now();
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    lastProgress = Date.now();
    tracker.seen(payload.partition, BigInt(payload.lastOffset));
  });
  await consumer.connect();
  let watchdog: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const failed = new Promise<never>((_, reject) => {
      watchdog = setInterval(
        () => {
          if (Date.now() - lastProgress > stallMs)
            reject(
              new Error(
                `${topic}: no progress for ${stallMs} ms; partitions ${tracker.waitingFor().join(', ')} not read to their end`,
              ),
            );
          void heartbeat?.().catch(() => undefined);
        },
        Math.min(1000, stallMs),
      );
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          await onRecord(toConsumedMessage(batch.topic, batch.partition, message));
          count++;
        }
        lastProgress = Date.now();
      },
    });
    await afterRun();
    await Promise.race([tracker.reached, failed]);
  } finally {
    clearInterval(watchdog);
    await consumer.disconnect();
  }
  return count;
}

/**
 * Follows a whole topic from its beginning for as long as it runs (a table every instance keeps in
 * full, such as Kafka Streams' global tables): every committed record reaches `onRecords`, in
 * offset order per partition. `caughtUp` resolves once every partition has been read up to the end
 * it had when following began.
 */
export class TopicFollower {
  private readonly consumer: Consumer;
  private tracker: EndTracker | null = null;
  private caughtUpResolve!: () => void;
  readonly caughtUp = new Promise<void>((resolve) => (this.caughtUpResolve = resolve));

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly onRecords: (messages: ConsumedMessage[]) => Promise<void> | void,
    groupName: string,
  ) {
    this.consumer = kafka.consumer({ groupId: readerGroup(groupName), maxWaitTimeInMs: 100, readUncommitted: false });
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) =>
      this.tracker?.seen(payload.partition, BigInt(payload.lastOffset)),
    );
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      // A topic created moments ago may not have its leaders yet (retriable errors): try a while.
      for (let attempt = 1; ; attempt++) {
        try {
          const offsets = await admin.fetchTopicOffsets(this.topic);
          this.tracker = new EndTracker(
            new Map(offsets.map((o) => [o.partition, { from: BigInt(o.low), end: BigInt(o.high) }])),
          );
          break;
        } catch (err) {
          if (attempt >= 30 || !(err as { retriable?: boolean }).retriable) throw err;
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
    } finally {
      await admin.disconnect();
    }
    void this.tracker.reached.then(() => this.caughtUpResolve());
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 8,
      eachBatch: async ({ batch }) => {
        await this.onRecords(batch.messages.map((m) => toConsumedMessage(batch.topic, batch.partition, m)));
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/**
 * State every instance rebuilds from a whole topic (a global table, followed by a TopicFollower):
 * a subclass applies the records; following, catching up and stopping are this class's.
 */
export abstract class FollowedTable {
  private readonly follower: TopicFollower;

  protected constructor(kafka: Kafka, topic: string, groupName: string) {
    this.follower = new TopicFollower(kafka, topic, (messages) => this.apply(messages), groupName);
  }

  /** Resolves once every record committed before following began is applied. */
  get caughtUp(): Promise<void> {
    return this.follower.caughtUp;
  }

  start(): Promise<void> {
    return this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  /** Applies records, in offset order per partition. */
  protected abstract apply(messages: ConsumedMessage[]): Promise<void> | void;
}
