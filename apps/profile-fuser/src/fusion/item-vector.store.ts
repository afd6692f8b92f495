import { userKey, VersionedHashStore, type RedisClient } from '@profilestream/redis';

/** Where an item vector came from: its catalogue description, or the mean of its reviews. */
export interface ItemVectors {
  description: Float32Array | null;
  reviewSum: Float64Array | null;
  reviewCount: number;
}

export interface ItemUpdate {
  itemId: string;
  kind: 'description' | 'review';
  vector: Float32Array;
  /** Catalogue categories (descriptions only). */
  categories: string[];
  /** `topic:partition` and offset: an update at or below the applied offset is a redelivery. */
  positionKey: string;
  offset: bigint;
}

/**
 * Item vectors per model, for clicks (which carry no text). Updates use the same versioned
 * compare-and-set as profiles and remember the highest applied offset per source partition, so a
 * redelivered review never counts twice in an item's mean.
 */
export class ItemVectorStore {
  private readonly store: VersionedHashStore;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.store = new VersionedHashStore(redis);
  }

  private key(itemId: string, modelId: string): string {
    return userKey(this.prefix, `item:${itemId}`, `vectors:${modelId}`);
  }

  /**
   * What a click on each item takes: the description's vector, else the normalised mean of its
   * reviews, else null; and the item's catalogue categories.
   */
  async clickInputs(modelId: string, itemIds: readonly string[]): Promise<Map<string, { vector: Float32Array | null; categories: string[] }>> {
    const unique = [...new Set(itemIds)];
    const rows = await Promise.all(unique.map((id) => this.redis.hmgetBuffer(this.key(id, modelId), 'desc', 'rsum', 'cats')));
    const out = new Map<string, { vector: Float32Array | null; categories: string[] }>();
    unique.forEach((id, i) => {
      const [desc, rsum, cats] = rows[i]!;
      const vector = desc ? new Float32Array(new Uint8Array(desc).buffer) : rsum ? normaliseToFloat32(new Float64Array(new Uint8Array(rsum).buffer)) : null;
      out.set(id, { vector, categories: cats ? (JSON.parse(cats.toString()) as string[]) : [] });
    });
    return out;
  }

  /** Applies updates of one item; retries on a concurrent write. Returns how many were new. */
  async apply(modelId: string, itemId: string, updates: readonly ItemUpdate[], maxRetries: number): Promise<number> {
    const key = this.key(itemId, modelId);
    for (let attempt = 0; attempt < maxRetries; attempt++) {
      const { version, fields } = await this.store.read(key);
      const applied: Record<string, string> = fields['applied'] ? (JSON.parse(fields['applied'].toString()) as Record<string, string>) : {};
      let desc: Float32Array | null = fields['desc'] ? new Float32Array(new Uint8Array(fields['desc']).buffer) : null;
      let rsum: Float64Array | null = fields['rsum'] ? new Float64Array(new Uint8Array(fields['rsum']).buffer) : null;
      let rcount = fields['rcount'] ? Number(fields['rcount'].toString()) : 0;
      let cats = fields['cats']?.toString() ?? null;
      let fresh = 0;
      for (const u of updates) {
        if (applied[u.positionKey] !== undefined && u.offset <= BigInt(applied[u.positionKey]!)) continue;
        applied[u.positionKey] = u.offset.toString();
        fresh++;
        if (u.kind === 'description') {
          desc = u.vector;
          cats = JSON.stringify(u.categories);
        }
        else {
          rsum ??= new Float64Array(u.vector.length);
          for (let d = 0; d < u.vector.length; d++) rsum[d]! += u.vector[d]!;
          rcount++;
        }
      }
      if (fresh === 0) return 0;
      const out: Record<string, string | Buffer> = { applied: JSON.stringify(applied), rcount: String(rcount) };
      if (desc) out['desc'] = Buffer.from(desc.buffer, desc.byteOffset, desc.byteLength);
      if (cats) out['cats'] = cats;
      if (rsum) out['rsum'] = Buffer.from(rsum.buffer, rsum.byteOffset, rsum.byteLength);
      if ((await this.store.write(key, version, out)).ok) return fresh;
    }
    throw new Error(`item ${itemId}: compare-and-set failed ${maxRetries} times`);
  }
}

function normaliseToFloat32(v: Float64Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  return Float32Array.from(v, (x) => x * inv);
}
