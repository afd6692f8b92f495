import { join } from 'node:path';
import { cosine, fitPca, project } from '@profilestream/embedding';
import { EncodingEngine, InferencePool, TextTokenizer, loadModelBundle, type ModelBundle } from './index';

const fixture = join(__dirname, '../../fixtures/tiny-bert');

describe('model bundle and tokenizer (tiny BERT fixture)', () => {
  let bundle: ModelBundle;

  beforeAll(async () => {
    bundle = await loadModelBundle(fixture, 'fp32');
  });

  it('reads the manifest and derives a model id from the weights', async () => {
    expect(bundle.manifest).toMatchObject({ name: 'tiny-bert', pooling: 'mean', normalize: true, dimension: 64 });
    expect(bundle.modelId).toMatch(/^tiny-bert@[0-9a-f]{8}$/);
    const int8 = await loadModelBundle(fixture, 'int8');
    expect(int8.modelId).not.toBe(bundle.modelId);
    await expect(loadModelBundle(join(fixture, 'onnx'))).rejects.toThrow(/has no profilestream-model.json/);
  });

  it('tokenizes with [CLS] … [SEP] and truncates long texts keeping [SEP]', () => {
    const tokenizer = new TextTokenizer(bundle);
    const short = tokenizer.encode('great guitar');
    expect(short.truncated).toBe(false);
    expect(short.ids[0]).toBe(2);
    expect(short.ids[short.ids.length - 1]).toBe(3);
    const long = tokenizer.encode('great guitar strings '.repeat(200));
    expect(long.truncated).toBe(true);
    expect(long.ids).toHaveLength(bundle.manifest.maxTokens);
    expect(long.ids[long.ids.length - 1]).toBe(3);
  });
});

