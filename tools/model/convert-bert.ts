/**
 * Converts a Hugging Face BERT-family checkpoint (config.json + model.safetensors + tokenizer files)
 * into the HF ONNX layout used by the encoder service:
 *
 *   <out>/tokenizer.json, tokenizer_config.json, config.json, special_tokens_map.json?,
 *   <out>/onnx/model.onnx (fp32), <out>/onnx/model_quantized.onnx (dynamic int8),
 *   <out>/profilestream-model.json, <out>/<LICENSE>, <out>/README.md?
 *
 * Usage:
 *   npx tsx tools/model/convert-bert.ts --checkpoint <dir> --out <dir> --name <model name>
 *     [--pooling mean|cls|pooled] [--normalize true|false] [--max-tokens N] [--license <file>]
 *     [--int8-activations per-token|per-tensor] [--int8-outliers N] [--reduce-range] [--prefix <text>]
 *
 * --prefix writes `prefix` into the manifest: text the encoder prepends to every input
 * (e5 models expect "query: ").
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseBertConfig } from './bert-config';
import { buildBertGraph, INPUT_NAMES, OUTPUT_NAME, POOLER_OUTPUT_NAME } from './bert-graph';
import { MANIFEST_FILE, type ModelManifestInput, type Pooling } from './manifest';
import { writeModel } from '@profilestream/tools-onnx';
import { findOutlierChannels } from './calibrate';
import { loadTokenizer } from './embed';
import { quantizeDynamic, type ActivationScheme } from './quantize-dynamic';
import { SafetensorsFile } from './safetensors';
import { readStSettings } from './st-settings';

export interface ConvertOptions {
  checkpoint: string;
  out: string;
  name: string;
  pooling?: Pooling;
  normalize?: boolean;
  maxTokens?: number;
  /** Licence file to copy; defaults to LICENSE* found in the checkpoint directory. */
  license?: string;
  reduceRange?: boolean;
  /** Activation quantization scheme of the int8 model (default per-token). */
  activations?: ActivationScheme;
  /** Max fp32 outlier channels per Linear layer in the int8 model (default 8; 0 disables calibration). */
  outliersPerLayer?: number;
  /** Text prepended to every input by the encoder (manifest `prefix`); omitted from the manifest when empty. */
  prefix?: string;
  log?: (msg: string) => void;
}

/** The manifest as written (the encoder's schema; defaulted fields such as an empty `prefix` left out). */
export type WrittenManifest = ModelManifestInput & { license: string };

export interface ConvertResult {
  manifest: WrittenManifest;
  fp32Bytes: number;
  int8Bytes: number;
}

const LICENSE_CANDIDATES = ['LICENSE', 'LICENSE.txt', 'LICENSE.md', 'LICENCE', 'license', 'license.txt'];

