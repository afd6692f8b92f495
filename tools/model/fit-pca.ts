/**
 * Fits a PCA projection on a sample of embeddings and writes a versioned artefact the encoder
 * applies when ENCODER_PROJECTION_FILE points at it (the source document's dimension-reduction step).
 *
 *   npm run pca:fit -- --dim 128 [--model .cache/models/all-MiniLM-L6-v2] [--variant int8]
 *                      [--sample 3000] [--texts FILE.jsonl] [--out FILE]
 *
 * Sample texts come from --texts (JSON lines with a `text` field) or the replay dataset's reviews.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  EncodingEngine,
  InferencePool,
  TextTokenizer,
  loadModelBundle,
  saveFittedProjection,
} from '@profilestream/inference';
import { cleanText } from '@profilestream/text-cleaning';
import { commandLine, numberOption, UsageError } from '@profilestream/tools-cli';
import { findEventsFile, loadEvents } from '@profilestream/tools-events';

const USAGE = `Usage: npm run pca:fit [-- OPTIONS]

Fits a PCA projection on the embeddings of a sample of texts and writes a versioned artefact that
the encoder applies when ENCODER_PROJECTION_FILE points at it (the fuser needs the same file as
FUSER_PROJECTION_FILE). Sample texts come from --texts or the review dataset's reviews, cleaned as
text-cleaner cleans them.

Options:
  --dim N          output dimensions (default 128)
  --whiten         scale each component to unit variance
  --model DIR      the encoder model (default .cache/models/all-MiniLM-L6-v2)
  --variant V      int8 or fp32 (default int8)
  --sample N       texts to embed (default 3000)
  --texts FILE     JSON lines with a \`text\` field, instead of the review dataset
  --out FILE       where to write it (default MODEL_DIR/pcaDIM[w]-HASH.json)
  -h, --help       this text

Environment:
  PROFILESTREAM_DATASET_DIR   the review dataset, without --texts (default ../shared/datasets/)

Example:
  npm run pca:fit -- --dim 128 --whiten`;

const values = commandLine(
  {
    command: 'npm run pca:fit',
    usage: USAGE,
    options: {
      dim: { type: 'string', default: '128' },
      model: { type: 'string', default: '.cache/models/all-MiniLM-L6-v2' },
      variant: { type: 'string', default: 'int8' },
      sample: { type: 'string', default: '3000' },
      texts: { type: 'string' },
      out: { type: 'string' },
      whiten: { type: 'boolean', default: false },
    },
  },
  ({ values }) => {
    numberOption('--dim', values.dim, { min: 1, whole: true });
    numberOption('--sample', values.sample, { min: 1, whole: true });
    if (values.variant !== 'int8' && values.variant !== 'fp32')
      throw new UsageError(`--variant: expected int8 or fp32, got "${values.variant}"`);
    if (values.texts !== undefined && !existsSync(values.texts))
      throw new UsageError(`--texts ${values.texts}: no such file`);
    return values;
  },
);

async function sampleTexts(textsFile: string | undefined, size: number): Promise<string[]> {
  const raw = textsFile
    ? readFileSync(textsFile, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => String((JSON.parse(l) as { text: unknown }).text))
    : await (async () => {
        const file = findEventsFile();
        if (!file) throw new Error('no sample: pass --texts FILE.jsonl or provide the replay dataset');
        return (await loadEvents(file, size * 2)).map((e) => e.text ?? '');
      })();
  const out: string[] = [];
  for (const t of raw) {
    const r = cleanText(t);
    if (!r.dropped) out.push(r.text);
    if (out.length === size) break;
  }
  return out;
}

async function main(): Promise<void> {
  const dim = Number(values.dim);
  const variant = values.variant === 'fp32' ? 'fp32' : 'int8';
  const bundle = await loadModelBundle(values.model!, variant);
  const texts = await sampleTexts(values.texts, Number(values.sample));
  const pool = new InferencePool(bundle, {
    size: availableParallelism(),
    provider: 'cpu',
    intraOpNumThreads: 1,
    projection: null,
  });
  await pool.start();
  const engine = new EncodingEngine(new TextTokenizer(bundle), pool, { tokenBudget: 512, maxTexts: 64, maxWaitMs: 2 });
  const vectors = await Promise.all(texts.map((t, i) => engine.embed(String(i), t)));
  await pool.close();
  const inputDim = bundle.manifest.dimension;
  const {
    id,
    file: out,
    kept,
  } = saveFittedProjection(
    vectors.map((v) => v.vector),
    dim,
    {
      whiten: values.whiten,
      modelId: bundle.modelId,
      fileFor: (fitted) => values.out ?? join(values.model!, `${fitted}.json`),
    },
  );
  console.log(
    `${id}: ${inputDim} → ${dim} dimensions keep ${(kept * 100).toFixed(1)}% of the variance of ${texts.length} ${bundle.modelId} embeddings`,
  );
  console.log(`wrote ${out}; set ENCODER_PROJECTION_FILE=${out}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
