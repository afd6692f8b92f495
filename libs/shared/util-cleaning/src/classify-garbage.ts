/** Decides whether a cleaned text carries enough meaning to be encoded. */
import type { DropReason } from './cleaning-types';
import { DEFAULT_CLEANING_OPTIONS } from './cleaning-types';
import { withoutPlaceholders } from './placeholders';

/** Letters and digits; each Han character is one letter, so `好评` counts 2. */
const MEANINGFUL_CHAR = /[\p{L}\p{N}]/gu;

/**
 * Classifies a cleaned text: `'empty'` when blank; `'only_placeholders'` when placeholders are all
 * that carry content (`[EMAIL] !`); `'only_symbols'` when there is no letter or digit at all;
 * `'too_short'` below `minMeaningfulChars` letters/digits; otherwise `null` (worth encoding).
 */
export function classifyGarbage(
  text: string,
  minMeaningfulChars: number = DEFAULT_CLEANING_OPTIONS.minMeaningfulChars,
): DropReason | null {
  const trimmed = text.trim();
  if (trimmed === '') return 'empty';
  const rest = withoutPlaceholders(trimmed);
  const meaningful = rest.match(MEANINGFUL_CHAR)?.length ?? 0;
  if (meaningful === 0) return rest === trimmed ? 'only_symbols' : 'only_placeholders';
  return meaningful < minMeaningfulChars ? 'too_short' : null;
}
