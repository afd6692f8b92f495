/**
 * The source document's joint model, as eval's reference: a logistic regression over features of a
 * (user profile, item) pair that mix what the user wrote with what the crowd does: the cosine of
 * the profile's vectors with the item's, the item's popularity and its co-occurrence with the
 * user's own items (ItemKNN). It trains on point-in-time joins: each training interaction is
 * paired with the newest profile the changelog published *before* it (no leakage: features as a
 * recommender would have seen them), against sampled items the user never touched.
 */
import { predictProbabilities, trainLogistic } from '@profilestream/sentiment';
import { seededRandom } from '@profilestream/embedding';
import { CoOccurrence, type ItemVectors } from './recommenders';

/** Feature names, in the order of a feature row. */
export const JOINT_FEATURES = ['cos_fused', 'cos_short', 'cos_long', 'cos_click', 'cos_negative', 'popularity', 'item_knn', 'item_knn_max'] as const;
const F = JOINT_FEATURES.length;

/** A profile's unit vectors, as `profileVectors` gives them (fused, horizon:…, channel:…). */
export type ProfileVectors = ReadonlyMap<string, Float32Array>;

/** What behaviour says about one user's candidates at one time. */
export interface BehaviourContext {
  /** log(1 + interactions) scaled to [0, 1], per catalogue item. */
  popularity: Float64Array;
  /** Summed ItemKNN similarity to the user's items, and the largest single one, per catalogue item. */
  knnSum: Float64Array;
  knnMax: Float64Array;
}


/** The shortest and longest horizons the profile has (by their names' half-lives). */
function horizonExtremes(vectors: ProfileVectors): { short?: Float32Array; long?: Float32Array } {
  const horizons = [...vectors.keys()].filter((k) => k.startsWith('horizon:')).sort((a, b) => halfLifeOf(a) - halfLifeOf(b));
  if (horizons.length === 0) return {};
  return { short: vectors.get(horizons[0]!), long: vectors.get(horizons[horizons.length - 1]!) };
}

function halfLifeOf(name: string): number {
  const m = /^horizon:(\d+(?:\.\d+)?)([smhd])$/.exec(name);
  if (!m) return Number.MAX_VALUE;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** Feature rows (row-major, JOINT_FEATURES order) of the given candidates for one profile. */
export function jointFeatures(items: ItemVectors, vectors: ProfileVectors, behaviour: BehaviourContext, candidates: readonly number[]): Float64Array {
  const { short, long } = horizonExtremes(vectors);
  // Cosines with each of the profile's vectors; 0 where either side has none.
  const queries = [vectors.get('fused'), short, long, vectors.get('channel:click'), vectors.get('negative')];
  const out = new Float64Array(candidates.length * F);
  candidates.forEach((i, r) => {
    const row = r * F;
    queries.forEach((q, c) => (out[row + c] = q ? items.cosine(i, q) : 0));
    out[row + 5] = behaviour.popularity[i]!;
    out[row + 6] = behaviour.knnSum[i]!;
    out[row + 7] = behaviour.knnMax[i]!;
  });
  return out;
}

export interface JointModel {
  features: readonly string[];
  /** Standardisation fitted on the training rows. */
  mean: Float64Array;
  scale: Float64Array;
  weights: Float64Array;
  bias: number;
  l2: number;
  trainedOn: { positives: number; negatives: number };
}

export interface TrainingRows {
  rows: Float64Array;
  labels: Uint8Array;
  /** Which user each row belongs to (validation splits by user). */
  users: string[];
}

/** Standardises columns in place with `mean` and `scale`. */
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

/**
 * Fits the model. The L2 penalty is chosen from `grid` by log loss on validation users (those
 * `isValidation` picks), never on the users it is measured on later; the chosen penalty is then
 * refitted on every row.
 */
export function trainJointModel(data: TrainingRows, isValidation: (userId: string) => boolean, grid: readonly number[] = [1e-4, 1e-3, 1e-2, 1e-1, 1]): JointModel {
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
  let bestLoss = Infinity;
  if (validation.labels.length > 0 && fitPart.labels.includes(1) && fitPart.labels.includes(0)) {
    for (const l2 of grid) {
      const fit = trainLogistic(fitPart, { l2, classWeighting: 'none' });
      const loss = logLoss(predictProbabilities(validation.vectors, F, fit.weights, fit.bias), validation.labels);
      if (loss < bestLoss) [best, bestLoss] = [l2, loss];
    }
  }
  const fit = trainLogistic({ dim: F, vectors: all, labels: data.labels }, { l2: best, classWeighting: 'none' });
  const positives = data.labels.reduce((s, y) => s + y, 0);
  return { features: JOINT_FEATURES, mean, scale, weights: fit.weights, bias: fit.bias, l2: best, trainedOn: { positives, negatives: data.labels.length - positives } };
}

/** The model's score (a logit) of each feature row. */
export function jointScores(model: JointModel, rows: Float64Array): Float64Array {
  const n = rows.length / F;
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let z = model.bias;
    for (let c = 0; c < F; c++) z += model.weights[c]! * ((rows[r * F + c]! - model.mean[c]!) / model.scale[c]!);
    out[r] = z;
  }
  return out;
}

