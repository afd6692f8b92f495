/** Kinds of personal data that are replaced by a typed placeholder such as `[EMAIL]`. */
export type RedactionType = 'email' | 'phone' | 'url' | 'ip' | 'card' | 'cn_id' | 'handle';

/** Why a cleaned text should not be sent to the encoder. */
export type DropReason = 'empty' | 'too_short' | 'only_placeholders' | 'only_symbols';

/** Per-type redaction counts; types that never matched are absent. */
export type RedactionCounts = Partial<Record<RedactionType, number>>;

/** Tunables of {@link cleanText}. */
export interface CleaningOptions {
  /** Longest output, in UTF-16 code units (default 2000). */
  maxChars: number;
  /** Fewest letters/digits (each Han character counts as one) for a text to be worth encoding (default 2). */
  minMeaningfulChars: number;
  /** Longest allowed run of one repeated character, emoji or punctuation (default 3). */
  maxRepeat: number;
}

export const DEFAULT_CLEANING_OPTIONS: CleaningOptions = Object.freeze({
  maxChars: 2000,
  minMeaningfulChars: 2,
  maxRepeat: 3,
});

/** What {@link cleanText} returns for one raw text. */
export interface CleanedResult {
  /** Cleaned text; `''` when {@link dropped} is set. */
  text: string;
  /** ISO 639-1 code, or `'und'` when undetermined. */
  lang: string;
  /** Hex SHA-256 of {@link text}. */
  contentHash: string;
  /** How many items of each type were redacted. */
  redactions: RedactionCounts;
  /** Whether the text was cut to `maxChars`. */
  truncated: boolean;
  /** Set when the text should not be encoded. */
  dropped: DropReason | null;
}

/**
 * Fills defaults and rejects nonsensical options (a programmer error, hence a throw rather than a drop).
 * @throws RangeError when an option is not a positive integer (minMeaningfulChars may be 0).
 */
export function resolveOptions(options: Partial<CleaningOptions> = {}): CleaningOptions {
  const resolved: CleaningOptions = { ...DEFAULT_CLEANING_OPTIONS };
  for (const key of Object.keys(resolved) as (keyof CleaningOptions)[]) {
    const value = options[key];
    if (value !== undefined) resolved[key] = value;
  }
  const min: Record<keyof CleaningOptions, number> = { maxChars: 1, minMeaningfulChars: 0, maxRepeat: 1 };
  for (const key of Object.keys(min) as (keyof CleaningOptions)[]) {
    if (!Number.isSafeInteger(resolved[key]) || resolved[key] < min[key]) {
      throw new RangeError(`${key} must be an integer >= ${min[key]} (got ${String(resolved[key])})`);
    }
  }
  return resolved;
}
