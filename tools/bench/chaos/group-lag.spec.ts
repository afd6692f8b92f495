import { readerGroupPrefix, type Admin } from '@profilestream/kafka';
import { partitionLag, prefixLag, subscribedTopics, waitQuiet, type PartitionLag } from './group-lag';

describe('partitionLag', () => {
  it('is the end offset minus the committed one, never negative', () => {
    expect(partitionLag('40', '0', '42')).toBe(2);
    expect(partitionLag('42', '0', '42')).toBe(0);
    expect(partitionLag(43, 0, 42)).toBe(0);
  });

  it('counts everything retained when the group has not committed (it starts at the earliest offset)', () => {
    expect(partitionLag(undefined, '5', '42')).toBe(37);
    expect(partitionLag('-1', '5', '42')).toBe(37);
    expect(partitionLag(null, 0, 0)).toBe(0);
  });

  it('does not count records that retention already deleted', () => {
    expect(partitionLag('3', '10', '12')).toBe(2);
  });
});

/** Consumer-protocol subscription metadata as clients write it: int16 version, [int16-length topic], then more. */
function metadata(version: number, topics: string[], tail = Buffer.from([0, 0, 0, 0])): Buffer {
  const parts = [Buffer.from([0, version]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  return Buffer.concat([...parts, tail]);
}

describe('subscribedTopics', () => {
  it('reads the topics of any protocol version, ignoring what follows them', () => {
    expect(subscribedTopics(metadata(0, ['p.clicks.v1', 'p.texts.embedded.v1']))).toEqual([
      'p.clicks.v1',
      'p.texts.embedded.v1',
    ]);
    expect(subscribedTopics(metadata(3, ['p.state.v1'], Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 9])))).toEqual(
      ['p.state.v1'],
    );
  });

  it('gives nothing for missing or damaged metadata instead of throwing', () => {
    expect(subscribedTopics(undefined)).toEqual([]);
    expect(subscribedTopics(Buffer.alloc(3))).toEqual([]);
    expect(subscribedTopics(metadata(0, ['abc']).subarray(0, 9))).toEqual([]);
  });
});

interface FakeCluster {
  /** Group → committed offsets per topic (index = partition) and topics its members subscribe to. */
  groups: Record<string, { committed: Record<string, number[]>; subscribed?: string[] }>;
  /** Topic → end offset per partition. */
  ends: Record<string, number[]>;
  failing?: boolean;
}

/** Just the admin calls the lag code makes, answered from `c` (read on every call, so tests can move it). */
function fakeAdmin(c: FakeCluster): Admin {
  const check = () => {
    if (c.failing) throw new Error('Connection error: ECONNREFUSED');
  };
  return {
    listGroups: async () => (
      check(),
      { groups: Object.keys(c.groups).map((groupId) => ({ groupId, protocolType: 'consumer' })) }
    ),
    describeGroups: async (ids: string[]) => ({
      groups: ids.map((groupId) => ({
        groupId,
        members: c.groups[groupId]?.subscribed ? [{ memberMetadata: metadata(0, c.groups[groupId]!.subscribed!) }] : [],
      })),
    }),
    fetchOffsets: async ({ groupId }: { groupId: string }) =>
      Object.entries(c.groups[groupId]?.committed ?? {}).map(([topic, offsets]) => ({
        topic,
        partitions: offsets.map((o, partition) => ({ partition, offset: String(o) })),
      })),
    fetchTopicOffsets: async (topic: string) => (
      check(),
      (c.ends[topic] ?? []).map((high, partition) => ({
        partition,
        offset: String(high),
        low: '0',
        high: String(high),
      }))
    ),
    listTopics: async () => (check(), Object.keys(c.ends)),
  } as unknown as Admin;
}

