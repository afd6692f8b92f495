/**
 * Recognisers for personal data. Every digit pattern starts after a non-digit (`(?<!\d)` or a
 * leading `+`) and ends with `(?!\d)`, so it never matches inside a longer digit run; every
 * quantifier is bounded or delimited so that matching stays linear on hostile input (no
 * catastrophic backtracking on 1 MB strings).
 */

/** Characters a URL may contain (RFC 3986, minus brackets so that placeholders end a URL). */
const URL_CHAR = "[\\w\\-.~:/?#@!$&'()*+,;=%]";

/** `http(s)://` and `ftp://` URLs. */
export const SCHEME_URL = new RegExp(`(?:https?|ftp)://[A-Za-z0-9]${URL_CHAR}{0,2047}`, 'gi');

/** `www.` URLs, starting at a word boundary. */
export const WWW_URL = new RegExp(
  `(?<![\\w.@/-])www\\.[A-Za-z0-9-]{1,63}\\.[A-Za-z]{2,24}(?:[/?#:]${URL_CHAR}{0,2047})?`,
  'gi',
);

/** Common top-level domains for bare `domain.tld/path` links (a list, so `node.js/x` is not a URL). */
const BARE_TLDS =
  'com|net|org|cn|io|co|ly|me|info|biz|edu|gov|uk|de|jp|fr|ru|tv|us|ca|au|in|app|dev|xyz|top|site|shop|hk|tw|gl|gg|to|cc|ai';

/** Bare domains with a path (`bit.ly/abc`, `t.cn/xyz`); never the domain part of an email. */
export const BARE_URL = new RegExp(
  `(?<![\\w.@/-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.){1,8}(?:${BARE_TLDS})/${URL_CHAR}{0,2047}`,
  'gi',
);

/**
 * Splits a URL match into the URL proper and trailing punctuation that belongs to the sentence
 * (`see http://x.com/a).` → `http://x.com/a` + `).`), keeping parentheses that the URL opened.
 */
export function splitUrlTail(match: string): [url: string, tail: string] {
  let unclosed = count(match, ')') - count(match, '(');
  let end = match.length;
  for (;;) {
    const last = match[end - 1];
    if (last === undefined) break;
    if (".,;:!?'*".includes(last)) end--;
    else if (last === ')' && unclosed > 0) {
      end--;
      unclosed--;
    } else break;
  }
  return [match.slice(0, end), match.slice(end)];
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

/** Characters of an email local part (ASCII; internationalised local parts are rare in practice). */
const EMAIL_LOCAL_CHAR = /[A-Za-z0-9._%+-]/;
/** RFC 5321 limit on the local part; also bounds the backwards scan. */
const MAX_LOCAL_CHARS = 64;
/** Domain after the `@`: labels and a letters-only top-level domain (subdomains included). */
const EMAIL_DOMAIN = /[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}/y;

/**
 * Replaces email addresses (plus-addressing and subdomains included) with `redact()`'s
 * placeholder. The scan starts from each `@` and walks back over at most 64 local-part characters:
 * a regex starting anywhere would rescan 64 characters at every position of a long word.
 */
export function redactEmails(text: string, redact: () => string): string {
  let out = '';
  let copied = 0;
  for (let at = text.indexOf('@'); at !== -1;) {
    let start = at;
    while (start > copied && at - start < MAX_LOCAL_CHARS && EMAIL_LOCAL_CHAR.test(text[start - 1]!)) start--;
    EMAIL_DOMAIN.lastIndex = at + 1;
    if (start < at && EMAIL_DOMAIN.test(text)) {
      out += text.slice(copied, start) + redact();
      copied = EMAIL_DOMAIN.lastIndex;
      at = text.indexOf('@', copied);
    } else {
      at = text.indexOf('@', at + 1);
    }
  }
  return out + text.slice(copied);
}

/** Candidate Chinese resident ID (18 characters, optionally grouped 6-8-4); checked by `isValidChineseId`. */
export const CN_ID_CANDIDATE = /(?<!\d)([1-9]\d{5})([ -]?)(\d{8})\2(\d{3}(?:\d(?!\d)|[Xx](?![A-Za-z0-9])))/g;

/** Mainland-China mobile: `1[3-9]` + 9 digits, optional +86/0086 prefix, optional 3-4-4 grouping. */
export const CN_MOBILE = /(?<![\d+])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)/g;

