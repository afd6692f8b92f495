/**
 * Markup removal: HTML, Markdown (inline) and a fixed set of BBCode tags, keeping the visible text.
 * Newlines are already spaces when this runs, so only inline Markdown can be recognised.
 */
import { decode } from 'html-entities';
import { normalizeUnicode } from './normalize-unicode';
import { PLACEHOLDER_NAMES, isPlaceholder } from './placeholders';

/** Decode → strip rounds before giving up on deeper entity nesting (`&amp;amp;lt;…`). */
const MAX_ROUNDS = 4;

/** Elements whose content is code, not text; an unclosed one swallows the rest, as in a browser. */
const RAW_TEXT_OR_COMMENT = /<!--|<(script|style)\b[^<>]*>/gi;

/** Tags that break a line when rendered: replaced by a space so that words do not run together. */
const BLOCK_TAGS = new Set(
  (
    'address article aside blockquote br caption dd details div dl dt fieldset figcaption figure footer form ' +
    'h1 h2 h3 h4 h5 h6 header hr img li main nav ol p pre section summary table tbody td tfoot th thead tr ul'
  ).split(' '),
);

/** A start or end tag: a letter right after `<` (so `a < b` and `<3` stay) and a name ending at space, `/` or `>`. */
const TAG = /<\/?([A-Za-z][A-Za-z0-9-]*(?::[A-Za-z][A-Za-z0-9-]*)?)(?=[\s/>])[^<>]*>/g;
/** `<!DOCTYPE …>`, `<![CDATA[…]]>` and `<?xml …?>`. */
const DECLARATION = /<[!?][A-Za-z[][^<>]*>/g;

/** BBCode image: the content is a URL, never text. */
const BBCODE_IMAGE = /\[img(?:=[^[\]]{0,300})?\][^[\]]{0,2048}\[\/img\]/gi;
/** The known BBCode tags only, so that bracketed text such as our own `[EMAIL]` is left alone. */
const BBCODE_TAG = /\[(\/?)(b|i|u|s|url|img|quote|code|color|size|list|\*)(?:=[^[\]]{0,300})?\]/gi;
const BBCODE_BLOCK = new Set(['quote', 'code', 'list', '*']);

/** `![alt](url "title")` and `[text](url)`, but never a placeholder followed by `(` (`[EMAIL](…)`). */
const MARKDOWN_LINK = new RegExp(
  `!?\\[(?!(?:${PLACEHOLDER_NAMES})\\])([^[\\]]{0,500})\\]\\(\\s*[^()\\s]{0,2048}(?:\\s+"[^"]{0,300}")?\\s*\\)`,
  'g',
);

/*
 * Emphasis, conservatively: the marked span is 1–500 characters, does not start or end with a
 * space, and for `*`/`**` is not glued to ASCII letters or digits outside (`2*3*4` stays);
 * underscores must not touch any letter or digit outside (`snake_case_name` stays).
 */
const STRONG_STAR = /(?<![A-Za-z0-9*\\])\*\*(?![\s*])([^*]{1,500}?)(?<![\s*])\*\*(?![A-Za-z0-9*])/g;
const EM_STAR = /(?<![A-Za-z0-9*\\])\*(?![\s*])([^*]{1,500}?)(?<![\s*])\*(?![A-Za-z0-9*])/g;
const STRONG_UNDERSCORE = /(?<![\p{L}\p{N}_\\])__(?![\s_])([^_]{1,500}?)(?<![\s_])__(?![\p{L}\p{N}_])/gu;
const EM_UNDERSCORE = /(?<![\p{L}\p{N}_\\])_(?![\s_])([^_]{1,500}?)(?<![\s_])_(?![\p{L}\p{N}_])/gu;
const STRIKETHROUGH = /~~(?![\s~])([^~]{1,500}?)(?<![\s~])~~/g;
const CODE_SPAN = /(`{1,3})(?![\s`])([^`]{1,1000}?)(?<![\s`])\1(?!`)/g;

/** Everything markup-significant, removed only when nesting is too deep to resolve. */
const MARKUP_CHARS = /[<>[\]*_~`&]/g;

/** Removes script/style elements (with content) and comments, in one left-to-right scan. */
function removeRawTextAndComments(text: string): string {
  const opener = new RegExp(RAW_TEXT_OR_COMMENT.source, RAW_TEXT_OR_COMMENT.flags);
  let out = '';
  let pos = 0;
  for (let m = opener.exec(text); m !== null; m = opener.exec(text)) {
    out += `${text.slice(pos, m.index)} `;
    const element = m[1];
    const closer = element === undefined ? /-->/g : new RegExp(`</${element}\\s*>`, 'gi');
    closer.lastIndex = opener.lastIndex;
    if (closer.exec(text) === null) return out;
    pos = closer.lastIndex;
    opener.lastIndex = pos;
  }
  return out + text.slice(pos);
}

function replaceTag(_tag: string, name: string): string {
  return BLOCK_TAGS.has(name.toLowerCase()) ? ' ' : '';
}

function replaceBbcode(tag: string, slash: string, name: string, offset: number, whole: string): string {
  if (isPlaceholder(tag)) return tag;
  // `arr[i]` is an index, not BBCode: an opening tag glued to a word is left alone (`[*]` never is one).
  if (slash === '' && name !== '*' && /[\p{L}\p{N}_]/u.test(whole[offset - 1] ?? '')) return tag;
  return BBCODE_BLOCK.has(name.toLowerCase()) ? ' ' : '';
}

/** One pass of every markup rule, without entity decoding. */
export function stripMarkupOnce(text: string): string {
  return removeRawTextAndComments(text)
    .replace(DECLARATION, '')
    .replace(TAG, replaceTag)
    .replace(BBCODE_IMAGE, ' ')
    .replace(BBCODE_TAG, replaceBbcode)
    .replace(MARKDOWN_LINK, '$1')
    .replace(STRONG_STAR, '$1')
    .replace(EM_STAR, '$1')
    .replace(STRONG_UNDERSCORE, '$1')
    .replace(EM_UNDERSCORE, '$1')
    .replace(STRIKETHROUGH, '$1')
    .replace(CODE_SPAN, '$2');
}

/**
 * Removes markup and keeps the text a reader would see: `<script>`/`<style>` elements with their
 * content, comments and tags (block tags such as `<br>`, `<p>`, `<li>` become a space); HTML
 * entities decoded; Markdown images → alt text, links → link text, emphasis and code markers
 * dropped; the BBCode tags b, i, u, s, url, img (content dropped), quote, code, color, size, list
 * and `*` removed. Placeholders like `[EMAIL]` are never touched.
 *
 * Decoding can reveal markup (`&lt;b&gt;`), so strip → decode → {@link normalizeUnicode} repeats
 * until nothing changes; the result is therefore normalized and a fixed point (idempotent). Input
 * nested deeper than the round limit is hostile: its markup characters are then blanked out.
 */
export function stripMarkup(text: string): string {
  let current = text;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const next = normalizeUnicode(decode(stripMarkupOnce(current), { level: 'html5', scope: 'strict' }));
    if (next === current) return current;
    current = next;
  }
  return normalizeUnicode(stripMarkupOnce(current).replace(MARKUP_CHARS, ' '));
}
