import {
  isCustomAttribute,
  type AttributeChange,
  type AttributeValue,
  type UserAttribute,
} from '@profilestream/contracts';
import { getEntry, setEntry, sortedKeys, type Dict } from './records';

/**
 * One attribute as the fuser keeps it: the latest value by event time, or null where the latest
 * change removed it. A removal is kept (a tombstone), so an older update arriving late cannot
 * bring the value back.
 */
export interface AttributeState {
  value: AttributeValue | null;
  /** occurredAt of the change that decided it. */
  at: number;
}

export interface AttributeLimits {
  /** Most custom attributes kept per user, removals included; further new names are dropped. */
  maxCustom: number;
}

export const DEFAULT_ATTRIBUTE_LIMITS: AttributeLimits = { maxCustom: 32 };

export interface AttributeFoldResult {
  /** Changes that decided an attribute (newer than what was kept). */
  applied: number;
  /** Changes older than what was kept (or equal and ranked lower): a late update that lost. */
  stale: number;
  /** New custom names over the per-user limit. */
  overLimit: number;
}

/**
 * Ranks two changes of one attribute: later event time wins; at the same time a removal wins over
 * a value, and between values the larger JSON text does. Every replica therefore keeps the same
 * winner whatever order the changes arrive in.
 */
function wins(value: AttributeValue | null, at: number, kept: AttributeState): boolean {
  if (at !== kept.at) return at > kept.at;
  if (kept.value === null) return false;
  if (value === null) return true;
  return JSON.stringify(value) > JSON.stringify(kept.value);
}

/**
 * Folds the changes of one users.v1 record (event time `at`) into `attributes`, in place. For
 * standard attributes, and for custom ones within the limit, the result is the same for any order
 * of records (latest by event time per attribute). The limit is where order can matter: when a
 * user already holds `maxCustom` custom names, the oldest removal is forgotten to make room, and
 * without one the new name is dropped (counted in `overLimit`).
 */
export function foldAttributeChanges(
  attributes: Dict<AttributeState>,
  changes: readonly AttributeChange[],
  at: number,
  limits: AttributeLimits = DEFAULT_ATTRIBUTE_LIMITS,
): AttributeFoldResult {
  const result: AttributeFoldResult = { applied: 0, stale: 0, overLimit: 0 };
  for (const { name, value } of changes) {
    const kept = getEntry(attributes, name);
    if (kept) {
      if (!wins(value, at, kept)) {
        result.stale++;
        continue;
      }
      kept.value = cloneValue(value);
      kept.at = at;
      result.applied++;
      continue;
    }
    if (isCustomAttribute(name) && !roomForCustom(attributes, limits.maxCustom)) {
      result.overLimit++;
      continue;
    }
    setEntry(attributes, name, { value: cloneValue(value), at });
    result.applied++;
  }
  return result;
}

function roomForCustom(attributes: Dict<AttributeState>, maxCustom: number): boolean {
  const custom = Object.keys(attributes).filter(isCustomAttribute);
  if (custom.length < maxCustom) return true;
  let oldest: string | null = null;
  for (const name of custom) {
    const a = attributes[name]!;
    if (a.value !== null) continue;
    if (oldest === null || a.at < attributes[oldest]!.at || (a.at === attributes[oldest]!.at && name < oldest))
      oldest = name;
  }
  if (oldest === null) return false;
  delete attributes[oldest];
  return true;
}

function cloneValue(v: AttributeValue | null): AttributeValue | null {
  return Array.isArray(v) ? [...v] : v;
}

export function cloneAttributes(attributes: Dict<AttributeState>): Dict<AttributeState> {
  const out = Object.create(null) as Dict<AttributeState>;
  for (const name of Object.keys(attributes)) {
    const a = attributes[name]!;
    setEntry(out, name, { value: cloneValue(a.value), at: a.at });
  }
  return out;
}

/**
 * The attributes a profile publishes, sorted by name: values only (removals left out), without
 * the names in `withheld` (sensitive attributes where publishing them is not allowed).
 */
export function publishedAttributes(
  attributes: Dict<AttributeState>,
  withheld: ReadonlySet<string> = new Set(),
): UserAttribute[] {
  const out: UserAttribute[] = [];
  for (const name of sortedKeys(attributes)) {
    const a = attributes[name]!;
    if (a.value === null || withheld.has(name)) continue;
    out.push({ name, value: cloneValue(a.value)!, updatedAt: a.at });
  }
  return out;
}
