import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  EncodingEngine,
  InferencePool,
  TextTokenizer,
  type ModelBundle,
  type ProjectionData,
} from '@profilestream/inference';
import type { InterestLabel } from '@profilestream/fusion';

interface TaxonomyFile {
  labels: { label: string; text: string; translations?: Record<string, string> }[];
}

/**
 * Embeds the interest taxonomy with the profiles' own model, once at start-up: interests are the
 * labels nearest a profile's vector, so they must live in the same embedding space. A label comes
 * with its description and its translations (`translations: { zh: … }`), each embedded: a
 * multilingual model matches a Chinese-writing user against the Chinese text, and `topInterests`
 * scores a label by its best variant.
 */
export async function embedTaxonomy(
  file: string,
  bundle: ModelBundle,
  projection: ProjectionData | null = null,
): Promise<InterestLabel[]> {
  const taxonomy = JSON.parse(readFileSync(file, 'utf8')) as TaxonomyFile;
  const valid = (l: TaxonomyFile['labels'][number]) =>
    typeof l.label === 'string' &&
    typeof l.text === 'string' &&
    (l.translations === undefined ||
      (typeof l.translations === 'object' &&
        l.translations !== null &&
        Object.values(l.translations).every((t) => typeof t === 'string')));
  if (!Array.isArray(taxonomy.labels) || !taxonomy.labels.every(valid)) {
    throw new Error(`${file}: expected { labels: [{ label, text, translations?: { <language>: text } }] }`);
  }
  const variants = taxonomy.labels.flatMap(({ label, text, translations }) =>
    [text, ...Object.values(translations ?? {})].map((t, i) => ({ label, key: `${label}#${i}`, text: t })),
  );
  const pool = new InferencePool(bundle, {
    size: Math.min(2, availableParallelism()),
    provider: 'cpu',
    intraOpNumThreads: 1,
    projection,
  });
  await pool.start();
  try {
    const engine = new EncodingEngine(new TextTokenizer(bundle), pool, {
      tokenBudget: 1024,
      maxTexts: 64,
      maxWaitMs: 1,
    });
    return await Promise.all(
      variants.map(async ({ label, key, text }) => ({ label, vector: (await engine.embed(key, text)).vector })),
    );
  } finally {
    await pool.close();
  }
}

export interface TaxonomyRequest {
  file: string;
  modelDir: string;
  variant: 'fp32' | 'int8';
  projectionFile: string | null;
}

/**
 * embedTaxonomy in a short-lived child process. Running the model takes a few hundred MB of native
 * memory that the allocator does not give back after the inference threads end; the fuser needs
 * the model only for this, once, so its own resident memory stays that of its state.
 */
export function embedTaxonomyInChild(request: TaxonomyRequest): Promise<InterestLabel[]> {
  const compiled = join(__dirname, 'taxonomy.child.js');
  // From the TypeScript sources (tests), the child runs through tsx.
  const child = existsSync(compiled)
    ? fork(compiled, [], { stdio: 'inherit' })
    : fork(join(__dirname, 'taxonomy.child.ts'), [], { stdio: 'inherit', execArgv: ['--import', 'tsx'] });
  return new Promise((resolve, reject) => {
    child.once(
      'message',
      (m: { ok: true; labels: { label: string; vector: string }[] } | { ok: false; error: string }) => {
        if (!m.ok) return reject(new Error(`embedding the interest taxonomy failed: ${m.error}`));
        resolve(
          m.labels.map(({ label, vector }) => {
            const bytes = Buffer.from(vector, 'base64');
            const v = new Float32Array(bytes.length / 4);
            new Uint8Array(v.buffer).set(bytes);
            return { label, vector: v };
          }),
        );
      },
    );
    child.once('exit', (code) => reject(new Error(`the taxonomy process exited with code ${code}`)));
    child.once('error', reject);
    child.send(request);
  });
}
