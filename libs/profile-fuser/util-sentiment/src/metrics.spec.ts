import { classificationReport, confusionMatrix, logLoss, majorityClass, reportFromConfusion } from './metrics';

describe('classification metrics', () => {
  // 12 examples: 8 positive (6 found, 2 missed), 4 negative (3 kept, 1 false alarm).
  const truth = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0];
  const predicted = [1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0];

  it('counts the confusion matrix', () => {
    expect(confusionMatrix(truth, predicted)).toEqual({ tp: 6, fn: 2, fp: 1, tn: 3 });
  });

  it('matches figures worked out by hand', () => {
    const r = classificationReport(truth, predicted);
    expect(r.accuracy).toBeCloseTo(9 / 12, 12);
    // positive: precision 6/7, recall 6/8, F1 = 2·(6/7·3/4)/(6/7 + 3/4) = 0.8
    expect(r.positive.precision).toBeCloseTo(6 / 7, 12);
    expect(r.positive.recall).toBeCloseTo(0.75, 12);
    expect(r.positive.f1).toBeCloseTo(0.8, 12);
    expect(r.positive.support).toBe(8);
    // negative: precision 3/5, recall 3/4, F1 = 2·(0.6·0.75)/(1.35) = 2/3
    expect(r.negative.precision).toBeCloseTo(0.6, 12);
    expect(r.negative.recall).toBeCloseTo(0.75, 12);
    expect(r.negative.f1).toBeCloseTo(2 / 3, 12);
    expect(r.negative.support).toBe(4);
    expect(r.macroF1).toBeCloseTo((0.8 + 2 / 3) / 2, 12);
  });

  it('gives a class that is never predicted precision, recall and F1 of 0', () => {
    const r = reportFromConfusion({ tp: 9, fn: 0, fp: 1, tn: 0 });
    expect(r.accuracy).toBeCloseTo(0.9, 12);
    expect(r.negative).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.positive.recall).toBe(1);
  });

  it('rejects labels other than 0 and 1 and mismatched lengths', () => {
    expect(() => confusionMatrix([1, 2], [1, 1])).toThrow(/truth\[1\] must be 0 or 1, got 2/);
    expect(() => confusionMatrix([1], [1, 0])).toThrow(/1 labels, predicted 2/);
  });

  it('computes the class-weighted log loss', () => {
    // −(ln 0.8 + ln 0.6 + 3·ln 0.9) / 5 with the negative weighted 3.
    expect(logLoss([1, 1, 0], [0.8, 0.6, 0.1], { positive: 1, negative: 3 })).toBeCloseTo(
      -(Math.log(0.8) + Math.log(0.6) + 3 * Math.log(0.9)) / 5,
      12,
    );
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-15), 6);
    expect(() => logLoss([], [])).toThrow(/at least one/);
  });

  it('finds the majority class', () => {
    expect(majorityClass([1, 1, 0])).toBe(1);
    expect(majorityClass([0, 0, 1])).toBe(0);
  });
});
