import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { horizonName, loadProfileFuserConfig } from './profile-fuser.config';

describe('profile-fuser configuration', () => {
  it('boots with defaults: 1d, 7d and 90d horizons and the documented action weights', () => {
    const config = loadProfileFuserConfig({});
    expect(config.halfLivesMs).toEqual({ '1d': 86_400_000, '7d': 604_800_000, '90d': 7_776_000_000 });
    expect(config.actionWeights).toEqual({ view: 0.2, click: 0.5, like: 1, add_to_cart: 2, purchase: 3 });
    expect(config.apiToken).toBeNull();
    expect(config.service.HTTP_PORT).toBe(8083);
    expect(horizonName(36)).toBe('36h');
  });

  it('fails at boot naming each bad variable', () => {
    expect(() => loadProfileFuserConfig({ FUSER_ACTION_WEIGHTS: 'view=1,hover=2' })).toThrow(
      /FUSER_ACTION_WEIGHTS: "hover=2" is not action=weight/,
    );
    expect(() => loadProfileFuserConfig({ FUSER_ACTION_WEIGHTS: 'view=1' })).toThrow(
      /missing weights for click, like, add_to_cart, purchase/,
    );
    expect(() => loadProfileFuserConfig({ FUSER_HALF_LIVES_HOURS: '24,-1' })).toThrow(
      /FUSER_HALF_LIVES_HOURS: must be a comma-separated list of positive numbers/,
    );
  });

  it('loads the shipped sentiment classifier by default: trained on the default model, int8, without projection', () => {
    const { sentiment } = loadProfileFuserConfig({});
    expect(sentiment.file).toMatch(/all-MiniLM-L6-v2\.int8\.sentiment\.json$/);
    expect(sentiment.model.embedding).toEqual({
      modelId: expect.stringMatching(/^all-MiniLM-L6-v2@[0-9a-f]{8}$/),
      projectionId: null,
      dim: 384,
    });
    expect(sentiment.model.weights).toHaveLength(384);
    // It was trained, not made up: it beats the majority baseline on held-out users.
    expect(sentiment.model.metrics!.test.macroF1).toBeGreaterThan(sentiment.model.metrics!.baseline.macroF1);
  });

  it('fails at boot when FUSER_SENTIMENT_MODEL_FILE is missing or not a classifier', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuser-config-'));
    expect(() => loadProfileFuserConfig({ FUSER_SENTIMENT_MODEL_FILE: join(dir, 'absent.json') })).toThrow(
      /FUSER_SENTIMENT_MODEL_FILE: cannot read .*absent\.json: ENOENT/,
    );
    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '{ nope');
    expect(() => loadProfileFuserConfig({ FUSER_SENTIMENT_MODEL_FILE: notJson })).toThrow(
      /FUSER_SENTIMENT_MODEL_FILE: .*bad\.json is not JSON/,
    );
    const wrong = join(dir, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ format: 'profilestream-sentiment', formatVersion: 9 }));
    expect(() => loadProfileFuserConfig({ FUSER_SENTIMENT_MODEL_FILE: wrong })).toThrow(
      /FUSER_SENTIMENT_MODEL_FILE: not a usable sentiment classifier: .*wrong\.json: unknown formatVersion 9/,
    );
  });
});
