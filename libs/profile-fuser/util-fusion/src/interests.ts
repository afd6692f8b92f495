import type { ScoredLabel } from '@profilestream/contracts';
import { cosine } from '@profilestream/embedding';

export interface InterestLabel {
  label: string;
  vector: Float32Array;
}

/** Cosine similarity of equal-length vectors; 0 when either is zero. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`cosine of vectors of dimension ${a.length} and ${b.length}`);
  return cosine(a, b);
}

/**
 * A taxonomy laid out for scoring: its vectors as the rows of one contiguous matrix, so that the
 * loop run on every publish reads a few typed arrays of one element type each.
 */
interface LabelMatrix {
  /** The labels' common dimension; -1 when they differ (then every call throws, as each label is checked). */
  dim: number;
  /**
   * Row r is labels[r].vector as is. Not pre-scaled by its inverse norm: that would round each
   * element again in float32; scaling the row's dot product instead keeps the scores bit-for-bit.
   */
  rows: Float32Array;
  /** 1/‖row‖, 0 for a zero vector. */
  inverseNorms: Float64Array;
  /** Row → index of its label in `names`: a label listed several times scores its best row. */
  rowLabel: Int32Array;
  /** The distinct labels, in order of first appearance. */
  names: string[];
  /** Scratch reused by every call: the best score of each distinct label. */
  best: Float64Array;
  /** Scratch reused by every call: the profile vector as float64, so the hot loop sees one element type. */
  profile: Float64Array;
}

/** Built once per labels array: labels are fixed for the life of a process. */
const matrices = new WeakMap<readonly InterestLabel[], LabelMatrix>();

function labelMatrix(labels: readonly InterestLabel[]): LabelMatrix {
  let m = matrices.get(labels);
  if (m) return m;
  const first = labels[0]!.vector.length;
  const dim = labels.every((l) => l.vector.length === first) ? first : -1;
  const count = dim < 0 ? 0 : labels.length;
  const rows = new Float32Array(count * Math.max(dim, 0));
  const inverseNorms = new Float64Array(count);
  const rowLabel = new Int32Array(count);
  const index = new Map<string, number>();
  for (let r = 0; r < count; r++) {
    const { label, vector } = labels[r]!;
    rows.set(vector, r * dim);
    let n = 0;
    for (let i = 0; i < dim; i++) n += vector[i]! * vector[i]!;
    inverseNorms[r] = n > 0 ? 1 / Math.sqrt(n) : 0;
    let j = index.get(label);
    if (j === undefined) index.set(label, (j = index.size));
    rowLabel[r] = j;
  }
  const names = [...index.keys()];
  const profile = new Float64Array(Math.max(dim, 0));
  m = { dim, rows, inverseNorms, rowLabel, names, best: new Float64Array(names.length), profile };
  matrices.set(labels, m);
  return m;
}

/**
 * Fills `m.best` with each distinct label's best cosine with `m.profile`, whose inverse norm is
 * `inv`. Rows go four at a time: each profile element is loaded once for four rows, and the four
 * independent sums keep the floating-point adder busy (a single running sum waits on each add).
 * Each row still sums its products in index order, so its score does not depend on the blocking.
 */
function bestScores(m: LabelMatrix, inv: number): void {
  const { dim, rows, profile } = m;
  const count = m.rowLabel.length;
  m.best.fill(-Infinity);
  let r = 0;
  for (; r + 3 < count; r += 4) {
    const o0 = r * dim;
    const o1 = o0 + dim;
    const o2 = o1 + dim;
    const o3 = o2 + dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < dim; i++) {
      const x = profile[i]!;
      s0 += x * rows[o0 + i]!;
      s1 += x * rows[o1 + i]!;
      s2 += x * rows[o2 + i]!;
      s3 += x * rows[o3 + i]!;
    }
    keep(m, r, s0 * inv);
    keep(m, r + 1, s1 * inv);
    keep(m, r + 2, s2 * inv);
    keep(m, r + 3, s3 * inv);
  }
  for (; r < count; r++) {
    const o = r * dim;
    let s = 0;
    for (let i = 0; i < dim; i++) s += profile[i]! * rows[o + i]!;
    keep(m, r, s * inv);
  }
}

/** Row r's cosine, from its dot product with the unit profile; kept if it beats its label's other rows. */
function keep(m: LabelMatrix, r: number, scaledDot: number): void {
  const score = scaledDot * m.inverseNorms[r]!;
  const j = m.rowLabel[r]!;
  if (score > m.best[j]!) m.best[j] = score;
}

/** Whether distinct label a ranks before b: higher score first, ties by label. */
function ranksBefore(best: Float64Array, names: readonly string[], a: number, b: number): boolean {
  const sa = best[a]!;
  const sb = best[b]!;
  return sa > sb || (sa === sb && names[a]! < names[b]!);
}

/**
 * The k labels most similar to `profileVector` by cosine, best first (ties by label); a label
 * listed more than once (one vector per language) counts once, with its best cosine. Returns []
 * for a zero profile vector (no evidence) or k ≤ 0. Throws if a label's dimension differs.
 * The labels are laid out for scoring on first use and that layout is kept for the array: a
 * taxonomy is fixed for the life of a process, so do not change an array once it has been scored.
 */
export function topInterests(
  profileVector: Float32Array | Float64Array,
  labels: readonly InterestLabel[],
  k: number,
): ScoredLabel[] {
  if (!(k > 0) || labels.length === 0) return [];
  const m = labelMatrix(labels);
  const { dim, names, best, profile } = m;
  let pn = 0;
  if (profileVector.length === dim) {
    for (let i = 0; i < dim; i++) {
      const x = profileVector[i]!;
      profile[i] = x;
      pn += x * x;
    }
  } else {
    // A dimension mismatch: as before, a zero profile answers [] before the mismatch is reported.
    for (let i = 0; i < profileVector.length; i++) pn += profileVector[i]! * profileVector[i]!;
  }
  if (!(pn > 0)) return [];
  if (profileVector.length !== dim) {
    const l = labels.find((l) => l.vector.length !== profileVector.length)!;
    throw new RangeError(`cosine of vectors of dimension ${profileVector.length} and ${l.vector.length}`);
  }
  bestScores(m, 1 / Math.sqrt(pn));
  // k is small (5-10): keep the best k in order by insertion rather than sort every label; sort
  // only when asked for many.
  const n = Math.min(Math.floor(k), names.length);
  const top: number[] = [];
  if (n > 32) {
    for (let j = 0; j < names.length; j++) top.push(j);
    top.sort((a, b) => (ranksBefore(best, names, a, b) ? -1 : ranksBefore(best, names, b, a) ? 1 : 0));
    top.length = n;
  } else if (n > 0) {
    for (let j = 0; j < names.length; j++) {
      if (top.length === n) {
        if (!ranksBefore(best, names, j, top[n - 1]!)) continue;
        top.pop();
      }
      let i = top.length;
      top.push(j);
      for (; i > 0 && ranksBefore(best, names, j, top[i - 1]!); i--) top[i] = top[i - 1]!;
      top[i] = j;
    }
  }
  return top.map((j) => ({ label: names[j]!, score: best[j]! }));
}
