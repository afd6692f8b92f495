/**
 * Reference embedding pipeline for a converted model directory (tokenize → onnxruntime → pool →
 * normalise), used by the parity check and the fixture generator. It mirrors what the encoder
 * service is expected to do, so parity here means parity there.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { readManifest, type ModelManifest } from './manifest';

export { cosine } from '@profilestream/embedding';

export interface EncoderOptions {
  quantized?: boolean;
  intraOpNumThreads?: number;
}

export class ReferenceEncoder {
  private constructor(
    readonly manifest: ModelManifest,
    private readonly tokenizer: Tokenizer,
    private readonly session: ort.InferenceSession,
  ) {}

  /** Loads tokenizer, manifest and the fp32 (or int8) ONNX model from a converted model directory. */
  static async load(modelDir: string, opts: EncoderOptions = {}): Promise<ReferenceEncoder> {
    const manifest = readManifest(modelDir);
    const tokenizer = loadTokenizer(modelDir);
    const file = opts.quantized ? 'model_quantized.onnx' : 'model.onnx';
    const session = await ort.InferenceSession.create(join(modelDir, 'onnx', file), {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads, interOpNumThreads: 1 } : {}),
    });
    return new ReferenceEncoder(manifest, tokenizer, session);
  }

  /** Token ids with special tokens, truncated to maxTokens the way HF truncation does. */
  tokenize(text: string): number[] {
    return truncate(this.tokenizer.encode(text).ids, this.manifest.maxTokens);
  }

  /** Embeds texts in length-sorted batches; results are in input order. */
  async embed(texts: string[], batchSize = 16): Promise<Float32Array[]> {
    const ids = texts.map((t) => this.tokenize(t));
    const order = ids.map((_, i) => i).sort((a, b) => ids[a]!.length - ids[b]!.length);
    const out: Float32Array[] = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += batchSize) {
      const batch = order.slice(start, start + batchSize);
      const vectors = await this.runBatch(batch.map((i) => ids[i]!));
      batch.forEach((idx, j) => (out[idx] = vectors[j]!));
    }
    return out;
  }

  /** Frees the native session. */
  async release(): Promise<void> {
    await this.session.release();
  }

  private async runBatch(batch: number[][]): Promise<Float32Array[]> {
    const B = batch.length;
    const S = Math.max(...batch.map((b) => b.length));
    const inputIds = new BigInt64Array(B * S);
    const mask = new BigInt64Array(B * S);
    batch.forEach((row, b) =>
      row.forEach((id, s) => {
        inputIds[b * S + s] = BigInt(id);
        mask[b * S + s] = 1n;
      }),
    );
    const dims = [B, S];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', inputIds, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(B * S), dims),
    };
    const result = await this.session.run(feeds, [this.manifest.outputName]);
    const data = result[this.manifest.outputName]!.data as Float32Array;
    const H = this.manifest.dimension;
    return batch.map((row, b) => {
      const v = pool(this.manifest.pooling, data, b, S, H, row.length);
      return this.manifest.normalize ? l2Normalize(v) : v;
    });
  }
}

/** Loads @huggingface/tokenizers from tokenizer.json + tokenizer_config.json. */
export function loadTokenizer(modelDir: string): Tokenizer {
  const read = (f: string): object => JSON.parse(readFileSync(join(modelDir, f), 'utf8')) as object;
  return new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
}

/**
 * Keeps the first maxTokens-1 ids and the final special token ([SEP]): for the single-sequence
 * [CLS] $A [SEP] template this equals HF's truncate-then-add-special-tokens.
 */
export function truncate(ids: number[], maxTokens: number): number[] {
  return ids.length <= maxTokens ? ids : [...ids.slice(0, maxTokens - 1), ids[ids.length - 1]!];
}

function pool(
  mode: ModelManifest['pooling'],
  data: Float32Array,
  b: number,
  S: number,
  H: number,
  len: number,
): Float32Array {
  if (mode === 'pooled') return data.slice(b * H, (b + 1) * H);
  if (mode === 'cls') return data.slice(b * S * H, b * S * H + H);
  // Masked mean: only the row's real tokens (padding sits after them).
  const v = new Float32Array(H);
  for (let s = 0; s < len; s++) {
    const base = (b * S + s) * H;
    for (let h = 0; h < H; h++) v[h] = v[h]! + data[base + h]!;
  }
  return v.map((x) => x / len);
}

/** Returns v / ‖v‖ (zero vectors unchanged). */
export function l2Normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  return norm > 0 ? v.map((x) => x / norm) : v;
}
