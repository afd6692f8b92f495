import {
  compatibility,
  parseSentimentModel,
  scoreSentiment,
  serializeSentimentModel,
  SENTIMENT_MODEL_FORMAT,
  type SentimentModel,
} from './model';
import { SentimentModelError } from './errors';

function handMade(over: Partial<SentimentModel> = {}): SentimentModel {
  return {
    format: SENTIMENT_MODEL_FORMAT,
    formatVersion: 1,
    id: 'sentiment-test',
    kind: 'logistic-regression',
    embedding: { modelId: 'm@1', projectionId: null, dim: 3 },
    weights: [0.1 + 0.2, -1e-300, 123456.789],
    bias: -0.5,
    threshold: 0.6,
    training: null,
    metrics: null,
    ...over,
  };
}

describe('sentiment model artefact', () => {
  it('round-trips through JSON exactly, every weight bit for bit', () => {
    const m = handMade({ weights: [Math.PI, 5e-324, -0.1 - 0.2] });
    const back = parseSentimentModel(JSON.parse(serializeSentimentModel(m)));
    expect(back).toEqual(m);
    back.weights.forEach((w, i) => expect(Object.is(w, m.weights[i])).toBe(true));
  });

  it('scores σ(w·x + b) and applies the threshold', () => {
    const m = handMade({ weights: [1, 2, 0], bias: -1, threshold: 0.6 });
    const s = scoreSentiment(m, [0.5, 0.5, 9]);
    expect(s.probability).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 15);
    expect(s.positive).toBe(true); // 0.622 ≥ 0.6
    expect(scoreSentiment(m, [0.5, 0.2, 0]).positive).toBe(false); // σ(-0.1) < 0.6
    expect(() => scoreSentiment(m, [1, 2])).toThrow(/dimension 2, classifier sentiment-test expects 3/);
  });

  it('says why it cannot score an embedding of another space', () => {
    const m = handMade();
    expect(compatibility(m, { modelId: 'm@1', projectionId: null, dim: 3 })).toBe('ok');
    expect(compatibility(m, { modelId: 'm@2', projectionId: null, dim: 3 })).toBe('model_mismatch');
    expect(compatibility(m, { modelId: 'm@1', projectionId: 'pca2-x', dim: 2 })).toBe('projection_mismatch');
    expect(compatibility(m, { modelId: 'm@1', projectionId: null, dim: 4 })).toBe('dimension_mismatch');
  });

  it('refuses artefacts it cannot use, naming the field and the source', () => {
    const bad = (patch: Record<string, unknown>) => () => parseSentimentModel({ ...handMade(), ...patch }, 'x.json');
    expect(() => parseSentimentModel([], 'x.json')).toThrow(SentimentModelError);
    expect(bad({ format: 'other' })).toThrow(/^x\.json: format must be "profilestream-sentiment"/);
    expect(bad({ formatVersion: 2 })).toThrow(/unknown formatVersion 2 \(this build reads 1\)/);
    expect(bad({ id: '' })).toThrow(/id must be a non-empty string/);
    expect(bad({ kind: 'mlp' })).toThrow(/unknown kind "mlp"/);
    expect(bad({ embedding: { modelId: 'm', projectionId: null, dim: 0 } })).toThrow(
      /embedding.dim must be a positive integer/,
    );
    expect(bad({ embedding: { modelId: '', projectionId: null, dim: 3 } })).toThrow(/embedding.modelId/);
    expect(bad({ weights: [1, 2] })).toThrow(/weights must be an array of 3 numbers/);
    expect(bad({ weights: [1, null, 2] })).toThrow(/weights\[1\] is not a finite number/);
    expect(bad({ bias: 'x' })).toThrow(/bias must be a finite number/);
    expect(bad({ threshold: 1 })).toThrow(/threshold must be a number in \(0, 1\), got 1/);
    expect(bad({ metrics: 3 })).toThrow(/metrics must be an object or null/);
  });
});
