/**
 * Trains the post sentiment classifier profile-fuser applies (the source document's modelling
 * step): reviews rated 4–5 are positive, 1–2 negative, 3 left out; texts are cleaned as
 * text-cleaner cleans them and embedded as the encoder embeds them (same model, variant and
 * projection), so the classifier sees the vectors the fuser will receive.
 *
 *   npm run sentiment:train -- [--model .cache/models/all-MiniLM-L6-v2] [--variant int8]
 *                              [--projection FILE] [--seed 42] [--out FILE] [--cache-dir .cache/sentiment]
 *
 * Embeddings are cached per model and projection under --cache-dir (keyed by content hash), so a
 * rerun only trains. Prints the report and writes a versioned artefact (weights only, no text).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import {
  EncodingEngine,
  InferencePool,
  TextTokenizer,
  loadModelBundle,
  loadProjection,
  type ModelVariant,
  type ProjectionData,
} from '@profilestream/inference';
import {
  labelFromRating,
  serializeSentimentModel,
  trainSentimentClassifier,
  type ClassificationReport,
  type RatedEmbedding,
} from '@profilestream/sentiment';
import { cleanText } from '@profilestream/text-cleaning';
import { commandLine, UsageError } from '@profilestream/tools-cli';
import { findEventsFile, loadEvents } from '@profilestream/tools-events';

const USAGE = `Usage: npm run sentiment:train [-- OPTIONS]

Trains the post sentiment classifier profile-fuser applies: reviews of the review dataset rated 4-5
are positive, 1-2 negative, 3 left out; texts are cleaned as text-cleaner cleans them and embedded
as the encoder embeds them (same model, variant and projection). Embeddings are cached under
--cache-dir, so a rerun only trains. Prints the report and writes a versioned artefact (weights
only, no text), for FUSER_SENTIMENT_MODEL_FILE.

Options:
  --model DIR        the encoder model (default .cache/models/all-MiniLM-L6-v2)
  --variant V        int8 or fp32 (default int8)
  --projection FILE  a PCA projection (npm run pca:fit) the encoder applies (default: none)
  --seed N           seed of the split and the training (default 42)
  --out FILE         where to write it (default apps/profile-fuser/src/assets/MODEL[.PROJECTION].VARIANT.sentiment.json)
  --cache-dir DIR    embedding cache (default .cache/sentiment)
  -h, --help         this text

Environment:
  PROFILESTREAM_DATASET_DIR   the review dataset (default ../shared/datasets/)

Example:
  npm run sentiment:train -- --variant fp32 --seed 7`;

const values = commandLine(
  {
    command: 'npm run sentiment:train',
    usage: USAGE,
    options: {
      model: { type: 'string', default: '.cache/models/all-MiniLM-L6-v2' },
      variant: { type: 'string', default: 'int8' },
      projection: { type: 'string' },
      seed: { type: 'string', default: '42' },
      out: { type: 'string' },
      'cache-dir': { type: 'string', default: '.cache/sentiment' },
    },
  },
  ({ values }) => {
    if (values.variant !== 'int8' && values.variant !== 'fp32')
      throw new UsageError(`--variant must be int8 or fp32, got ${values.variant}`);
    const variant: ModelVariant = values.variant;
    if (!Number.isSafeInteger(Number(values.seed)) || values.seed.trim() === '')
      throw new UsageError(`--seed must be an integer, got ${values.seed}`);
    if (values.projection !== undefined && !existsSync(values.projection))
      throw new UsageError(`--projection ${values.projection}: no such file`);
    return { ...values, variant };
  },
);

const CHUNK = 512;

/** content hash → vector, read from and appended to one binary file per model and projection. */
class EmbeddingFileCache {
  readonly vectors = new Map<string, Float32Array>();

  constructor(
    private readonly file: string,
    private readonly dim: number,
  ) {
    if (!existsSync(file)) return;
    const buf = readFileSync(file);
    // Entry: u8 hash length · hash (ASCII) · dim × f32 LE. A torn last entry (killed run) is ignored.
    for (let at = 0; at < buf.length;) {
      const n = buf[at]!;
      const end = at + 1 + n + 4 * dim;
      if (end > buf.length) break;
      const hash = buf.toString('latin1', at + 1, at + 1 + n);
      const v = new Float32Array(dim);
      for (let i = 0; i < dim; i++) v[i] = buf.readFloatLE(at + 1 + n + 4 * i);
      this.vectors.set(hash, v);
      at = end;
    }
  }

  append(entries: [string, Float32Array][]): void {
    const parts = entries.map(([hash, v]) => {
      const b = Buffer.alloc(1 + hash.length + 4 * this.dim);
      b[0] = hash.length;
      b.write(hash, 1, 'latin1');
      v.forEach((x, i) => b.writeFloatLE(x, 1 + hash.length + 4 * i));
      return b;
    });
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, Buffer.concat(parts));
    for (const [hash, v] of entries) this.vectors.set(hash, v);
  }
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function reportRows(name: string, r: ClassificationReport): string[] {
  return (['negative', 'positive'] as const).map(
    (c) =>
      `| ${name} | ${c} | ${pct(r.accuracy)} | ${pct(r[c].precision)} | ${pct(r[c].recall)} | ${pct(r[c].f1)} | ${r[c].support} |`,
  );
}

