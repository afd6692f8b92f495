import { endianness } from 'node:os';

/** Float arrays are copied as bytes where the machine is little-endian (every platform we run on). */
const LITTLE_ENDIAN = endianness() === 'LE';

/** Packs a vector as little-endian float32 bytes, the wire form of every embedding and profile vector. */
export function packFloat32(values: ArrayLike<number>): Buffer {
  if (LITTLE_ENDIAN) {
    const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
    return Buffer.from(f32.buffer.slice(f32.byteOffset, f32.byteOffset + f32.byteLength));
  }
  const out = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i]!, i * 4);
  return out;
}

/** Reads little-endian float32 bytes back into a Float32Array (copying, so alignment never matters). */
export function unpackFloat32(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new RangeError(`vector bytes ${bytes.byteLength} is not a multiple of 4`);
  const out = new Float32Array(bytes.byteLength / 4);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}
