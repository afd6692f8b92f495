import pino, { type Logger } from 'pino';

/**
 * Log paths that may hold personal data or secrets. Configured once here so no service can forget:
 * raw and cleaned texts, message payloads, contact fields and credentials are never written.
 */
export const REDACTED_LOG_PATHS = [
  'text',
  '*.text',
  'rawText',
  '*.rawText',
  'value',
  '*.value',
  'email',
  '*.email',
  'phone',
  '*.phone',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'sasl',
  '*.sasl',
];

const CENSOR = '[redacted]';

/** The keys of REDACTED_LOG_PATHS, censored at any depth (paths reach one level only). */
const REDACTED_KEYS = new Set(REDACTED_LOG_PATHS.filter((p) => !p.includes('.')));

/** Most levels walked into a logged object; deeper values are logged as they are. */
const MAX_REDACT_DEPTH = 8;

/**
 * Censors REDACTED_KEYS anywhere in plain objects and arrays, copying what it changes (the caller's
 * objects stay as they were). Errors, buffers and class instances are left to pino's serializers.
 */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (depth > MAX_REDACT_DEPTH || value === null || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    value.forEach((item, i) => {
      const r = redactDeep(item, depth + 1, seen);
      if (r !== item) (out ??= [...value])[i] = r;
    });
    return out ?? value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  let out: Record<string, unknown> | null = null;
  for (const [key, item] of Object.entries(value)) {
    const r = REDACTED_KEYS.has(key) ? CENSOR : redactDeep(item, depth + 1, seen);
    if (r !== item) (out ??= { ...(value as Record<string, unknown>) })[key] = r;
  }
  return out ?? value;
}

/** A structured JSON logger with personal data redacted at any depth. */
export function createLogger(serviceName: string, level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: serviceName },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_LOG_PATHS, censor: CENSOR },
      formatters: { level: (label) => ({ level: label }), log: (obj) => redactDeep(obj) as Record<string, unknown> },
    },
    destination,
  );
}

export type { Logger };
