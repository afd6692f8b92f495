/** Length limiting that keeps the text well-formed and its tokens whole where possible. */
import { DEFAULT_CLEANING_OPTIONS } from './cleaning-types';
import { placeholderPattern } from './placeholders';

/** Result of {@link truncateText}. */
export interface TruncationResult {
  text: string;
  truncated: boolean;
}

/**
 * How far back a cut may move to avoid splitting a word or number. Beyond that the cut is hard;
 * the part kept of such a long digit run is then still too long to be a card, ID or phone.
 */
const MAX_BACKOFF = 32;

/** A character of a space-delimited word (Latin, Cyrillic, digits…); CJK may be cut anywhere. */
const WORD_CHAR = /^(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{N}\p{M}]$/u;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isWordChar(text: string, index: number): boolean {
  const cp = text.codePointAt(index);
  if (cp === undefined) return false;
  // Step back onto the start of a surrogate pair so that astral letters are recognised.
  const start = index > 0 && cp >= 0xdc00 && cp <= 0xdfff ? text.codePointAt(index - 1) : cp;
  return start !== undefined && WORD_CHAR.test(String.fromCodePoint(start));
}

/** Moves a cut inside a placeholder to the placeholder's start. */
function avoidPlaceholder(text: string, cut: number): number {
  const pattern = placeholderPattern();
  const from = Math.max(0, cut - 16);
  pattern.lastIndex = from;
  for (let m = pattern.exec(text); m !== null && m.index < cut; m = pattern.exec(text)) {
    if (m.index + m[0].length > cut) return m.index;
  }
  return cut;
}

/** Moves a cut inside a word or number back to the word's start, if that is near and not 0. */
function avoidWordSplit(text: string, cut: number): number {
  if (!isWordChar(text, cut - 1) || !isWordChar(text, cut)) return cut;
  let start = cut - 1;
  while (start > 0 && cut - start < MAX_BACKOFF && isWordChar(text, start - 1)) start--;
  return start > 0 && cut - start < MAX_BACKOFF ? start : cut;
}

/**
 * Cuts `text` to at most `maxChars` UTF-16 code units. The cut never splits a surrogate pair or a
 * placeholder, and moves back to the start of a word or number that it would split (within 32
 * characters); trailing whitespace is dropped. `truncated` is true whenever the text was too long.
 */
export function truncateText(text: string, maxChars: number = DEFAULT_CLEANING_OPTIONS.maxChars): TruncationResult {
  if (!Number.isSafeInteger(maxChars) || maxChars < 1)
    throw new RangeError(`maxChars must be an integer >= 1 (got ${maxChars})`);
  if (text.length <= maxChars) return { text, truncated: false };
  let cut = avoidWordSplit(text, avoidPlaceholder(text, maxChars));
  if (isHighSurrogate(text.charCodeAt(cut - 1))) cut -= 1;
  return { text: text.slice(0, cut).trimEnd(), truncated: true };
}
