/**
 * What `npm run consume` prints for one record: the key, where it sits, and the value decoded
 * with the topic's schema (in the deployment's framing), vectors summarised; a tombstone as null,
 * and a value that does not decode as the reason with its bytes' length.
 */
import { unpackFloat32, type TopicSpec } from '@profilestream/contracts';

export type VectorMode = 'summary' | 'full' | 'none';
export const VECTOR_MODES: readonly VectorMode[] = ['summary', 'full', 'none'];

/** Bytes fields (vectors are packed little-endian float32) as `mode` asks; everything else as JSON has it. */
export function presentValue(value: unknown, mode: VectorMode): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return presentBytes(Buffer.from(value), mode);
  if (Array.isArray(value)) return value.map((v) => presentValue(v, mode));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const shown = presentValue(v, mode);
      if (shown !== undefined) out[k] = shown;
    }
    return out;
  }
  return value;
}

function presentBytes(bytes: Buffer, mode: VectorMode): unknown {
  if (mode === 'none') return undefined;
  if (bytes.length % 4 !== 0 || bytes.length === 0) return { bytes: bytes.length, base64: bytes.toString('base64') };
  const v = unpackFloat32(bytes);
  if (mode === 'full') return Array.from(v);
  let norm = 0;
  for (const x of v) norm += x * x;
  return `float32[${v.length}] norm ${Math.sqrt(norm).toPrecision(4)} [${Array.from(v.subarray(0, 4), (x) => x.toPrecision(3)).join(', ')}${v.length > 4 ? ', …' : ''}]`;
}

export interface ConsumedRecord {
  partition: number;
  offset: string;
  /** Epoch milliseconds. */
  timestamp: number;
  key: string | null;
  value: Buffer | null;
}

/** One line of output for a record (JSON). */
export async function describeRecord(
  spec: TopicSpec,
  record: ConsumedRecord,
  decode: ((bytes: Buffer) => Promise<unknown>) | null,
  mode: VectorMode,
): Promise<string> {
  const head = {
    topic: spec.name,
    partition: record.partition,
    offset: record.offset,
    timestamp: new Date(record.timestamp).toISOString(),
    key: record.key,
  };
  if (record.value === null) return JSON.stringify({ ...head, value: null });
  if (!decode)
    return JSON.stringify({
      ...head,
      value: { bytes: record.value.length, note: 'no schema: an internal or dead-letter topic' },
    });
  try {
    return JSON.stringify({ ...head, value: presentValue(await decode(record.value), mode) });
  } catch (err) {
    return JSON.stringify({
      ...head,
      value: { bytes: record.value.length, undecodable: err instanceof Error ? err.message : String(err) },
    });
  }
}
