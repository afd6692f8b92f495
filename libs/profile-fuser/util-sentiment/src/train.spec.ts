import { predictProbabilities } from '@profilestream/learning';
import { parseSentimentModel, scoreSentiment, serializeSentimentModel } from './model';
import { seededRandom } from '@profilestream/embedding';
import { gaussian } from '@profilestream/learning/testing';
import { labelFromRating, trainSentimentClassifier, type RatedEmbedding } from './train';

/**
 * Unit vectors whose first axis carries the opinion, and ratings drawn from it, ~85% positive:
 * a miniature of reviews with ratings. Each user also has a style offset, as real writers do.
 */
function ratedReviews(users: number, dim: number, seed: number): RatedEmbedding[] {
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const out: RatedEmbedding[] = [];
  for (let u = 0; u < users; u++) {
    const style = Array.from({ length: dim }, () => 0.3 * normal());
    const n = 1 + Math.floor(random() * 6);
    for (let k = 0; k < n; k++) {
      const opinion = 1.6 + 1.4 * normal();
      const rating = opinion > 1 ? (opinion > 2 ? 5 : 4) : opinion > 0.2 ? 3 : opinion > -0.8 ? 2 : 1;
      const v = style.map((s, j) => s + normal() + (j === 0 ? opinion : 0));
      const norm = Math.hypot(...v);
      out.push({ userId: `user-${u}`, rating, vector: v.map((x) => x / norm) });
    }
  }
  return out;
}

describe('training the sentiment classifier', () => {
  const examples = ratedReviews(600, 8, 21);
  const space = { modelId: 'm@1', projectionId: null, dim: 8 };
  const run = () =>
    trainSentimentClassifier(examples, {
      space,
      makeId: (w, b) => `lr-${w.length}-${b.toFixed(3)}`,
      dataset: 'synthetic',
      seed: 7,
      now: new Date(0),
    });

  it('labels 4–5 stars positive, 1–2 negative and leaves 3 out', () => {
    expect([1, 2, 3, 4, 5].map(labelFromRating)).toEqual([0, 0, null, 1, 1]);
    expect(() => labelFromRating(0)).toThrow(/rating 0 is not a whole number of stars/);
    expect(() => labelFromRating(4.5)).toThrow(/rating 4.5/);
  });

  it('beats the majority baseline on the test part, with counts that add up', () => {
    const { model, candidates } = run();
    const m = model.metrics!;
    const t = model.training!;
    expect(m.baseline.predicts).toBe('positive');
    expect(m.baseline.negative.recall).toBe(0);
    expect(m.test.macroF1).toBeGreaterThan(m.baseline.macroF1 + 0.2);
    expect(m.test.negative.recall).toBeGreaterThan(0.5);
    const threes = examples.filter((e) => e.rating === 3).length;
    expect(t.counts.excluded).toBe(threes);
    const parts = [t.counts.train, t.counts.validation, t.counts.test];
    expect(parts.reduce((s, c) => s + c.positive + c.negative, 0)).toBe(examples.length - threes);
    expect(m.test.positive.support + m.test.negative.support).toBe(t.counts.test.positive + t.counts.test.negative);
    expect(candidates).toHaveLength(t.l2Grid.length);
    expect(t.l2Grid).toContain(t.l2);
    expect(model.embedding).toEqual(space);
    expect(model.id).toBe(`lr-8-${model.bias.toFixed(3)}`);
  });

  it('is deterministic, and its artefact scores like the fitted model after a round trip', () => {
    const a = run().model;
    const b = run().model;
    expect(serializeSentimentModel(b)).toBe(serializeSentimentModel(a));
    const back = parseSentimentModel(JSON.parse(serializeSentimentModel(a)));
    const v = examples[0]!.vector;
    expect(scoreSentiment(back, v).probability).toBe(
      predictProbabilities(Float64Array.from(v), 8, a.weights, a.bias)[0],
    );
  });
});
