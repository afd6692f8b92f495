/**
 * A pipeline run made scorable: item vectors from its embeddings, a scorer per profile vector, and
 * its coverage (users and items with a vector), which fails the eval loudly when it is broken.
 */
import { profileVectors } from '@profilestream/ranking';
import type { Scorer } from './evaluate';
import type { PipelineRun } from './pipeline-run';
import { ItemVectors } from './recommenders';
import type { Split } from './split';

export interface Coverage {
  itemsWithVector: number;
  usersWithoutVector: number;
  heldOutScorable: number;
}

export function coverage(split: Split, run: PipelineRun, scored: ScoredRun): Coverage {
  const index = new Map(split.catalogue.map((id, i) => [id, i]));
  return {
    itemsWithVector: scored.items.withVectors,
    usersWithoutVector: split.test.filter((t) => !scored.vectors.get(t.userId)?.has('fused')).length,
    heldOutScorable: split.test.filter((t) => scored.items.has(index.get(t.itemId) ?? -1)).length,
  };
}

/**
 * A run whose vectors cannot rank anything measures nothing: it fails here, loudly, rather than
 * print rows of zeros (a model or projection mismatch, an encoder that dropped everything).
 */
export function assertCoverage(split: Split, run: PipelineRun, scored: ScoredRun): void {
  const c = coverage(split, run, scored);
  const problems = [
    c.itemsWithVector === 0
      ? `no candidate item has a vector (${run.descriptionVectors.length} descriptions and ${run.reviewVectors.length} reviews embedded)`
      : null,
    c.usersWithoutVector === split.test.length
      ? `no evaluated user has a profile vector (${run.profiles.size} profiles published)`
      : null,
    c.heldOutScorable === 0 ? 'no held-out item has a vector' : null,
  ].filter((p): p is string => p !== null);
  if (problems.length > 0)
    throw new Error(
      `coverage is broken, nothing to measure: ${problems.join('; ')}; pipeline accounting: ${run.accounting}`,
    );
}

export interface ScoredRun {
  items: ItemVectors;
  vectors: Map<string, Map<string, Float32Array>>;
  variants: string[];
  scorer: (variant: string) => Scorer;
}

/**
 * Item vectors from the run's embeddings of the catalogue's descriptions (what the fuser folds into
 * click vectors) and of training reviews, each text counted once in the item's mean direction; a
 * scorer per profile vector.
 */
export function scoredRun(split: Split, run: PipelineRun): ScoredRun {
  const dim =
    run.profiles.values().next().value?.dim ??
    run.reviewVectors[0]?.vector.length ??
    run.descriptionVectors[0]?.vector.length ??
    0;
  const items = ItemVectors.fromMeans(split.catalogue, dim, [...run.descriptionVectors, ...run.reviewVectors]);
  const vectors = new Map([...run.profiles].map(([userId, p]) => [userId, profileVectors(p)]));
  const variants = [...new Set([...vectors.values()].flatMap((vs) => [...vs.keys()]))].sort(variantOrder);
  const scorer =
    (variant: string): Scorer =>
    (userId) => {
      const v = vectors.get(userId)?.get(variant);
      return v ? items.scores(v) : null;
    };
  return { items, vectors, variants, scorer };
}

/** A run's line in the report: its time, accounting, coverage and clicks without an item vector. */
export function describeRun(label: string, split: Split, run: PipelineRun, scored: ScoredRun): string {
  const c = coverage(split, run, scored);
  const clicks =
    Object.entries(run.clicksWithoutVector)
      .filter(([, n]) => n > 0)
      .map(([o, n]) => `${o} ${n}`)
      .join(', ') || 'none';
  return (
    `${label}: ${run.seconds.toFixed(0)} s, ${run.sent} training events sent, ${run.accounting}; ${run.profiles.size} profiles published, ` +
    `${c.usersWithoutVector} of ${split.test.length} evaluated users without a profile vector; ${c.itemsWithVector} of ${split.catalogue.length} candidate items with a vector ` +
    `(${run.descriptionVectors.length} descriptions, ${run.reviewVectors.length} training reviews embedded), ${c.heldOutScorable} of ${split.test.length} held-out items scorable; ` +
    `clicks that came before their item's vector: ${clicks}; model ${run.modelId}${run.projectionId ? `, projection ${run.projectionId}` : ''}`
  );
}

/** The profile's longest horizon as a variant name (`horizon:90d`): the clusters' half-life. */
export function longestHorizon(run: PipelineRun): string | null {
  let best: { name: string; halfLifeMs: number } | null = null;
  for (const p of run.profiles.values())
    for (const h of p.horizons) if (!best || h.halfLifeMs > best.halfLifeMs) best = h;
  return best ? `horizon:${best.name}` : null;
}

/** fused first, then horizons from short to long, then channels. */
export function variantOrder(a: string, b: string): number {
  const rank = (v: string) =>
    v === 'fused'
      ? [0, 0]
      : v.startsWith('horizon:')
        ? [1, parseFloat(v.slice(8)) * (v.endsWith('d') ? 24 : 1)]
        : [2, 0];
  const [ra, rb] = [rank(a), rank(b)];
  return ra[0]! - rb[0]! || ra[1]! - rb[1]! || a.localeCompare(b);
}
