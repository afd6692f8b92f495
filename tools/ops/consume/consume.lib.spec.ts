import { SingleObjectSerde, packFloat32, topicCatalog } from '@profilestream/contracts';
import { describeRecord, presentValue } from './consume.lib';

describe('presentValue', () => {
  const value = { userId: 'u', horizons: [{ name: '1d', vector: packFloat32([3, 4, 0, 0, 0]), weight: 2 }] };

  it('summarises vectors by default, or prints them whole, or leaves them out', () => {
    expect(presentValue(value, 'summary')).toEqual({
      userId: 'u',
      horizons: [{ name: '1d', vector: 'float32[5] norm 5.000 [3.00, 4.00, 0.00, 0.00, …]', weight: 2 }],
    });
    expect(presentValue(value, 'full')).toEqual({
      userId: 'u',
      horizons: [{ name: '1d', vector: [3, 4, 0, 0, 0], weight: 2 }],
    });
    expect(presentValue(value, 'none')).toEqual({ userId: 'u', horizons: [{ name: '1d', weight: 2 }] });
  });

  it('shows other bytes as base64 with their length', () => {
    expect(presentValue({ b: Buffer.from([1, 2, 3]) }, 'summary')).toEqual({ b: { bytes: 3, base64: 'AQID' } });
  });
});

describe('describeRecord', () => {
  const topics = topicCatalog('');
  const serde = new SingleObjectSerde('Click');
  const decode = (bytes: Buffer) => serde.decode(bytes) as Promise<unknown>;
  const at = { partition: 1, offset: '7', timestamp: 0, key: 'u' };

  it('decodes a value, prints a tombstone as null and says why a value does not decode', async () => {
    const click = {
      eventId: 'c',
      userId: 'u',
      itemId: 'i',
      action: 'click' as const,
      dwellMs: null,
      platform: 'web',
      occurredAt: 5,
    };
    expect(
      JSON.parse(await describeRecord(topics.clicks, { ...at, value: serde.encode(click) }, decode, 'summary')),
    ).toEqual({
      topic: 'clicks.v1',
      partition: 1,
      offset: '7',
      timestamp: '1970-01-01T00:00:00.000Z',
      key: 'u',
      value: click,
    });
    expect(
      JSON.parse(await describeRecord(topics.profiles, { ...at, value: null }, decode, 'summary')).value,
    ).toBeNull();
    expect(
      JSON.parse(await describeRecord(topics.clicks, { ...at, value: Buffer.from('garbage') }, decode, 'summary'))
        .value,
    ).toEqual({ bytes: 7, undecodable: expect.stringMatching(/single-object/) });
    expect(
      JSON.parse(await describeRecord(topics.fuserItems, { ...at, value: Buffer.alloc(12) }, null, 'summary')).value,
    ).toMatchObject({ bytes: 12 });
  });
});
