/**
 * `profilestream-model.json`: what the encoder service needs to know about a converted model
 * beyond the ONNX file itself (how to pool, normalise and truncate).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const MANIFEST_FILE = 'profilestream-model.json';

export type Pooling = 'mean' | 'cls' | 'pooled';

export interface ModelManifest {
  name: string;
  /** mean: masked mean of last_hidden_state; cls: its first token; pooled: BERT pooler_output. */
  pooling: Pooling;
  normalize: boolean;
  /** Maximum sequence length including [CLS]/[SEP]; longer inputs are truncated. */
  maxTokens: number;
  /** Graph output to pool: last_hidden_state, or pooler_output when pooling is "pooled". */
  outputName: string;
  dimension: number;
  inputs: string[];
  /** File name of the licence copied next to the model. */
  license: string;
}

/** Reads and validates a manifest from a converted model directory. */
export function readManifest(modelDir: string): ModelManifest {
  const m = JSON.parse(readFileSync(join(modelDir, MANIFEST_FILE), 'utf8')) as Partial<ModelManifest>;
  const ok =
    typeof m.name === 'string' &&
    (m.pooling === 'mean' || m.pooling === 'cls' || m.pooling === 'pooled') &&
    typeof m.normalize === 'boolean' &&
    typeof m.maxTokens === 'number' &&
    typeof m.outputName === 'string' &&
    typeof m.dimension === 'number' &&
    Array.isArray(m.inputs) &&
    typeof m.license === 'string';
  if (!ok) throw new Error(`${modelDir}/${MANIFEST_FILE}: invalid manifest`);
  return m as ModelManifest;
}
