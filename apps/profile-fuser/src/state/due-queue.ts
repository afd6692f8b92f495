/**
 * Users ordered by the time their next publish is due (a binary min-heap). An entry is only a
 * reminder: the owner checks, when it pops one, whether the user is still due at that time
 * (re-scheduling pushes a new entry; stale ones are skipped), so updates are O(log n) pushes and
 * no search.
 */
export class DueQueue {
  private readonly heap: { at: number; id: string }[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(id: string, at: number): void {
    const h = this.heap;
    h.push({ at, id });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= h[i]!.at) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  /** The earliest due time, or null when empty. */
  peekAt(): number | null {
    return this.heap[0]?.at ?? null;
  }

  /** Removes and returns the earliest entry if it is due at `now`. */
  popDue(now: number): { at: number; id: string } | null {
    const h = this.heap;
    if (h.length === 0 || h[0]!.at > now) return null;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.at < h[m]!.at) m = l;
        if (r < h.length && h[r]!.at < h[m]!.at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }
}
