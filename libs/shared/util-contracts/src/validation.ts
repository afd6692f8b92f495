import type { Click, Item, Post, Review, UserDeletion } from './generated/schemas.generated';

/** Limits on input events that Avro alone cannot express. */
export interface InputLimits {
  /** Largest accepted raw text, in UTF-16 code units. */
  maxTextChars: number;
  /** How far into the future an event time may be (clock skew allowance). */
  maxFutureSkewMs: number;
}

export const DEFAULT_INPUT_LIMITS: InputLimits = { maxTextChars: 100_000, maxFutureSkewMs: 5 * 60 * 1000 };

/** A rule broken by an input event: `reason` is a bounded dead-letter reason, `detail` says which field. */
export interface Violation {
  reason:
    | 'missing_id'
    | 'text_too_large'
    | 'future_timestamp'
    | 'invalid_timestamp'
    | 'rating_out_of_range'
    | 'invalid_value';
  detail: string;
}

/** Longest accepted id, in UTF-16 code units. */
export const ID_MAX = 256;

/** Why an id is refused (the rule every entry point shares: streams and HTTP), or null when accepted. */
export function idViolation(field: string, value: string): Violation | null {
  if (value.trim().length === 0) return { reason: 'missing_id', detail: `${field} is empty` };
  if (value.length > ID_MAX) return { reason: 'invalid_value', detail: `${field} is longer than ${ID_MAX}` };
  return null;
}

function checkId(field: string, value: string, out: Violation[]): void {
  const violation = idViolation(field, value);
  if (violation) out.push(violation);
}

function checkTime(field: string, value: number, now: number, limits: InputLimits, out: Violation[]): void {
  if (!Number.isSafeInteger(value) || value < 0)
    out.push({ reason: 'invalid_timestamp', detail: `${field} is not an epoch-milliseconds time` });
  else if (value > now + limits.maxFutureSkewMs)
    out.push({ reason: 'future_timestamp', detail: `${field} is ${value - now} ms in the future` });
}

function checkText(field: string, value: string, limits: InputLimits, out: Violation[]): void {
  if (value.length > limits.maxTextChars)
    out.push({ reason: 'text_too_large', detail: `${field} has ${value.length} chars (limit ${limits.maxTextChars})` });
}

export function validateReview(r: Review, now = Date.now(), limits = DEFAULT_INPUT_LIMITS): Violation[] {
  const out: Violation[] = [];
  checkId('eventId', r.eventId, out);
  checkId('userId', r.userId, out);
  checkId('itemId', r.itemId, out);
  checkText('text', r.text, limits, out);
  if (r.rating !== null && (r.rating < 1 || r.rating > 5))
    out.push({ reason: 'rating_out_of_range', detail: `rating ${r.rating} is not 1-5` });
  checkTime('occurredAt', r.occurredAt, now, limits, out);
  return out;
}

export function validatePost(p: Post, now = Date.now(), limits = DEFAULT_INPUT_LIMITS): Violation[] {
  const out: Violation[] = [];
  checkId('eventId', p.eventId, out);
  checkId('userId', p.userId, out);
  checkText('text', p.text, limits, out);
  checkTime('occurredAt', p.occurredAt, now, limits, out);
  return out;
}

export function validateClick(c: Click, now = Date.now(), limits = DEFAULT_INPUT_LIMITS): Violation[] {
  const out: Violation[] = [];
  checkId('eventId', c.eventId, out);
  checkId('userId', c.userId, out);
  checkId('itemId', c.itemId, out);
  if (c.dwellMs !== null && c.dwellMs < 0)
    out.push({ reason: 'invalid_value', detail: `dwellMs ${c.dwellMs} is negative` });
  checkTime('occurredAt', c.occurredAt, now, limits, out);
  return out;
}

export function validateItem(i: Item, now = Date.now(), limits = DEFAULT_INPUT_LIMITS): Violation[] {
  const out: Violation[] = [];
  checkId('itemId', i.itemId, out);
  checkText('title', i.title, limits, out);
  checkText('description', i.description, limits, out);
  checkTime('occurredAt', i.occurredAt, now, limits, out);
  return out;
}

export function validateUserDeletion(d: UserDeletion, now = Date.now(), limits = DEFAULT_INPUT_LIMITS): Violation[] {
  const out: Violation[] = [];
  checkId('userId', d.userId, out);
  checkTime('requestedAt', d.requestedAt, now, limits, out);
  return out;
}
