import { SentimentTrainingError } from './errors';
import { predictProbabilities, type ClassWeighting, type Dataset } from '@profilestream/learning';
import { classificationReport, majorityClass } from './metrics';
import {
  SENTIMENT_MODEL_FORMAT,
  SENTIMENT_MODEL_VERSION,
  type ClassCounts,
  type EmbeddingSpace,
  type SentimentModel,
} from './model';
import { applyThreshold, selectModel, type CandidateResult } from './select';
import { DEFAULT_SPLIT, splitByUser, type SplitFractions } from './split';

export const POSITIVE_RATINGS = [4, 5];
export const NEGATIVE_RATINGS = [1, 2];

/** 1 for 4–5 stars, 0 for 1–2 stars, null for 3 stars (mixed: left out of training and evaluation). */
export function labelFromRating(rating: number): 0 | 1 | null {
  if (POSITIVE_RATINGS.includes(rating)) return 1;
  if (NEGATIVE_RATINGS.includes(rating)) return 0;
  if (rating === 3) return null;
  throw new SentimentTrainingError(`rating ${rating} is not a whole number of stars from 1 to 5`);
}

export interface RatedEmbedding {
  userId: string;
  rating: number;
  vector: ArrayLike<number>;
}

export interface TrainSentimentOptions {
  space: EmbeddingSpace;
  /** Identifies the weights (the caller hashes them); called once the model is fitted. */
  makeId: (weights: readonly number[], bias: number) => string;
  dataset: string;
  seed: number;
  split?: SplitFractions;
  l2Grid?: readonly number[];
  classWeighting?: ClassWeighting;
  now?: Date;
}

export const DEFAULT_L2_GRID = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5];

export interface TrainSentimentResult {
  model: SentimentModel;
  candidates: CandidateResult[];
}

function toDataset(examples: { label: 0 | 1; vector: ArrayLike<number> }[], dim: number): Dataset {
  const vectors = new Float64Array(examples.length * dim);
  const labels = new Uint8Array(examples.length);
  examples.forEach((e, i) => {
    if (e.vector.length !== dim)
      throw new SentimentTrainingError(`example ${i} has dimension ${e.vector.length}, expected ${dim}`);
    vectors.set(Array.from(e.vector), i * dim);
    labels[i] = e.label;
  });
  return { dim, vectors, labels };
}

function counts(part: { label: 0 | 1 }[], users: string[]): ClassCounts {
  const positive = part.filter((e) => e.label === 1).length;
  return { positive, negative: part.length - positive, users: users.length };
}

/**
 * The whole modelling step: label by rating (3 stars left out), split by user, fit a class-weighted
 * logistic regression per λ on the training part, choose λ and the threshold on the validation
 * part, and report the chosen model and the training part's majority class on the test part.
 */
export function trainSentimentClassifier(
  examples: readonly RatedEmbedding[],
  options: TrainSentimentOptions,
): TrainSentimentResult {
  const split = options.split ?? DEFAULT_SPLIT;
  const l2Grid = [...(options.l2Grid ?? DEFAULT_L2_GRID)];
  const classWeighting = options.classWeighting ?? 'balanced';
  const labelled: { userId: string; label: 0 | 1; vector: ArrayLike<number> }[] = [];
  let excluded = 0;
  for (const e of examples) {
    const label = labelFromRating(e.rating);
    if (label === null) excluded++;
    else labelled.push({ userId: e.userId, label, vector: e.vector });
  }
  const parts = splitByUser(labelled, (e) => e.userId, options.seed, split);
  const dim = options.space.dim;
  const train = toDataset(parts.train, dim);
  const validation = toDataset(parts.validation, dim);
  const test = toDataset(parts.test, dim);
  if (test.labels.length === 0 || !test.labels.includes(0) || !test.labels.includes(1)) {
    throw new SentimentTrainingError('the test part needs both classes; use more data or another seed');
  }

  const selected = selectModel(train, validation, l2Grid, classWeighting);
  const testPredicted = applyThreshold(
    predictProbabilities(test.vectors, dim, selected.fit.weights, selected.fit.bias),
    selected.threshold,
  );
  const majority = majorityClass(train.labels);
  const weights = Array.from(selected.fit.weights);
  const model: SentimentModel = {
    format: SENTIMENT_MODEL_FORMAT,
    formatVersion: SENTIMENT_MODEL_VERSION,
    id: options.makeId(weights, selected.fit.bias),
    kind: 'logistic-regression',
    embedding: { modelId: options.space.modelId, projectionId: options.space.projectionId, dim },
    weights,
    bias: selected.fit.bias,
    threshold: selected.threshold,
    training: {
      dataset: options.dataset,
      trainedAt: (options.now ?? new Date()).toISOString(),
      seed: options.seed,
      split,
      l2: selected.l2,
      l2Grid,
      classWeighting,
      classWeights: selected.fit.classWeights,
      labels: { positive: POSITIVE_RATINGS, negative: NEGATIVE_RATINGS },
      counts: {
        train: counts(parts.train, parts.users.train),
        validation: counts(parts.validation, parts.users.validation),
        test: counts(parts.test, parts.users.test),
        excluded,
      },
    },
    metrics: {
      validation: selected.validation,
      test: classificationReport(test.labels, testPredicted),
      baseline: {
        ...classificationReport(test.labels, new Uint8Array(test.labels.length).fill(majority)),
        predicts: majority === 1 ? 'positive' : 'negative',
      },
    },
  };
  return { model, candidates: selected.candidates };
}
