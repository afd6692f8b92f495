/**
 * Encoder throughput on the first 2,000 review texts (cleaned as text-cleaner would), default
 * model, all in one run:
 *   1. this engine (worker pool, length-sorted runs under a token budget), fp32 and int8;
 *   2. what a TypeScript user would write instead: transformers.js `pipeline('feature-extraction')`
 *      on the same model directory, batches of 32 in arrival order, mean pooling, normalised;
 *   3. one text at a time through that pipeline.
 * Also the machine's measured peak FLOP/s and the share of it the engine achieves.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import {
  CPU_MAX_PADDING_SHARE,
  EncodingEngine,
  InferencePool,
  TextTokenizer,
  loadModelBundle,
  type ModelVariant,
} from '@profilestream/inference';
import { cleanText } from '@profilestream/text-cleaning';
import { findEventsFile, loadEvents } from '@profilestream/tools-events';
import { newResult, type BenchResult } from './bench-harness';
import { splitThreadCpu, threadCpuSeconds, type ThreadCpuSplit } from './thread-cpu';
import { measurePeakFlops } from './peak-flops';

const repoRoot = resolve(__dirname, '../..');
const MODEL_DIR = join(repoRoot, '.cache/models/all-MiniLM-L6-v2');
const TEXTS = 2000;

interface BertShape {
  num_hidden_layers: number;
  hidden_size: number;
  intermediate_size: number;
}

/** Forward-pass FLOPs of a BERT encoder for one text of `l` tokens: 2·params·L plus attention's L² term. */
function flopsPerText(c: BertShape, l: number): number {
  const perTokenParams =
    c.num_hidden_layers * (4 * c.hidden_size * c.hidden_size + 2 * c.hidden_size * c.intermediate_size);
  return 2 * perTokenParams * l + 4 * c.num_hidden_layers * c.hidden_size * l * l;
}

export interface EngineTiming {
  seconds: number;
  workers: number;
  /** Share of the workers' wall time spent in runs. */
  workerBusy: number;
  /** CPU seconds of this process's threads while it ran. */
  cpu: ThreadCpuSplit;
}

/** The engine alone in this process, on `texts` (each its own key, so nothing is shared), after a warm-up of 64. */
export async function timeEngine(variant: ModelVariant, texts: readonly string[]): Promise<EngineTiming> {
  const bundle = await loadModelBundle(MODEL_DIR, variant);
  const workers = availableParallelism();
  const pool = new InferencePool(bundle, { size: workers, provider: 'cpu', intraOpNumThreads: 1, projection: null });
  await pool.start();
  try {
    const engine = new EncodingEngine(new TextTokenizer(bundle), pool, {
      tokenBudget: 512,
      maxTexts: 64,
      maxWaitMs: 2,
      maxPaddingShare: CPU_MAX_PADDING_SHARE,
    });
    await Promise.all(texts.slice(0, 64).map((t, i) => engine.embed(`warm-${i}`, t)));
    const cpuBefore = threadCpuSeconds(process.pid);
    pool.sampleBusyRatio();
    const started = performance.now();
    await Promise.all(texts.map((t, i) => engine.embed(String(i), t)));
    const seconds = (performance.now() - started) / 1000;
    const workerBusy = pool.sampleBusyRatio();
    return {
      seconds,
      workers,
      workerBusy,
      cpu: splitThreadCpu(process.pid, cpuBefore, threadCpuSeconds(process.pid), workers),
    };
  } finally {
    await pool.close();
  }
}

