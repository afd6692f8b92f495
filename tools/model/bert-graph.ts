/**
 * Builds the ONNX graph of a BERT-family encoder (BertModel forward pass, inference only)
 * from config + weights. Choices made for onnxruntime CPU:
 *  - Linear weights are stored pre-transposed as [in, out] so MatMul needs no Transpose;
 *  - Q, K and V are one fused MatMul; the 1/sqrt(head_dim) scale is folded into the Q weights;
 *  - K is transposed straight to [B, heads, head_dim, S] so scores are a plain MatMul;
 *  - GELU is written as the standard Erf/Tanh formula, which onnxruntime fuses into its Gelu kernels.
 */
import type { BertConfig } from './bert-config';
import { GraphBuilder, attr, type Model, type ValueInfo } from '@profilestream/tools-onnx';
import type { FloatTensor } from './safetensors';

export const OPSET = 17; // LayerNormalization exists from 17.
export const IR_VERSION = 8;
export const INPUT_NAMES = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
export const OUTPUT_NAME = 'last_hidden_state';
export const POOLER_OUTPUT_NAME = 'pooler_output';

/** Anything that serves float32 tensors by name (e.g. a SafetensorsFile). */
export interface WeightSource {
  has(name: string): boolean;
  float32(name: string): FloatTensor;
}

export interface BertGraphOptions {
  /** Also emit `pooler_output` (tanh(W·h[CLS] + b)) when the checkpoint has pooler weights. */
  pooler?: boolean;
  producerVersion?: string;
  docString?: string;
}

// HF uses torch.finfo(float32).min for masked positions; exp() of it underflows to exactly 0.
const MASK_VALUE = -3.4028234663852886e38;

/** Builds the encoder model; throws if a required weight is missing or mis-shaped. */
export function buildBertGraph(cfg: BertConfig, weights: WeightSource, options: BertGraphOptions = {}): Model {
  const w = new Weights(weights);
  const H = cfg.hiddenSize;
  const dyn = ['batch', 'sequence'];
  const inputs: ValueInfo[] = INPUT_NAMES.map((name) => ({ name, dtype: 'int64', shape: dyn }));
  const outputs: ValueInfo[] = [{ name: OUTPUT_NAME, dtype: 'float32', shape: ['batch', 'sequence', H] }];
  const withPooler = options.pooler === true && w.has('pooler.dense.weight');
  if (withPooler) outputs.push({ name: POOLER_OUTPUT_NAME, dtype: 'float32', shape: ['batch', H] });
  const g = new GraphBuilder('bert_encoder', inputs, outputs);

  let x = embeddings(g, cfg, w);
  const maskBias = attentionBias(g);
  for (let i = 0; i < cfg.numLayers; i++) {
    x = encoderLayer(g, cfg, w, i, x, maskBias, i === cfg.numLayers - 1 ? OUTPUT_NAME : undefined);
  }
  if (withPooler) {
    const cls = g.op('Gather', [x, g.int64('cls_index', [0], [])], 'cls_hidden', { axis: attr.int(1) });
    const dense = linear(g, w, 'pooler.dense', cls, 'pooler_dense');
    g.opMulti('Tanh', [dense], [POOLER_OUTPUT_NAME]);
  }
  return {
    graph: g.build(),
    irVersion: IR_VERSION,
    opset: OPSET,
    producerName: 'profilestream-convert-bert',
    producerVersion: options.producerVersion ?? '1',
    ...(options.docString ? { docString: options.docString } : {}),
  };
}

/** word + position (+ token type) embeddings, then LayerNorm. */
function embeddings(g: GraphBuilder, cfg: BertConfig, w: Weights): string {
  const H = cfg.hiddenSize;
  const word = w.get('embeddings.word_embeddings.weight', [cfg.vocabSize, H]);
  let pos = w.get('embeddings.position_embeddings.weight', [cfg.maxPositions, H]).data;
  const hasTypes = w.has('embeddings.token_type_embeddings.weight');
  const useTypeInput = hasTypes && cfg.typeVocabSize >= 2;
  if (hasTypes && !useTypeInput) {
    // A single token type row is a constant: fold it into the position table (the input stays accepted, unused).
    const tt = w.get('embeddings.token_type_embeddings.weight', [1, H]).data;
    pos = pos.map((v, i) => v + tt[i % H]!);
  }
  const wordW = g.init('embeddings.word_embeddings.weight', 'float32', [cfg.vocabSize, H], word.data);
  const posW = g.init('embeddings.position_embeddings.weight', 'float32', [cfg.maxPositions, H], pos);

  let x = g.op('Gather', [wordW, 'input_ids'], 'word_embeds', { axis: attr.int(0) });
  // position_ids = range(sequence): slicing the table's first `sequence` rows is equivalent and cheaper.
  const seqLen = g.op('Shape', ['input_ids'], 'seq_len', { start: attr.int(1), end: attr.int(2) });
  const posRows = g.op('Slice', [posW, g.int64('zero', [0]), seqLen, g.int64('axis0', [0])], 'pos_embeds');
  x = g.op('Add', [x, posRows], 'embeds_wp');
  if (useTypeInput) {
    const ttW = g.init(
      'embeddings.token_type_embeddings.weight',
      'float32',
      [cfg.typeVocabSize, H],
      w.get('embeddings.token_type_embeddings.weight', [cfg.typeVocabSize, H]).data,
    );
    x = g.op('Add', [x, g.op('Gather', [ttW, 'token_type_ids'], 'type_embeds', { axis: attr.int(0) })], 'embeds');
  }
  return layerNorm(g, w, 'embeddings.LayerNorm', x, cfg.layerNormEps, 'embeddings_ln');
}

