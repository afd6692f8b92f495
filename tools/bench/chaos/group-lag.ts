/**
 * When is a run finished? When every consumer group of the deployment has consumed everything on
 * every topic it reads, and nothing has been written for a while.
 *
 * The groups and topics are discovered, not listed: every group whose id starts with the run's
 * prefix, and every topic it has committed offsets on or that a member subscribes to. Services
 * may add internal topics and groups (a state topic, a changelog reader) without this changing.
 */
import { isReaderGroup, type Admin } from '@profilestream/kafka';
import { sleep } from './abortable';

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

function lagReason(lag: LagReport): string {
  return `lag ${lag.total}: ${Object.entries(lag.byGroup)
    .filter(([, n]) => n > 0)
    .map(([g, n]) => `${g} ${n}`)
    .join(', ')}`;
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

export interface QuietOptions {
  admin: Admin;
  prefix: string;
  /** Groups that must exist before the run can count as drained (the services' own, by contract). */
  expectedGroups: readonly string[];
  /** Whether every service is up and ready. */
  ready: () => Promise<boolean>;
  /** How long end offsets must stay unchanged: longer than the fuser's publish interval. */
  quietMs: number;
  pollMs?: number;
  /** Epoch ms: give up then (drained: false). */
  deadline: number;
  signal?: AbortSignal;
  /**
   * Records a read-committed consumer would still receive from a lagging partition (null: unknown).
   * When given, a quiet run whose remaining lag holds none (transaction markers only) is drained.
   */
  visibleLag?: (p: PartitionLag) => Promise<number | null>;
  onPoll?: (state: { lag: LagReport | null; ready: boolean; quietForMs: number; error: string | null }) => void;
}

export interface QuietResult {
  drained: boolean;
  /** When a topic under the prefix was last written (epoch ms): when the run really finished; null when not drained. */
  drainedAt: number | null;
  lag: LagReport | null;
  /** Why it is not drained (the last poll's view). */
  reason: string | null;
  /** Lagging partitions whose remaining records are all transaction markers (or aborted), when drained. */
  markerOnlyPartitions: number;
}

/** How often the remaining lag of a quiet run is read through (it costs a consumer per partition). */
const VISIBLE_LAG_CHECK_MS = 5000;
/** Beyond this many lagging partitions the run is plainly not drained: no read-through. */
const VISIBLE_LAG_MAX_PARTITIONS = 100;

/**
 * Polls until every group under the prefix has zero lag, the expected groups exist, every service
 * is ready, and no topic under the prefix has been written to for `quietMs`; or until the deadline.
 * A poll that fails (the broker is restarting) just counts as not quiet.
 */
export async function waitQuiet(o: QuietOptions): Promise<QuietResult> {
  let fingerprint = '';
  let changedAt = Date.now();
  let lag: LagReport | null = null;
  let reason = 'not polled yet';
  let checkedVisibleAt = 0;
  let visibleNote = '';
  for (;;) {
    if (o.signal?.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : new Error('aborted');
    const now = Date.now();
    let error: string | null = null;
    let ready = false;
    try {
      lag = await prefixLag(o.admin, o.prefix);
      const next = await endOffsetsFingerprint(o.admin, o.prefix);
      if (next !== fingerprint) {
        fingerprint = next;
        changedAt = now;
      }
      ready = await o.ready();
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      changedAt = now;
    }
    const quietFor = now - changedAt;
    o.onPoll?.({ lag, ready, quietForMs: quietFor, error });
    const missing = o.expectedGroups.filter((g) => !lag?.groups.includes(g));
    if (error) reason = `polling failed: ${error}`;
    else if (!ready) reason = 'a service is not ready';
    else if (missing.length > 0) reason = `no consumer group ${missing.join(', ')} yet`;
    else if (quietFor < o.quietMs) {
      visibleNote = '';
      reason = (lag?.total ?? 1) > 0 ? lagReason(lag!) : 'topics still being written';
    } else if ((lag?.total ?? 1) === 0)
      return { drained: true, drainedAt: changedAt, lag, reason: null, markerOnlyPartitions: 0 };
    else {
      if (
        o.visibleLag &&
        lag!.lagging.length <= VISIBLE_LAG_MAX_PARTITIONS &&
        now - checkedVisibleAt >= VISIBLE_LAG_CHECK_MS
      ) {
        checkedVisibleAt = now;
        const visible = await Promise.all(lag!.lagging.map((p) => o.visibleLag!(p)));
        if (visible.every((n) => n === 0))
          return { drained: true, drainedAt: changedAt, lag, reason: null, markerOnlyPartitions: lag!.lagging.length };
        visibleNote = ` (${visible.filter((n) => n !== 0).length} of ${visible.length} lagging partitions hold records still to consume)`;
      }
      reason = lagReason(lag!) + visibleNote;
    }
    if (now > o.deadline) return { drained: false, drainedAt: null, lag, reason, markerOnlyPartitions: 0 };
    await sleep(o.pollMs ?? 500, o.signal);
  }
}
