import { join } from 'node:path';
import type { RedisClient } from './redis.client';
import { SCRIPT_DIR, defineScripts } from './scripts';

type WithCas = RedisClient & {
  versionedHset(key: string, expected: string, ...fieldsAndValues: (string | Buffer)[]): Promise<number>;
};

/** Outcome of a compare-and-set write. */
export type CasResult = { ok: true; version: number } | { ok: false };

/**
 * A hash with an optimistic version: read it, compute, then write only if nobody wrote in between
 * (a conflict means re-read and retry). Vector maths stays in Node; Redis only compares and sets.
 */
export class VersionedHashStore {
  constructor(private readonly redis: RedisClient) {
    defineScripts(redis, [{ name: 'versionedHset', file: join(SCRIPT_DIR, 'versioned-hset.lua'), numberOfKeys: 1 }]);
  }

  /** The hash's fields (as Buffers) and its version (0 when absent). */
  async read(key: string): Promise<{ version: number; fields: Record<string, Buffer> }> {
    const raw = await this.redis.hgetallBuffer(key);
    const version = raw['_v'] ? Number(raw['_v'].toString()) : 0;
    delete raw['_v'];
    return { version, fields: raw };
  }

  async write(key: string, expectedVersion: number, fields: Record<string, string | Buffer>): Promise<CasResult> {
    const args: (string | Buffer)[] = [];
    for (const [k, v] of Object.entries(fields)) args.push(k, v);
    const version = await (this.redis as WithCas).versionedHset(key, String(expectedVersion), ...args);
    return version < 0 ? { ok: false } : { ok: true, version };
  }
}
