import type { Kafka, Producer } from 'kafkajs';
import { silentLog } from './log-sink';
import { TransactionalProducer } from './transactional-producer';

/**
 * A failed transaction makes the producer start over with a fresh producer id; when the broker is
 * still away at that moment the reconnect fails too. The next commit must try again, not fail for
 * good with "not connected" (seen in a 3-broker chaos run: the fuser never drained).
 */
describe('TransactionalProducer after a failed reconnect', () => {
  it('reconnects at the next commit once the broker answers again', async () => {
    let brokerUp = true;
    let producers = 0;
    const makeProducer = (): Producer => {
      producers++;
      let claimed = false;
      return {
        connect: async () => {
          if (!brokerUp) throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
        },
        disconnect: async () => undefined,
        transaction: async () => {
          if (!claimed) {
            claimed = true;
            return { abort: async () => undefined };
          }
          return {
            sendBatch: async () => {
              if (!brokerUp) throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
              return [{ topicName: 't', partition: 0, baseOffset: '0', errorCode: 0 }];
            },
            abort: async () => undefined,
            commit: async () => undefined,
          };
        },
      } as unknown as Producer;
    };
    const kafka = { producer: () => makeProducer() } as unknown as Kafka;
    const txn = new TransactionalProducer(kafka, { transactionalId: 'fuser-p0', log: silentLog });
    await txn.connect();
    const content = { batches: [{ topic: 't', messages: [{ key: 'k', value: Buffer.from('v'), partition: 0 }] }] };

    // The broker goes away mid-transaction: the commit fails, and so does the reconnect after it.
    brokerUp = false;
    await expect(txn.commit(content)).rejects.toThrow(/ECONNREFUSED/);
    await expect(txn.commit(content)).rejects.toThrow(/ECONNREFUSED/);
    // Back: the next commit reconnects (a new producer, a new id claim) and goes through.
    brokerUp = true;
    await expect(txn.commit(content)).resolves.toEqual(new Map([['t:0', 1n]]));
    expect(producers).toBeGreaterThanOrEqual(3);
  });

  it('does not reconnect once disconnected on purpose', async () => {
    const kafka = {
      producer: () => ({ connect: async () => undefined, disconnect: async () => undefined, transaction: async () => ({ abort: async () => undefined }) }) as unknown as Producer,
    } as unknown as Kafka;
    const txn = new TransactionalProducer(kafka, { transactionalId: 'fuser-p1', log: silentLog });
    await txn.connect();
    await txn.disconnect();
    await expect(txn.commit({ batches: [] })).rejects.toThrow('transactional producer is not connected');
  });
});
