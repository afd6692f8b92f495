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

/** 1/‖v‖ of each label vector, computed once: labels are fixed for the life of a process. */
const inverseNorms = new WeakMap<Float32Array, number>();

function inverseNorm(v: Float32Array): number {
  let inv = inverseNorms.get(v);
  if (inv === undefined) {
    let n = 0;
    for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
    inv = n > 0 ? 1 / Math.sqrt(n) : 0;
    inverseNorms.set(v, inv);
  }
  return inv;
}

/**
 * The k labels most similar to `profileVector` by cosine, best first (ties by label); a label
 * listed more than once (one vector per language) counts once, with its best cosine. Returns []
 * for a zero profile vector (no evidence) or k ≤ 0. Throws if a label's dimension differs.
 */
export function topInterests(
  profileVector: Float32Array | Float64Array,
  labels: readonly InterestLabel[],
  k: number,
): ScoredLabel[] {
  if (!(k > 0) || labels.length === 0) return [];
  let pn = 0;
  for (let i = 0; i < profileVector.length; i++) pn += profileVector[i]! * profileVector[i]!;
  if (!(pn > 0)) return [];
  const inv = 1 / Math.sqrt(pn);
  // A label may come several times (its description and translations): it scores its best match.
  const best = new Map<string, number>();
  for (const l of labels) {
    if (l.vector.length !== profileVector.length)
      throw new RangeError(`cosine of vectors of dimension ${profileVector.length} and ${l.vector.length}`);
    let dot = 0;
    for (let i = 0; i < l.vector.length; i++) dot += profileVector[i]! * l.vector[i]!;
    const score = dot * inv * inverseNorm(l.vector);
    const known = best.get(l.label);
    if (known === undefined || score > known) best.set(l.label, score);
  }
  const scored = [...best].map(([label, score]) => ({ label, score }));
  scored.sort((a, b) => b.score - a.score || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return scored.slice(0, Math.floor(k));
}
