/**
 * safetensors reader/writer: 8-byte little-endian header length, a JSON header mapping
 * tensor names to { dtype, shape, data_offsets }, then the raw little-endian tensor bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface FloatTensor {
  shape: number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** A parsed file: tensor metadata plus the data section, decoded to float32 on demand. */
export class SafetensorsFile {
  private constructor(
    private readonly entries: Map<string, HeaderEntry>,
    private readonly body: Buffer,
    readonly metadata: Record<string, string>,
  ) {}

  /** Parses a safetensors buffer (the whole file). */
  static parse(buf: Buffer): SafetensorsFile {
    if (buf.byteLength < 8) throw new Error('safetensors: file too short');
    const headerLen = Number(buf.readBigUInt64LE(0));
    if (8 + headerLen > buf.byteLength) throw new Error('safetensors: header length exceeds file size');
    const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, unknown>;
    const entries = new Map<string, HeaderEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(header)) {
      if (name === '__metadata__') {
        metadata = value as Record<string, string>;
        continue;
      }
      entries.set(name, validateEntry(name, value));
    }
    return new SafetensorsFile(entries, buf.subarray(8 + headerLen), metadata);
  }

  /** Reads and parses a file from disk. */
  static read(path: string): SafetensorsFile {
    return SafetensorsFile.parse(readFileSync(path));
  }

  /** Tensor names in header order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Whether the file holds a tensor of this name. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Shape of a tensor (copy). */
  shape(name: string): number[] {
    return [...this.entry(name).shape];
  }

  /** Decodes a floating-point tensor (F32, F16 or BF16) into a fresh Float32Array. */
  float32(name: string): FloatTensor {
    const e = this.entry(name);
    const [start, end] = e.data_offsets;
    const bytes = this.body.subarray(start, end);
    const count = e.shape.reduce((a, b) => a * b, 1);
    const width = { F32: 4, F16: 2, BF16: 2 }[e.dtype];
    if (width === undefined) throw new Error(`safetensors: ${name} has dtype ${e.dtype}, expected F32/F16/BF16`);
    if (bytes.byteLength !== count * width) throw new Error(`safetensors: ${name} byte size does not match its shape`);
    const out = new Float32Array(count);
    if (e.dtype === 'F32') {
      // Copy via Uint8Array: the source offset need not be 4-byte aligned.
      new Uint8Array(out.buffer).set(bytes);
    } else {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const decode = e.dtype === 'F16' ? halfToFloat : bf16ToFloat;
      for (let i = 0; i < count; i++) out[i] = decode(dv.getUint16(i * 2, true));
    }
    return { shape: [...e.shape], data: out };
  }

  private entry(name: string): HeaderEntry {
    const e = this.entries.get(name);
    if (!e) throw new Error(`safetensors: missing tensor ${name}`);
    return e;
  }
}

/** Writes float32 tensors as a safetensors file (used for generated fixtures). */
export function writeSafetensors(
  path: string,
  tensors: Map<string, FloatTensor>,
  metadata: Record<string, string> = {},
): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const size = t.data.byteLength;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  // Pad the header with spaces to 8 bytes so the data section is aligned, as the reference writer does.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerBytes.byteLength));
  const parts: Buffer[] = [len, headerBytes];
  for (const t of tensors.values()) parts.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  writeFileSync(path, Buffer.concat(parts));
}

function validateEntry(name: string, value: unknown): HeaderEntry {
  const e = value as Partial<HeaderEntry>;
  if (typeof e.dtype !== 'string' || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) {
    throw new Error(`safetensors: malformed header entry for ${name}`);
  }
  return e as HeaderEntry;
}

/** IEEE 754 binary16 → number (handles subnormals, inf, NaN). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const bf16Scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 is the top half of a float32. */
export function bf16ToFloat(b: number): number {
  bf16Scratch.setUint32(0, b << 16, false);
  return bf16Scratch.getFloat32(0, false);
}