/** attention_mask [B, S] (1 = keep) → additive bias [B, 1, 1, S] broadcast over heads and query positions. */
function attentionBias(g: GraphBuilder): string {
  const mask = g.op('Cast', ['attention_mask'], 'mask_f', { to: attr.int(1) });
  const inverted = g.op('Sub', [g.scalar(1), mask], 'mask_inv');
  const bias = g.op('Mul', [inverted, g.scalar(MASK_VALUE)], 'mask_bias');
  return g.op('Unsqueeze', [bias, g.int64('mask_axes', [1, 2])], 'mask_bias_4d');
}

function encoderLayer(
  g: GraphBuilder,
  cfg: BertConfig,
  w: Weights,
  i: number,
  x: string,
  maskBias: string,
  outName?: string,
): string {
  const H = cfg.hiddenSize;
  const heads = cfg.numHeads;
  const headDim = H / heads;
  const p = `encoder.layer.${i}`;
  const t = `l${i}`;

  // Fused QKV projection; Q pre-scaled by 1/sqrt(head_dim).
  const scale = 1 / Math.sqrt(headDim);
  const q = w.linear(`${p}.attention.self.query`, H, H, scale);
  const k = w.linear(`${p}.attention.self.key`, H, H);
  const v = w.linear(`${p}.attention.self.value`, H, H);
  const qkvW = g.init(
    `${p}.attention.qkv.weight`,
    'float32',
    [H, 3 * H],
    concatColumns([q.weight, k.weight, v.weight], H, H),
  );
  const qkvB = g.float(`${p}.attention.qkv.bias`, Float32Array.from([...q.bias, ...k.bias, ...v.bias]));
  const qkv = g.op('Add', [g.op('MatMul', [x, qkvW], `${t}_qkv_mm`), qkvB], `${t}_qkv`);
  const splits = g.int64(`${t}_qkv_split`, [H, H, H]);
  const [qs, ks, vs] = g.opMulti('Split', [qkv, splits], [g.fresh(`${t}_q`), g.fresh(`${t}_k`), g.fresh(`${t}_v`)], {
    axis: attr.int(2),
  });
  const headShape = g.int64(`${t}_head_shape`, [0, 0, heads, headDim]);
  const toHeads = (name: string, src: string, perm: number[]): string =>
    g.op('Transpose', [g.op('Reshape', [src, headShape], `${name}_r`)], name, { perm: attr.ints(perm) });
  const qh = toHeads(`${t}_qh`, qs!, [0, 2, 1, 3]); // [B, h, S, d]
  const khT = toHeads(`${t}_khT`, ks!, [0, 2, 3, 1]); // [B, h, d, S]
  const vh = toHeads(`${t}_vh`, vs!, [0, 2, 1, 3]); // [B, h, S, d]

  const scores = g.op('Add', [g.op('MatMul', [qh, khT], `${t}_scores_raw`), maskBias], `${t}_scores`);
  const probs = g.op('Softmax', [scores], `${t}_probs`, { axis: attr.int(-1) });
  const ctx = g.op('Transpose', [g.op('MatMul', [probs, vh], `${t}_ctx_h`)], `${t}_ctx_t`, {
    perm: attr.ints([0, 2, 1, 3]),
  });
  const ctxFlat = g.op('Reshape', [ctx, g.int64(`${t}_flat_shape`, [0, 0, H])], `${t}_ctx`);

  const attnOut = linear(g, w, `${p}.attention.output.dense`, ctxFlat, `${t}_attn_out`);
  const h1 = layerNorm(
    g,
    w,
    `${p}.attention.output.LayerNorm`,
    g.op('Add', [attnOut, x], `${t}_attn_res`),
    cfg.layerNormEps,
    `${t}_attn_ln`,
  );

  const inter = activation(g, cfg.hiddenAct, linear(g, w, `${p}.intermediate.dense`, h1, `${t}_inter`), `${t}_act`);
  const ffnOut = linear(g, w, `${p}.output.dense`, inter, `${t}_ffn_out`);
  return layerNorm(
    g,
    w,
    `${p}.output.LayerNorm`,
    g.op('Add', [ffnOut, h1], `${t}_ffn_res`),
    cfg.layerNormEps,
    `${t}_out`,
    outName,
  );
}