describe('prefixLag', () => {
  it("covers every group under the prefix but readers' groups, on committed and subscribed topics alike", async () => {
    const admin = fakeAdmin({
      groups: {
        'p.encoder': { committed: { 'p.texts.cleaned.v1': [5, 3] } },
        'p.profile-fuser': { committed: { 'p.clicks.v1': [2] }, subscribed: ['p.clicks.v1', 'p.state.v1'] },
        'other.encoder': { committed: { 'other.texts.cleaned.v1': [0] } },
        // A reader (the fuser's item table): subscribed, never commits, holds no lag.
        [`${readerGroupPrefix('p.profile-fuser', 'items')}-a1b2`]: { committed: {}, subscribed: ['p.items.v1'] },
      },
      ends: {
        'p.texts.cleaned.v1': [5, 4],
        'p.clicks.v1': [2],
        'p.state.v1': [7],
        'other.texts.cleaned.v1': [9],
        'p.items.v1': [36],
      },
    });
    const lag = await prefixLag(admin, 'p.');
    expect(lag.groups).toEqual(['p.encoder', 'p.profile-fuser']);
    expect(lag.byGroup).toEqual({ 'p.encoder': 1, 'p.profile-fuser': 7 });
    expect(lag.lagging).toEqual([
      { groupId: 'p.encoder', topic: 'p.texts.cleaned.v1', partition: 1, committed: 3, from: 3, end: 4, lag: 1 },
      { groupId: 'p.profile-fuser', topic: 'p.state.v1', partition: 0, committed: null, from: 0, end: 7, lag: 7 },
    ]);
  });
});

describe('waitQuiet', () => {
  const base = { prefix: 'p.', expectedGroups: ['p.encoder'], ready: async () => true, quietMs: 60, pollMs: 10 };

  it('is drained once lag is zero and nothing was written for quietMs', async () => {
    const cluster: FakeCluster = { groups: { 'p.encoder': { committed: { 'p.t': [4] } } }, ends: { 'p.t': [4] } };
    const started = Date.now();
    const result = await waitQuiet({ ...base, admin: fakeAdmin(cluster), deadline: Date.now() + 5000 });
    expect(result).toMatchObject({ drained: true, reason: null, markerOnlyPartitions: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
  });

  it('says why it is not drained when the deadline passes', async () => {
    const reasons = async (cluster: FakeCluster, ready = true) =>
      (await waitQuiet({ ...base, ready: async () => ready, admin: fakeAdmin(cluster), deadline: Date.now() + 100 }))
        .reason;
    expect(await reasons({ groups: { 'p.encoder': { committed: { 'p.t': [1] } } }, ends: { 'p.t': [4] } })).toBe(
      'lag 3: p.encoder 3',
    );
    expect(await reasons({ groups: {}, ends: { 'p.t': [4] } })).toBe('no consumer group p.encoder yet');
    expect(await reasons({ groups: { 'p.encoder': { committed: {} } }, ends: {} }, false)).toBe(
      'a service is not ready',
    );
    expect(await reasons({ groups: {}, ends: {}, failing: true })).toBe(
      'polling failed: Connection error: ECONNREFUSED',
    );
  });

  it('waits for writes to stop, even at zero lag', async () => {
    const cluster: FakeCluster = {
      groups: { 'p.encoder': { committed: { 'p.t': [0] } } },
      ends: { 'p.t': [0], 'p.out': [0] },
    };
    const writer = setInterval(() => cluster.ends['p.out']![0]!++, 20);
    const result = await waitQuiet({ ...base, admin: fakeAdmin(cluster), deadline: Date.now() + 200 });
    clearInterval(writer);
    expect(result).toMatchObject({ drained: false, reason: 'topics still being written' });
  });

  it('counts lag made only of transaction markers as drained, and real records as lag', async () => {
    const cluster: FakeCluster = {
      groups: { 'p.encoder': { committed: { 'p.t': [3, 9] } } },
      ends: { 'p.t': [4, 10] },
    };
    const markersOnly = await waitQuiet({
      ...base,
      admin: fakeAdmin(cluster),
      deadline: Date.now() + 2000,
      visibleLag: async () => 0,
    });
    expect(markersOnly).toMatchObject({ drained: true, markerOnlyPartitions: 2 });
    const seen: PartitionLag[] = [];
    const records = await waitQuiet({
      ...base,
      admin: fakeAdmin(cluster),
      deadline: Date.now() + 200,
      visibleLag: async (p) => (seen.push(p), p.partition === 1 ? 1 : 0),
    });
    expect(records).toMatchObject({
      drained: false,
      reason: 'lag 2: p.encoder 2 (1 of 2 lagging partitions hold records still to consume)',
    });
    expect(seen.map((p) => [p.partition, p.from, p.end])).toEqual([
      [0, 3, 4],
      [1, 9, 10],
    ]);
  });
});
