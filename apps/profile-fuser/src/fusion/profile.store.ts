import { userKey, VersionedHashStore, type CasResult, type RedisClient } from '@profilestream/redis';

/**
 * The embedding space a profile's vectors live in, as Redis keys name it: the model, plus the PCA
 * projection when the encoder applies one (vectors of different spaces never mix).
 */
export function vectorSpace(modelId: string, projectionId: string | null): string {
  return projectionId ? `${modelId}+${projectionId}` : modelId;
}

/**
 * Profiles in Redis: one versioned hash per user and vector space (`{userId}:profile:<space>`, field
 * `state`), a set of the user's model ids, and a deletion mark. Every key of a user carries the
 * user id as its hash tag, so they share a cluster slot.
 */
export class ProfileStore {
  private readonly hashes: VersionedHashStore;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.hashes = new VersionedHashStore(redis);
  }

  private profileKey(userId: string, modelId: string): string {
    return userKey(this.prefix, userId, `profile:${modelId}`);
  }

  private modelsKey(userId: string): string {
    return userKey(this.prefix, userId, 'models');
  }

  private deletedKey(userId: string): string {
    return userKey(this.prefix, userId, 'deleted');
  }

  /** The stored state bytes (null when none) and the version to compare-and-set against. */
  async read(userId: string, modelId: string): Promise<{ version: number; state: Buffer | null }> {
    const { version, fields } = await this.hashes.read(this.profileKey(userId, modelId));
    return { version, state: fields['state'] ?? null };
  }

  /** Writes the state if nobody wrote since `expectedVersion` was read. */
  async write(userId: string, modelId: string, expectedVersion: number, state: Buffer): Promise<CasResult> {
    const result = await this.hashes.write(this.profileKey(userId, modelId), expectedVersion, { state });
    if (result.ok && expectedVersion === 0) await this.redis.sadd(this.modelsKey(userId), modelId);
    return result;
  }

  /** Epoch ms of the user's erasure request when one is on record, else null. */
  async deletedAt(userIds: readonly string[]): Promise<Map<string, number | null>> {
    const values = await Promise.all(userIds.map((u) => this.redis.get(this.deletedKey(u))));
    return new Map(userIds.map((u, i) => [u, values[i] ? Number(values[i]) : null]));
  }

  /**
   * Erases every key of the user and records the erasure time for `retentionMs`, so late or
   * replayed events from before it cannot bring the user back.
   */
  async erase(userId: string, requestedAt: number, retentionMs: number): Promise<void> {
    const models = await this.redis.smembers(this.modelsKey(userId));
    const keys = [...models.map((m) => this.profileKey(userId, m)), this.modelsKey(userId)];
    await this.redis.del(...keys);
    const previous = await this.redis.get(this.deletedKey(userId));
    await this.redis.set(this.deletedKey(userId), String(Math.max(requestedAt, Number(previous ?? 0))), 'PX', retentionMs);
  }

  /** Every key this store holds for a user (tests and erasure checks). */
  async keysOf(userId: string): Promise<string[]> {
    return this.redis.keys(`${this.prefix}{${userId}}:*`);
  }

  /** Writes a state as restored from the published copy, replacing what is there. */
  async restore(userId: string, modelId: string, version: number, state: Buffer): Promise<void> {
    await this.redis.hset(this.profileKey(userId, modelId), { state, _v: String(version) });
    await this.redis.sadd(this.modelsKey(userId), modelId);
  }
}
