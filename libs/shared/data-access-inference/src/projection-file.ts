import { readFileSync, writeFileSync } from 'node:fs';
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
