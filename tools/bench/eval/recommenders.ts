/**
 * Scorers over the training catalogue: popularity, dense vectors (item embeddings against a
 * profile vector), item-to-item co-occurrence and TF-IDF.
 */
import { CoOccurrence, normalise, popularityFeature, type CandidateVectors } from '@profilestream/ranking';
import type { DatasetEvent } from '@profilestream/tools-events';
import type { Scorer } from './evaluate';
import { SparseIndex, TfIdf } from './tfidf';

/** Training interactions per catalogue item. */
export function popularity(catalogue: readonly string[], interactions: Iterable<string>): Float64Array {
  const index = new Map(catalogue.map((id, i) => [id, i]));
  const out = new Float64Array(catalogue.length);
  for (const itemId of interactions) {
    const i = index.get(itemId);
    if (i !== undefined) out[i]!++;
  }
  return out;
}

/** log(1 + popularity), scaled to [0, 1]: comparable with a cosine in a blend. */
export function popularityPrior(pop: Float64Array): Float64Array {
  let max = 0;
  for (const p of pop) max = Math.max(max, p);
  return Float64Array.from(pop, (p) => popularityFeature(p, max));
}

/** Unit item vectors in catalogue order; items without one score -Infinity (ranked last). */
export class ItemVectors implements CandidateVectors {
  private readonly data: Float32Array;
  private readonly present: Uint8Array;

  constructor(
    readonly catalogue: readonly string[],
    readonly dim: number,
  ) {
    this.data = new Float32Array(catalogue.length * dim);
    this.present = new Uint8Array(catalogue.length);
  }

  /** Mean direction of the given vectors per item (each input vector normalised first). */
  static fromMeans(
    catalogue: readonly string[],
    dim: number,
    vectors: Iterable<{ itemId: string; vector: Float32Array }>,
  ): ItemVectors {
    const index = new Map(catalogue.map((id, i) => [id, i]));
    const sums = new Float64Array(catalogue.length * dim);
    for (const { itemId, vector } of vectors) {
      const i = index.get(itemId);
      const unit = normalise(vector);
      if (i === undefined || !unit) continue;
      if (unit.length !== dim) throw new Error(`item ${itemId}: vector of ${unit.length} dimensions, expected ${dim}`);
      for (let d = 0; d < dim; d++) sums[i * dim + d]! += unit[d]!;
    }
    const out = new ItemVectors(catalogue, dim);
    for (let i = 0; i < catalogue.length; i++) {
      const unit = normalise(Float32Array.from(sums.subarray(i * dim, (i + 1) * dim)));
      if (unit) out.set(i, unit);
    }
    return out;
  }

  set(i: number, unit: Float32Array): void {
    this.data.set(unit, i * this.dim);
    this.present[i] = 1;
  }

  /** Whether the i-th item has a vector. */
  has(i: number): boolean {
    return i >= 0 && i < this.catalogue.length && this.present[i] === 1;
  }

  get withVectors(): number {
    return this.present.reduce((a, b) => a + b, 0);
  }

  /** Mean of the unit item vectors: the direction every text about this catalogue shares. */
  centroid(): Float32Array {
    const out = new Float32Array(this.dim);
    const n = this.withVectors;
    for (let i = 0; i < this.catalogue.length; i++) {
      if (!this.present[i]) continue;
      for (let d = 0; d < this.dim; d++) out[d]! += this.data[i * this.dim + d]! / n;
    }
    return out;
  }

  /**
   * The same items with `mean` taken out and re-normalised: sentence embeddings of one domain all
   * lean the same way, and that shared direction hides the differences between items.
   */
  centred(mean: Float32Array): ItemVectors {
    const out = new ItemVectors(this.catalogue, this.dim);
    for (let i = 0; i < this.catalogue.length; i++) {
      if (!this.present[i]) continue;
      const unit = normalise(
        Float32Array.from(this.data.subarray(i * this.dim, (i + 1) * this.dim), (x, d) => x - mean[d]!),
      );
      if (unit) out.set(i, unit);
    }
    return out;
  }

  /** Cosine of a unit query with the i-th item; 0 when it has no vector. */
  cosine(i: number, query: Float32Array): number {
    if (!this.present[i]) return 0;
    let s = 0;
    const base = i * this.dim;
    for (let d = 0; d < this.dim; d++) s += this.data[base + d]! * query[d]!;
    return s;
  }

  /** Cosine of a unit query with every item. */
  scores(query: Float32Array): Float64Array {
    const out = new Float64Array(this.catalogue.length);
    for (let i = 0; i < out.length; i++) {
      if (!this.present[i]) {
        out[i] = -Infinity;
        continue;
      }
      let s = 0;
      const base = i * this.dim;
      for (let d = 0; d < this.dim; d++) s += this.data[base + d]! * query[d]!;
      out[i] = s;
    }
    return out;
  }
}

/** `v − mean`, re-normalised (null when nothing is left). */
export function centre(v: Float32Array, mean: Float32Array): Float32Array | null {
  return normalise(Float32Array.from(v, (x, d) => x - mean[d]!));
}

/**
 * The item-to-item baseline (ItemKNN): items are similar when the same users interacted with both,
 * cosine over users, sim(i, j) = co(i, j) / √(n(i)·n(j)); a user's score for an item is the sum of
 * its similarities to the user's training items. Needs no text: what the crowd does next.
 */
export function itemKnn(
  catalogue: readonly string[],
  userItems: Iterable<readonly string[]>,
): (items: Iterable<string>) => Float64Array {
  const co = new CoOccurrence(catalogue, userItems);
  return (items) => co.scores(items).sum;
}

/** An item event's text as text-cleaner sees it: title and description. */
function itemText(e: DatasetEvent): string {
  const line = e as DatasetEvent & { title?: string; description?: string };
  return [line.title ?? '', line.description ?? e.text ?? ''].filter((t) => t.length > 0).join('\n');
}

/**
 * TF-IDF of a user's review and post text against each item's texts (its training reviews and
 * catalogue description): the text floor every profile must clear.
 */
export function tfidfScorer(
  catalogue: readonly string[],
  itemIndex: Map<string, number>,
  train: DatasetEvent[],
): Scorer {
  const itemDocs = catalogue.map(() => [] as string[]);
  const userDocs = new Map<string, string[]>();
  for (const e of train) {
    if (e.type === 'item') {
      // The catalogue's own words about an item: all a new item has.
      const i = itemIndex.get(e.item_id);
      if (i !== undefined) itemDocs[i]!.push(itemText(e));
      continue;
    }
    if (e.type !== 'review' && e.type !== 'post') continue;
    const i = itemIndex.get(e.item_id);
    if (e.type === 'review' && i !== undefined) itemDocs[i]!.push(e.text);
    const docs = userDocs.get(e.user_id) ?? [];
    docs.push(e.text);
    userDocs.set(e.user_id, docs);
  }
  const model = new TfIdf().fit(itemDocs.map((d) => d.join('\n')));
  const index = new SparseIndex(catalogue.length);
  itemDocs.forEach((d, i) => index.add(i, model.transform(d.join('\n'))));
  return (userId) => {
    const docs = userDocs.get(userId);
    return docs ? index.scores(model.transform(docs.join('\n'))) : null;
  };
}
