import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** The manifest a model directory carries beside the Hugging Face ONNX layout. */
export const MANIFEST_FILE = 'profilestream-model.json';

const manifestSchema = z.object({
  name: z.string().min(1),
  pooling: z.enum(['mean', 'cls', 'pooled']),
  normalize: z.boolean(),
  maxTokens: z.number().int().positive(),
  outputName: z.string().min(1),
  dimension: z.number().int().positive(),
  inputs: z.array(z.string()).default(['input_ids', 'attention_mask', 'token_type_ids']),
  license: z.string().optional(),
  /** Text prepended to every input (e5 models expect "query: "). */
  prefix: z.string().default(''),
});

export type ModelManifest = z.infer<typeof manifestSchema>;
export type ModelVariant = 'fp32' | 'int8';

export interface ModelBundle {
  dir: string;
  manifest: ModelManifest;
  variant: ModelVariant;
  modelPath: string;
  /** Name plus a short hash of the weights file: embeddings of different weights never mix. */
  modelId: string;
  tokenizerJson: object;
  tokenizerConfig: object;
}

/**
 * Loads a model directory in the standard layout (tokenizer.json, tokenizer_config.json,
 * config.json, onnx/model.onnx, optionally onnx/model_quantized.onnx) plus its manifest.
 * Errors name the missing or invalid file.
 */
export async function loadModelBundle(dir: string, variant: ModelVariant = 'fp32'): Promise<ModelBundle> {
  const need = (file: string): string => {
    const path = join(dir, file);
    if (!existsSync(path)) throw new Error(`model directory ${dir} has no ${file}`);
    return path;
  };
  const parsed = manifestSchema.safeParse(JSON.parse(readFileSync(need(MANIFEST_FILE), 'utf8')));
  if (!parsed.success) {
    throw new Error(`${join(dir, MANIFEST_FILE)} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const modelPath = need(variant === 'int8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx');
  const readJson = (file: string) => JSON.parse(readFileSync(need(file), 'utf8')) as object;
  return {
    dir,
    manifest: parsed.data,
    variant,
    modelPath,
    modelId: `${parsed.data.name}@${(await sha256File(modelPath)).slice(0, 8)}`,
    tokenizerJson: readJson('tokenizer.json'),
    tokenizerConfig: readJson('tokenizer_config.json'),
  };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