/** One published profile of a user, as the changelog carried it: its vectors and the newest event it holds. */
export interface Snapshot {
  /** eventTime of the changelog record (epoch ms): the newest event folded in. */
  at: number;
  vectors: ProfileVectors;
}

/** The newest snapshot holding only events before `t` (snapshots in `at` order), or null. */
export function snapshotBefore(snapshots: readonly Snapshot[] | undefined, t: number): Snapshot | null {
  if (!snapshots) return null;
  let lo = 0;
  let hi = snapshots.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (snapshots[mid]!.at < t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? snapshots[lo - 1]! : null;
}

export interface Interaction {
  userId: string;
  itemId: string;
  /** Epoch ms. */
  at: number;
}

/**
 * Training rows from point-in-time joins: every interaction (in time order) whose user had a
 * profile published before it becomes one positive row, against `negatives` items the user never
 * touched. Behaviour features leave the user's own items out of the co-occurrence and count only the
 * user's items before the interaction.
 */
export function pointInTimeRows(o: {
  catalogue: readonly string[];
  items: ItemVectors;
  interactions: readonly Interaction[];
  history: ReadonlyMap<string, readonly Snapshot[]>;
  popularity: Float64Array;
  negatives: number;
  seed: number;
}): TrainingRows & { skipped: number } {
  const index = new Map(o.catalogue.map((id, i) => [id, i]));
  const allItems = new Map<string, string[]>();
  for (const x of o.interactions) {
    const list = allItems.get(x.userId);
    if (list) list.push(x.itemId);
    else allItems.set(x.userId, [x.itemId]);
  }
  const co = new CoOccurrence(o.catalogue, allItems.values());
  const before = new Map<string, string[]>();
  const rand = seededRandom(o.seed);
  const chunks: Float64Array[] = [];
  const labels: number[] = [];
  const users: string[] = [];
  let skipped = 0;
  for (const x of o.interactions) {
    const prior = before.get(x.userId) ?? [];
    const target = index.get(x.itemId);
    const snapshot = snapshotBefore(o.history.get(x.userId), x.at);
    if (snapshot && target !== undefined) {
      const own = allItems.get(x.userId)!;
      const touched = new Set(own.map((id) => index.get(id)));
      const candidates = [target];
      for (let tries = 0; candidates.length <= o.negatives && tries < 50 * o.negatives; tries++) {
        const j = Math.floor(rand() * o.catalogue.length);
        if (!touched.has(j) && !candidates.includes(j)) candidates.push(j);
      }
      co.add(own, -1);
      const knn = co.scores(prior);
      co.add(own, 1);
      chunks.push(jointFeatures(o.items, snapshot.vectors, { popularity: o.popularity, knnSum: knn.sum, knnMax: knn.max }, candidates));
      candidates.forEach((_, k) => {
        labels.push(k === 0 ? 1 : 0);
        users.push(x.userId);
      });
    } else skipped++;
    prior.push(x.itemId);
    before.set(x.userId, prior);
  }
  const rows = new Float64Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    rows.set(c, at);
    at += c.length;
  }
  return { rows, labels: Uint8Array.from(labels), users, skipped };
}