async function timeTransformersJs(variant: ModelVariant, texts: string[], batchSize: number): Promise<number> {
  const { pipeline, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = join(repoRoot, '.cache/models');
  const extractor = await pipeline('feature-extraction', 'all-MiniLM-L6-v2', {
    dtype: variant === 'int8' ? 'q8' : 'fp32',
  });
  await extractor(texts.slice(0, batchSize), { pooling: 'mean', normalize: true });
  const started = performance.now();
  for (let i = 0; i < texts.length; i += batchSize)
    await extractor(texts.slice(i, i + batchSize), { pooling: 'mean', normalize: true });
  const seconds = (performance.now() - started) / 1000;
  await extractor.dispose();
  return seconds;
}

export async function benchEncoder(): Promise<BenchResult | null> {
  const file = findEventsFile();
  if (!file) {
    console.log('encoder bench skipped: no dataset (set PROFILESTREAM_DATASET_DIR)');
    return null;
  }
  const texts: string[] = [];
  for (const e of await loadEvents(file, TEXTS * 2)) {
    const r = cleanText(e.text ?? '');
    if (!r.dropped) texts.push(r.text);
    if (texts.length === TEXTS) break;
  }
  const bundle = await loadModelBundle(MODEL_DIR, 'fp32');
  const tokenizer = new TextTokenizer(bundle);
  const lengths = texts.map((t) => tokenizer.encode(t).ids.length);
  const tokens = lengths.reduce((s, l) => s + l, 0);
  const shape = JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8')) as BertShape;
  const flops = lengths.reduce((s, l) => s + flopsPerText(shape, l), 0);
  const measured = await measurePeakFlops();
  // On a shared machine the all-core run is often squeezed by neighbours; cores × one thread is
  // the machine's attainable peak, and the higher of the two is the honest denominator.
  const peak = { ...measured, allCores: Math.max(measured.allCores, measured.oneThread * availableParallelism()) };

  const result = newResult('encoder');
  result.notes.push(
    `${texts.length} cleaned review texts, ${tokens} tokens (mean ${(tokens / texts.length).toFixed(0)}, max ${Math.max(...lengths)}, truncated at ${bundle.manifest.maxTokens}); model ${bundle.modelId}`,
  );
  result.notes.push(
    `measured peak (1024³ fp32 MatMul in onnxruntime): ${(measured.oneThread / 1e9).toFixed(1)} GFLOP/s on 1 thread, ${(measured.allCores / 1e9).toFixed(1)} GFLOP/s on all cores; share of peak uses ${(peak.allCores / 1e9).toFixed(1)}`,
  );
  const row = (name: string, seconds: number, extra: Record<string, string | number> = {}) => {
    result.rows.push({
      case: name,
      'texts/s': texts.length / seconds,
      'tokens/s': tokens / seconds,
      'GFLOP/s': flops / seconds / 1e9,
      'share of peak': flops / seconds / peak.allCores,
      ...extra,
    });
    return texts.length / seconds;
  };

  const progress = (what: string) => console.log(`  encoder bench: ${what}…`);
  progress('engine fp32');
  const engine32 = await timeEngine('fp32', texts);
  const e32 = row(`engine fp32 (${engine32.workers} workers, budget 512)`, engine32.seconds);
  progress('engine int8');
  const engine8 = await timeEngine('int8', texts);
  const e8 = row(`engine int8 (${engine8.workers} workers, budget 512)`, engine8.seconds);
  progress('transformers.js (three runs)');
  const tjs32 = row(
    'transformers.js fp32, batches of 32 in arrival order',
    await timeTransformersJs('fp32', texts, 32),
  );
  const tjs8 = row('transformers.js int8 (q8), batches of 32', await timeTransformersJs('int8', texts, 32));
  row('transformers.js fp32, one text at a time', await timeTransformersJs('fp32', texts, 1));
  result.notes.push(
    `engine / transformers.js, same weights: fp32 ${(e32 / tjs32).toFixed(2)}×, int8 ${(e8 / tjs8).toFixed(2)}×; engine int8 / transformers.js fp32: ${(e8 / tjs32).toFixed(2)}×`,
  );
  result.notes.push(
    'GFLOP/s counts useful work only (real tokens: 2·params·L + attention L² term); padding is waste and not counted.',
  );
  return result;
}
