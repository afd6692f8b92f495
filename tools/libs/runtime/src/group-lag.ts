/**
 * How far behind each consumer group of a deployment is (runs waiting to drain, a migration's
 * progress). The groups and topics are discovered, not listed: every group whose id starts with the run's
 * prefix, and every topic it has committed offsets on or that a member subscribes to. Services
 * may add internal topics and groups (a state topic, a changelog reader) without this changing.
 */
import { isReaderGroup, type Admin } from '@profilestream/kafka';

export interface PartitionLag {
  groupId: string;
  topic: string;
  partition: number;
  /** Committed offset, or null when the group has not committed on this partition yet. */
  committed: number | null;
  /** Where the group resumes: the committed offset, or the earliest retained one without a commit. */
  from: number;
  end: number;
  lag: number;
}

export interface LagReport {
  /** Groups under the prefix. */
  groups: string[];
  total: number;
  byGroup: Record<string, number>;
  /** Partitions with lag, for the report when a run does not drain. */
  lagging: PartitionLag[];
}

/**
 * Records a group still has to consume on one partition. Without a commit the group starts at the
 * earliest offset (the services consume from the beginning), so everything retained counts.
 */
export function partitionLag(
  committed: string | number | null | undefined,
  low: string | number,
  high: string | number,
): number {
  const start =
    committed === null || committed === undefined || Number(committed) < 0
      ? Number(low)
      : Math.max(Number(committed), Number(low));
  return Math.max(0, Number(high) - start);
}

/**
 * The topics a member subscribes to, from its consumer-protocol metadata (int16 version, an array
 * of int16-length strings, then fields this reader does not need). Empty when unreadable.
 */
export function subscribedTopics(metadata: Buffer | null | undefined): string[] {
  if (!metadata || metadata.length < 6) return [];
  try {
    let at = 2;
    const n = metadata.readInt32BE(at);
    at += 4;
    if (n < 0 || n > 10_000) return [];
    const topics: string[] = [];
    for (let i = 0; i < n; i++) {
      const len = metadata.readInt16BE(at);
      at += 2;
      if (len < 0 || at + len > metadata.length) return [];
      topics.push(metadata.toString('utf8', at, at + len));
      at += len;
    }
    return topics;
  } catch {
    return [];
  }
}

/** Lag of every group under `prefix`, on every topic it reads; readers' groups (never committed) left out. */
export async function prefixLag(admin: Admin, prefix: string): Promise<LagReport> {
  const { groups } = await admin.listGroups();
  const ids = groups
    .map((g) => g.groupId)
    .filter((id) => id.startsWith(prefix) && !isReaderGroup(id))
    .sort();
  const described = ids.length > 0 ? (await admin.describeGroups(ids)).groups : [];
  const ends = new Map<string, Promise<{ partition: number; low: string; high: string }[]>>();
  const endsOf = (topic: string) => {
    if (!ends.has(topic)) ends.set(topic, admin.fetchTopicOffsets(topic));
    return ends.get(topic)!;
  };
  const report: LagReport = { groups: ids, total: 0, byGroup: {}, lagging: [] };
  for (const groupId of ids) {
    const committed = await admin.fetchOffsets({ groupId });
    const topics = new Set(committed.map((c) => c.topic));
    for (const member of described.find((g) => g.groupId === groupId)?.members ?? []) {
      for (const t of subscribedTopics(member.memberMetadata)) topics.add(t);
    }
    let groupLag = 0;
    for (const topic of [...topics].sort()) {
      const done = new Map(
        (committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, p.offset]),
      );
      for (const p of await endsOf(topic)) {
        const lag = partitionLag(done.get(p.partition), p.low, p.high);
        groupLag += lag;
        if (lag > 0) {
          const c = done.get(p.partition);
          report.lagging.push({
            groupId,
            topic,
            partition: p.partition,
            committed: c === undefined || Number(c) < 0 ? null : Number(c),
            from: Number(p.high) - lag,
            end: Number(p.high),
            lag,
          });
        }
      }
    }
    report.byGroup[groupId] = groupLag;
    report.total += groupLag;
  }
  return report;
}

/** End offsets of every topic under `prefix`, as one string: equal strings mean nothing was written in between. */
export async function endOffsetsFingerprint(admin: Admin, prefix: string): Promise<string> {
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix)).sort();
  const parts = await Promise.all(
    topics.map(
      async (t) => `${t}:${(await admin.fetchTopicOffsets(t)).map((p) => `${p.partition}=${p.high}`).join(',')}`,
    ),
  );
  return parts.join(' ');
}
