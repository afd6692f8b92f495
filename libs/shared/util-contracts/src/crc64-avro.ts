/**
 * CRC-64-AVRO (Rabin) fingerprint, as defined by the Avro specification for schema fingerprints
 * and single-object encoding.
 */
const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

const TABLE: bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) {
    fp = (fp >> 1n) ^ (EMPTY & (-(fp & 1n) & MASK));
  }
  return fp;
});

/** The 64-bit Rabin fingerprint of `bytes`. */
export function crc64Avro(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const b of bytes) {
    fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(b)) & 0xffn)]!;
  }
  return fp;
}

/** The fingerprint as the 8 little-endian bytes single-object encoding puts on the wire. */
export function crc64AvroLittleEndian(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(crc64Avro(bytes));
  return out;
}
