/**
 * When a chaos run does not drain, the logs that would say why are kept only on the machine that
 * ran it. The run's console output carries a digest of them instead: each distinct warning or
 * error a lagging service logged, with how often and when it last came.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface LogDigestLine {
  level: string;
  msg: string;
  count: number;
  lastAt: string;
}

const NOTEWORTHY = new Set(['warn', 'error', 'fatal']);

/** Distinct warnings and errors in a service's JSON log, the most recent last, at most `max`. */
export function digestLog(text: string, max = 12): LogDigestLine[] {
  const byMessage = new Map<string, LogDigestLine>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let record: { level?: unknown; msg?: unknown; time?: unknown; err?: { message?: unknown } };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      continue;
    }
    const level = String(record.level ?? '');
    if (!NOTEWORTHY.has(level)) continue;
    const cause = typeof record.err?.message === 'string' ? `: ${record.err.message}` : '';
    const msg = `${String(record.msg ?? '')}${cause}`.slice(0, 300);
    const key = `${level} ${msg}`;
    const seen = byMessage.get(key) ?? { level, msg, count: 0, lastAt: '' };
    seen.count++;
    seen.lastAt = String(record.time ?? '');
    byMessage.delete(key);
    byMessage.set(key, seen);
  }
  return [...byMessage.values()].slice(-max);
}

/** The digest of a log file, as lines for the console; none when the file is missing. */
export function digestLogFile(file: string, max = 12): string[] {
  if (!existsSync(file)) return [];
  return digestLog(readFileSync(file, 'utf8'), max).map((d) => `  ${d.lastAt} ${d.level} ×${d.count} ${d.msg}`);
}
