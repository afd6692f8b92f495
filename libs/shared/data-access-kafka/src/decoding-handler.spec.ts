import { SerdeError, SingleObjectSerde } from '@profilestream/contracts';
import {
  DLQ_HEADERS,
  deadLetterBatches,
  decodingHandler,
  decodingTransform,
  drop,
  ok,
  type ConsumedMessage,
} from './index';

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
    const handler = decodingHandler(
      (b) => serde.decode(b),
      async () => [],
    );
    await expect(handler([message(0, serde.encode({ userId: 'a', requestedAt: 1 }))])).rejects.toThrow(
      /0 outcomes for 1 records/,
    );
  });
});

describe('decodingTransform', () => {
  it('passes the records and the durability hook through and merges outcomes in offset order', async () => {
    const onDurable = jest.fn();
    const transform = decodingTransform(
      (b) => serde.decode(b),
      async (records) => ({
        outcomes: records.map(() => ok),
        records: [{ topic: 'out', messages: records.map((r) => ({ key: r.value.userId, value: null })) }],
        onDurable,
      }),
    );
    const result = await transform([message(0, null), message(1, serde.encode({ userId: 'a', requestedAt: 1 }))]);
    expect(result.outcomes).toEqual([{ kind: 'dlq', reason: 'empty_payload', detail: 'record has no value' }, ok]);
    expect(result.records).toEqual([{ topic: 'out', messages: [{ key: 'a', value: null }] }]);
    expect(result.onDurable).toBe(onDurable);
  });

  it('returns no records when nothing decodes, without calling the handler', async () => {
    const handle = jest.fn();
    expect(await decodingTransform((b) => serde.decode(b), handle)([message(0, null)])).toMatchObject({ records: [] });
    expect(handle).not.toHaveBeenCalled();
  });
});

describe('deadLetterBatches', () => {
  it('groups letters by their dead-letter topic, keeping key, value and headers and saying why and where', () => {
    const m = { ...message(7, Buffer.from('raw')), key: Buffer.from('k'), headers: { trace: Buffer.from('x') } };
    const batches = deadLetterBatches(
      [
        { message: m, reason: 'bad', detail: 'd'.repeat(600) },
        { message: { ...m, topic: 'u' }, reason: 'worse' },
      ],
      'stage-1',
      42,
    );
    expect(batches.map((b) => [b.topic, b.messages.length])).toEqual([
      ['t.dlq', 1],
      ['u.dlq', 1],
    ]);
    const headers = batches[0]!.messages[0]!.headers!;
    expect(batches[0]!.messages[0]).toMatchObject({ key: Buffer.from('k'), value: Buffer.from('raw') });
    expect(headers).toMatchObject({
      trace: Buffer.from('x'),
      [DLQ_HEADERS.reason]: 'bad',
      [DLQ_HEADERS.stage]: 'stage-1',
      [DLQ_HEADERS.sourceOffset]: '7',
      [DLQ_HEADERS.failedAt]: '42',
    });
    expect((headers[DLQ_HEADERS.detail] as string).length).toBe(500);
  });
});
