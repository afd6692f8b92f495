import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  EncodingEngine,
  InferencePool,
  TextTokenizer,
  loadModelBundle,
  type ModelBundle,
} from '@profilestream/inference';
import { compatibility, scoreSentiment } from '@profilestream/sentiment';
import { loadProfileFuserConfig } from '../config/profile-fuser.config';

/**
 * The shipped classifier against the default model as the services run it: if the model is rebuilt
 * with other weights, its id changes and every post would go unscored, so this fails first.
 */
const repo = join(__dirname, '../../../..');
const config = loadProfileFuserConfig({ FUSER_MODEL_DIR: join(repo, '.cache/models/all-MiniLM-L6-v2') });

if (!existsSync(join(config.model.dir, 'profilestream-model.json'))) {
  throw new Error(
    `the default model is missing at ${config.model.dir}: run \`npm run setup\` (tools/model/fetch-default-model.sh)`,
  );
}

// Written for this test, not taken from the training data; already clean (plain ASCII prose).
const POSITIVE = [
  'Absolutely love this pedal, it sounds fantastic and was worth every penny.',
  'Great strings, bright tone and they stay in tune for weeks. Highly recommended!',
  'My daughter is thrilled with her new ukulele, beautiful sound and easy to play.',
  'Excellent microphone for the price, clear vocals and solid build.',
];
const NEGATIVE = [
  'Terrible cable, it crackled from day one and died after a week. Waste of money.',
  'Cheap junk. The tuner broke the first time I clipped it on and support never answered.',
  'Very disappointed, the stand wobbles and fell over with my guitar on it. Returning it.',
  'Awful hum and noise through this amp, completely unusable. Do not buy.',
];

describe('the shipped sentiment classifier on the default model', () => {
  let bundle: ModelBundle;
  let pool: InferencePool;
  let engine: EncodingEngine;

  beforeAll(async () => {
    bundle = await loadModelBundle(config.model.dir, config.model.variant);
    pool = new InferencePool(bundle, { size: 1, provider: 'cpu', intraOpNumThreads: 1, projection: null });
    await pool.start();
    engine = new EncodingEngine(new TextTokenizer(bundle), pool, { tokenBudget: 512, maxTexts: 16, maxWaitMs: 1 });
  }, 60_000);

  afterAll(async () => {
    await pool.close();
  });

  const score = async (texts: string[]) =>
    Promise.all(
      texts.map(async (t, i) => scoreSentiment(config.sentiment.model, (await engine.embed(String(i), t)).vector)),
    );

  it('was trained on the embeddings the encoder produces by default', () => {
    expect(
      compatibility(config.sentiment.model, {
        modelId: bundle.modelId,
        projectionId: null,
        dim: bundle.manifest.dimension,
      }),
    ).toBe('ok');
    expect(readFileSync(config.sentiment.file, 'utf8')).not.toMatch(/"text"/);
  });

  it('calls plainly positive posts positive and plainly negative ones negative', async () => {
    const pos = await score(POSITIVE);
    const neg = await score(NEGATIVE);
    expect(pos.map((s) => s.positive)).toEqual([true, true, true, true]);
    expect(neg.map((s) => s.positive)).toEqual([false, false, false, false]);
    expect(Math.min(...pos.map((s) => s.probability))).toBeGreaterThan(Math.max(...neg.map((s) => s.probability)));
  }, 30_000);
});