/** Runs the whole conversion; throws with a readable message on any unsupported input. */
export async function convertBert(opts: ConvertOptions): Promise<ConvertResult> {
  const log = opts.log ?? ((m: string) => console.log(m));
  const ck = opts.checkpoint;
  const need = (f: string): string => {
    const p = join(ck, f);
    if (!existsSync(p)) throw new Error(`checkpoint is missing ${f}`);
    return p;
  };
  const configJson = JSON.parse(readFileSync(need('config.json'), 'utf8')) as Record<string, unknown>;
  const cfg = parseBertConfig(configJson);
  const tokenizerConfig = JSON.parse(readFileSync(need('tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  const licensePath = opts.license ?? LICENSE_CANDIDATES.map((f) => join(ck, f)).find((p) => existsSync(p));
  if (!licensePath || !existsSync(licensePath))
    throw new Error('no LICENSE file in the checkpoint; pass --license <file>');

  const manifest: WrittenManifest = resolveManifest(
    opts,
    cfg.hiddenSize,
    cfg.maxPositions,
    tokenizerConfig,
    basename(licensePath),
  );
  if (opts.prefix) manifest.prefix = opts.prefix;
  log(
    `${opts.name}: ${cfg.numLayers} layers, hidden ${cfg.hiddenSize}, heads ${cfg.numHeads}, vocab ${cfg.vocabSize}; ` +
      `pooling ${manifest.pooling}, normalize ${manifest.normalize}, maxTokens ${manifest.maxTokens}` +
      (manifest.prefix ? `, prefix ${JSON.stringify(manifest.prefix)}` : ''),
  );

  const weights = SafetensorsFile.read(need('model.safetensors'));
  const model = buildBertGraph(cfg, weights, {
    pooler: manifest.pooling === 'pooled',
    docString: `${opts.name} converted from safetensors by tools/model/convert-bert.ts`,
  });
  if (manifest.pooling === 'pooled' && !model.graph.outputs.some((o) => o.name === POOLER_OUTPUT_NAME)) {
    throw new Error('--pooling pooled needs pooler.dense weights, which this checkpoint lacks');
  }

  mkdirSync(join(opts.out, 'onnx'), { recursive: true });
  const fp32Bytes = writeModel(join(opts.out, 'onnx', 'model.onnx'), model);
  const maxOutliers = opts.outliersPerLayer ?? 8;
  const outlierChannels =
    maxOutliers > 0
      ? await findOutlierChannels(model, loadTokenizer(ck), { maxPerLayer: maxOutliers })
      : new Map<string, number[]>();
  const activations = opts.activations ?? 'per-token';
  const { model: q, report } = quantizeDynamic(model, {
    reduceRange: opts.reduceRange === true,
    activations,
    outlierChannels,
  });
  const int8Bytes = writeModel(join(opts.out, 'onnx', 'model_quantized.onnx'), q);
  log(
    `onnx/model.onnx ${mb(fp32Bytes)}; onnx/model_quantized.onnx ${mb(int8Bytes)} ` +
      `(${report.quantized} MatMuls int8, ${activations} activations, ${report.outlierChannels} fp32 outlier channels)`,
  );

  writeTokenizer(need('tokenizer.json'), join(opts.out, 'tokenizer.json'));
  // Other tokenizer users (transformers.js) read the length limit from here: keep it the manifest's.
  writeFileSync(
    join(opts.out, 'tokenizer_config.json'),
    JSON.stringify({ ...tokenizerConfig, model_max_length: manifest.maxTokens }, null, 2) + '\n',
  );
  copyFileSync(need('config.json'), join(opts.out, 'config.json'));
  for (const f of ['special_tokens_map.json', 'README.md']) {
    if (existsSync(join(ck, f))) copyFileSync(join(ck, f), join(opts.out, f));
  }
  copyFileSync(licensePath, join(opts.out, manifest.license));
  writeFileSync(join(opts.out, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return { manifest, fp32Bytes, int8Bytes };
}

/** CLI flags override sentence-transformers files, which override plain-BERT defaults. */
function resolveManifest(
  opts: ConvertOptions,
  dimension: number,
  maxPositions: number,
  tokenizerConfig: Record<string, unknown>,
  license: string,
): WrittenManifest {
  const st = readStSettings(opts.checkpoint);
  if (!opts.pooling && st.unsupportedPooling) {
    throw new Error(
      `sentence-transformers pooling "${st.unsupportedPooling}" is not supported; pass --pooling mean|cls`,
    );
  }
  const tokMax = tokenizerConfig['model_max_length'];
  // Tokenizers without a real limit store a huge sentinel (1e30); fall back to the position table size.
  const defaultMax = typeof tokMax === 'number' && tokMax <= maxPositions ? tokMax : maxPositions;
  const maxTokens = opts.maxTokens ?? st.maxTokens ?? defaultMax;
  if (!Number.isInteger(maxTokens) || maxTokens < 2 || maxTokens > maxPositions) {
    throw new Error(`max tokens ${maxTokens} must be an integer in [2, ${maxPositions}] (max_position_embeddings)`);
  }
  const pooling = opts.pooling ?? st.pooling ?? 'mean';
  return {
    name: opts.name,
    pooling,
    normalize: opts.normalize ?? st.normalize ?? true,
    maxTokens,
    outputName: pooling === 'pooled' ? POOLER_OUTPUT_NAME : OUTPUT_NAME,
    dimension,
    inputs: [...INPUT_NAMES],
    license,
  };
}

/**
 * Copies tokenizer.json with padding and truncation cleared: checkpoints often carry training-time
 * settings (e.g. fixed padding to 128) that are wrong at inference; the manifest's maxTokens rules.
 */
function writeTokenizer(src: string, dest: string): void {
  const tok = JSON.parse(readFileSync(src, 'utf8')) as Record<string, unknown>;
  tok['padding'] = null;
  tok['truncation'] = null;
  writeFileSync(dest, JSON.stringify(tok));
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

function parseCli(argv: string[]): ConvertOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      checkpoint: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      pooling: { type: 'string' },
      normalize: { type: 'string' },
      'max-tokens': { type: 'string' },
      license: { type: 'string' },
      'reduce-range': { type: 'boolean' },
      'int8-activations': { type: 'string' },
      'int8-outliers': { type: 'string' },
      prefix: { type: 'string' },
    },
  });
  if (!values.checkpoint || !values.out || !values.name) {
    throw new Error(
      'usage: convert-bert.ts --checkpoint <dir> --out <dir> --name <name> [--pooling mean|cls|pooled] ' +
        '[--normalize true|false] [--max-tokens N] [--license <file>] [--int8-activations per-token|per-tensor] ' +
        '[--int8-outliers N] [--reduce-range] [--prefix <text>]',
    );
  }
  const opts: ConvertOptions = { checkpoint: values.checkpoint, out: values.out, name: values.name };
  if (values.pooling !== undefined) {
    if (!['mean', 'cls', 'pooled'].includes(values.pooling)) throw new Error('--pooling must be mean, cls or pooled');
    opts.pooling = values.pooling as Pooling;
  }
  if (values.normalize !== undefined) {
    if (values.normalize !== 'true' && values.normalize !== 'false')
      throw new Error('--normalize must be true or false');
    opts.normalize = values.normalize === 'true';
  }
  if (values['max-tokens'] !== undefined) opts.maxTokens = Number(values['max-tokens']);
  if (values.license !== undefined) opts.license = values.license;
  if (values['reduce-range']) opts.reduceRange = true;
  if (values.prefix !== undefined) opts.prefix = values.prefix;
  const acts = values['int8-activations'];
  if (acts !== undefined) {
    if (acts !== 'per-token' && acts !== 'per-tensor')
      throw new Error('--int8-activations must be per-token or per-tensor');
    opts.activations = acts;
  }
  if (values['int8-outliers'] !== undefined) {
    opts.outliersPerLayer = Number(values['int8-outliers']);
    if (!Number.isInteger(opts.outliersPerLayer) || opts.outliersPerLayer < 0)
      throw new Error('--int8-outliers must be an integer >= 0');
  }
  return opts;
}

if (require.main === module) {
  const started = Date.now();
  Promise.resolve()
    .then(() => convertBert(parseCli(process.argv.slice(2))))
    .then(() => console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`))
    .catch((err: unknown) => {
      console.error(`convert-bert: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
