/**
 * Minimal protobuf wire-format encoder: just enough (varint, fixed32, length-delimited)
 * to serialise ONNX messages without pulling a schema compiler into set-up.
 * Messages are built as lists of byte chunks so that large initializers are copied once.
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** Growable message: fields are appended in call order, chunks are joined on `bytes()`. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  /** Total encoded length in bytes. */
  get length(): number {
    return this.size;
  }

  /** Writes a varint-encoded integer field (int32/int64/enum); negatives use 10-byte two's complement. */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.push(encodeVarint(BigInt(value)));
    return this;
  }

  /** Writes a float field as fixed32. */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const buf = new Uint8Array(4);
    new DataView(buf.buffer).setFloat32(0, value, true);
    this.push(buf);
    return this;
  }

  /** Writes a UTF-8 string field. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** Writes a raw bytes field. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.push(encodeVarint(BigInt(value.byteLength)));
    this.push(value);
    return this;
  }

  /** Writes an embedded message field. */
  message(field: number, value: ProtoWriter): this {
    this.tag(field, WIRE_LEN);
    this.push(encodeVarint(BigInt(value.length)));
    for (const chunk of value.chunks) this.push(chunk);
    return this;
  }

  /** Concatenates all chunks into one buffer. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }

  private tag(field: number, wire: number): void {
    this.push(encodeVarint(BigInt((field << 3) | wire)));
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
  }
}

/** Encodes an integer as a protobuf varint (negative values as 64-bit two's complement). */
export function encodeVarint(value: bigint): Uint8Array {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}
