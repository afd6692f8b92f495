import { createHash } from 'node:crypto';

/**
 * What makes a text a repeat of another by the same author: the same cleaned text (its
 * contentHash) about the same item, or about no item. The same short text on another item ("great
 * strings") is a new opinion, not a double submit. text-cleaner and profile-fuser both key their
 * repeat checks on this, so they agree.
 */
export function textRepeatKey(itemId: string | null, contentHash: string): string {
  return createHash('sha256')
    .update(itemId === null ? '\u0000none' : `\u0001${itemId}`, 'utf8')
    .update('\u0000')
    .update(contentHash, 'utf8')
    .digest('hex');
}
