import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { normaliseHeaders, type ConsumedMessage } from './batch-consumer';

/**
 * Reads a topic from its beginning up to the high watermarks present when the call started (a
 * snapshot), with a throwaway consumer group, and hands every record to `onRecord` in offset order
 * per partition. For compacted topics this yields the latest value per key, tombstones included.
 */
export async function readTopicToEnd(kafka: Kafka, topic: string, onRecord: (m: ConsumedMessage) => Promise<void> | void): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  const groupId = `snapshot-reader-${randomBytes(6).toString('hex')}`;
  const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
  let count = 0;
  if (pending.size > 0) {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            if (!pending.has(partition)) return;
            await onRecord({
              topic,
              partition,
              offset: message.offset,
              key: message.key,
              value: message.value,
              headers: normaliseHeaders(message.headers),
              timestamp: Number(message.timestamp),
            });
            count++;
            if (BigInt(message.offset) + 1n >= ends.get(partition)!) {
              pending.delete(partition);
              if (pending.size === 0) resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
  }
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  return count;
}
