/**
 * The text-cleaner pipeline: raw user text (reviews, posts, product descriptions; English and
 * Chinese, often mixed) → the natural text a transformer sentence encoder should see, without
 * personal data.
 *
 * Deliberately NOT done: stop-word removal, stemming/lemmatisation, lower-casing and spelling
 * correction. Contextual encoders are trained on natural text; function words, inflections and
 * casing carry meaning for them, and "fixing" spelling would change what the user said.
 */
import { classifyGarbage } from './classify-garbage';
import type { CleanedResult, CleaningOptions, RedactionCounts, RedactionType } from './cleaning-types';
import { resolveOptions } from './cleaning-types';
import { contentHash } from './content-hash';
import { detectLanguage } from './detect-language';
import { collapseWhitespace, normalizeUnicode } from './normalize-unicode';
import { redactPersonalData } from './redact-personal-data';
import { reduceNoise } from './reduce-noise';
import { stripMarkup } from './strip-markup';
import { type TruncationResult, truncateText } from './truncate-text';

/**
 * Each step is idempotent on its own, but a later step can occasionally expose work for an earlier
 * one (a truncation that ends a text with `1.2.3.4.` makes an IP; a markdown link whose URL was
 * only redacted becomes `[text]([URL])`). The deterministic part is therefore repeated until it
 * stops changing; one extra pass is the norm, and the bound keeps hostile input cheap.
 */
const MAX_PASSES = 4;

function addCounts(total: RedactionCounts, more: RedactionCounts): void {
  for (const [type, n] of Object.entries(more) as [RedactionType, number][]) total[type] = (total[type] ?? 0) + n;
}

/** One pass of the deterministic steps, in the order the service relies on. */
function cleanOnce(text: string, options: CleaningOptions, counts: RedactionCounts): TruncationResult {
  const normalized = normalizeUnicode(text);
  const unmarked = stripMarkup(normalized);
  // Entities can decode to control or full-width characters; stripMarkup normalizes, this keeps the contract explicit.
  const renormalized = normalizeUnicode(unmarked);
  const redacted = redactPersonalData(renormalized);
  addCounts(counts, redacted.counts);
  const quiet = collapseWhitespace(reduceNoise(redacted.text, options.maxRepeat));
  return truncateText(quiet, options.maxChars);
}

/**
 * Cleans one raw text: Unicode normalization → markup removal → personal-data redaction → noise
 * reduction → truncation to `maxChars` → garbage classification → language detection → hash.
 *
 * Idempotent: `cleanText(cleanText(x).text).text === cleanText(x).text`. Never throws on any
 * string (lone surrogates included); throws `RangeError` only for invalid options.
 *
 * @param raw the user's text, as received.
 * @param options overrides of {@link DEFAULT_CLEANING_OPTIONS}.
 */
export function cleanText(raw: string, options: Partial<CleaningOptions> = {}): CleanedResult {
  const resolved = resolveOptions(options);
  const redactions: RedactionCounts = {};
  let text = raw;
  let truncated = false;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const result = cleanOnce(text, resolved, redactions);
    truncated ||= result.truncated;
    if (result.text === text) break;
    text = result.text;
  }
  const dropped = classifyGarbage(text, resolved.minMeaningfulChars);
  const finalText = dropped === null ? text : '';
  return {
    text: finalText,
    lang: dropped === null ? detectLanguage(finalText) : 'und',
    contentHash: contentHash(finalText),
    redactions,
    truncated,
    dropped,
  };
}
