/**
 * Dynamic int8 quantization of Linear layers (constant-weight MatMuls). Weights become int8,
 * symmetric, per output channel; activations are quantized to uint8 at run time, multiplied with
 * MatMulInteger(uint8, int8) → int32, cast to float and rescaled. Embeddings, LayerNorm and the
 * activation-by-activation attention MatMuls stay float32.
 *
 * Two activation schemes:
 *  - 'per-tensor': DynamicQuantizeLinear → MatMulInteger → Cast → Mul(a_scale·w_scale), exactly what
 *    onnxruntime's quantizer emits (fused by onnxruntime into one DynamicQuantizeMatMul kernel).
 *    Fastest, but one scale covers the whole batch, so BERT's huge activations on [CLS]/[SEP]
 *    coarsen every other token, and a text's embedding depends on its batch neighbours.
 *  - 'per-token' (default): symmetric uint8 per row (zero point 128), scale = max|row| / 127,
 *    built from standard ops. Batch-independent and far more accurate on BERT.
 *
 * Optionally, a few calibrated outlier input channels per layer stay float32 (LLM.int8()-style
 * decomposition): they are removed from the quantized product and added back by a small fp32
 * MatMul, so one extreme channel no longer sets the quantization step of all the others.
 */
import { attr, type Graph, type Initializer, type Model, type Node } from '@profilestream/tools-onnx';

export type ActivationScheme = 'per-token' | 'per-tensor';

export interface QuantizeOptions {
  activations?: ActivationScheme;
  /**
   * Use 7-bit weights (±63). Needed only on x86 CPUs without VNNI, where onnxruntime's
   * u8s8 kernel (vpmaddubsw) can saturate int16 pair sums; costs some accuracy.
   */
  reduceRange?: boolean;
  /** Which constant weights to quantize (by initializer name); default all. */
  include?: (weightName: string) => boolean;
  /** Input channels (rows of the [in, out] weight) to keep in float32, keyed by weight name. */
  outlierChannels?: Map<string, number[]>;
}

export interface QuantizeReport {
  quantized: number;
  skipped: number;
  outlierChannels: number;
}

/** Returns a new model whose constant-weight MatMuls are dynamically quantized. */
export function quantizeDynamic(model: Model, options: QuantizeOptions = {}): { model: Model; report: QuantizeReport } {
  const src = model.graph;
  const inits = new Map(src.initializers.map((i) => [i.name, i]));
  const useCount = countUses(src);
  const ctx: Ctx = {
    nodes: [],
    added: [],
    qmax: options.reduceRange ? 63 : 127,
    perToken: (options.activations ?? 'per-token') === 'per-token',
  };
  const dropped = new Set<string>();
  const report: QuantizeReport = { quantized: 0, skipped: 0, outlierChannels: 0 };

  if (ctx.perToken) {
    ctx.added.push(scalarF('qdq_eps', 1e-12), scalarF('qdq_qmax', 127), scalarF('qdq_offset', 128.5), {
      name: 'qdq_zero_point',
      dtype: 'uint8',
      dims: [],
      data: Uint8Array.from([128]),
    });
  }
  for (const node of src.nodes) {
    const weight = node.op === 'MatMul' ? inits.get(node.inputs[1]!) : undefined;
    const eligible = weight && weight.dtype === 'float32' && weight.dims.length === 2;
    if (!weight || !eligible || (options.include && !options.include(weight.name))) {
      if (node.op === 'MatMul') report.skipped++;
      ctx.nodes.push(node);
      continue;
    }
    if (useCount.get(weight.name) === 1) dropped.add(weight.name);
    const outliers = options.outlierChannels?.get(weight.name) ?? [];
    report.outlierChannels += outliers.length;
    emitQuantizedMatMul(ctx, node, weight, outliers);
    report.quantized++;
  }

  const graph: Graph = {
    ...src,
    nodes: ctx.nodes,
    initializers: [...src.initializers.filter((i) => !dropped.has(i.name)), ...ctx.added],
  };
  return { model: { ...model, graph }, report };
}

interface Ctx {
  nodes: Node[];
  added: Initializer[];
  qmax: number;
  perToken: boolean;
}

