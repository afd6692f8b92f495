/**
 * Sentence pooling over a transformer's token states, laid out row-major as
 * [texts × tokens × hidden] (what onnxruntime returns for last_hidden_state).
 */

/** Mean of each text's token vectors, counting only tokens whose attention mask is 1. */
export function meanPool(
  hidden: Float32Array,
  mask: ArrayLike<number | bigint>,
  texts: number,
  tokens: number,
  dim: number,
): Float32Array {
  const out = new Float32Array(texts * dim);
  for (let t = 0; t < texts; t++) {
    let count = 0;
    const o = t * dim;
    for (let k = 0; k < tokens; k++) {
      if (Number(mask[t * tokens + k]) === 0) continue;
      count++;
      const h = (t * tokens + k) * dim;
      for (let d = 0; d < dim; d++) out[o + d]! += hidden[h + d]!;
    }
    const inv = count > 0 ? 1 / count : 0;
    for (let d = 0; d < dim; d++) out[o + d]! *= inv;
  }
  return out;
}

/** The first token's vector of each text ([CLS] for BERT-style models). */
export function clsPool(hidden: Float32Array, texts: number, tokens: number, dim: number): Float32Array {
  const out = new Float32Array(texts * dim);
  for (let t = 0; t < texts; t++) out.set(hidden.subarray(t * tokens * dim, t * tokens * dim + dim), t * dim);
  return out;
}

/** Scales each row of a [rows × dim] matrix to unit length, in place (zero rows stay zero). */
export function l2NormaliseRows(m: Float32Array, dim: number): Float32Array {
  for (let o = 0; o < m.length; o += dim) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += m[o + d]! * m[o + d]!;
    if (s === 0) continue;
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < dim; d++) m[o + d]! *= inv;
  }
  return m;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
