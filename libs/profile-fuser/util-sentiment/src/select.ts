import { SentimentTrainingError } from './errors';
import {
  checkDataset,
  predictProbabilities,
  trainLogistic,
  type ClassWeighting,
  type Dataset,
  type LogisticFit,
} from '@profilestream/learning';
import { classificationReport, logLoss, reportFromConfusion, type ClassificationReport } from './metrics';

/** Predicted labels: 1 where the probability is at least `threshold`. */
export function applyThreshold(probabilities: ArrayLike<number>, threshold: number): Uint8Array {
  const out = new Uint8Array(probabilities.length);
  for (let i = 0; i < probabilities.length; i++) out[i] = probabilities[i]! >= threshold ? 1 : 0;
  return out;
}

export interface ThresholdChoice {
  threshold: number;
  report: ClassificationReport;
}

/**
 * The decision threshold with the best macro-F1 on held-out data. Candidates are the midpoints
 * between consecutive distinct probabilities (every distinct labelling a threshold can make, found
 * in one sweep over the sorted scores) plus 0.5; among equally good thresholds the one nearest 0.5 wins.
 */
export function chooseThreshold(probabilities: ArrayLike<number>, labels: Uint8Array): ThresholdChoice {
  if (probabilities.length !== labels.length || labels.length === 0) {
    throw new SentimentTrainingError(
      `threshold choice needs as many probabilities as labels (got ${probabilities.length} and ${labels.length}), at least one`,
    );
  }
  const order = Array.from({ length: labels.length }, (_, i) => i).sort(
    (a, b) => probabilities[b]! - probabilities[a]!,
  );
  const positives = labels.reduce((s, y) => s + y, 0);
  const negatives = labels.length - positives;
  let best = { threshold: 0.5, report: classificationReport(labels, applyThreshold(probabilities, 0.5)) };
  const better = (t: number, r: ClassificationReport): boolean =>
    r.macroF1 > best.report.macroF1 + 1e-12 ||
    (Math.abs(r.macroF1 - best.report.macroF1) <= 1e-12 && Math.abs(t - 0.5) < Math.abs(best.threshold - 0.5));
  // Sweep from "nothing positive" downwards, moving one group of tied scores across at a time.
  let tp = 0;
  let fp = 0;
  const consider = (t: number) => {
    const r = reportFromConfusion({ tp, fp, fn: positives - tp, tn: negatives - fp });
    if (better(t, r)) best = { threshold: t, report: r };
  };
  const top = probabilities[order[0]!]!;
  if (top < 1) consider((top + 1) / 2);
  for (let k = 0; k < order.length;) {
    const p = probabilities[order[k]!]!;
    while (k < order.length && probabilities[order[k]!] === p) {
      if (labels[order[k]!] === 1) tp++;
      else fp++;
      k++;
    }
    const next = k < order.length ? probabilities[order[k]!]! : 0;
    consider((p + next) / 2);
  }
  // A midpoint of two neighbouring floats can round onto one of them: report what the threshold really does.
  return {
    threshold: best.threshold,
    report: classificationReport(labels, applyThreshold(probabilities, best.threshold)),
  };
}

export interface CandidateResult {
  l2: number;
  /** Validation log loss, classes weighted as in training: what λ is chosen by. */
  validationLoss: number;
  threshold: number;
  validation: ClassificationReport;
  iterations: number;
}

export interface SelectionResult {
  fit: LogisticFit;
  l2: number;
  validationLoss: number;
  threshold: number;
  validation: ClassificationReport;
  /** Every λ tried, in the order tried. */
  candidates: CandidateResult[];
}

/**
 * Fits one model per λ on `train` (largest λ first, each starting from the previous solution) and
 * keeps the λ with the lowest validation log loss, the classes weighted as in training (the larger
 * λ on a tie: the simpler model). Log loss judges every probability, so it is far less noisy than
 * F1 when one class has few examples; the decision threshold is then chosen on the same validation
 * part for macro-F1. The test set plays no part.
 */
export function selectModel(
  train: Dataset,
  validation: Dataset,
  l2Grid: readonly number[],
  classWeighting: ClassWeighting,
): SelectionResult {
  if (l2Grid.length === 0) throw new SentimentTrainingError('the regularisation grid is empty');
  const counts = checkDataset(validation, 'validation set');
  if (validation.dim !== train.dim)
    throw new SentimentTrainingError(
      `validation dimension ${validation.dim} differs from training dimension ${train.dim}`,
    );
  if (counts.positive === 0 || counts.negative === 0)
    throw new SentimentTrainingError(
      `validation set needs both classes, got ${counts.positive} positive and ${counts.negative} negative`,
    );
  const n = validation.labels.length;
  const weights =
    classWeighting === 'balanced'
      ? { positive: n / (2 * counts.positive), negative: n / (2 * counts.negative) }
      : { positive: 1, negative: 1 };
  const grid = [...l2Grid].sort((a, b) => b - a);
  let best: SelectionResult | null = null;
  const candidates: CandidateResult[] = [];
  let init: LogisticFit | null = null;
  for (const l2 of grid) {
    const fit: LogisticFit = trainLogistic(train, {
      l2,
      classWeighting,
      init: init ? { weights: init.weights, bias: init.bias } : undefined,
    });
    init = fit;
    const probabilities = predictProbabilities(validation.vectors, validation.dim, fit.weights, fit.bias);
    const validationLoss = logLoss(validation.labels, probabilities, weights);
    const choice = chooseThreshold(probabilities, validation.labels);
    candidates.push({
      l2,
      validationLoss,
      threshold: choice.threshold,
      validation: choice.report,
      iterations: fit.iterations,
    });
    if (!best || validationLoss < best.validationLoss - 1e-12)
      best = { fit, l2, validationLoss, threshold: choice.threshold, validation: choice.report, candidates };
  }
  return best!;
}