async function main(): Promise<void> {
  const seed = Number(values.seed);
  const file = findEventsFile();
  if (!file) throw new Error('no review dataset found: set PROFILESTREAM_DATASET_DIR to a folder with events.jsonl.gz');

  const bundle = await loadModelBundle(values.model!, values.variant);
  const projection: ProjectionData | null = values.projection
    ? loadProjection(values.projection, bundle.modelId)
    : null;
  const dim = projection ? projection.outputDim : bundle.manifest.dimension;
  const space = { modelId: bundle.modelId, projectionId: projection?.id ?? null, dim };

  // Reviews with a rating and a text that survives cleaning; 3 stars are kept to be counted as left out.
  const reviews: { userId: string; rating: number; hash: string; text: string }[] = [];
  let dropped = 0;
  for (const e of await loadEvents(file)) {
    if (e.type !== 'review' || typeof e.rating !== 'number' || !e.text) continue;
    const cleaned = cleanText(e.text);
    if (cleaned.dropped) {
      dropped++;
      continue;
    }
    reviews.push({ userId: e.user_id, rating: e.rating, hash: cleaned.contentHash, text: cleaned.text });
  }
  const labelled = reviews.filter((r) => labelFromRating(r.rating) !== null);
  console.log(
    `${basename(dirname(file))}: ${reviews.length} rated reviews with text (${dropped} dropped by cleaning), ${labelled.length} rated 1-2 or 4-5`,
  );

  const cacheFile = join(
    values['cache-dir']!,
    `${space.modelId.replace(/[^A-Za-z0-9_.-]/g, '_')}.${space.projectionId ?? 'none'}.emb`,
  );
  const cache = new EmbeddingFileCache(cacheFile, dim);
  const distinct = new Map(labelled.map((r) => [r.hash, r.text]));
  const missing = [...distinct.entries()].filter(([hash]) => !cache.vectors.has(hash));
  console.log(
    `${distinct.size} distinct texts: ${distinct.size - missing.length} embeddings cached in ${cacheFile}, ${missing.length} to compute with ${space.modelId} (${values.variant})`,
  );
  if (missing.length > 0) {
    const pool = new InferencePool(bundle, {
      size: availableParallelism(),
      provider: 'cpu',
      intraOpNumThreads: 1,
      projection,
    });
    await pool.start();
    try {
      // The encoder's default run shape (ENCODER_TOKEN_BUDGET 512, ENCODER_MAX_TEXTS_PER_RUN 64).
      const engine = new EncodingEngine(new TextTokenizer(bundle), pool, {
        tokenBudget: 512,
        maxTexts: 64,
        maxWaitMs: 2,
      });
      const started = Date.now();
      for (let i = 0; i < missing.length; i += CHUNK) {
        const chunk = missing.slice(i, i + CHUNK);
        const vectors = await Promise.all(chunk.map(([hash, text]) => engine.embed(hash, text)));
        cache.append(chunk.map(([hash], k) => [hash, vectors[k]!.vector]));
        const done = Math.min(i + CHUNK, missing.length);
        console.log(
          `embedded ${done}/${missing.length} (${(done / ((Date.now() - started) / 1000)).toFixed(1)} texts/s)`,
        );
      }
    } finally {
      await pool.close();
    }
  }

  // 3-star reviews are only counted (never embedded): they carry an empty vector.
  const examples: RatedEmbedding[] = reviews.map((r) => ({
    userId: r.userId,
    rating: r.rating,
    vector: cache.vectors.get(r.hash) ?? new Float32Array(0),
  }));
  const started = Date.now();
  const { model, candidates } = trainSentimentClassifier(examples, {
    space,
    dataset: basename(dirname(file)),
    seed,
    makeId: (w, b) =>
      `sentiment-lr-${createHash('sha256')
        .update(Buffer.from(Float64Array.from([...w, b]).buffer))
        .digest('hex')
        .slice(0, 8)}`,
  });
  const t = model.training!;
  const m = model.metrics!;
  console.log(`trained in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const c of candidates) {
    console.log(
      `  l2 ${c.l2}: validation log loss ${c.validationLoss.toFixed(4)}, macro-F1 ${c.validation.macroF1.toFixed(4)} at threshold ${c.threshold.toFixed(4)} (${c.iterations} Newton steps)`,
    );
  }
  console.log(
    `chosen l2 ${t.l2}, threshold ${model.threshold.toFixed(4)}, class weights ${JSON.stringify(t.classWeights)}`,
  );
  const c = t.counts;
  console.log(
    `users train/validation/test ${c.train.users}/${c.validation.users}/${c.test.users}; reviews (positive+negative) ${c.train.positive}+${c.train.negative} / ${c.validation.positive}+${c.validation.negative} / ${c.test.positive}+${c.test.negative}; 3 stars left out ${c.excluded}`,
  );
  console.log(
    '\n| model (test split) | class | accuracy | precision | recall | F1 | support |\n|---|---|---|---|---|---|---|',
  );
  console.log(
    [
      ...reportRows(`majority baseline (always ${m.baseline.predicts})`, m.baseline),
      ...reportRows(`logistic regression (${model.id})`, m.test),
    ].join('\n'),
  );
  console.log(`\nmacro-F1: baseline ${m.baseline.macroF1.toFixed(3)}, classifier ${m.test.macroF1.toFixed(3)}`);

  const name = basename(values.model!);
  const out =
    values.out ??
    join(
      'apps/profile-fuser/src/assets',
      `${name}${space.projectionId ? `.${space.projectionId}` : ''}.${values.variant}.sentiment.json`,
    );
  writeFileSync(out, serializeSentimentModel(model));
  console.log(`wrote ${out}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
