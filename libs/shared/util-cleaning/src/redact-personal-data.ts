/**
 * Personal-data redaction: replaces emails, phone numbers, URLs, IP addresses, payment cards,
 * Chinese resident IDs and @handles with typed placeholders such as `[EMAIL]`.
 */
import { redactCardNumbers } from './card-numbers';
import type { RedactionCounts, RedactionType } from './cleaning-types';
import { isValidChineseId } from './checksums';
import {
  BARE_URL,
  CN_ID_CANDIDATE,
  CN_LANDLINE,
  CN_MOBILE,
  HANDLE,
  INTL_PHONE,
  IPV4,
  IPV6_CANDIDATE,
  NANP_PHONE,
  SCHEME_URL,
  WWW_URL,
  intlPhonePrefix,
  isIpv6,
  redactEmails,
  splitUrlTail,
} from './pii-patterns';
import { PLACEHOLDERS } from './placeholders';

/** Redacted text and how many items of each type were replaced. */
export interface RedactionResult {
  text: string;
  counts: RedactionCounts;
}

/** A rule rewrites the text, calling `redact()` for (and to count) each placeholder it writes. */
interface Rule {
  type: RedactionType;
  apply: (text: string, redact: () => string) => string;
}

/** A rule from a pattern; `decide` returns a match's replacement (by default the placeholder). */
function regexRule(
  type: RedactionType,
  pattern: RegExp,
  decide = (_match: string, redact: () => string) => redact(),
): Rule {
  return { type, apply: (text, redact) => text.replace(pattern, (match: string) => decide(match, redact)) };
}

/*
 * Order matters; each rule runs on the output of the previous ones, and placeholders contain no
 * digits, `@`, dots or slashes, so an earlier rule's placeholder is inert to later rules.
 * - URLs first: a URL can contain an email (`mailto:`, `?email=`), an IP host, phone-like or
 *   card-like digits; it is one unit and must not be split into several redactions.
 * - Emails before IPs, IDs and handles: an email contains an `@name` and may contain digits.
 * - IPs before IDs, cards and phones: dotted or colon-separated digits must not feed digit rules;
 *   IPv6 before IPv4, whose dotted form can end an IPv6 address (`::ffff:192.0.2.1`).
 * - Chinese IDs before cards: an 18-digit ID may pass Luhn by chance, and an ID must win.
 * - Cards before phones: a loose phone pattern can match part of a grouped card number, which
 *   would leave the rest of the card behind. A number that fails Luhn falls through to phones.
 * - Handles last: only an `@` left over by emails and URLs is a handle.
 */
const RULES: readonly Rule[] = [
  regexRule('url', SCHEME_URL, redactUrl),
  regexRule('url', WWW_URL, redactUrl),
  regexRule('url', BARE_URL, redactUrl),
  { type: 'email', apply: redactEmails },
  regexRule('ip', IPV6_CANDIDATE, (m, redact) => (isIpv6(m) ? redact() : m)),
  regexRule('ip', IPV4),
  regexRule('cn_id', CN_ID_CANDIDATE, (m, redact) => (isValidChineseId(m.replace(/[ -]/g, '')) ? redact() : m)),
  { type: 'card', apply: redactCardNumbers },
  regexRule('phone', CN_MOBILE),
  regexRule('phone', INTL_PHONE, (m, redact) => {
    const phone = intlPhonePrefix(m);
    return phone === undefined ? m : redact() + m.slice(phone.length);
  }),
  regexRule('phone', NANP_PHONE),
  regexRule('phone', CN_LANDLINE),
  regexRule('handle', HANDLE),
];

function redactUrl(match: string, redact: () => string): string {
  const [, tail] = splitUrlTail(match);
  return redact() + tail;
}

/**
 * A rule can fail only because of a neighbour that a later rule then replaces (`@bob::1`: no IPv6
 * right after a word character, an IPv6 once the handle is `[HANDLE]`), so passes repeat until
 * nothing changes. Two passes are the norm; the bound only guards against surprises.
 */
const MAX_PASSES = 4;

/**
 * Replaces personal data with typed placeholders (`[EMAIL]`, `[PHONE]`, `[URL]`, `[IP]`, `[CARD]`,
 * `[CN_ID]`, `[HANDLE]`) and counts them per type. Card numbers must pass Luhn and Chinese IDs
 * their MOD 11-2 check and a plausible birth date; digits are never matched inside a longer run.
 */
export function redactPersonalData(text: string): RedactionResult {
  const counts: RedactionCounts = {};
  let current = text;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let changed = false;
    for (const rule of RULES) {
      const redact = (): string => {
        counts[rule.type] = (counts[rule.type] ?? 0) + 1;
        changed = true;
        return PLACEHOLDERS[rule.type];
      };
      current = rule.apply(current, redact);
    }
    if (!changed) break;
  }
  return { text: current, counts };
}
