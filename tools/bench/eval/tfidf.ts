/**
 * The text baseline: TF-IDF vectors (raw term counts × smoothed idf, L2-normalised) of each item's
 * training reviews and of each user's training reviews, ranked by cosine.
 */

/** Scripts written without spaces between words: Chinese, and Japanese kana (with its long-vowel mark). */
const UNSPACED = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u30fc]/u;
/** A run of an unspaced script, or a run of other letters and digits. */
const RUNS =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u30fc]+|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u30fc])[\p{L}\p{N}])+/gu;

/**
 * Lower-cased words of two or more letters or digits; text in a script written without spaces
 * (Chinese, Japanese) becomes its overlapping character bigrams (a lone character stays one
 * token), the usual indexing unit there: a whole unspaced clause as one token would match nothing.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const run of text.toLowerCase().match(RUNS) ?? []) {
    if (!UNSPACED.test(run)) {
      if ([...run].length >= 2) out.push(run);
      continue;
    }
    const chars = [...run];
    if (chars.length === 1) out.push(run);
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  }
  return out;
}

export type SparseVector = Map<number, number>;

export class TfIdf {
  private readonly vocabulary = new Map<string, number>();
  private idf: Float64Array = new Float64Array(0);

  /** Fits the idf on the documents: idf(t) = ln((1 + n) / (1 + df(t))) + 1. */
  fit(documents: readonly string[]): this {
    const df: number[] = [];
    for (const doc of documents) {
      for (const term of new Set(tokenize(doc))) {
        let id = this.vocabulary.get(term);
        if (id === undefined) {
          id = this.vocabulary.size;
          this.vocabulary.set(term, id);
          df.push(0);
        }
        df[id]!++;
      }
    }
    this.idf = Float64Array.from(df, (d) => Math.log((1 + documents.length) / (1 + d)) + 1);
    return this;
  }

  /** The document's L2-normalised TF-IDF vector; words outside the fitted vocabulary are ignored. */
  transform(document: string): SparseVector {
    const out: SparseVector = new Map();
    for (const term of tokenize(document)) {
      const id = this.vocabulary.get(term);
      if (id !== undefined) out.set(id, (out.get(id) ?? 0) + 1);
    }
    let norm = 0;
    for (const [id, tf] of out) {
      const w = tf * this.idf[id]!;
      out.set(id, w);
      norm += w * w;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (const [id, w] of out) out.set(id, w / norm);
    return out;
  }
}

/** Cosine of a query against every document at once, through an inverted index of the documents. */
export class SparseIndex {
  private readonly postings = new Map<number, { doc: number; weight: number }[]>();

  constructor(readonly size: number) {}

  add(doc: number, vector: SparseVector): void {
    for (const [id, weight] of vector) {
      const list = this.postings.get(id) ?? [];
      list.push({ doc, weight });
      this.postings.set(id, list);
    }
  }

  scores(query: SparseVector): Float64Array {
    const out = new Float64Array(this.size);
    for (const [id, q] of query) for (const { doc, weight } of this.postings.get(id) ?? []) out[doc]! += q * weight;
    return out;
  }
}
