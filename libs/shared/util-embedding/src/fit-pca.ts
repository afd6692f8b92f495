import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface PcaFit {
  mean: Float32Array;
  /**
   * Row-major [outputDim × inputDim]: the top principal axes by falling variance; unit length, or
   * divided by the axis's standard deviation when whitened.
   */
  components: Float32Array;
  /** Share of the total variance each kept component explains. */
  explainedVarianceRatio: number[];
}

/**
 * Principal component analysis of a [rows × inputDim] sample: the eigenvectors of its covariance
 * with the largest eigenvalues. The source document's dimension-reduction step; a sample of a few
 * thousand embeddings is enough for 384 dimensions.
 */
/**
 * With `whiten`, every kept axis is scaled to unit variance. Sentence embeddings of one domain
 * spend most of their variance on a few shared directions (style, topic of the whole catalogue);
 * after whitening, cosine weighs the remaining, distinguishing directions alike.
 */
export function fitPca(
  rows: Float32Array,
  inputDim: number,
  outputDim: number,
  options: { whiten?: boolean } = {},
): PcaFit {
  const n = rows.length / inputDim;
  if (!Number.isInteger(n) || n < 2) throw new RangeError('fitPca needs at least two rows');
  if (outputDim < 1 || outputDim > inputDim) throw new RangeError(`outputDim must be within 1..${inputDim}`);
  const mean = new Float64Array(inputDim);
  for (let r = 0; r < n; r++) for (let d = 0; d < inputDim; d++) mean[d]! += rows[r * inputDim + d]!;
  for (let d = 0; d < inputDim; d++) mean[d]! /= n;

  const cov = new Float64Array(inputDim * inputDim);
  const centred = new Float64Array(inputDim);
  for (let r = 0; r < n; r++) {
    for (let d = 0; d < inputDim; d++) centred[d] = rows[r * inputDim + d]! - mean[d]!;
    for (let i = 0; i < inputDim; i++) {
      const ci = centred[i]!;
      if (ci === 0) continue;
      const row = i * inputDim;
      for (let j = i; j < inputDim; j++) cov[row + j]! += ci * centred[j]!;
    }
  }
  const covariance = new Matrix(inputDim, inputDim);
  for (let i = 0; i < inputDim; i++) {
    for (let j = i; j < inputDim; j++) {
      const v = cov[i * inputDim + j]! / (n - 1);
      covariance.set(i, j, v);
      covariance.set(j, i, v);
    }
  }
  const evd = new EigenvalueDecomposition(covariance, { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const vectors = evd.eigenvectorMatrix;
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const total = values.reduce((s, v) => s + Math.max(0, v), 0);
  const components = new Float32Array(outputDim * inputDim);
  if (options.whiten) {
    // Whitening divides by each axis's spread: an axis with (almost) none would turn rounding noise
    // into a dimension as loud as the real ones. Too few rows, or too many dimensions asked for.
    const largest = values[order[0]!]!;
    const weakest = values[order[outputDim - 1]!]!;
    if (n <= outputDim || !(weakest > 1e-6 * largest)) {
      throw new RangeError(
        `cannot whiten ${outputDim} dimensions: the sample (${n} rows) has almost no variance on axis ${outputDim} (${weakest.toExponential(2)} against ${largest.toExponential(2)}); fit fewer dimensions or more rows`,
      );
    }
  }
  order.slice(0, outputDim).forEach((col, c) => {
    const scale = options.whiten ? 1 / Math.sqrt(values[col]!) : 1;
    for (let d = 0; d < inputDim; d++) components[c * inputDim + d] = vectors.get(d, col) * scale;
  });
  return {
    mean: Float32Array.from(mean),
    components,
    explainedVarianceRatio: order.slice(0, outputDim).map((col) => (total > 0 ? Math.max(0, values[col]!) / total : 0)),
  };
}
