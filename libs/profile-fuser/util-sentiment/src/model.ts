import { SentimentModelError } from './errors';
import { sigmoid, type ClassWeighting, type ClassWeights } from '@profilestream/learning';
import type { ClassificationReport } from './metrics';
import type { SplitFractions } from './split';

export const SENTIMENT_MODEL_FORMAT = 'profilestream-sentiment';
/** Bump when the artefact's meaning changes; readers refuse versions they do not know. */
export const SENTIMENT_MODEL_VERSION = 1;

/** The embeddings a classifier was trained on; it can only score embeddings of the same kind. */
export interface EmbeddingSpace {
  /** Encoder model id (name and weights hash, e.g. `all-MiniLM-L6-v2@d4aff7c8`). */
  modelId: string;
  /** PCA projection id, or null for the model's own output. */
  projectionId: string | null;
  dim: number;
}

export interface ClassCounts {
  positive: number;
  negative: number;
  users: number;
}

/** How a model was trained (informational; scoring does not use it). */
export interface SentimentTrainingInfo {
  dataset: string;
  trainedAt: string;
  seed: number;
  split: SplitFractions;
  l2: number;
  l2Grid: number[];
  classWeighting: ClassWeighting;
  classWeights: ClassWeights;
  /** Ratings counted as positive and negative; the rest (3 stars) left out. */
  labels: { positive: number[]; negative: number[] };
  counts: { train: ClassCounts; validation: ClassCounts; test: ClassCounts; excluded: number };
}

export interface SentimentMetrics {
  validation: ClassificationReport;
  test: ClassificationReport;
  /** The majority class of the training set, predicted for every test example. */
  baseline: ClassificationReport & { predicts: 'positive' | 'negative' };
}

/** A versioned, text-free classifier artefact: P(positive) = σ(w·x + b), positive when ≥ threshold. */
export interface SentimentModel {
  format: typeof SENTIMENT_MODEL_FORMAT;
  formatVersion: typeof SENTIMENT_MODEL_VERSION;
  /** Identifies these weights (published with every profile's sentiment). */
  id: string;
  kind: 'logistic-regression';
  embedding: EmbeddingSpace;
  weights: number[];
  bias: number;
  threshold: number;
  /** Null for a model not made by the training command (e.g. in tests). */
  training: SentimentTrainingInfo | null;
  metrics: SentimentMetrics | null;
}

function fail(source: string, message: string): never {
  throw new SentimentModelError(`${source}: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks a parsed artefact and returns it typed. Everything scoring relies on is checked
 * (format, version, embedding space, finite weights of the right length, a threshold in (0, 1));
 * `source` names the artefact in errors (e.g. its file).
 */
export function parseSentimentModel(value: unknown, source = 'sentiment model'): SentimentModel {
  if (!isObject(value)) fail(source, 'expected a JSON object');
  if (value['format'] !== SENTIMENT_MODEL_FORMAT)
    fail(source, `format must be "${SENTIMENT_MODEL_FORMAT}", got ${JSON.stringify(value['format'])}`);
  if (value['formatVersion'] !== SENTIMENT_MODEL_VERSION)
    fail(
      source,
      `unknown formatVersion ${JSON.stringify(value['formatVersion'])} (this build reads ${SENTIMENT_MODEL_VERSION})`,
    );
  if (typeof value['id'] !== 'string' || value['id'].length === 0) fail(source, 'id must be a non-empty string');
  if (value['kind'] !== 'logistic-regression') fail(source, `unknown kind ${JSON.stringify(value['kind'])}`);
  const e = value['embedding'];
  if (!isObject(e)) fail(source, 'embedding must be an object { modelId, projectionId, dim }');
  if (typeof e['modelId'] !== 'string' || e['modelId'].length === 0)
    fail(source, 'embedding.modelId must be a non-empty string');
  if (e['projectionId'] !== null && (typeof e['projectionId'] !== 'string' || e['projectionId'].length === 0))
    fail(source, 'embedding.projectionId must be null or a non-empty string');
  const dim = e['dim'];
  if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim <= 0)
    fail(source, `embedding.dim must be a positive integer, got ${JSON.stringify(dim)}`);
  const weights = value['weights'];
  if (!Array.isArray(weights) || weights.length !== dim) fail(source, `weights must be an array of ${dim} numbers`);
  weights.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w)) fail(source, `weights[${i}] is not a finite number`);
  });
  if (typeof value['bias'] !== 'number' || !Number.isFinite(value['bias']))
    fail(source, 'bias must be a finite number');
  const t = value['threshold'];
  if (typeof t !== 'number' || !(t > 0 && t < 1))
    fail(source, `threshold must be a number in (0, 1), got ${JSON.stringify(t)}`);
  for (const k of ['training', 'metrics'] as const) {
    if (value[k] !== null && !isObject(value[k])) fail(source, `${k} must be an object or null`);
  }
  return value as unknown as SentimentModel;
}

/** The artefact as JSON text (numbers round-trip exactly through JSON). */
export function serializeSentimentModel(model: SentimentModel): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

/** Why `model` cannot score embeddings from `space`, or `ok`. */
export type Compatibility = 'ok' | 'model_mismatch' | 'projection_mismatch' | 'dimension_mismatch';

export function compatibility(model: SentimentModel, space: EmbeddingSpace): Compatibility {
  if (space.modelId !== model.embedding.modelId) return 'model_mismatch';
  if ((space.projectionId ?? null) !== model.embedding.projectionId) return 'projection_mismatch';
  if (space.dim !== model.embedding.dim) return 'dimension_mismatch';
  return 'ok';
}

export interface SentimentScore {
  /** P(positive). */
  probability: number;
  positive: boolean;
}

/** Scores one embedding; the caller has checked {@link compatibility}. Throws on a vector of the wrong length. */
export function scoreSentiment(model: SentimentModel, vector: ArrayLike<number>): SentimentScore {
  if (vector.length !== model.weights.length)
    throw new RangeError(
      `vector has dimension ${vector.length}, classifier ${model.id} expects ${model.weights.length}`,
    );
  let z = model.bias;
  for (let i = 0; i < vector.length; i++) z += model.weights[i]! * vector[i]!;
  const probability = sigmoid(z);
  if (!Number.isFinite(probability))
    throw new RangeError(`vector gives a non-finite score under classifier ${model.id}`);
  return { probability, positive: probability >= model.threshold };
}
