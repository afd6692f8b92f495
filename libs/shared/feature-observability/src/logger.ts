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

/** A structured JSON logger with personal data redacted. */
export function createLogger(serviceName: string, level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: serviceName },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

export type { Logger };
