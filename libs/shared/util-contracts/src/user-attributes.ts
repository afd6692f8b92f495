import type { UserAttributes, UserAttributesInput } from './generated/schemas.generated';
import { idViolation, type Violation } from './validation';

/** The attributes every platform may send by name; anything else is `custom.<name>`. */
export const STANDARD_ATTRIBUTES = [
  'ageBand',
  'gender',
  'country',
  'region',
  'locale',
  'languages',
  'signupAt',
  'accountType',
] as const;
export type StandardAttribute = (typeof STANDARD_ATTRIBUTES)[number];

/** Sensitive unless configured otherwise: kept for modelling, published only when allowed. */
export const DEFAULT_SENSITIVE_ATTRIBUTES: readonly string[] = ['ageBand', 'gender'];

export const CUSTOM_PREFIX = 'custom.';
/** Longest string value, in UTF-16 code units. */
export const ATTRIBUTE_VALUE_MAX = 256;
/** Most languages one record may list. */
export const LANGUAGES_MAX = 16;
/** Most custom attributes (set or removed) one record may carry. */
export const CUSTOM_PER_RECORD_MAX = 64;
const CUSTOM_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** What a users.v1 record holds where the producer left a field out (the schema's defaults). */
export const USER_ATTRIBUTE_DEFAULTS: Readonly<Omit<UserAttributes, 'userId' | 'occurredAt'>> = Object.freeze({
  ageBand: null,
  gender: null,
  country: null,
  region: null,
  locale: null,
  languages: null,
  signupAt: null,
  accountType: null,
  custom: {},
  cleared: [],
});

/** A record as readers see it: the producer's fields over the schema's defaults. */
export function withAttributeDefaults(input: UserAttributesInput): UserAttributes {
  const out: UserAttributes = { ...USER_ATTRIBUTE_DEFAULTS, custom: {}, cleared: [], ...input };
  for (const [k, v] of Object.entries(USER_ATTRIBUTE_DEFAULTS))
    if ((out as unknown as Record<string, unknown>)[k] === undefined)
      (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

export type AttributeValue = string | number | boolean | string[];

/** One attribute a users.v1 record sets (value) or removes (value null). */
export interface AttributeChange {
  name: string;
  value: AttributeValue | null;
}

/** Whether `name` is a standard attribute or a well-formed `custom.<name>`. */
export function isAttributeName(name: string): boolean {
  if ((STANDARD_ATTRIBUTES as readonly string[]).includes(name)) return true;
  return name.startsWith(CUSTOM_PREFIX) && CUSTOM_NAME.test(name.slice(CUSTOM_PREFIX.length));
}

export function isCustomAttribute(name: string): boolean {
  return name.startsWith(CUSTOM_PREFIX);
}

/**
 * What a record changes, by attribute name (sorted): the standard fields that are not null, the
 * custom entries (a null value removes one), and `cleared`. A name both set and cleared in one
 * record is cleared (the explicit removal wins).
 */
export function attributeChanges(record: UserAttributes): AttributeChange[] {
  const out = new Map<string, AttributeValue | null>();
  for (const name of STANDARD_ATTRIBUTES) {
    const value = record[name];
    if (value !== null && value !== undefined) out.set(name, Array.isArray(value) ? [...value] : value);
  }
  for (const [key, value] of Object.entries(record.custom ?? {})) out.set(`${CUSTOM_PREFIX}${key}`, value);
  for (const name of record.cleared ?? []) out.set(name, null);
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value }));
}

/** The rules Avro alone cannot express: ids, times, bounded values and names. */
export function validateUserAttributes(
  u: UserAttributes,
  now = Date.now(),
  maxFutureSkewMs = 5 * 60 * 1000,
): Violation[] {
  const out: Violation[] = [];
  const id = idViolation('userId', u.userId);
  if (id) out.push(id);
  if (!Number.isSafeInteger(u.occurredAt) || u.occurredAt < 0)
    out.push({ reason: 'invalid_timestamp', detail: 'occurredAt is not an epoch-milliseconds time' });
  else if (u.occurredAt > now + maxFutureSkewMs)
    out.push({ reason: 'future_timestamp', detail: `occurredAt is ${u.occurredAt - now} ms in the future` });
  if (u.signupAt !== null && u.signupAt !== undefined && !(Number.isSafeInteger(u.signupAt) && u.signupAt >= 0))
    out.push({ reason: 'invalid_value', detail: 'signupAt is not an epoch-milliseconds time' });
  for (const name of ['ageBand', 'gender', 'country', 'region', 'locale', 'accountType'] as const) {
    const v = u[name];
    if (typeof v === 'string') checkString(name, v, out);
  }
  if (u.languages) {
    if (u.languages.length > LANGUAGES_MAX)
      out.push({ reason: 'invalid_value', detail: `languages lists ${u.languages.length} (limit ${LANGUAGES_MAX})` });
    u.languages.forEach((l, i) => checkString(`languages[${i}]`, l, out));
  }
  const custom = Object.entries(u.custom ?? {});
  if (custom.length > CUSTOM_PER_RECORD_MAX)
    out.push({
      reason: 'invalid_value',
      detail: `custom has ${custom.length} entries (limit ${CUSTOM_PER_RECORD_MAX})`,
    });
  for (const [key, value] of custom) {
    if (!CUSTOM_NAME.test(key))
      out.push({
        reason: 'invalid_value',
        detail: `custom name ${JSON.stringify(key.slice(0, 80))} is not [A-Za-z0-9_.-]{1,64}`,
      });
    else if (typeof value === 'string') checkString(`custom.${key}`, value, out);
    else if (typeof value === 'number' && !Number.isFinite(value))
      out.push({ reason: 'invalid_value', detail: `custom.${key} is not finite` });
  }
  for (const name of u.cleared ?? [])
    if (!isAttributeName(name))
      out.push({
        reason: 'invalid_value',
        detail: `cleared names unknown attribute ${JSON.stringify(name.slice(0, 80))}`,
      });
  return out;
}

function checkString(field: string, value: string, out: Violation[]): void {
  if (value.length > ATTRIBUTE_VALUE_MAX)
    out.push({ reason: 'invalid_value', detail: `${field} has ${value.length} chars (limit ${ATTRIBUTE_VALUE_MAX})` });
}
