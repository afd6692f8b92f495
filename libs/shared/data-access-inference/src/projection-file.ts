import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fitPca } from '@profilestream/embedding';
import type { ProjectionData } from './inference-protocol';

interface ProjectionFile {
  id: string;
  modelId: string;
  inputDim: number;
  outputDim: number;
  mean: number[];
  /** [outputDim][inputDim] */
  components: number[][];
  explainedVarianceRatio: number[];
  fittedOn: number;
  createdAt: string;
}

/** Reads a PCA artefact and checks it was fitted on the model that will feed it. */
export function loadProjection(file: string, modelId: string): ProjectionData {
  const p = JSON.parse(readFileSync(file, 'utf8')) as ProjectionFile;
  if (p.modelId !== modelId)
    throw new Error(`projection ${p.id} in ${file} was fitted on ${p.modelId}, not ${modelId}`);
  if (
    p.mean.length !== p.inputDim ||
    p.components.length !== p.outputDim ||
    p.components.some((c) => c.length !== p.inputDim)
  ) {
    throw new Error(`projection ${file} has inconsistent dimensions`);
  }
  return {
    id: p.id,
    modelId: p.modelId,
    inputDim: p.inputDim,
    outputDim: p.outputDim,
    mean: Float32Array.from(p.mean),
    components: Float32Array.from(p.components.flat()),
    explainedVarianceRatio: p.explainedVarianceRatio,
  };
}

export function saveProjection(file: string, p: Omit<ProjectionFile, 'createdAt'>): void {
  writeFileSync(file, JSON.stringify({ ...p, createdAt: new Date().toISOString() }));
}

/**
 * Fits a PCA on `vectors` (embeddings of `modelId`, all of one dimension) and writes it where
 * `fileFor(id)` says; the id names the dimension, whitening and a hash of the components, so equal
 * fits get equal ids. Returns the id, the file, the share of variance kept and the rows fitted on.
 */
export function saveFittedProjection(
  vectors: readonly ArrayLike<number>[],
  outputDim: number,
  o: { whiten: boolean; modelId: string; fileFor: (id: string) => string },
): { id: string; file: string; kept: number; rows: number } {
  const inputDim = vectors[0]?.length ?? 0;
  const rows = new Float32Array(vectors.length * inputDim);
  vectors.forEach((v, i) => rows.set(v, i * inputDim));
  const fit = fitPca(rows, inputDim, outputDim, { whiten: o.whiten });
  const hash = createHash('sha256').update(Buffer.from(fit.components.buffer)).digest('hex').slice(0, 8);
  const id = `pca${outputDim}${o.whiten ? 'w' : ''}-${hash}`;
  const file = o.fileFor(id);
  saveProjection(file, {
    id,
    modelId: o.modelId,
    inputDim,
    outputDim,
    mean: Array.from(fit.mean),
    components: Array.from({ length: outputDim }, (_, c) =>
      Array.from(fit.components.subarray(c * inputDim, (c + 1) * inputDim)),
    ),
    explainedVarianceRatio: fit.explainedVarianceRatio,
    fittedOn: vectors.length,
  });
  return { id, file, kept: fit.explainedVarianceRatio.reduce((a, b) => a + b, 0), rows: vectors.length };
}
