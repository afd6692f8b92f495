/**
 * A linear dimension reduction (PCA) applied after pooling: y = (x − mean) · componentsᵀ, then
 * re-normalised so cosine similarity stays meaningful downstream.
 */
export interface Projection {
  /** Versioned id that travels with every projected embedding, e.g. `pca128-1a2b3c4d`. */
  id: string;
  /** Model the projection was fitted on: applying it to another model's vectors is meaningless. */
  modelId: string;
  inputDim: number;
  outputDim: number;
  mean: Float32Array;
  /** Row-major [outputDim × inputDim]. */
  components: Float32Array;
  explainedVarianceRatio: number[];
}

/** Projects each row of a [rows × inputDim] matrix; returns [rows × outputDim], L2-normalised. */
export function project(rows: Float32Array, p: Projection): Float32Array {
  const n = rows.length / p.inputDim;
  const out = new Float32Array(n * p.outputDim);
  const centred = new Float32Array(p.inputDim);
  for (let r = 0; r < n; r++) {
    for (let d = 0; d < p.inputDim; d++) centred[d] = rows[r * p.inputDim + d]! - p.mean[d]!;
    let norm = 0;
    for (let c = 0; c < p.outputDim; c++) {
      let s = 0;
      const row = c * p.inputDim;
      for (let d = 0; d < p.inputDim; d++) s += centred[d]! * p.components[row + d]!;
      out[r * p.outputDim + c] = s;
      norm += s * s;
    }
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let c = 0; c < p.outputDim; c++) out[r * p.outputDim + c]! *= inv;
    }
  }
  return out;
}
