/**
 * Dynamic int8 quantization of Linear layers, in the form onnxruntime's own quantizer emits
 * (so its MatMulIntegerToFloat fusion turns each group into one DynamicQuantizeMatMul kernel):
 *
 *   A ─DynamicQuantizeLinear→ (A_q:uint8, A_scale, A_zp) ─MatMulInteger(A_q, W_q:int8, A_zp)→ int32
 *     ─Cast→ float ─Mul(A_scale · W_scale[N])→ output
 *
 * Weights are int8, symmetric, per output channel (column of the [in, out] matrix).
 * Embeddings, LayerNorm and the activation-by-activation attention MatMuls stay float32.
 */
import { attr, type Graph, type Initializer, type Model, type Node } from './onnx/ir';

export interface QuantizeOptions {
  /**
   * Use 7-bit weights (±63). Needed only on x86 CPUs without VNNI, where onnxruntime's
   * u8s8 kernel (vpmaddubsw) can saturate int16 pair sums; costs some accuracy.
   */
  reduceRange?: boolean;
}

export interface QuantizeReport {
  quantized: number;
  skipped: number;
}

/** Returns a new model whose constant-weight MatMuls are dynamically quantized. */
export function quantizeDynamic(model: Model, options: QuantizeOptions = {}): { model: Model; report: QuantizeReport } {
  const src = model.graph;
  const inits = new Map(src.initializers.map((i) => [i.name, i]));
  const useCount = countUses(src);
  const qmax = options.reduceRange ? 63 : 127;
  const nodes: Node[] = [];
  const added: Initializer[] = [];
  const dropped = new Set<string>();
  let quantized = 0;
  let skipped = 0;

  for (const node of src.nodes) {
    const weight = node.op === 'MatMul' ? inits.get(node.inputs[1]!) : undefined;
    if (!weight || weight.dtype !== 'float32' || weight.dims.length !== 2) {
      if (node.op === 'MatMul') skipped++;
      nodes.push(node);
      continue;
    }
    const [K, N] = [weight.dims[0]!, weight.dims[1]!];
    const { q, scales } = quantizePerColumn(weight.data as Float32Array, K, N, qmax);
    const base = weight.name;
    added.push(
      { name: `${base}_quantized`, dtype: 'int8', dims: [K, N], data: q },
      { name: `${base}_scale`, dtype: 'float32', dims: [N], data: scales },
    );
    if (useCount.get(base) === 1) dropped.add(base);

    const a = node.inputs[0]!;
    const n = node.name;
    const [aq, as, azp] = [`${n}_a_quant`, `${n}_a_scale`, `${n}_a_zero_point`];
    nodes.push(
      { op: 'DynamicQuantizeLinear', inputs: [a], outputs: [aq, as, azp], name: `${n}_dql` },
      { op: 'MatMulInteger', inputs: [aq, `${base}_quantized`, azp], outputs: [`${n}_int32`], name: `${n}_mmi` },
      { op: 'Cast', inputs: [`${n}_int32`], outputs: [`${n}_float`], name: `${n}_cast`, attrs: { to: attr.int(1) } },
      { op: 'Mul', inputs: [as, `${base}_scale`], outputs: [`${n}_scales`], name: `${n}_scales_mul` },
      { op: 'Mul', inputs: [`${n}_float`, `${n}_scales`], outputs: node.outputs, name: `${n}_rescale` },
    );
    quantized++;
  }

  const graph: Graph = {
    ...src,
    nodes,
    initializers: [...src.initializers.filter((i) => !dropped.has(i.name)), ...added],
  };
  return { model: { ...model, graph }, report: { quantized, skipped } };
}

/** Symmetric per-column quantization of a row-major [K, N] matrix to int8 in [-qmax, qmax]. */
export function quantizePerColumn(w: Float32Array, K: number, N: number, qmax: number): { q: Int8Array; scales: Float32Array } {
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

function countUses(g: Graph): Map<string, number> {
  const uses = new Map<string, number>();
  for (const node of g.nodes) for (const i of node.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  return uses;
}
