import { join } from 'node:path';
import { defineScripts, type RedisClient } from '@profilestream/redis';

type WithScripts = RedisClient & {
  loadUsersBuffer(numKeys: number, ...keysAndArgs: (string | Buffer)[]): Promise<number | (Buffer | null)[]>;
  syncPartition(numKeys: number, ...keysAndArgs: (string | Buffer)[]): Promise<number>;
};

/** One change to a partition's Redis copy; see sync-partition.lua. */
export type SyncOp =
  | { kind: 'user'; userId: string; version: number; ttlMs: number; bytes: Buffer }
  | { kind: 'pending'; itemId: string; bytes: Buffer | null };

/** Redis refused because the partition's checkpoint is gone: it lost its data. */
export const REDIS_LOST = Symbol('redis-lost');

/**
 * Redis refused because the partition's checkpoint is older than one the caller saw: it came back
 * from an older copy (AOF or snapshot restart, a lagging replica promoted), so stored users may be
 * older than the state topic.
 */
export const REDIS_BEHIND = Symbol('redis-behind');

/** Most keys per script call: one call blocks Redis while it runs, so big flushes go in parts. */
const OPS_PER_CALL = 200;

/**
 * The serving copy of profile-fuser's state in Redis, laid out per input partition: every key of
 * partition p carries the hash tag `{pf-p}`, so a partition lives in one cluster slot and its
 * checkpoint (which doubles as the sentinel that tells a Redis that lost its data from one that
 * never had the user) can be checked atomically with every read and write, on a single node or a
 * cluster. Kafka (the state topic) is the record; this copy is rebuilt from it whenever the
 * checkpoint is missing or behind.
 */
export class PartitionStateStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly space: string,
  ) {
    defineScripts(redis, [
      { name: 'loadUsers', file: join(__dirname, 'load-users.lua') },
      { name: 'syncPartition', file: join(__dirname, 'sync-partition.lua') },
    ]);
  }

  private base(partition: number): string {
    return `${this.prefix}{pf-${partition}}:${this.space}`;
  }

  checkpointKey(partition: number): string {
    return `${this.base(partition)}:ckpt`;
  }

  userKey(partition: number, userId: string): string {
    return `${this.base(partition)}:u:${userId}`;
  }

  pendingKey(partition: number): string {
    return `${this.base(partition)}:pending`;
  }

  servedKey(partition: number): string {
    return `${this.base(partition)}:served`;
  }

  /** The last cut-over epoch whose republish finished for the partition (0: none, or Redis lost it). */
  async servedEpoch(partition: number): Promise<number> {
    return Number((await this.redis.get(this.servedKey(partition))) ?? 0);
  }

  async markServed(partition: number, epoch: number): Promise<void> {
    await this.redis.set(this.servedKey(partition), String(epoch));
  }

  /** The state-topic offset Redis reflects for the partition (exclusive), or null when unknown. */
  async checkpoint(partition: number): Promise<bigint | null> {
    const v = await this.redis.get(this.checkpointKey(partition));
    return v === null ? null : BigInt(v);
  }

  /**
   * Stored bytes per user (null: none); REDIS_LOST when the partition's data is gone, REDIS_BEHIND
   * when its checkpoint is older than `seen` (the newest checkpoint the caller knows Redis reached).
   */
  async loadUsers(
    partition: number,
    userIds: readonly string[],
    seen: bigint | null = null,
  ): Promise<Map<string, Buffer | null> | typeof REDIS_LOST | typeof REDIS_BEHIND> {
    const out = new Map<string, Buffer | null>();
    for (let i = 0; i < userIds.length; i += OPS_PER_CALL) {
      const part = userIds.slice(i, i + OPS_PER_CALL);
      const keys = [this.checkpointKey(partition), ...part.map((u) => this.userKey(partition, u))];
      const reply = await (this.redis as WithScripts).loadUsersBuffer(
        keys.length,
        ...keys,
        seen === null ? '' : seen.toString(),
      );
      if (typeof reply === 'number') return reply === -2 ? REDIS_BEHIND : REDIS_LOST;
      part.forEach((u, j) => out.set(u, reply[j] ?? null));
    }
    return out;
  }

  /** One user's stored bytes, whatever the checkpoint says (the read API). */
  async readUser(partition: number, userId: string): Promise<Buffer | null> {
    return this.redis.hgetBuffer(this.userKey(partition, userId), 's');
  }

  /** Pending clicks of every item waiting in the partition (item id → stored bytes). */
  async loadPending(partition: number): Promise<Map<string, Buffer>> {
    const all = await this.redis.hgetallBuffer(this.pendingKey(partition));
    return new Map(Object.entries(all));
  }

  /**
   * Applies `ops` and moves the checkpoint to `checkpoint` (never back). With `mustExist`, refuses
   * (REDIS_LOST) when the checkpoint is missing; with `seen`, refuses (REDIS_BEHIND) when it is
   * older than that. Parts already applied stay (every op is idempotent: user states only move
   * forward).
   */
  async sync(
    partition: number,
    ops: readonly SyncOp[],
    checkpoint: bigint | null,
    mustExist: boolean,
    seen: bigint | null = null,
  ): Promise<void | typeof REDIS_LOST | typeof REDIS_BEHIND> {
    const calls = Math.max(1, Math.ceil(ops.length / OPS_PER_CALL));
    for (let c = 0; c < calls; c++) {
      const part = ops.slice(c * OPS_PER_CALL, (c + 1) * OPS_PER_CALL);
      const keys: string[] = [this.checkpointKey(partition)];
      const args: (string | Buffer)[] = [
        c === calls - 1 && checkpoint !== null ? checkpoint.toString() : '',
        mustExist ? '1' : '0',
        seen === null ? '' : seen.toString(),
      ];
      for (const op of part) {
        if (op.kind === 'user') {
          keys.push(this.userKey(partition, op.userId));
          args.push('u', String(op.version), String(op.ttlMs), op.bytes);
        } else {
          keys.push(this.pendingKey(partition));
          if (op.bytes) args.push('h', op.itemId, op.bytes, '');
          else args.push('x', op.itemId, '', '');
        }
      }
      const reply = await (this.redis as WithScripts).syncPartition(keys.length, ...keys, ...args);
      if (reply === -1) return REDIS_LOST;
      if (reply === -2) return REDIS_BEHIND;
    }
  }
}
