import type { Admin, Kafka } from 'kafkajs';
import { ProducerFencedError, TransactionalProducer, silentLog } from '../src';
import { createTopic, readTopic, testKafka, uniqueName } from '../src/testing';

describe('TransactionalProducer on a real broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  const producers: TransactionalProducer[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    await admin.disconnect();
  });

  async function connected(transactionalId: string): Promise<TransactionalProducer> {
    const p = new TransactionalProducer(kafka, { transactionalId, log: silentLog });
    await p.connect();
    producers.push(p);
    return p;
  }

  it('commits records and consumed offsets together and reports where each targeted partition ends', async () => {
    const topic = uniqueName('txn-out');
    const input = uniqueName('txn-in');
    const group = uniqueName('txn-group');
    await createTopic(admin, topic, 2);
    await createTopic(admin, input, 1);
    const p = await connected(uniqueName('txn-id'));
    const ends = await p.commit({
      batches: [
        { topic, messages: [0, 1, 2].map((i) => ({ key: `k${i}`, value: Buffer.from(`v${i}`), partition: 1 })) },
      ],
      offsets: { groupId: group, partitions: [{ topic: input, partition: 0, offset: '42' }] },
    });
    expect(ends.get(`${topic}:1`)).toBe(3n);
    const second = await p.commit({
      batches: [{ topic, messages: [{ key: 'k3', value: Buffer.from('v3'), partition: 1 }] }],
    });
    // The first transaction's commit marker takes an offset too.
    expect(second.get(`${topic}:1`)).toBe(5n);
    const read = await readTopic(kafka, topic, 4, 20_000);
    expect(read.map((m) => m.value?.toString())).toEqual(['v0', 'v1', 'v2', 'v3']);
    const committed = await admin.fetchOffsets({ groupId: group, topics: [input] });
    expect(committed[0]!.partitions[0]!.offset).toBe('42');
  }, 60_000);

  it('fences the earlier producer of the same id: its commit fails and nothing of it becomes visible', async () => {
    const topic = uniqueName('txn-fence');
    await createTopic(admin, topic, 1);
    const id = uniqueName('txn-id');
    const zombie = await connected(id);
    await zombie.commit({ batches: [{ topic, messages: [{ key: 'a', value: Buffer.from('before') }] }] });
    const successor = await connected(id);
    await expect(
      zombie.commit({ batches: [{ topic, messages: [{ key: 'a', value: Buffer.from('zombie') }] }] }),
    ).rejects.toBeInstanceOf(ProducerFencedError);
    expect(zombie.isFenced()).toBe(true);
    await successor.commit({ batches: [{ topic, messages: [{ key: 'a', value: Buffer.from('after') }] }] });
    const read = await readTopic(kafka, topic, 3, 8_000);
    expect(read.map((m) => m.value?.toString())).toEqual(['before', 'after']);
  }, 60_000);

  it('aborts a failed transaction: none of its records reach a read_committed consumer', async () => {
    const topic = uniqueName('txn-abort');
    const small = uniqueName('txn-small');
    await createTopic(admin, topic, 1);
    await createTopic(admin, small, 1, [{ name: 'max.message.bytes', value: '1024' }]);
    const p = await connected(uniqueName('txn-id'));
    // The second request is refused (too large for its topic) after the first records were written.
    await expect(
      p.commit({
        batches: [
          { topic, messages: [{ key: 'a', value: Buffer.from('half') }] },
          { topic: small, messages: [{ key: 'a', value: Buffer.alloc(4096) }] },
        ],
      }),
    ).rejects.toThrow(/larger than the max message size/);
    await p.commit({ batches: [{ topic, messages: [{ key: 'a', value: Buffer.from('whole') }] }] });
    const read = await readTopic(kafka, topic, 2, 8_000);
    expect(read.map((m) => m.value?.toString())).toEqual(['whole']);
  }, 90_000);
});