/**
 * International `+<cc>` numbers: digit groups joined by one space, dot or dash, with at most a few
 * `(…)` groups (`+1 (555) 123-4567`, `+49 (0)30 1234567`). Each group starts after a separator or a
 * `)`, so digit runs are maximal and the match cannot backtrack exponentially. No lookbehind: the
 * 8-digit minimum already rules out arithmetic (`x+1 = 2`), and a `+` glued to a previous number
 * (`…0958+44 20…`) must not wait for another pass.
 */
export const INTL_PHONE = /\+\d{1,15}(?:[ .-]?\(\d{1,4}\)[ .-]?\d{1,12}|[ .-]\d{1,12}){0,6}(?!\d)/g;

/** E.164 numbers have at most 15 digits; fewer than 8 is not a reachable international number. */
const INTL_MIN_DIGITS = 8;
const INTL_MAX_DIGITS = 15;

/**
 * The longest prefix of an {@link INTL_PHONE} match, cut at a group boundary, that has 8–15
 * digits; `undefined` if none. Trailing groups beyond 15 digits belong to something else.
 */
export function intlPhonePrefix(match: string): string | undefined {
  if (match.replace(/\D/g, '').length < INTL_MIN_DIGITS) return undefined;
  const boundaries = [...match.matchAll(/\d(?=[ .-]|\(|$)/g)].map((m) => m.index + 1);
  for (let i = boundaries.length - 1; i >= 0; i--) {
    const prefix = match.slice(0, boundaries[i]);
    const digits = prefix.replace(/\D/g, '').length;
    if (digits >= INTL_MIN_DIGITS && digits <= INTL_MAX_DIGITS) return prefix;
    if (digits < INTL_MIN_DIGITS) return undefined;
  }
  return undefined;
}

/** North-American numbers: `(555) 123-4567`, `555-123-4567`, `555.123.4567`, optional leading `1`. */
export const NANP_PHONE = /(?<![\d+])(?:1[ .-]?)?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4}(?!\d)/g;

/** Mainland-China landlines with area code: `010-12345678`, `0755-1234567`. */
export const CN_LANDLINE = /(?<![\d+])0\d{2,3}-\d{7,8}(?!\d)/g;

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/**
 * Dotted-quad IPv4 with every octet ≤ 255, not part of a longer dotted number (`1.2.3.4.5`) and
 * not after `+` (`+49.30.12.34` is a phone number).
 */
export const IPV4 = new RegExp(`(?<![\\d.+])(?:${OCTET}\\.){3}${OCTET}(?!\\.?\\d)`, 'g');

/** Candidate IPv6 (full, compressed or with an IPv4 tail); checked by {@link isIpv6}. */
export const IPV6_CANDIDATE =
  /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?![\w:]|\.\d)/g;

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const IPV4_EXACT = new RegExp(`^(?:${OCTET}\\.){3}${OCTET}$`);

/**
 * Whether `candidate` is an IPv6 address: 8 groups, or fewer with exactly one `::`, each group
 * 1–4 hex digits, an optional IPv4 tail counting as two groups. At least one decimal digit is
 * required so that words such as `dead::beef` are not taken for addresses.
 */
export function isIpv6(candidate: string): boolean {
  if (!/\d/.test(candidate)) return false;
  const gap = candidate.indexOf('::');
  // A second `::` (or `:::`) makes the address ambiguous.
  if (gap !== -1 && candidate.indexOf('::', gap + 1) !== -1) return false;
  const halves = gap === -1 ? [candidate] : [candidate.slice(0, gap), candidate.slice(gap + 2)];
  const groups = halves.filter((half) => half !== '').flatMap((half) => half.split(':'));
  let width = 0;
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i]!;
    if (HEX_GROUP.test(group)) width += 1;
    else if (i === groups.length - 1 && IPV4_EXACT.test(group)) width += 2;
    else return false;
  }
  return gap === -1 ? width === 8 : width <= 7;
}

/**
 * `@name` handles, Latin or Chinese (`@小明`, also glued to Han text: `微博@小明`). Runs after emails
 * and URLs, so any `@name` left is a handle, whatever precedes it: a lookbehind here would make
 * `@a@b` need one pass per handle.
 */
export const HANDLE = /@[\p{L}\p{N}_]+(?:\.[\p{L}\p{N}_]+)*/gu;