function emitQuantizedMatMul(ctx: Ctx, node: Node, weight: Initializer, outliers: number[]): void {
  const [K, N] = [weight.dims[0]!, weight.dims[1]!];
  const w = weight.data as Float32Array;
  const p = node.name;
  const base = weight.name;
  const out = node.outputs[0]!;
  let x = node.inputs[0]!;
  const add = (op: string, inputs: string[], outputs: string[], attrs?: Node['attrs']): void => {
    ctx.nodes.push({ op, inputs, outputs, name: `${p}_${ctx.nodes.length}`, ...(attrs ? { attrs } : {}) });
  };

  let quantW = w;
  let quantOut = out;
  if (outliers.length > 0) {
    // Split W by rows: outlier rows go to a small fp32 MatMul, the rest is quantized.
    quantW = Float32Array.from(w);
    const wOut = new Float32Array(outliers.length * N);
    const keep = new Float32Array(K).fill(1);
    outliers.forEach((c, j) => {
      wOut.set(w.subarray(c * N, (c + 1) * N), j * N);
      quantW.fill(0, c * N, (c + 1) * N);
      keep[c] = 0;
    });
    ctx.added.push(
      {
        name: `${base}_outlier_idx`,
        dtype: 'int64',
        dims: [outliers.length],
        data: BigInt64Array.from(outliers.map(BigInt)),
      },
      { name: `${base}_outlier_w`, dtype: 'float32', dims: [outliers.length, N], data: wOut },
      { name: `${base}_keep`, dtype: 'float32', dims: [K], data: keep },
    );
    add('Gather', [x, `${base}_outlier_idx`], [`${p}_x_outlier`], { axis: attr.int(-1) });
    add('MatMul', [`${p}_x_outlier`, `${base}_outlier_w`], [`${p}_y_outlier`]);
    add('Mul', [x, `${base}_keep`], [`${p}_x_kept`]);
    x = `${p}_x_kept`;
    quantOut = `${p}_y_quant`;
  }

  const { q, scales } = quantizePerColumn(quantW, K, N, ctx.qmax);
  ctx.added.push(
    { name: `${base}_quantized`, dtype: 'int8', dims: [K, N], data: q },
    { name: `${base}_scale`, dtype: 'float32', dims: [N], data: scales },
  );
  if (ctx.perToken) {
    // scale = max|row| / 127; q = floor(x / scale + 128.5) ∈ [1, 255] (Cast truncates, values are positive).
    add('ReduceMax', [x], [`${p}_row_max`], { axes: attr.ints([-1]), keepdims: attr.int(1) });
    add('ReduceMin', [x], [`${p}_row_min`], { axes: attr.ints([-1]), keepdims: attr.int(1) });
    add('Neg', [`${p}_row_min`], [`${p}_row_neg_min`]);
    add('Max', [`${p}_row_max`, `${p}_row_neg_min`, 'qdq_eps'], [`${p}_row_absmax`]);
    add('Div', [`${p}_row_absmax`, 'qdq_qmax'], [`${p}_a_scale`]);
    add('Div', ['qdq_qmax', `${p}_row_absmax`], [`${p}_a_inv_scale`]);
    add('Mul', [x, `${p}_a_inv_scale`], [`${p}_a_scaled`]);
    add('Add', [`${p}_a_scaled`, 'qdq_offset'], [`${p}_a_shifted`]);
    add('Cast', [`${p}_a_shifted`], [`${p}_a_quant`], { to: attr.int(2) });
    add('MatMulInteger', [`${p}_a_quant`, `${base}_quantized`, 'qdq_zero_point'], [`${p}_int32`]);
    add('Cast', [`${p}_int32`], [`${p}_float`], { to: attr.int(1) });
    // Column scale first: onnxruntime's MatMulIntegerToFloat fusion assumes a scalar activation
    // scale in the Mul right after the Cast and silently produces garbage for a per-row one.
    add('Mul', [`${p}_float`, `${base}_scale`], [`${p}_col_scaled`]);
    add('Mul', [`${p}_col_scaled`, `${p}_a_scale`], [quantOut]);
  } else {
    add('DynamicQuantizeLinear', [x], [`${p}_a_quant`, `${p}_a_scale`, `${p}_a_zero_point`]);
    add('MatMulInteger', [`${p}_a_quant`, `${base}_quantized`, `${p}_a_zero_point`], [`${p}_int32`]);
    add('Cast', [`${p}_int32`], [`${p}_float`], { to: attr.int(1) });
    add('Mul', [`${p}_a_scale`, `${base}_scale`], [`${p}_scales`]);
    add('Mul', [`${p}_float`, `${p}_scales`], [quantOut]);
  }
  if (outliers.length > 0) add('Add', [quantOut, `${p}_y_outlier`], [out]);
}

/** Symmetric per-column quantization of a row-major [K, N] matrix to int8 in [-qmax, qmax]. */
export function quantizePerColumn(
  w: Float32Array,
  K: number,
  N: number,
  qmax: number,
): { q: Int8Array; scales: Float32Array } {
  const maxAbs = new Float32Array(N);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) maxAbs[n] = Math.max(maxAbs[n]!, Math.abs(w[k * N + n]!));
  }
  // An all-zero column gets scale 1 so dequantization stays finite (its values are all 0 anyway).
  const scales = maxAbs.map((m) => (m > 0 ? m / qmax : 1));
  const q = new Int8Array(K * N);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) {
      const v = Math.round(w[k * N + n]! / scales[n]!);
      q[k * N + n] = Math.max(-qmax, Math.min(qmax, v));
    }
  }
  return { q, scales };
}

function scalarF(name: string, value: number): Initializer {
  return { name, dtype: 'float32', dims: [], data: Float32Array.from([value]) };
}

function countUses(g: Graph): Map<string, number> {
  const uses = new Map<string, number>();
  for (const node of g.nodes) for (const i of node.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  return uses;
}
