/**
 * Finds outlier input channels of each Linear layer by running the fp32 graph on a few built-in
 * sentences. BERT concentrates huge activations in a handful of channels (mostly on [CLS]/[SEP]);
 * keeping those channels in float32 lets the int8 path use a fine step for everything else.
 */
import * as ort from 'onnxruntime-node';
import type { Tokenizer } from '@huggingface/tokenizers';
import { encodeModel, type Model, type ValueInfo } from '@profilestream/tools-onnx';

/** Generic sentences (deliberately not the parity-oracle texts). */
const CALIBRATION_TEXTS = [
  'Hello world.',
  'ok',
  "The weather is nice today, isn't it?",
  'I returned the shoes because they were too small.',
  'Stock prices fell 3% on Monday after the announcement.',
  'Wie geht es dir? Très bien, merci.',
  'A long time ago in a galaxy far, far away...',
  'Please call 555-0100 or email info@example.org for support.',
  '北京欢迎你',
  'The cat sat on the mat; the dog barked!!!',
  'Terrible service. Never again.',
  'This is the best pizza in town 🍕',
  'Our quarterly revenue grew despite supply chain issues, and the board approved a new dividend.',
  'How do I reset my password if I no longer have access to the recovery phone number?',
];

export interface OutlierOptions {
  /** A channel is an outlier when its max |activation| exceeds ratio × the layer's median. */
  ratio?: number;
  /** At most this many fp32 channels per layer. */
  maxPerLayer?: number;
}

/** Returns outlier input-channel indices per Linear weight name (layers without outliers omitted). */
export async function findOutlierChannels(
  model: Model,
  tokenizer: Tokenizer,
  opts: OutlierOptions = {},
): Promise<Map<string, number[]>> {
  const ratio = opts.ratio ?? 6;
  const maxPerLayer = opts.maxPerLayer ?? 8;
  const inits = new Map(model.graph.initializers.map((i) => [i.name, i]));
  const linears = model.graph.nodes
    .filter((n) => n.op === 'MatMul' && inits.get(n.inputs[1]!)?.dims.length === 2)
    .map((n) => ({ input: n.inputs[0]!, weight: n.inputs[1]!, K: inits.get(n.inputs[1]!)!.dims[0]! }));

  // Expose every Linear input as an extra graph output, then record per-channel max |x|.
  const probes: ValueInfo[] = linears.map((l) => ({
    name: l.input,
    dtype: 'float32',
    shape: ['batch', 'sequence', l.K],
  }));
  const probeModel: Model = { ...model, graph: { ...model.graph, outputs: [...model.graph.outputs, ...probes] } };
  const session = await ort.InferenceSession.create(encodeModel(probeModel), { graphOptimizationLevel: 'all' });
  const absMax = new Map(linears.map((l) => [l.input, new Float32Array(l.K)]));
  try {
    for (const text of CALIBRATION_TEXTS) {
      const ids = tokenizer.encode(text).ids;
      const tensor = (v: (i: number) => number): ort.Tensor =>
        new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(v(i)))), [1, ids.length]);
      const out = await session.run(
        {
          input_ids: tensor((i) => ids[i]!),
          attention_mask: tensor(() => 1),
          token_type_ids: tensor(() => 0),
        },
        linears.map((l) => l.input),
      );
      for (const l of linears) {
        const data = out[l.input]!.data as Float32Array;
        const acc = absMax.get(l.input)!;
        for (let i = 0; i < data.length; i++) acc[i % l.K] = Math.max(acc[i % l.K]!, Math.abs(data[i]!));
      }
    }
  } finally {
    await session.release();
  }

  const result = new Map<string, number[]>();
  for (const l of linears) {
    const acc = absMax.get(l.input)!;
    const median = [...acc].sort((a, b) => a - b)[l.K >> 1]!;
    const picked = [...acc.keys()]
      .filter((c) => acc[c]! > ratio * median)
      .sort((a, b) => acc[b]! - acc[a]!)
      .slice(0, maxPerLayer)
      .sort((a, b) => a - b);
    if (picked.length > 0) result.set(l.weight, picked);
  }
  return result;
}
