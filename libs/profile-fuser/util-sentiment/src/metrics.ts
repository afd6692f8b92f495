/** Counts for a binary problem where 1 is the positive class. */
export interface ConfusionMatrix {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** True examples of the class. */
  support: number;
}

export interface ClassificationReport {
  accuracy: number;
  positive: ClassMetrics;
  negative: ClassMetrics;
  /** Mean of the two classes' F1: what a majority-class guess cannot game on imbalanced data. */
  macroF1: number;
  confusion: ConfusionMatrix;
}

function checkLabel(v: number, what: string, i: number): void {
  if (v !== 0 && v !== 1) throw new RangeError(`${what}[${i}] must be 0 or 1, got ${v}`);
}

export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>): ConfusionMatrix {
  if (truth.length !== predicted.length)
    throw new RangeError(`truth has ${truth.length} labels, predicted ${predicted.length}`);
  const m: ConfusionMatrix = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < truth.length; i++) {
    checkLabel(truth[i]!, 'truth', i);
    checkLabel(predicted[i]!, 'predicted', i);
    if (truth[i] === 1) {
      if (predicted[i] === 1) m.tp++;
      else m.fn++;
    } else if (predicted[i] === 1) m.fp++;
    else m.tn++;
  }
  return m;
}

/** a / b, and 0 when b is 0 (a class never predicted has precision 0, as scikit-learn reports it). */
function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

function classMetrics(hit: number, falseAlarm: number, miss: number): ClassMetrics {
  const precision = ratio(hit, hit + falseAlarm);
  const recall = ratio(hit, hit + miss);
  return { precision, recall, f1: ratio(2 * precision * recall, precision + recall), support: hit + miss };
}

export function reportFromConfusion(m: ConfusionMatrix): ClassificationReport {
  const positive = classMetrics(m.tp, m.fp, m.fn);
  const negative = classMetrics(m.tn, m.fn, m.fp);
  return {
    accuracy: ratio(m.tp + m.tn, m.tp + m.tn + m.fp + m.fn),
    positive,
    negative,
    macroF1: (positive.f1 + negative.f1) / 2,
    confusion: { ...m },
  };
}

export function classificationReport(truth: ArrayLike<number>, predicted: ArrayLike<number>): ClassificationReport {
  return reportFromConfusion(confusionMatrix(truth, predicted));
}

/** The more frequent label of `labels` (1 on a tie); the baseline a classifier has to beat. */
export function majorityClass(labels: ArrayLike<number>): 0 | 1 {
  let ones = 0;
  for (let i = 0; i < labels.length; i++) {
    checkLabel(labels[i]!, 'labels', i);
    ones += labels[i]!;
  }
  return ones * 2 >= labels.length ? 1 : 0;
}

/**
 * Mean negative log-likelihood of `truth` under `probabilities` (P(label 1)), each example weighted
 * by its class; probabilities are clipped to [1e-15, 1 − 1e-15] so one certain mistake stays finite.
 */
export function logLoss(
  truth: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  weights: { positive: number; negative: number } = { positive: 1, negative: 1 },
): number {
  if (truth.length !== probabilities.length || truth.length === 0)
    throw new RangeError(
      `log loss needs as many probabilities as labels, at least one (got ${probabilities.length} and ${truth.length})`,
    );
  let sum = 0;
  let total = 0;
  for (let i = 0; i < truth.length; i++) {
    checkLabel(truth[i]!, 'truth', i);
    const p = Math.min(1 - 1e-15, Math.max(1e-15, probabilities[i]!));
    const w = truth[i] === 1 ? weights.positive : weights.negative;
    sum -= w * (truth[i] === 1 ? Math.log(p) : Math.log(1 - p));
    total += w;
  }
  return sum / total;
}
