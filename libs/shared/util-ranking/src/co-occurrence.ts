/**
 * Item-to-item similarity from behaviour (ItemKNN): items are similar when the same users
 * interacted with both, cosine over users, sim(i, j) = co(i, j) / √(n(i)·n(j)). A user's score for
 * an item is the sum (and the largest) of its similarities to the user's items. One user's own
 * contribution can be taken out: a training interaction must not see the user's later items.
 */
export class CoOccurrence {
  private readonly index: Map<string, number>;
  private readonly count: Float64Array;
  private readonly co = new Map<number, Map<number, number>>();

  constructor(
    readonly catalogue: readonly string[],
    userItems: Iterable<readonly string[]>,
  ) {
    this.index = new Map(catalogue.map((id, i) => [id, i]));
    this.count = new Float64Array(catalogue.length);
    for (const items of userItems) this.add(items, 1);
  }

  private ids(items: Iterable<string>): number[] {
    return [...new Set([...items].map((id) => this.index.get(id)).filter((i): i is number => i !== undefined))];
  }

  /** Adds (or with sign −1, takes out) one user's items. */
  add(items: Iterable<string>, sign: 1 | -1): void {
    const ids = this.ids(items);
    for (const i of ids) {
      this.count[i]! += sign;
      const row = this.co.get(i) ?? new Map<number, number>();
      this.co.set(i, row);
      for (const j of ids) if (j !== i) row.set(j, (row.get(j) ?? 0) + sign);
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
    const row = this.co.get(j) ?? new Map<number, number>();
    this.co.set(j, row);
    for (const i of before) {
      row.set(i, (row.get(i) ?? 0) + 1);
      const other = this.co.get(i) ?? new Map<number, number>();
      this.co.set(i, other);
      other.set(j, (other.get(j) ?? 0) + 1);
    }
  }

  /** Summed and largest cosine co-occurrence of every catalogue item with `items`. */
  scores(items: Iterable<string>): { sum: Float64Array; max: Float64Array } {
    const sum = new Float64Array(this.catalogue.length);
    const max = new Float64Array(this.catalogue.length);
    for (const i of this.ids(items)) {
      for (const [j, n] of this.co.get(i) ?? []) {
        if (n <= 0 || this.count[i]! <= 0 || this.count[j]! <= 0) continue;
        const s = n / Math.sqrt(this.count[i]! * this.count[j]!);
        sum[j]! += s;
        if (s > max[j]!) max[j] = s;
      }
    }
    return { sum, max };
  }
}
