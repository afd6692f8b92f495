/**
 * Unicode hygiene: makes text well-formed, canonical and free of invisible characters, so that
 * every later step (regexes, placeholders, hashing) sees one spelling of each visible string.
 */

/** An unpaired UTF-16 surrogate (ill-formed text, e.g. a string sliced through an emoji). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Line and tab controls (C0 plus NEL): they separate words, so they become spaces. */
const SPACE_LIKE_CONTROL = /[\t\n\v\f\r\u0085]/g;

/**
 * Characters that render as nothing yet split or disguise words: the rest of C0/C1 (incl. NUL),
 * soft hyphen, zero-width characters, word joiners and invisible operators, bidi marks, embeddings,
 * overrides and isolates (the `\u202E` file-name trick), BOM, interlinear annotations and tag
 * characters (used to smuggle hidden text).
 */
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  /[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFEFF\uFFF9-\uFFFB\u{E0000}-\u{E007F}]/gu;

/** Three or more combining marks in a row: "zalgo" text. Two are enough for real scripts (e.g. Vietnamese). */
const MARK_FLOOD = /(\p{M}{2})\p{M}+/gu;

/** Whitespace that is not already a single space (rewriting every lone space would be slow on 1 MB). */
const WHITESPACE_TO_FIX = /\s{2,}|[^\S ]/g;

/** Replaces each lone surrogate by U+FFFD so that the text is valid UTF-16. */
export function toWellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/** Collapses every whitespace run to one space and trims. */
export function collapseWhitespace(text: string): string {
  return text.replace(WHITESPACE_TO_FIX, ' ').trim();
}

/**
 * Normalizes text for encoding: lone surrogates → U+FFFD; tabs/newlines → spaces; other control,
 * zero-width, bidi and format characters removed; NFKC (full-width → half-width, `，` → `,`);
 * at most 2 consecutive combining marks; whitespace runs collapsed to one space and trimmed.
 *
 * Invisible characters go before NFKC so that, e.g., `e\u200B\u0301` composes to `é` in this pass
 * rather than in the next (the function is idempotent).
 */
export function normalizeUnicode(text: string): string {
  const visible = toWellFormed(text).replace(SPACE_LIKE_CONTROL, ' ').replace(INVISIBLE, '');
  return collapseWhitespace(visible.normalize('NFKC').replace(MARK_FLOOD, '$1'));
}
