import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { TrainingError } from './errors';

/** Row-major examples: `vectors` holds `labels.length` rows of `dim` values; label 1 is positive. */
export interface Dataset {
  dim: number;
  vectors: Float32Array | Float64Array;
  labels: Uint8Array;
}

/** `balanced` weighs each example by n / (2 · examples of its class), so both classes weigh the same in the loss. */
export type ClassWeighting = 'balanced' | 'none';

export interface ClassWeights {
  positive: number;
  negative: number;
}

export interface LogisticOptions {
  /** L2 penalty λ on the weights (not the bias); must be > 0, which keeps the problem strictly convex even when separable. */
  l2: number;
  classWeighting: ClassWeighting;
  /** Newton steps at most (default 100). */
  maxIterations?: number;
  /** Stop when the largest gradient component is below this (default 1e-9). */
  tolerance?: number;
  /** Starting point (e.g. the solution for a neighbouring λ); zeros by default. */
  init?: { weights: ArrayLike<number>; bias: number };
}

export interface LogisticFit {
  weights: Float64Array;
  bias: number;
  classWeights: ClassWeights;
  /** Objective at the solution: weighted mean log loss + λ/2·‖w‖². */
  loss: number;
  gradientNorm: number;
  iterations: number;
  converged: boolean;
}

/** Classes' counts, checking the data set's shape and values on the way. */
export function checkDataset(d: Dataset, what = 'data set'): ClassWeights {
  if (!(Number.isSafeInteger(d.dim) && d.dim > 0))
    throw new TrainingError(`${what}: dim must be a positive integer, got ${d.dim}`);
  const n = d.labels.length;
  if (d.vectors.length !== n * d.dim)
    throw new TrainingError(`${what}: ${d.vectors.length} values cannot be ${n} rows of dimension ${d.dim}`);
  for (let i = 0; i < d.vectors.length; i++) {
    if (!Number.isFinite(d.vectors[i]!))
      throw new TrainingError(`${what}: value ${d.vectors[i]} in row ${Math.floor(i / d.dim)}`);
  }
  let positive = 0;
  for (let i = 0; i < n; i++) {
    const y = d.labels[i]!;
    if (y !== 0 && y !== 1) throw new TrainingError(`${what}: label ${y} in row ${i} is neither 0 nor 1`);
    positive += y;
  }
  return { positive, negative: n - positive };
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** −log σ(z) without overflow: log(1 + e^−z). */
function softplusNeg(z: number): number {
  return z >= 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z));
}

function score(vectors: Dataset['vectors'], row: number, dim: number, w: ArrayLike<number>, b: number): number {
  let z = b;
  const at = row * dim;
  for (let j = 0; j < dim; j++) z += w[j]! * vectors[at + j]!;
  return z;
}

