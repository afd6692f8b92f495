/**
 * The encoder models set-up fetches, by the names the commands' `--model` option takes, and the
 * check that a named model or directory holds a model.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '../../../..');

export const NAMED_MODELS: Readonly<Record<string, string>> = {
  /** sentence-transformers all-MiniLM-L6-v2: English. */
  default: '.cache/models/all-MiniLM-L6-v2',
  /** intfloat multilingual-e5-small: Chinese and about 100 more languages. */
  multilingual: '.cache/models/multilingual-e5-small',
};

/** The model directory for `default`, `multilingual` or a directory of one's own. */
export function modelDirOf(model: string): string {
  return resolve(repoRoot, NAMED_MODELS[model] ?? model);
}

/** Why `model` cannot be used, or null when its directory holds a model. */
export function modelProblem(model: string): string | null {
  const dir = modelDirOf(model);
  if (existsSync(join(dir, 'profilestream-model.json'))) return null;
  const fetch = model === 'multilingual' ? 'npm run setup -- --with-multilingual' : 'npm run setup';
  return `no model at ${dir}${NAMED_MODELS[model] ? ` (${fetch} fetches it)` : ' (default, multilingual, or a model directory)'}`;
}

/** Environment that makes the encoder and profile-fuser run `model` (both must use the same one). */
export function modelEnv(model: string): { encoder: Record<string, string>; 'profile-fuser': Record<string, string> } {
  const dir = modelDirOf(model);
  return { encoder: { ENCODER_MODEL_DIR: dir }, 'profile-fuser': { FUSER_MODEL_DIR: dir } };
}
