import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import type { RedisClient } from './redis.client';

/** A Lua script shipped as a `.lua` file beside its TypeScript wrapper. */
export interface ScriptDefinition {
  /** Command name the script gets on the client. */
  name: string;
  /** Path of the `.lua` file. */
  file: string;
  /** Keys the script takes; omit it for a variable number (callers then pass the count first). */
  numberOfKeys?: number;
}

/**
 * Registers scripts with `defineCommand`: ioredis sends EVALSHA and falls back to EVAL once when
 * the server does not know the script yet (after a restart or failover).
 */
export function defineScripts(redis: RedisClient, scripts: readonly ScriptDefinition[]): void {
  for (const s of scripts) {
    redis.defineCommand(s.name, {
      ...(s.numberOfKeys === undefined ? {} : { numberOfKeys: s.numberOfKeys }),
      lua: readFileSync(s.file, 'utf8'),
    });
  }
  // On a cluster, ioredis' auto-pipelining groups a script call by its first argument, which for a
  // variable key count is the count, not a key: calls for keys on different masters would share a
  // pipeline and fail ("All keys in the pipeline should belong to the same slots allocation
  // group"). A script call batches its keys already, so it is sent on its own, routed by its keys.
  if (redis instanceof Cluster) {
    const ignored = new Set(redis.options.autoPipeliningIgnoredCommands ?? []);
    for (const s of scripts) ignored.add(s.name);
    redis.options.autoPipeliningIgnoredCommands = [...ignored];
  }
}

/** Scripts this library ships (copied next to the compiled code by the build). */
export const SCRIPT_DIR = join(__dirname, 'scripts');
