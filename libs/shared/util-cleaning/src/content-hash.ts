import { createHash } from 'node:crypto';

/** Hex SHA-256 of the UTF-8 bytes of `text`: a stable key for deduplicating encoder work. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
