import { readPartition, type ConsumedMessage, type Kafka } from '@profilestream/kafka';
import { REDIS_LOST, type PartitionStateStore, type SyncOp } from './partition-state.store';
import { decodeStoredUser, parseStateKey } from '@profilestream/fusion';

export interface RebuildReport {
  partition: number;
  /** State-topic records read. */
  records: number;
  /** The state-topic offset Redis reflects now (exclusive). */
  checkpoint: bigint;
}

export interface RebuildOptions {
  kafka: Kafka;
  stateTopic: string;
  partition: number;
  store: PartitionStateStore;
  /** Vector space whose records are applied (a state topic may carry several). */
  space: string;
  deletionRetentionMs: number;
  /** Where to start: the checkpoint when Redis is only behind, 0 when it lost everything. */
  from: bigint;
  heartbeat?: () => Promise<void>;
  /** The reader's group name starts with this: a prefix the fuser's principal may use. */
  readerGroupPrefix?: string;
}

/**
 * Writes a partition's state-topic records from `from` to the end into Redis (user states only
 * ever move to newer versions, expired erasure marks are skipped), then moves the checkpoint.
 * When reading from a checkpoint, a Redis that loses its data meanwhile is reported (REDIS_LOST)
 * and the caller starts again from the beginning.
 */
export async function rebuildPartition(o: RebuildOptions): Promise<RebuildReport | typeof REDIS_LOST> {
  const started = Date.now();
  const mustExist = o.from > 0n;
  let ops: SyncOp[] = [];
  let records = 0;
  let end = o.from;
  let lost = false;
  const write = async () => {
    if (ops.length === 0 || lost) return;
    if ((await o.store.sync(o.partition, ops, null, mustExist)) === REDIS_LOST) lost = true;
    ops = [];
  };
  await readPartition(
    o.kafka,
    o.stateTopic,
    o.partition,
    o.from,
    async (m) => {
      records++;
      end = BigInt(m.offset) + 1n;
      const op = restoreOp(m, o.space, o.deletionRetentionMs, started);
      if (op) ops.push(op);
      if (ops.length >= 500) await write();
    },
    {
      ...(o.heartbeat ? { heartbeat: o.heartbeat } : {}),
      ...(o.readerGroupPrefix ? { groupPrefix: o.readerGroupPrefix } : {}),
    },
  );
  await write();
  if (lost) return REDIS_LOST;
  if ((await o.store.sync(o.partition, [], end, mustExist)) === REDIS_LOST) return REDIS_LOST;
  return { partition: o.partition, records, checkpoint: end };
}

function restoreOp(m: ConsumedMessage, space: string, retentionMs: number, now: number): SyncOp | null {
  const key = m.key ? parseStateKey(m.key.toString()) : null;
  if (!key || key.space !== space) return null;
  if (key.kind === 'pending') return { kind: 'pending', itemId: key.itemId, bytes: m.value };
  if (m.value === null) return null;
  const stored = decodeStoredUser(m.value);
  let ttlMs = 0;
  if (stored.kind === 'erased') {
    ttlMs = stored.requestedAt + retentionMs - now;
    // An expired erasure mark: nothing to keep.
    if (ttlMs <= 0) return null;
  }
  return { kind: 'user', userId: key.userId, version: stored.version, ttlMs, bytes: m.value };
}