describe('EncodingEngine on worker threads (tiny BERT fixture)', () => {
  let pool: InferencePool;
  let engine: EncodingEngine;
  const runs: { texts: number; paddedTokens: number; realTokens: number }[] = [];

  beforeAll(async () => {
    const bundle = await loadModelBundle(fixture, 'fp32');
    pool = new InferencePool(bundle, { size: 2, provider: 'cpu', intraOpNumThreads: 1, projection: null });
    await pool.start();
    engine = new EncodingEngine(
      new TextTokenizer(bundle),
      pool,
      { tokenBudget: 256, maxTexts: 16, maxWaitMs: 5 },
      { onRun: (r) => runs.push(r) },
    );
  }, 30_000);

  afterAll(() => pool.close());

  it('gives a text the same unit vector alone and padded in a batch (pooling ignores padding)', async () => {
    const alone = await engine.embed('a', 'nice strings');
    const [again, long] = await Promise.all([
      engine.embed('a2', 'nice strings'),
      engine.embed('b', 'the quick brown fox jumps over the lazy dog again and again'),
    ]);
    expect(cosine(alone.vector, again.vector)).toBeGreaterThan(0.99999);
    expect(long.vector).toHaveLength(64);
    const norm = Math.sqrt(alone.vector.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect(runs.some((r) => r.texts === 2 && r.paddedTokens > r.realTokens)).toBe(true);
  });

  it('computes identical keys once and packs many texts into few runs', async () => {
    runs.length = 0;
    const texts = Array.from({ length: 40 }, (_, i) => `text ${i % 20} about drums`);
    const results = await Promise.all(texts.map((t) => engine.embed(t, t)));
    expect(results).toHaveLength(40);
    const computed = runs.reduce((s, r) => s + r.texts, 0);
    expect(computed).toBe(20);
    expect(runs.length).toBeLessThan(20);
  });
});

describe('scheduling: runs held ahead, the longest-waiting text first (tiny BERT fixture)', () => {
  let bundle: ModelBundle;

  beforeAll(async () => {
    bundle = await loadModelBundle(fixture, 'fp32');
  });

  it('lets a worker hold a run ahead and answers its runs in order', async () => {
    const pool = new InferencePool(bundle, {
      size: 1,
      provider: 'cpu',
      intraOpNumThreads: 1,
      projection: null,
      runsAhead: 1,
    });
    await pool.start();
    try {
      const engine = new EncodingEngine(new TextTokenizer(bundle), pool, {
        tokenBudget: 64,
        maxTexts: 4,
        maxWaitMs: 1,
      });
      expect(pool.freeSlots()).toBe(2);
      expect(pool.idleWorkers()).toBe(1);
      const texts = Array.from({ length: 24 }, (_, i) => `drum kit number ${i} with cymbals`);
      const alone = await Promise.all(texts.slice(0, 2).map((t, i) => engine.embed(`alone-${i}`, t)));
      const all = await Promise.all(texts.map((t, i) => engine.embed(`all-${i}`, t)));
      expect(cosine(all[0]!.vector, alone[0]!.vector)).toBeGreaterThan(0.99999);
      expect(cosine(all[1]!.vector, alone[1]!.vector)).toBeGreaterThan(0.99999);
      expect(pool.freeSlots()).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('runs a short text that waited before newer long ones (oldest first, not fullest first)', async () => {
    const pool = new InferencePool(bundle, {
      size: 1,
      provider: 'cpu',
      intraOpNumThreads: 1,
      projection: null,
      runsAhead: 0,
    });
    await pool.start();
    try {
      const engine = new EncodingEngine(new TextTokenizer(bundle), pool, {
        tokenBudget: 64,
        maxTexts: 8,
        maxWaitMs: 1,
      });
      const done: string[] = [];
      const embed = (key: string, text: string) => engine.embed(key, text).then(() => void done.push(key));
      // The worker is busy with a first run while the rest queue: one short text, then many long ones.
      const busy = embed('busy', 'a long text about guitars, strings, picks and amplifiers '.repeat(2));
      const rest = [
        embed('short', 'ok'),
        ...Array.from({ length: 12 }, (_, i) =>
          embed(`long-${i}`, `a long review number ${i} about guitars, strings, picks and amplifiers`),
        ),
      ];
      await Promise.all([busy, ...rest]);
      expect(done.indexOf('short')).toBeLessThanOrEqual(2);
    } finally {
      await pool.close();
    }
  });
});

describe('projection in the workers', () => {
  it('applies a fitted PCA after pooling and returns the reduced, normalised vectors', async () => {
    const bundle = await loadModelBundle(fixture, 'fp32');
    const texts = Array.from({ length: 40 }, (_, i) => `sample ${i} about guitars and drums ${'x '.repeat(i % 5)}`);
    const plainPool = new InferencePool(bundle, { size: 1, provider: 'cpu', intraOpNumThreads: 1, projection: null });
    await plainPool.start();
    const plain = new EncodingEngine(new TextTokenizer(bundle), plainPool, {
      tokenBudget: 512,
      maxTexts: 64,
      maxWaitMs: 1,
    });
    const vectors = await Promise.all(texts.map((t) => plain.embed(t, t)));
    await plainPool.close();
    const rows = new Float32Array(texts.length * 64);
    vectors.forEach((v, i) => rows.set(v.vector, i * 64));
    const fit = fitPca(rows, 64, 8);
    const projection = { id: 'pca8-test', modelId: bundle.modelId, inputDim: 64, outputDim: 8, ...fit };

    const pool = new InferencePool(bundle, { size: 1, provider: 'cpu', intraOpNumThreads: 1, projection });
    await pool.start();
    const engine = new EncodingEngine(new TextTokenizer(bundle), pool, {
      tokenBudget: 512,
      maxTexts: 64,
      maxWaitMs: 1,
    });
    const reduced = await engine.embed('t0', texts[0]!);
    await pool.close();
    expect(reduced.vector).toHaveLength(8);
    expect(cosine(reduced.vector, project(vectors[0]!.vector, projection))).toBeGreaterThan(0.9999);
  });
});
