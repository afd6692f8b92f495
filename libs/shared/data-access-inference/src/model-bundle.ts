import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE, parseModelManifest, type EmbeddingSpace, type ModelManifest } from '@profilestream/embedding';

export { MANIFEST_FILE, type ModelManifest };
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
  const manifest = parseModelManifest(JSON.parse(readFileSync(need(MANIFEST_FILE), 'utf8')), join(dir, MANIFEST_FILE));
  const modelPath = need(variant === 'int8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx');
  const readJson = (file: string) => JSON.parse(readFileSync(need(file), 'utf8')) as object;
  return {
    dir,
    manifest,
    variant,
    modelPath,
    modelId: `${manifest.name}@${(await sha256File(modelPath)).slice(0, 8)}`,
    tokenizerJson: readJson('tokenizer.json'),
    tokenizerConfig: readJson('tokenizer_config.json'),
  };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The space a bundle's vectors live in, after the projection when one is applied. */
export function embeddingSpaceOf(
  bundle: ModelBundle,
  projection: { id: string; outputDim: number } | null,
): EmbeddingSpace {
  return {
    modelId: bundle.modelId,
    projectionId: projection?.id ?? null,
    dim: projection?.outputDim ?? bundle.manifest.dimension,
  };
}
