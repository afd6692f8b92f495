/**
 * Item-to-item similarity from behaviour (ItemKNN): items are similar when the same users
 * interacted with both, cosine over users, sim(i, j) = co(i, j) / √(n(i)·n(j)). A user's score for
 * an item is the sum (and the largest) of its similarities to the user's items. One user's own
 * contribution can be taken out: a training interaction must not see the user's later items.
 *
 * Pair counts live in one dense matrix when the catalogue is small enough for it
 * (`DENSE_MAX_ITEMS`: at most 64 MiB), else in a map per item: a million ratings over a few
 * thousand items make hundreds of millions of pair updates, which a typed array takes in about a
 * second and maps in minutes.
 */
export const DENSE_MAX_ITEMS = 4096;

interface PairCounts {
  add(i: number, j: number, by: number): void;
  get(i: number, j: number): number;
  /** Calls `f` for every j with a pair count with i (possibly 0 after removals). */
  forEachIn(i: number, f: (j: number, n: number) => void): void;
}

class DensePairs implements PairCounts {
  private readonly counts: Int32Array;
  constructor(private readonly n: number) {
    this.counts = new Int32Array(n * n);
  }
  add(i: number, j: number, by: number): void {
    this.counts[i * this.n + j]! += by;
  }
  get(i: number, j: number): number {
    return this.counts[i * this.n + j]!;
  }
  forEachIn(i: number, f: (j: number, n: number) => void): void {
    const base = i * this.n;
    for (let j = 0; j < this.n; j++) {
      const c = this.counts[base + j]!;
      if (c !== 0) f(j, c);
    }
  }
}

class SparsePairs implements PairCounts {
  private readonly rows = new Map<number, Map<number, number>>();
  add(i: number, j: number, by: number): void {
    let row = this.rows.get(i);
    if (!row) this.rows.set(i, (row = new Map()));
    row.set(j, (row.get(j) ?? 0) + by);
  }
  get(i: number, j: number): number {
    return this.rows.get(i)?.get(j) ?? 0;
  }
  forEachIn(i: number, f: (j: number, n: number) => void): void {
    for (const [j, n] of this.rows.get(i) ?? []) f(j, n);
  }
}

export class CoOccurrence {
  private readonly index: Map<string, number>;
  private readonly count: Float64Array;
  private readonly pairs: PairCounts;

  constructor(
    readonly catalogue: readonly string[],
    userItems: Iterable<readonly string[]>,
  ) {
    this.index = new Map(catalogue.map((id, i) => [id, i]));
    this.count = new Float64Array(catalogue.length);
    this.pairs = catalogue.length <= DENSE_MAX_ITEMS ? new DensePairs(catalogue.length) : new SparsePairs();
    for (const items of userItems) this.add(items, 1);
  }

  private ids(items: Iterable<string>): number[] {
    const out = new Set<number>();
    for (const id of items) {
      const i = this.index.get(id);
      if (i !== undefined) out.add(i);
    }
    return [...out];
  }

  /** Adds (or with sign −1, takes out) one user's items. */
  add(items: Iterable<string>, sign: 1 | -1): void {
    const ids = this.ids(items);
    for (const i of ids) {
      this.count[i]! += sign;
      for (const j of ids) if (j !== i) this.pairs.add(i, j, sign);
    }
  }

  /**
   * One user's new interaction, as time goes on: `item` joins the items the user had (`previous`);
   * nothing changes when the user had it already.
   */
  extend(previous: Iterable<string>, item: string): void {
    const j = this.index.get(item);
    if (j === undefined) return;
    const before = this.ids(previous);
    if (before.includes(j)) return;
    this.count[j]! += 1;
    for (const i of before) {
      this.pairs.add(j, i, 1);
      this.pairs.add(i, j, 1);
    }
  }

  /** Summed and largest cosine co-occurrence of every catalogue item with `items`. */
  scores(items: Iterable<string>): { sum: Float64Array; max: Float64Array } {
    const sum = new Float64Array(this.catalogue.length);
    const max = new Float64Array(this.catalogue.length);
    for (const i of this.ids(items)) {
      if (this.count[i]! <= 0) continue;
      this.pairs.forEachIn(i, (j, n) => this.accumulate(i, j, n, sum, max));
    }
    return { sum, max };
  }

  /**
   * scores() at the given catalogue indexes only (the rest left unset): what one training row
   * reads, in time proportional to the user's items times the candidates, not the catalogue.
   */
  scoresAt(items: Iterable<string>, candidates: readonly number[]): { sum: number[]; max: number[] } {
    const sum: number[] = [];
    const max: number[] = [];
    // Each candidate once, and only indexes of the catalogue (the dense matrix has no bounds of its own).
    const wanted = [...new Set(candidates)].filter((j) => Number.isInteger(j) && j >= 0 && j < this.catalogue.length);
    for (const j of wanted) sum[j] = max[j] = 0;
    for (const i of this.ids(items)) {
      if (this.count[i]! <= 0) continue;
      for (const j of wanted) if (j !== i) this.accumulate(i, j, this.pairs.get(i, j), sum, max);
    }
    return { sum, max };
  }

  /** Adds sim(i, j) from pair count n to j's sum and largest (nothing when a count is not positive). */
  private accumulate(
    i: number,
    j: number,
    n: number,
    sum: Float64Array | number[],
    max: Float64Array | number[],
  ): void {
    if (n <= 0 || this.count[j]! <= 0) return;
    const s = n / Math.sqrt(this.count[i]! * this.count[j]!);
    sum[j]! += s;
    if (s > max[j]!) max[j] = s;
  }
}
