/**
 * What a run left on Kafka: the latest record per user on `<prefix>profiles.v1`, decoded with the
 * project's serdes, and how many records each input and dead-letter topic holds.
 */
import { SingleObjectSerde, topicCatalog, type UserProfile } from '@profilestream/contracts';
import { toConsumedMessage, type ConsumedMessage, type Kafka } from '@profilestream/kafka';
import { randomBytes } from 'node:crypto';
import type { FinalProfile } from '@profilestream/tools-runtime';

/**
 * Reads `topic` from its beginning up to the end offsets present when the call started (a
 * snapshot), with a throwaway group (read-committed: aborted transactions are never seen), and
 * hands every record to `onRecord` in offset order per partition.
 */
export async function readTopicSnapshot(
  kafka: Kafka,
  topic: string,
  onRecord: (m: ConsumedMessage) => void,
  options: { stallMs?: number } = {},
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  let offsets: { partition: number; low: string; high: string }[];
  try {
    offsets = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  return readRanges(
    kafka,
    topic,
    new Map(offsets.map((p) => [p.partition, { from: BigInt(p.low), to: BigInt(p.high) }])),
    onRecord,
    options.stallMs ?? 60_000,
  );
}

/**
 * How many records a read-committed consumer would still receive from offsets [from, to) of one
 * partition; null when that could not be read within `timeoutMs`. Lag computed from offsets also
 * counts transaction markers and aborted records, which no consumer ever receives: a group that
 * consumed everything of a transactionally written partition can be left "1 behind" its end.
 */
export async function visibleRecords(
  kafka: Kafka,
  topic: string,
  partition: number,
  from: number,
  to: number,
  timeoutMs = 15_000,
): Promise<number | null> {
  try {
    return await readRanges(
      kafka,
      topic,
      new Map([[partition, { from: BigInt(from), to: BigInt(to) }]]),
      () => undefined,
      timeoutMs,
    );
  } catch {
    return null;
  }
}

/**
 * Reads offsets [from, to) of the given partitions of `topic` with a throwaway group and returns
 * how many records were delivered. Progress is tracked on the offsets fetched, not on the records
 * delivered: a partition written in transactions ends in commit markers that no consumer receives,
 * so "the last record reached the end offset" would wait forever on it.
 */
async function readRanges(
  kafka: Kafka,
  topic: string,
  ranges: ReadonlyMap<number, { from: bigint; to: bigint }>,
  onRecord: (m: ConsumedMessage) => void,
  stallMs: number,
): Promise<number> {
  const pending = new Set([...ranges].filter(([, r]) => r.to > r.from).map(([p]) => p));
  if (pending.size === 0) return 0;
  const groupId = `chaos-reader-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  let count = 0;
  let lastProgress = Date.now();
  let watchdog: NodeJS.Timeout | undefined;
  let settle: (err?: Error) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())));
  // Emitted after every fetched batch, also one of markers only, with the last offset it covered.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    lastProgress = Date.now();
    const range = ranges.get(payload.partition);
    if (range && pending.has(payload.partition) && BigInt(payload.lastOffset) + 1n >= range.to) {
      pending.delete(payload.partition);
      if (pending.size === 0) settle();
    }
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    watchdog = setInterval(() => {
      if (Date.now() - lastProgress > stallMs)
        settle(
          new Error(
            `${topic}: nothing fetched for ${stallMs} ms; partitions ${[...pending].join(', ')} not read to their end`,
          ),
        );
    }, 250);
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const range = ranges.get(batch.partition);
        if (!range) return;
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset < range.from) continue;
          if (offset >= range.to) break; // written after the read began
          onRecord(toConsumedMessage(topic, batch.partition, m));
          count++;
        }
      },
    });
    for (const [partition, range] of ranges) consumer.seek({ topic, partition, offset: range.from.toString() });
    await finished;
  } finally {
    clearInterval(watchdog);
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([groupId]))
      .catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  return count;
}

/**
 * The final profiles of a run: the latest record per key on `<prefix>profiles.v1` in offset order
 * (a null value is a tombstone: the user was erased).
 */
export async function readFinalProfiles(kafka: Kafka, prefix: string): Promise<Map<string, FinalProfile>> {
  const latest = new Map<string, Buffer | null>();
  await readTopicSnapshot(kafka, topicCatalog(prefix).profiles.name, (m) =>
    latest.set(m.key?.toString() ?? '', m.value),
  );
  return decodeLatest(latest, new SingleObjectSerde('UserProfile'));
}

/** Decodes the latest value per key; null stays null (a tombstone). */
export function decodeLatest(
  latest: ReadonlyMap<string, Buffer | null>,
  serde: { decodeSync(b: Buffer): UserProfile },
): Map<string, FinalProfile> {
  const out = new Map<string, FinalProfile>();
  for (const [key, value] of latest) out.set(key, value === null ? null : serde.decodeSync(value));
  return out;
}

export interface TopicCounts {
  /** Records on each input topic (by short name: reviews.v1, …). */
  input: Record<string, number>;
  /** Records on each dead-letter topic that has any. */
  deadLetters: Record<string, number>;
}

/**
 * Records on the run's input topics (a send the harness retried could have written one twice: this
 * shows it) and on its dead-letter topics. Only topics that exist are read.
 */
export async function countRunTopics(kafka: Kafka, prefix: string): Promise<TopicCounts> {
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics().finally(() => admin.disconnect()));
  const topics = topicCatalog(prefix);
  const count = async (name: string) => (existing.has(name) ? readTopicSnapshot(kafka, name, () => undefined) : 0);
  const input: Record<string, number> = {};
  const deadLetters: Record<string, number> = {};
  for (const t of [topics.reviews, topics.posts, topics.clicks, topics.items, topics.userDeletions])
    input[t.name.slice(prefix.length)] = await count(t.name);
  // Found by their suffix: whichever topic they belong to, internal ones included.
  for (const name of [...existing].filter((n) => n.startsWith(prefix) && n.endsWith('.dlq')).sort()) {
    const n = await count(name);
    if (n > 0) deadLetters[name.slice(prefix.length)] = n;
  }
  return { input, deadLetters };
}
