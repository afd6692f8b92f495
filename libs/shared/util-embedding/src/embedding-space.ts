import { z } from 'zod';

/**
 * The embedding space: which model (and which PCA projection, if any) produced a vector. Every
 * service and tool that reads a model directory or compares vectors goes through these types,
 * so the manifest has one schema and a space one name.
 */

/** The manifest a model directory carries beside the Hugging Face ONNX layout. */
export const MANIFEST_FILE = 'profilestream-model.json';

export const POOLINGS = ['mean', 'cls', 'pooled'] as const;
export type Pooling = (typeof POOLINGS)[number];

export const modelManifestSchema = z.object({
  name: z.string().min(1),
  /** mean: masked mean of last_hidden_state; cls: its first token; pooled: BERT pooler_output. */
  pooling: z.enum(POOLINGS),
  normalize: z.boolean(),
  /** Maximum sequence length including [CLS]/[SEP]; longer inputs are truncated. */
  maxTokens: z.number().int().positive(),
  /** Graph output to pool: last_hidden_state, or pooler_output when pooling is "pooled". */
  outputName: z.string().min(1),
  dimension: z.number().int().positive(),
  inputs: z.array(z.string()).default(['input_ids', 'attention_mask', 'token_type_ids']),
  /** File name of the licence copied next to the model. */
  license: z.string().optional(),
  /** Text prepended to every input (e5 models expect "query: "). */
  prefix: z.string().default(''),
});

/** A manifest as read (defaults applied). */
export type ModelManifest = z.infer<typeof modelManifestSchema>;
/** A manifest as written by the model toolchain (defaulted fields may be left out). */
export type ModelManifestInput = z.input<typeof modelManifestSchema>;

/** Validates a parsed manifest; the error names the source and every invalid field. */
export function parseModelManifest(json: unknown, source: string): ModelManifest {
  const parsed = modelManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `${source} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** Where a vector lives: vectors of different spaces are never compared or mixed. */
export interface EmbeddingSpace {
  /** Model name plus a short hash of its weights, e.g. `all-MiniLM-L6-v2@3f2a9c1d`. */
  modelId: string;
  /** PCA projection applied after pooling, null when none. */
  projectionId: string | null;
  dim: number;
}

/** The space as keys and records name it: the model, plus the projection when there is one. */
export function spaceKey(space: Pick<EmbeddingSpace, 'modelId' | 'projectionId'>): string {
  return space.projectionId ? `${space.modelId}+${space.projectionId}` : space.modelId;
}
