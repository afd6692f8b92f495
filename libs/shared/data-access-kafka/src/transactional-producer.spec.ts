import type { Kafka, Producer } from 'kafkajs';
import { silentLog } from './log-sink';
import { CommitTimeoutError, TransactionalProducer } from './transactional-producer';

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
      producer: () =>
        ({
          connect: async () => undefined,
          disconnect: async () => undefined,
          transaction: async () => ({ abort: async () => undefined }),
        }) as unknown as Producer,
    } as unknown as Kafka;
    const txn = new TransactionalProducer(kafka, { transactionalId: 'fuser-p1', log: silentLog });
    await txn.connect();
    await txn.disconnect();
    await expect(txn.commit({ batches: [] })).rejects.toThrow('transactional producer is not connected');
  });
});

/**
 * kafkajs retries some failures without end (a request to a coordinator that moved, with retries
 * unbounded). A commit stuck like that must fail by its deadline and start over on a new producer,
 * or the flush behind it waits for ever (seen in a 3-broker chaos run: one record never committed).
 */
describe('TransactionalProducer with a stuck commit', () => {
  it('fails the commit at its deadline, replaces the producer, and the next commit goes through', async () => {
    let stuck = true;
    const made: { fencedLater: boolean }[] = [];
    const makeProducer = (): Producer => {
      const me = { fencedLater: false };
      made.push(me);
      let claimed = false;
      return {
        connect: async () => undefined,
        disconnect: async () => undefined,
        transaction: async () => {
          if (!claimed) {
            claimed = true;
            return { abort: async () => undefined };
          }
          const hang = stuck;
          return {
            sendBatch: async () => {
              if (hang) {
                // Stuck until a newer producer claims the id; then fenced, as the broker would.
                await new Promise((r) => setTimeout(r, 200));
                me.fencedLater = true;
                throw Object.assign(new Error('The producer has been fenced'), { type: 'PRODUCER_FENCED' });
              }
              return [{ topicName: 't', partition: 0, baseOffset: '5', errorCode: 0 }];
            },
            sendOffsets: async () => undefined,
            abort: async () => undefined,
            commit: async () => undefined,
          };
        },
      } as unknown as Producer;
    };
    const kafka = { producer: () => makeProducer() } as unknown as Kafka;
    const txn = new TransactionalProducer(kafka, { transactionalId: 'fuser-p2', log: silentLog, commitTimeoutMs: 50 });
    await txn.connect();
    const content = { batches: [{ topic: 't', messages: [{ key: 'k', value: Buffer.from('v'), partition: 0 }] }] };

    await expect(txn.commit(content)).rejects.toBeInstanceOf(CommitTimeoutError);
    expect(made).toHaveLength(2);
    stuck = false;
    await expect(txn.commit(content)).resolves.toEqual(new Map([['t:0', 6n]]));
    // The producer left behind is fenced later: that says nothing about the current one.
    await new Promise((r) => setTimeout(r, 250));
    expect(made[0]!.fencedLater).toBe(true);
    expect(txn.isFenced()).toBe(false);
    await expect(txn.commit(content)).resolves.toEqual(new Map([['t:0', 6n]]));
  });
});
