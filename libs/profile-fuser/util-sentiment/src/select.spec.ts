import { predictProbabilities } from '@profilestream/learning';
import { classificationReport, logLoss } from './metrics';
import { applyThreshold, chooseThreshold, selectModel } from './select';
import { imbalancedProblem, rows } from '@profilestream/learning/testing';

describe('threshold and regularisation choice', () => {
  it('finds the threshold with the best macro-F1, preferring one near 0.5 on ties', () => {
    const labels = Uint8Array.from([1, 1, 0, 1, 0, 0]);
    // Top four positive and top two positive both give macro-F1 (6/7 + 4/5)/2; 0.5 is the nearer of their midpoints.
    const tie = chooseThreshold([0.9, 0.8, 0.7, 0.6, 0.4, 0.3], labels);
    expect(tie.threshold).toBe(0.5);
    expect(tie.report.macroF1).toBeCloseTo((6 / 7 + 0.8) / 2, 12);
    // All scores high: only a threshold between 0.85 and 0.9 separates the classes.
    const high = chooseThreshold([0.95, 0.9, 0.85, 0.8], Uint8Array.from([1, 1, 0, 0]));
    expect(high.threshold).toBeCloseTo(0.875, 12);
    expect(high.report.macroF1).toBe(1);
  });

  it('reports exactly what applying the chosen threshold gives', () => {
    const d = imbalancedProblem(500, 1, 0.8, 1, 3);
    const p = Array.from(d.vectors, (x) => 1 / (1 + Math.exp(-x)));
    const choice = chooseThreshold(p, d.labels);
    expect(choice.report).toEqual(classificationReport(d.labels, applyThreshold(p, choice.threshold)));
    // No other threshold on a fine grid does better.
    for (let t = 0.01; t < 1; t += 0.01)
      expect(classificationReport(d.labels, applyThreshold(p, t)).macroF1).toBeLessThanOrEqual(
        choice.report.macroF1 + 1e-12,
      );
  });

  it('tries every λ, largest first, and keeps the one with the lowest validation log loss', () => {
    // Few training rows in many dimensions: too little penalty overfits, too much underfits.
    const all = imbalancedProblem(2_400, 40, 0.85, 1.2, 9);
    const train = rows(all, 0, 400);
    const validation = rows(all, 400, 2_400);
    const result = selectModel(train, validation, [1e-4, 10, 1e-2], 'balanced');
    expect(result.candidates.map((c) => c.l2)).toEqual([10, 1e-2, 1e-4]);
    const losses = result.candidates.map((c) => c.validationLoss);
    expect(result.validationLoss).toBe(Math.min(...losses));
    expect(result.l2).toBe(1e-2);
    expect(losses[1]).toBeLessThan(losses[0]!);
    expect(losses[1]).toBeLessThan(losses[2]!);
    // The reported loss is the weighted log loss of the kept model on the validation part.
    const n = validation.labels.length;
    const pos = validation.labels.reduce((s, y) => s + y, 0);
    const p = predictProbabilities(validation.vectors, validation.dim, result.fit.weights, result.fit.bias);
    expect(result.validationLoss).toBeCloseTo(
      logLoss(validation.labels, p, { positive: n / (2 * pos), negative: n / (2 * (n - pos)) }),
      12,
    );
  });

  it('rejects an empty grid and mismatched dimensions', () => {
    const d = imbalancedProblem(100, 2, 0.5, 2, 1);
    expect(() => selectModel(d, d, [], 'none')).toThrow(/grid is empty/);
    expect(() => selectModel(d, { dim: 1, vectors: d.vectors.slice(0, 100), labels: d.labels }, [1], 'none')).toThrow(
      /validation dimension 1 differs from training dimension 2/,
    );
  });
});
