import { TransactionalProducer, readTopicToEnd, silentLog } from '../src';
import { connectedPlainKafka, createTopic, testKafka, uniqueName } from '../src/testing';

describe('readTopicToEnd on a real broker', () => {
  // A plain producer: these tests place records on chosen partitions.
  const { kafka, admin, producer } = connectedPlainKafka(testKafka());

  it('reads every partition to the end present at the start, skipping partitions whose records all expired', async () => {
    const topic = uniqueName('reader');
    await createTopic(admin, topic, 3);
    for (const partition of [0, 1, 2]) {
      await producer.send({
        topic,
        messages: [0, 1, 2].map((i) => ({ key: `k${partition}-${i}`, value: `p${partition}-${i}`, partition })),
      });
    }
    // As retention does to a quiet dead-letter topic: partition 1 keeps its offsets but no records.
    await admin.fetchTopicMetadata({ topics: [topic] }); // the admin learns the new topic's leaders
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 1, offset: '3' }] });
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.find((p) => p.partition === 1)).toMatchObject({ low: '3', high: '3' });

    const seen: string[] = [];
    const count = await readTopicToEnd(kafka, topic, (m) => void seen.push(m.value!.toString()));
    expect(count).toBe(6);
    expect(seen.sort()).toEqual(['p0-0', 'p0-1', 'p0-2', 'p2-0', 'p2-1', 'p2-2']);
  }, 90_000);

  it('reads a topic written in transactions to its end, past the commit marker that ends it, skipping aborted records', async () => {
    const topic = uniqueName('reader-txn');
    await createTopic(admin, topic, 1);
    const txn = new TransactionalProducer(kafka, { transactionalId: uniqueName('reader-txn-id'), log: silentLog });
    await txn.connect();
    try {
      await txn.commit({ batches: [{ topic, messages: [{ key: 'a', value: Buffer.from('first') }] }] });
      // A transaction that fails (its second record is refused) is aborted: its first record is never read.
      const small = uniqueName('reader-small');
      await createTopic(admin, small, 1, [{ name: 'max.message.bytes', value: '1024' }]);
      await expect(
        txn.commit({
          batches: [
            { topic, messages: [{ key: 'b', value: Buffer.from('aborted') }] },
            { topic: small, messages: [{ key: 'c', value: Buffer.alloc(4096) }] },
          ],
        }),
      ).rejects.toThrow();
      await txn.commit({ batches: [{ topic, messages: [{ key: 'd', value: Buffer.from('last') }] }] });
    } finally {
      await txn.disconnect();
    }
    const seen: string[] = [];
    const count = await readTopicToEnd(kafka, topic, (m) => void seen.push(m.value!.toString()), { stallMs: 15_000 });
    expect(seen).toEqual(['first', 'last']);
    expect(count).toBe(2);
  }, 90_000);

  it('fails with the partitions it was still waiting for rather than hanging when nothing arrives', async () => {
    const topic = uniqueName('reader-stall');
    await createTopic(admin, topic, 1);
    await producer.send({ topic, messages: [{ key: 'a', value: 'a', partition: 0 }] });
    // A reader that throws on every record never makes progress: the watchdog ends the wait.
    await expect(
      readTopicToEnd(
        kafka,
        topic,
        () => {
          throw new Error('cannot handle');
        },
        { stallMs: 3000 },
      ),
    ).rejects.toThrow(/no record for 3000 ms; partitions 0 not read to their end/);
  }, 90_000);
});
