import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { EncodingEngine, InferencePool, TextTokenizer, type ModelBundle, type ProjectionData } from '@profilestream/inference';
import type { InterestLabel } from '@profilestream/fusion';

interface TaxonomyFile {
  labels: { label: string; text: string }[];
}

/**
 * Embeds the interest taxonomy with the profiles' own model, once at start-up: interests are the
 * labels nearest a profile's vector, so they must live in the same embedding space.
 */
export async function embedTaxonomy(file: string, bundle: ModelBundle, projection: ProjectionData | null = null): Promise<InterestLabel[]> {
  const taxonomy = JSON.parse(readFileSync(file, 'utf8')) as TaxonomyFile;
  if (!Array.isArray(taxonomy.labels) || taxonomy.labels.some((l) => typeof l.label !== 'string' || typeof l.text !== 'string')) {
    throw new Error(`${file}: expected { labels: [{ label, text }] }`);
  }
  const pool = new InferencePool(bundle, { size: Math.min(2, availableParallelism()), provider: 'cpu', intraOpNumThreads: 1, projection });
  await pool.start();
  try {
    const engine = new EncodingEngine(new TextTokenizer(bundle), pool, { tokenBudget: 1024, maxTexts: 64, maxWaitMs: 1 });
    return await Promise.all(taxonomy.labels.map(async ({ label, text }) => ({ label, vector: (await engine.embed(label, text)).vector })));
  } finally {
    await pool.close();
  }
}
