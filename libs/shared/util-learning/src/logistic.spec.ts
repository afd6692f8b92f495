import { predictProbabilities, trainLogistic, type Dataset } from './logistic';
import { imbalancedProblem, logisticProblem, rows } from './testing';

/** Share of rows of class `y` predicted as `y` at threshold 0.5 (all rows when `y` is omitted). */
function recall(labels: Uint8Array, probabilities: Float64Array, y?: 0 | 1): number {
  let right = 0;
  let n = 0;
  labels.forEach((label, i) => {
    if (y !== undefined && label !== y) return;
    n++;
    if ((probabilities[i]! >= 0.5 ? 1 : 0) === label) right++;
  });
  return right / n;
}

describe('logistic regression (Newton)', () => {
  it('recovers the parameters of a known noisy problem', () => {
    const w = [2, -1, 0.5, 0, 1.5];
    const d = logisticProblem(20_000, w, -0.5, 7);
    const fit = trainLogistic(d, { l2: 1e-6, classWeighting: 'none' });
    expect(fit.converged).toBe(true);
    expect(fit.iterations).toBeLessThan(15); // Newton: a handful of steps, not a crawl
    fit.weights.forEach((x, j) => expect(Math.abs(x - w[j]!)).toBeLessThan(0.12));
    expect(Math.abs(fit.bias - -0.5)).toBeLessThan(0.08);
  });

  it('stops at the optimum: zero gradient, and every nearby point costs more', () => {
    const d = logisticProblem(2_000, [1, -2, 0.3], 0.2, 3);
    const l2 = 0.01;
    const fit = trainLogistic(d, { l2, classWeighting: 'none' });
    expect(fit.gradientNorm).toBeLessThan(1e-9);
    const loss = (w: Float64Array, b: number): number => {
      const p = predictProbabilities(d.vectors, d.dim, w, b);
      let s = 0;
      p.forEach((pi, i) => (s -= d.labels[i] === 1 ? Math.log(pi) : Math.log(1 - pi)));
      return s / p.length + (l2 / 2) * w.reduce((a, x) => a + x * x, 0);
    };
    expect(loss(fit.weights, fit.bias)).toBeCloseTo(fit.loss, 10);
    for (let j = 0; j <= d.dim; j++) {
      for (const eps of [1e-3, -1e-3]) {
        const w = Float64Array.from(fit.weights);
        let b = fit.bias;
        if (j < d.dim) w[j] = w[j]! + eps;
        else b += eps;
        expect(loss(w, b)).toBeGreaterThan(fit.loss);
      }
    }
  });

  it('separates a separable problem and stays finite thanks to the penalty', () => {
    const noisy = logisticProblem(1_000, [1, 1], 0, 11);
    // Relabel by the true boundary: perfectly separable.
    const labels = new Uint8Array(noisy.labels.length).map((_, i) =>
      noisy.vectors[2 * i]! + noisy.vectors[2 * i + 1]! > 0 ? 1 : 0,
    );
    const d: Dataset = { ...noisy, labels };
    const fit = trainLogistic(d, { l2: 1e-4, classWeighting: 'none' });
    expect(fit.converged).toBe(true);
    expect(fit.weights.every(Number.isFinite)).toBe(true);
    expect(recall(labels, predictProbabilities(d.vectors, d.dim, fit.weights, fit.bias))).toBeGreaterThan(0.995);
    // The direction is the true one, (1, 1)/√2.
    const norm = Math.hypot(fit.weights[0]!, fit.weights[1]!);
    expect(fit.weights[0]! / norm).toBeCloseTo(Math.SQRT1_2, 1);
  });

  it('class weighting raises recall on the minority class', () => {
    const all = imbalancedProblem(8_000, 4, 0.9, 1.5, 5);
    const train = rows(all, 0, 4_000);
    const test = rows(all, 4_000, 8_000);
    const evaluate = (classWeighting: 'none' | 'balanced') => {
      const fit = trainLogistic(train, { l2: 1e-4, classWeighting });
      const p = predictProbabilities(test.vectors, test.dim, fit.weights, fit.bias);
      return {
        fit,
        report: { positive: { recall: recall(test.labels, p, 1) }, negative: { recall: recall(test.labels, p, 0) } },
      };
    };
    const plain = evaluate('none');
    const balanced = evaluate('balanced');
    expect(balanced.report.negative.recall).toBeGreaterThan(plain.report.negative.recall + 0.3);
    expect(balanced.report.positive.recall).toBeLessThan(plain.report.positive.recall);
    const positives = train.labels.reduce((s, y) => s + y, 0);
    expect(balanced.fit.classWeights.positive).toBeCloseTo(4_000 / (2 * positives), 12);
    expect(balanced.fit.classWeights.negative).toBeCloseTo(4_000 / (2 * (4_000 - positives)), 12);
    expect(plain.fit.classWeights).toEqual({ positive: 1, negative: 1 });
  });

  it('starting from another point reaches the same solution', () => {
    const d = logisticProblem(1_500, [0.5, -0.7, 1], 0.1, 13);
    const a = trainLogistic(d, { l2: 1e-3, classWeighting: 'balanced' });
    const b = trainLogistic(d, { l2: 1e-3, classWeighting: 'balanced', init: { weights: [5, 5, -5], bias: 3 } });
    a.weights.forEach((x, j) => expect(b.weights[j]).toBeCloseTo(x, 7));
    expect(b.bias).toBeCloseTo(a.bias, 7);
  });

  it('rejects bad input with errors that say what is wrong', () => {
    const d = logisticProblem(50, [1, 1], 0, 1);
    expect(() => trainLogistic(d, { l2: 0, classWeighting: 'none' })).toThrow(/l2 must be a positive number/);
    expect(() =>
      trainLogistic({ ...d, labels: new Uint8Array(50).fill(1) }, { l2: 1, classWeighting: 'none' }),
    ).toThrow(/needs both classes, got 50 positive and 0 negative/);
    expect(() =>
      trainLogistic({ ...d, labels: d.labels.map((y, i) => (i === 4 ? 2 : y)) }, { l2: 1, classWeighting: 'none' }),
    ).toThrow(/label 2 in row 4/);
    const nan = Float64Array.from(d.vectors);
    nan[7] = NaN;
    expect(() => trainLogistic({ ...d, vectors: nan }, { l2: 1, classWeighting: 'none' })).toThrow(
      /value NaN in row 3/,
    );
    expect(() => trainLogistic({ ...d, dim: 3 }, { l2: 1, classWeighting: 'none' })).toThrow(
      /100 values cannot be 50 rows of dimension 3/,
    );
    expect(() => trainLogistic(d, { l2: 1, classWeighting: 'weird' as 'none' })).toThrow(
      /unknown class weighting weird/,
    );
  });
});
