import { SerdeError, SingleObjectSerde } from '@profilestream/contracts';
import { decodingHandler, drop, ok, type ConsumedMessage } from './index';

const serde = new SingleObjectSerde('UserDeletion');

function message(offset: number, value: Buffer | null): ConsumedMessage {
  return { topic: 't', partition: 0, offset: String(offset), key: null, value, headers: {}, timestamp: 0 };
}

describe('decodingHandler', () => {
  it('dead-letters undecodable records and keeps outcomes in offset order', async () => {
    const seen: string[] = [];
    const handler = decodingHandler(
      (b) => serde.decode(b),
      async (records) => records.map((r) => (seen.push(r.value.userId), r.value.userId === 'b' ? drop('ignored') : ok)),
    );
    const outcomes = await handler([
      message(0, serde.encode({ userId: 'a', requestedAt: 1 })),
      message(1, Buffer.from([0xc3, 0x01, 1, 2])),
      message(2, null),
      message(3, serde.encode({ userId: 'b', requestedAt: 2 })),
    ]);
    expect(seen).toEqual(['a', 'b']);
    expect(outcomes).toEqual([
      ok,
      { kind: 'dlq', reason: 'unknown_framing', detail: expect.stringContaining('not Avro single-object') },
      { kind: 'dlq', reason: 'empty_payload', detail: 'record has no value' },
      { kind: 'drop', reason: 'ignored' },
    ]);
  });

  it('rethrows retriable failures so the chunk is redelivered', async () => {
    const handler = decodingHandler(
      async () => {
        throw new SerdeError('registry_unavailable', 'registry down', true);
      },
      async () => [],
    );
    await expect(handler([message(0, Buffer.from([0]))])).rejects.toThrow('registry down');
  });

  it('refuses a handler that loses track of records', async () => {
    const handler = decodingHandler((b) => serde.decode(b), async () => []);
    await expect(handler([message(0, serde.encode({ userId: 'a', requestedAt: 1 }))])).rejects.toThrow(/0 outcomes for 1 records/);
  });
});