/** y = x·Wᵀ + b with W stored as [in, out]. */
function linear(g: GraphBuilder, w: Weights, prefix: string, x: string, out: string): string {
  const shape = w.shape(`${prefix}.weight`);
  const [outF, inF] = [shape[0]!, shape[1]!];
  const lin = w.linear(prefix, inF, outF);
  const W = g.init(`${prefix}.weight`, 'float32', [inF, outF], lin.weight);
  const B = g.float(`${prefix}.bias`, lin.bias);
  return g.op('Add', [g.op('MatMul', [x, W], `${out}_mm`), B], out);
}

function layerNorm(
  g: GraphBuilder,
  w: Weights,
  prefix: string,
  x: string,
  eps: number,
  out: string,
  exactName?: string,
): string {
  const gamma = g.float(`${prefix}.weight`, w.get(w.alt(`${prefix}.weight`, `${prefix}.gamma`)).data);
  const beta = g.float(`${prefix}.bias`, w.get(w.alt(`${prefix}.bias`, `${prefix}.beta`)).data);
  const attrs = { axis: attr.int(-1), epsilon: attr.float(eps) };
  if (exactName) return g.opMulti('LayerNormalization', [x, gamma, beta], [exactName], attrs)[0]!;
  return g.op('LayerNormalization', [x, gamma, beta], out, attrs);
}

function activation(g: GraphBuilder, act: BertConfig['hiddenAct'], x: string, out: string): string {
  if (act === 'gelu') {
    // 0.5·x·(1 + erf(x/√2)): the exact form BertModel uses; matches onnxruntime's GeluFusion pattern.
    const erf = g.op('Erf', [g.op('Div', [x, g.scalar(Math.SQRT2)], `${out}_div`)], `${out}_erf`);
    const onePlus = g.op('Add', [erf, g.scalar(1)], `${out}_1p`);
    return g.op('Mul', [g.op('Mul', [x, onePlus], `${out}_xm`), g.scalar(0.5)], out);
  }
  // Tanh approximation used by gelu_new / gelu_pytorch_tanh / gelu_fast: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
  const cube = g.op('Mul', [g.op('Mul', [x, x], `${out}_sq`), x], `${out}_cube`);
  const inner = g.op('Add', [x, g.op('Mul', [cube, g.scalar(0.044715)], `${out}_c3`)], `${out}_inner`);
  const th = g.op('Tanh', [g.op('Mul', [inner, g.scalar(Math.sqrt(2 / Math.PI))], `${out}_k`)], `${out}_tanh`);
  const onePlus = g.op('Add', [th, g.scalar(1)], `${out}_1p`);
  return g.op('Mul', [g.op('Mul', [x, onePlus], `${out}_xm`), g.scalar(0.5)], out);
}

/** Concatenates [rows, cols_i] row-major matrices along columns. */
function concatColumns(mats: Float32Array[], rows: number, cols: number): Float32Array {
  const total = cols * mats.length;
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    mats.forEach((m, j) => out.set(m.subarray(r * cols, (r + 1) * cols), r * total + j * cols));
  }
  return out;
}

/** Weight lookup with optional `bert.` prefix and shape checks. */
class Weights {
  private readonly prefix: string;

  constructor(private readonly src: WeightSource) {
    this.prefix = src.has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
    if (!src.has(`${this.prefix}embeddings.word_embeddings.weight`)) {
      throw new Error('checkpoint has no embeddings.word_embeddings.weight: not a BERT encoder?');
    }
  }

  has(name: string): boolean {
    return this.src.has(this.prefix + name);
  }

  /** First of the candidate names that exists (old TF-converted checkpoints use gamma/beta). */
  alt(name: string, fallback: string): string {
    return this.has(name) || !this.has(fallback) ? name : fallback;
  }

  shape(name: string): number[] {
    return this.get(name).shape;
  }

  get(name: string, expected?: number[]): FloatTensor {
    const t = this.src.float32(this.prefix + name);
    if (expected && (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i]))) {
      throw new Error(`${name}: shape [${t.shape.join(', ')}] does not match config [${expected.join(', ')}]`);
    }
    return t;
  }

  /** PyTorch Linear weight [out, in] → [in, out] (row-major), optionally scaled along with the bias. */
  linear(prefix: string, inF: number, outF: number, scale = 1): { weight: Float32Array; bias: Float32Array } {
    const src = this.get(`${prefix}.weight`, [outF, inF]).data;
    const weight = new Float32Array(inF * outF);
    for (let o = 0; o < outF; o++) {
      for (let i = 0; i < inF; i++) weight[i * outF + o] = src[o * inF + i]! * scale;
    }
    const bias = this.get(`${prefix}.bias`, [outF]).data;
    return { weight, bias: scale === 1 ? bias : bias.map((b) => b * scale) };
  }
}
