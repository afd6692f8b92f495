/**
 * The joint model of profile and item features (the source document's step 4): a logistic
 * regression over standardised RANKER_FEATURES, small enough to read (one weight per feature) and
 * to re-implement in any language.
 */
import { createHash } from 'node:crypto';
import { predictProbabilities, trainLogistic } from '@profilestream/learning';
import { FEATURE_COUNT, RANKER_FEATURES } from './features';

const F = FEATURE_COUNT;

/** What a fit learned: standardisation, weights and the penalty chosen. */
export interface RankerFit {
  features: readonly string[];
  /** Standardisation fitted on the training rows: x' = (x − mean) / scale. */
  mean: number[];
  scale: number[];
  weights: number[];
  bias: number;
  l2: number;
  trainedOn: { positives: number; negatives: number };
  /** Mean log loss of the chosen penalty on validation users (null without any). */
  validationLogLoss: number | null;
}

export interface TrainingRows {
  /** Row-major, RANKER_FEATURES order. */
  rows: Float64Array;
  labels: Uint8Array;
  /** Which user each row belongs to (validation splits by user). */
  users: string[];
}

/**
 * Fits the model. The L2 penalty is chosen from `grid` by log loss on validation users (those
 * `isValidation` picks), never on the users it is measured on later; the chosen penalty is then
 * refitted on every row.
 */
export function trainRanker(
  data: TrainingRows,
  isValidation: (userId: string) => boolean,
  grid: readonly number[] = [1e-4, 1e-3, 1e-2, 1e-1, 1],
): RankerFit {
  const { mean, scale } = columnStats(data.rows);
  const all = standardise(data.rows, mean, scale);
  const pick = (validation: boolean) => {
    const idx = data.users.flatMap((u, i) => (isValidation(u) === validation ? [i] : []));
    const rows = new Float64Array(idx.length * F);
    idx.forEach((i, r) => rows.set(all.subarray(i * F, (i + 1) * F), r * F));
    return { dim: F, vectors: rows, labels: Uint8Array.from(idx, (i) => data.labels[i]!) };
  };
  const fitPart = pick(false);
  const validation = pick(true);
  let best = grid[0]!;
  let bestLoss: number | null = null;
  if (validation.labels.length > 0 && fitPart.labels.includes(1) && fitPart.labels.includes(0)) {
    for (const l2 of grid) {
      const fit = trainLogistic(fitPart, { l2, classWeighting: 'none' });
      const loss = logLoss(predictProbabilities(validation.vectors, F, fit.weights, fit.bias), validation.labels);
      if (bestLoss === null || loss < bestLoss) [best, bestLoss] = [l2, loss];
    }
  }
  const fit = trainLogistic({ dim: F, vectors: all, labels: data.labels }, { l2: best, classWeighting: 'none' });
  const positives = data.labels.reduce((s, y) => s + y, 0);
  return {
    features: RANKER_FEATURES,
    mean: [...mean],
    scale: [...scale],
    weights: [...fit.weights],
    bias: fit.bias,
    l2: best,
    trainedOn: { positives, negatives: data.labels.length - positives },
    validationLogLoss: bestLoss,
  };
}

/** The model's score (a logit: higher ranks first) of each feature row. */
export function rankerScores(
  fit: Pick<RankerFit, 'mean' | 'scale' | 'weights' | 'bias'>,
  rows: Float64Array,
): Float64Array {
  const n = rows.length / F;
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let z = fit.bias;
    for (let c = 0; c < F; c++) z += fit.weights[c]! * ((rows[r * F + c]! - fit.mean[c]!) / fit.scale[c]!);
    out[r] = z;
  }
  return out;
}

/** A short id of a fit's numbers: two artefacts with the same id score alike. */
export function fitId(fit: Pick<RankerFit, 'features' | 'mean' | 'scale' | 'weights' | 'bias'>): string {
  const h = createHash('sha256').update(JSON.stringify([fit.features, fit.mean, fit.scale, fit.weights, fit.bias]));
  return h.digest('hex').slice(0, 12);
}

function standardise(rows: Float64Array, mean: Float64Array, scale: Float64Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = (rows[i]! - mean[i % F]!) / scale[i % F]!;
  return out;
}

function columnStats(rows: Float64Array): { mean: Float64Array; scale: Float64Array } {
  const n = rows.length / F;
  const mean = new Float64Array(F);
  const scale = new Float64Array(F);
  for (let i = 0; i < rows.length; i++) mean[i % F]! += rows[i]! / n;
  for (let i = 0; i < rows.length; i++) scale[i % F]! += (rows[i]! - mean[i % F]!) ** 2 / n;
  // A constant column (a feature the data never varies) keeps scale 1: its weight stays 0.
  for (let c = 0; c < F; c++) scale[c] = Math.sqrt(scale[c]!) || 1;
  return { mean, scale };
}

function logLoss(probabilities: Float64Array, labels: Uint8Array): number {
  let loss = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - 1e-12, Math.max(1e-12, probabilities[i]!));
    loss -= labels[i] ? Math.log(p) : Math.log(1 - p);
  }
  return loss / labels.length;
}
