import { DLQ_HEADERS, type ConsumedMessage } from '@profilestream/kafka';
import { REPLAYED_FROM_HEADER, decide, parseTime, topicKeyOf, type ReplayFilter } from './dlq-replay.lib';

const all: ReplayFilter = { reasons: [], since: null, until: null, limit: Infinity };

function letter(reason: string, failedAt: number, sourceTopic = 'p.reviews.v1'): ConsumedMessage {
  return {
    topic: `${sourceTopic}.dlq`,
    partition: 0,
    offset: '41',
    key: Buffer.from('user-1'),
    value: Buffer.from([0xc3, 0x01, 1, 2, 3]),
    headers: {
      traceparent: Buffer.from('00-abc-def-01'),
      [DLQ_HEADERS.reason]: Buffer.from(reason),
      [DLQ_HEADERS.detail]: Buffer.from('why'),
      [DLQ_HEADERS.stage]: Buffer.from('text-cleaner'),
      [DLQ_HEADERS.sourceTopic]: Buffer.from(sourceTopic),
      [DLQ_HEADERS.sourcePartition]: Buffer.from('1'),
      [DLQ_HEADERS.sourceOffset]: Buffer.from('7'),
      [DLQ_HEADERS.sourceTimestamp]: Buffer.from('1000'),
      [DLQ_HEADERS.failedAt]: Buffer.from(String(failedAt)),
    },
    timestamp: failedAt,
  };
}

describe('decide', () => {
  it('restores the original record: key, value and own headers, dlq headers replaced by where it came from', () => {
    const d = decide(letter('unknown_schema', 5000), 'p.reviews.v1', all, 0);
    if (!('replay' in d)) throw new Error(`skipped: ${d.skip}`);
    expect(d.replay.key).toEqual(Buffer.from('user-1'));
    expect(d.replay.value).toEqual(Buffer.from([0xc3, 0x01, 1, 2, 3]));
    expect(Object.keys(d.replay.headers ?? {}).sort()).toEqual([REPLAYED_FROM_HEADER, 'traceparent']);
    expect(d.replay.headers?.[REPLAYED_FROM_HEADER]?.toString()).toBe('p.reviews.v1.dlq/0/41');
  });

  it('filters by reason, failure time and limit, and never sends a letter to another topic', () => {
    expect(decide(letter('a', 5000), 'p.reviews.v1', { ...all, reasons: ['b', 'c'] }, 0)).toEqual({ skip: 'reason' });
    expect('replay' in decide(letter('c', 5000), 'p.reviews.v1', { ...all, reasons: ['b', 'c'] }, 0)).toBe(true);
    expect(decide(letter('a', 5000), 'p.reviews.v1', { ...all, since: 5001 }, 0)).toEqual({ skip: 'time' });
    expect(decide(letter('a', 5000), 'p.reviews.v1', { ...all, until: 5000 }, 0)).toEqual({ skip: 'time' });
    expect('replay' in decide(letter('a', 5000), 'p.reviews.v1', { ...all, since: 5000, until: 5001 }, 0)).toBe(true);
    expect(decide(letter('a', 5000), 'p.reviews.v1', { ...all, limit: 2 }, 2)).toEqual({ skip: 'limit' });
    expect(decide(letter('a', 5000, 'p.posts.v1'), 'p.reviews.v1', all, 0)).toEqual({ skip: 'other_source' });
  });
});

describe('arguments', () => {
  it('accepts topic names, dlq names and contract keys, and names the choices otherwise', () => {
    expect(topicKeyOf('reviews.v1')).toBe('reviews');
    expect(topicKeyOf('texts.embedded.v1.dlq')).toBe('textsEmbedded');
    expect(topicKeyOf('userDeletions')).toBe('userDeletions');
    expect(() => topicKeyOf('profiles.v1')).toThrow(/unknown topic "profiles.v1": give one of reviews.v1, posts.v1/);
  });

  it('reads times as epoch milliseconds or ISO dates', () => {
    expect(parseTime('--since', '1700000000000')).toBe(1_700_000_000_000);
    expect(parseTime('--since', '2024-01-02T03:04:05Z')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
    expect(parseTime('--since', undefined)).toBeNull();
    expect(() => parseTime('--until', 'yesterday')).toThrow(
      '--until: expected epoch milliseconds or an ISO 8601 date, got "yesterday"',
    );
  });
});
