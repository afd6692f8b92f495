/**
 * Dictionaries keyed by data (category labels, counter keys, topic:partition) are null-prototype
 * objects written with defineProperty, so a label such as `__proto__` or `constructor` is just a key.
 */
export type Dict<T> = Record<string, T>;

export function dict<T>(): Dict<T> {
  return Object.create(null) as Dict<T>;
}

export function getEntry<T>(d: Dict<T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(d, key) ? d[key] : undefined;
}

export function setEntry<T>(d: Dict<T>, key: string, value: T): void {
  Object.defineProperty(d, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Own keys in code-unit order: the canonical order for encoding and publishing. */
export function sortedKeys(d: Dict<unknown>): string[] {
  return Object.keys(d).sort(compareStrings);
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function mapDict<A, B>(d: Dict<A>, f: (a: A) => B): Dict<B> {
  const out = dict<B>();
  for (const k of Object.keys(d)) setEntry(out, k, f(d[k]!));
  return out;
}
