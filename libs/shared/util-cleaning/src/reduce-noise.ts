/** Noise reduction: caps floods of repeated characters, emoji and punctuation. */
import { DEFAULT_CLEANING_OPTIONS } from './cleaning-types';
import { PLACEHOLDER_NAMES } from './placeholders';

/**
 * One visible symbol: punctuation, a symbol or an emoji, with its combining marks, variation
 * selectors and skin-tone modifiers. A modifier never starts a unit, so a run splits one way only.
 * The brackets of a placeholder are not symbols: a placeholder ends a run and is never cut.
 */
const SYMBOL_UNIT =
  `(?!\\[(?:${PLACEHOLDER_NAMES})\\])(?!(?<=\\[(?:${PLACEHOLDER_NAMES}))\\])` +
  '(?!\\p{Emoji_Modifier})[\\p{P}\\p{S}\\p{Extended_Pictographic}][\\p{M}\\p{Emoji_Modifier}]*';
const ONE_UNIT = new RegExp(SYMBOL_UNIT, 'gu');

interface NoisePatterns {
  sameChar: RegExp;
  symbolRun: RegExp;
}

const patternCache = new Map<number, NoisePatterns>();

function patternsFor(maxRepeat: number): NoisePatterns {
  let patterns = patternCache.get(maxRepeat);
  if (patterns === undefined) {
    patterns = {
      // Digits are exempt: `10000` or `0000 0000` are data, not noise, and shortening digit runs
      // could turn a long number into a new card-like number after redaction has run.
      sameChar: new RegExp(`([^\\p{Nd}\\s])\\1{${maxRepeat},}`, 'gu'),
      symbolRun: new RegExp(`(?:${SYMBOL_UNIT}){${maxRepeat + 1},}`, 'gu'),
    };
    if (patternCache.size < 16) patternCache.set(maxRepeat, patterns);
  }
  return patterns;
}

/**
 * Caps floods at `maxRepeat` (default 3): one character repeated (`sooooo` → `sooo`, `哈哈哈哈哈哈` →
 * `哈哈哈`, `!!!!!!` → `!!!`), and runs of emoji, punctuation and symbols in any mix (`!?!?!?` →
 * `!?!`, `😂🤣😂🤣` → `😂🤣😂`). Digits are never shortened and placeholders are left intact.
 */
export function reduceNoise(text: string, maxRepeat: number = DEFAULT_CLEANING_OPTIONS.maxRepeat): string {
  if (!Number.isSafeInteger(maxRepeat) || maxRepeat < 1)
    throw new RangeError(`maxRepeat must be an integer >= 1 (got ${maxRepeat})`);
  const { sameChar, symbolRun } = patternsFor(maxRepeat);
  // Symbol runs first: cutting one can leave a `[` next to a placeholder's `[`, which the
  // same-character cap then merges. A same-character cap cannot break a placeholder either: the
  // `[`/`]` it keeps still touch the name.
  return text
    .replace(symbolRun, (run) => (run.match(ONE_UNIT) ?? []).slice(0, maxRepeat).join(''))
    .replace(sameChar, (_run, char: string) => char.repeat(maxRepeat));
}
