import type { Projection } from '@profilestream/embedding';
import type { ModelManifest } from './model-bundle';

export type ExecutionProvider = 'cpu' | 'cuda' | 'auto';

/** A projection crosses the worker boundary as is: typed arrays are structured-cloneable. */
export type ProjectionData = Projection;

export interface WorkerInit {
  modelPath: string;
  manifest: ModelManifest;
  provider: ExecutionProvider;
  intraOpNumThreads: number;
  projection: ProjectionData | null;
}

export interface RunRequest {
  type: 'run';
  id: number;
  /** Row-major [texts × tokens], zero-padded. */
  ids: BigInt64Array;
  mask: BigInt64Array;
  texts: number;
  tokens: number;
}

export type WorkerMessage =
  | { type: 'ready'; provider: 'cpu' | 'cuda'; fellBackFrom: string | null }
  | { type: 'failed'; error: string }
  | { type: 'result'; id: number; vectors: Float32Array; ms: number }
  | { type: 'error'; id: number; error: string };
