import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { toConsumedMessage, type ConsumedMessage } from './batch-consumer';
import { isKafkaAccessError } from './kafka-errors';

/**
 * Reads a topic from its beginning up to the high watermarks present when the call started (a
 * snapshot), with a throwaway consumer group, and hands every record to `onRecord` in offset order
 * per partition. For compacted topics this yields the latest value per key, tombstones included.
 * Partitions whose records have all expired (low = high) are empty, not awaited; if no record
 * arrives for `stallMs` while some are still expected, it fails naming them instead of hanging.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  onRecord: (m: ConsumedMessage) => Promise<void> | void,
  options: {
    stallMs?: number;
    /** Start of the throwaway group's name: a principal under ACLs reads in groups of its own prefix. */
    groupPrefix?: string;
  } = {},
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${options.groupPrefix ?? 'snapshot-reader-'}${randomBytes(6).toString('hex')}`;
  // The admin client is closed (and the throwaway group removed) whatever happens below.
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const ends = new Map(offsets.map((p) => [p.partition, BigInt(p.high)]));
    const pending = new Set(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => p.partition));
    let count = 0;
    if (pending.size > 0) {
      // read_committed (kafkajs' default, stated): records of aborted transactions are never read back.
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, readUncommitted: false });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const stallMs = options.stallMs ?? 120_000;
      let lastProgress = Date.now();
      let watchdog: NodeJS.Timeout | undefined;
      try {
        await new Promise<void>((resolve, reject) => {
          watchdog = setInterval(
            () => {
              if (Date.now() - lastProgress > stallMs)
                reject(
                  new Error(
                    `${topic}: no record for ${stallMs} ms; partitions ${[...pending].join(', ')} not read to their end`,
                  ),
                );
            },
            Math.min(1000, stallMs),
          );
          const reached = (partition: number, offset: string) => {
            if (!pending.has(partition) || BigInt(offset) + 1n < ends.get(partition)!) return;
            pending.delete(partition);
            if (pending.size === 0) resolve();
          };
          // A topic written in transactions ends with a commit marker, which takes an offset but never
          // reaches eachMessage; kafkajs reports a batch's last offset, markers included, here.
          // A refusal (the group or topic outside the principal's ACLs) is not cured by the consumer's
          // retries: fail at once, naming the group, instead of waiting out the stall watchdog.
          consumer.on(consumer.events.CRASH, ({ payload }) => {
            if (isKafkaAccessError(payload.error))
              reject(new Error(`${topic}: Kafka refused reading it in group ${groupId}: ${payload.error.message}`));
          });
          consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
            if (payload.topic === topic) reached(payload.partition, payload.lastOffset);
          });
          consumer
            .run({
              eachMessage: async ({ partition, message }) => {
                if (!pending.has(partition)) return;
                await onRecord(toConsumedMessage(topic, partition, message));
                count++;
                lastProgress = Date.now();
                reached(partition, message.offset);
              },
            })
            .catch(reject);
        });
      } finally {
        clearInterval(watchdog);
        await consumer.disconnect();
      }
    }
    return count;
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