/** P(positive) for every row of `vectors` under weights `w` and bias `b`. */
export function predictProbabilities(
  vectors: Dataset['vectors'],
  dim: number,
  w: ArrayLike<number>,
  b: number,
): Float64Array {
  if (w.length !== dim) throw new RangeError(`weights have dimension ${w.length}, rows ${dim}`);
  const n = vectors.length / dim;
  if (!Number.isInteger(n)) throw new RangeError(`${vectors.length} values are not whole rows of dimension ${dim}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = sigmoid(score(vectors, i, dim, w, b));
  return out;
}

interface Objective {
  loss: number;
  /** d + 1 components: weights, then bias. */
  gradient: Float64Array;
}

function objective(
  d: Dataset,
  sampleWeight: Float64Array,
  total: number,
  l2: number,
  w: Float64Array,
  b: number,
): Objective {
  const dim = d.dim;
  const g = new Float64Array(dim + 1);
  let loss = 0;
  for (let i = 0; i < d.labels.length; i++) {
    const z = score(d.vectors, i, dim, w, b);
    const y = d.labels[i]!;
    const s = sampleWeight[i]!;
    loss += s * (y === 1 ? softplusNeg(z) : softplusNeg(-z));
    const r = (s * (sigmoid(z) - y)) / total;
    const at = i * dim;
    for (let j = 0; j < dim; j++) g[j] = g[j]! + r * d.vectors[at + j]!;
    g[dim] = g[dim]! + r;
  }
  let norm2 = 0;
  for (let j = 0; j < dim; j++) {
    norm2 += w[j]! * w[j]!;
    g[j] = g[j]! + l2 * w[j]!;
  }
  return { loss: loss / total + (l2 / 2) * norm2, gradient: g };
}

/** (1/total)·X̃ᵀ diag(s·p(1−p)) X̃ + λ on the weights' diagonal, X̃ = [X 1]; symmetric by construction. */
function hessian(
  d: Dataset,
  sampleWeight: Float64Array,
  total: number,
  l2: number,
  w: Float64Array,
  b: number,
): Matrix {
  const dim = d.dim;
  const m = dim + 1;
  const h = new Float64Array(m * m);
  const row = new Float64Array(m);
  row[dim] = 1;
  for (let i = 0; i < d.labels.length; i++) {
    const p = sigmoid(score(d.vectors, i, dim, w, b));
    const c = (sampleWeight[i]! * p * (1 - p)) / total;
    if (c === 0) continue;
    const at = i * dim;
    for (let j = 0; j < dim; j++) row[j] = d.vectors[at + j]!;
    // Upper triangle only; mirrored below.
    for (let j = 0; j < m; j++) {
      const cj = c * row[j]!;
      const base = j * m;
      for (let k = j; k < m; k++) h[base + k] = h[base + k]! + cj * row[k]!;
    }
  }
  const out = new Matrix(m, m);
  for (let j = 0; j < m; j++) {
    for (let k = j; k < m; k++) {
      const v = h[j * m + k]! + (j === k && j < dim ? l2 : 0);
      out.set(j, k, v);
      out.set(k, j, v);
    }
  }
  // The bias is not penalised; a whisker of curvature keeps the system solvable if every p(1−p) underflows.
  out.set(dim, dim, out.get(dim, dim) + 1e-12);
  return out;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}

/**
 * L2-regularised logistic regression fitted by Newton's method with a backtracking line search.
 * The objective is strictly convex for λ > 0, so the solution is unique and the result depends on
 * the data alone (not on a learning rate or an initial point); each step solves the (d+1)² Newton
 * system by Cholesky decomposition.
 */
export function trainLogistic(d: Dataset, options: LogisticOptions): LogisticFit {
  const counts = checkDataset(d, 'training set');
  if (!(Number.isFinite(options.l2) && options.l2 > 0))
    throw new TrainingError(`l2 must be a positive number, got ${options.l2}`);
  if (counts.positive === 0 || counts.negative === 0) {
    throw new TrainingError(
      `training set needs both classes, got ${counts.positive} positive and ${counts.negative} negative`,
    );
  }
  const n = d.labels.length;
  const classWeights: ClassWeights =
    options.classWeighting === 'balanced'
      ? { positive: n / (2 * counts.positive), negative: n / (2 * counts.negative) }
      : options.classWeighting === 'none'
        ? { positive: 1, negative: 1 }
        : (() => {
            throw new TrainingError(`unknown class weighting ${String(options.classWeighting)}`);
          })();
  const sampleWeight = new Float64Array(n);
  for (let i = 0; i < n; i++) sampleWeight[i] = d.labels[i] === 1 ? classWeights.positive : classWeights.negative;
  const total = sampleWeight.reduce((s, x) => s + x, 0);

  const dim = d.dim;
  let w = new Float64Array(dim);
  let b = 0;
  if (options.init) {
    if (options.init.weights.length !== dim)
      throw new TrainingError(`initial weights have dimension ${options.init.weights.length}, data ${dim}`);
    w = Float64Array.from(options.init.weights);
    b = options.init.bias;
  }
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-9;
  let current = objective(d, sampleWeight, total, options.l2, w, b);
  let iterations = 0;
  while (iterations < maxIterations && maxAbs(current.gradient) > tolerance) {
    iterations++;
    const chol = new CholeskyDecomposition(hessian(d, sampleWeight, total, options.l2, w, b));
    if (!chol.isPositiveDefinite()) throw new TrainingError('Newton system is not positive definite (degenerate data)');
    const step = chol.solve(Matrix.columnVector(Array.from(current.gradient))).getColumn(0);
    let decrease = 0;
    for (let j = 0; j <= dim; j++) decrease += current.gradient[j]! * step[j]!;
    // Armijo backtracking: a full Newton step can overshoot far from the optimum. Close to it the
    // loss changes by less than its own rounding error (a sum over every example), so a step that
    // leaves the loss equal within that error and shrinks the gradient is taken too.
    const lossNoise = 1e-12 * Math.max(1, Math.abs(current.loss));
    const gradientNow = maxAbs(current.gradient);
    let t = 1;
    let next: Objective | null = null;
    let wNext = w;
    let bNext = b;
    for (let k = 0; k < 50; k++) {
      wNext = new Float64Array(dim);
      for (let j = 0; j < dim; j++) wNext[j] = w[j]! - t * step[j]!;
      bNext = b - t * step[dim]!;
      const candidate = objective(d, sampleWeight, total, options.l2, wNext, bNext);
      const sufficient = candidate.loss <= current.loss - 1e-4 * t * decrease;
      const withinNoise = candidate.loss <= current.loss + lossNoise && maxAbs(candidate.gradient) < gradientNow;
      if (sufficient || withinNoise) {
        next = candidate;
        break;
      }
      t /= 2;
    }
    if (!next) break; // No further decrease representable in float64: this is the optimum.
    w = wNext;
    b = bNext;
    current = next;
  }
  const gradientNorm = maxAbs(current.gradient);
  return {
    weights: w,
    bias: b,
    classWeights,
    loss: current.loss,
    gradientNorm,
    iterations,
    converged: gradientNorm <= tolerance,
  };
}
