/**
 * Reads pooling / normalisation / max length from sentence-transformers files
 * (modules.json, <pooling module>/config.json, sentence_bert_config.json), when present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pooling } from './manifest';

export interface StSettings {
  pooling?: Pooling;
  /** Set when the pooling module uses a mode we cannot express (max, mean_sqrt_len, ...). */
  unsupportedPooling?: string;
  normalize?: boolean;
  maxTokens?: number;
}

interface StModule {
  path?: string;
  type?: string;
}

/** Returns the settings found in `dir` (fields absent when the files are absent). */
export function readStSettings(dir: string): StSettings {
  const out: StSettings = {};
  const modules = readJson<StModule[]>(join(dir, 'modules.json'));
  if (modules) {
    out.normalize = modules.some((m) => (m.type ?? '').endsWith('.Normalize'));
    const pooling = modules.find((m) => (m.type ?? '').endsWith('.Pooling'));
    if (pooling) {
      const mode = poolingMode(join(dir, pooling.path ?? '', 'config.json'));
      if (mode === 'mean' || mode === 'cls') out.pooling = mode;
      else out.unsupportedPooling = mode;
    }
  }
  const sbert = readJson<{ max_seq_length?: number }>(join(dir, 'sentence_bert_config.json'));
  if (typeof sbert?.max_seq_length === 'number') out.maxTokens = sbert.max_seq_length;
  return out;
}

function poolingMode(path: string): string {
  const c = readJson<Record<string, unknown>>(path);
  if (!c) throw new Error(`${path}: pooling config missing`);
  const on = Object.entries(c)
    .filter(([k, v]) => k.startsWith('pooling_mode_') && v === true)
    .map(([k]) => k);
  if (on.length === 1 && on[0] === 'pooling_mode_mean_tokens') return 'mean';
  if (on.length === 1 && on[0] === 'pooling_mode_cls_token') return 'cls';
  return on.join('+') || 'none';
}

function readJson<T>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}
