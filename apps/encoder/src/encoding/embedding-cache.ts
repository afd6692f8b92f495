import { packFloat32, unpackFloat32 } from '@profilestream/contracts';
import type { EmbeddingSpace } from '@profilestream/embedding';
import type { RedisClient } from '@profilestream/redis';

export interface CachedEmbedding {
  vector: Float32Array;
  tokens: number;
  truncated: boolean;
}

/** Value layout: uint16 LE token count, uint8 truncated flag, one spare byte, then float32 LE values. */
const HEADER = 4;

/**
 * Embeddings by content hash, per model and projection, in Redis. Single-key commands only, so it
 * works on Redis Cluster; ioredis auto-pipelining turns a chunk's lookups into one round trip.
 */
export class EmbeddingCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  private key(space: EmbeddingSpace, contentHash: string): string {
    return `${this.prefix}emb:${space.modelId}:${space.projectionId ?? 'none'}:${contentHash}`;
  }

  async getMany(space: EmbeddingSpace, hashes: readonly string[]): Promise<(CachedEmbedding | null)[]> {
    const values = await Promise.all(hashes.map((h) => this.redis.getBuffer(this.key(space, h))));
    return values.map((b) => (b ? decode(b) : null));
  }

  async setMany(space: EmbeddingSpace, entries: readonly ({ hash: string } & CachedEmbedding)[]): Promise<void> {
    await Promise.all(entries.map((e) => this.redis.set(this.key(space, e.hash), encode(e), 'EX', this.ttlSeconds)));
  }
}

// The vector is copied as bytes, not float by float: this runs for every embedding on the event
// loop the inference workers' results and Kafka share.
function encode(e: CachedEmbedding): Buffer {
  const header = Buffer.alloc(HEADER);
  header.writeUInt16LE(Math.min(e.tokens, 0xffff), 0);
  header.writeUInt8(e.truncated ? 1 : 0, 2);
  return Buffer.concat([header, packFloat32(e.vector)]);
}

/** A malformed entry (another writer, a format change) reads as a miss, never as a wrong vector. */
function decode(b: Buffer): CachedEmbedding | null {
  if (b.length < HEADER + 4 || (b.length - HEADER) % 4 !== 0) return null;
  return { vector: unpackFloat32(b.subarray(HEADER)), tokens: b.readUInt16LE(0), truncated: b.readUInt8(2) === 1 };
}
