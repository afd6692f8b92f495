/**
 * Reads `profilestream-model.json` from a converted model directory with the one manifest schema
 * the encoder uses (@profilestream/embedding), so the toolchain and the service cannot drift.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE, parseModelManifest, type ModelManifest } from '@profilestream/embedding';

export { MANIFEST_FILE, type ModelManifest, type ModelManifestInput, type Pooling } from '@profilestream/embedding';

/** Reads and validates a manifest from a converted model directory. */
export function readManifest(modelDir: string): ModelManifest {
  const file = join(modelDir, MANIFEST_FILE);
  return parseModelManifest(JSON.parse(readFileSync(file, 'utf8')), file);
}
