/**
 * fast-check generators for realistic personal data and the text around it, plus independent
 * (deliberately naive) checkers used by the property tests. Test-only: not exported by the library.
 */
import fc from 'fast-check';

const digit = fc.integer({ min: 0, max: 9 }).map(String);
const digits = (min: number, max: number): fc.Arbitrary<string> =>
  fc.array(digit, { minLength: min, maxLength: max }).map((d) => d.join(''));
const lowerAlnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));
const word = (min: number, max: number): fc.Arbitrary<string> =>
  fc.array(lowerAlnum, { minLength: min, maxLength: max }).map((c) => c.join(''));

/** Emails with dots, dashes, underscores, plus-addressing and subdomains. */
export const emailArb: fc.Arbitrary<string> = fc
  .tuple(
    word(1, 10),
    fc.option(fc.tuple(fc.constantFrom('.', '_', '-'), word(1, 8)), { nil: undefined }),
    fc.option(word(1, 6), { nil: undefined }),
    fc.array(word(1, 8), { minLength: 1, maxLength: 3 }),
    fc.constantFrom('com', 'org', 'net', 'cn', 'io', 'co.uk', 'com.cn', 'edu'),
  )
  .map(
    ([local, extra, tag, labels, tld]) =>
      `${local}${extra ? extra.join('') : ''}${tag ? `+${tag}` : ''}@${labels.join('.')}.${tld}`,
  );

/** Appends the Luhn check digit to `body`. */
export function withLuhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

/** Groups a digit string as cards are printed: 4-4-4-4…, Amex 4-6-5, or not at all. */
function groupCard(pan: string, sep: string, amexStyle: boolean): string {
  if (sep === '') return pan;
  if (amexStyle && pan.length === 15) return [pan.slice(0, 4), pan.slice(4, 10), pan.slice(10)].join(sep);
  return pan.match(/.{1,4}/g)!.join(sep);
}

/** Luhn-valid card numbers of 13–19 digits (Visa, Mastercard, Amex, Discover, UnionPay prefixes). */
export const cardArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('4', '51', '55', '34', '37', '6011', '62'),
    fc.integer({ min: 13, max: 19 }),
    digits(19, 19),
    fc.constantFrom('', ' ', '-'),
    fc.boolean(),
  )
  .map(([prefix, length, fill, sep, amex]) =>
    groupCard(withLuhnDigit((prefix + fill).slice(0, length - 1)), sep, amex),
  );

const areaCode = fc.tuple(fc.integer({ min: 2, max: 9 }), digits(2, 2)).map(([a, b]) => `${a}${b}`);

/** Phone numbers in the formats the redactor promises to catch. */
export const phoneArb: fc.Arbitrary<string> = fc.oneof(
  // North America
  fc
    .tuple(areaCode, digits(3, 3), digits(4, 4), fc.constantFrom('paren', '-', '.', 'plus1'))
    .map(([a, b, c, style]) => {
      if (style === 'paren') return `(${a}) ${b}-${c}`;
      if (style === 'plus1') return `+1 (${a}) ${b}-${c}`;
      return [a, b, c].join(style);
    }),
  // Mainland-China mobile, optional +86/0086 prefix, 3-4-4 grouping
  fc
    .tuple(
      fc.constantFrom('', '+86 ', '+86', '0086 ', '+86-'),
      fc.integer({ min: 3, max: 9 }),
      digits(9, 9),
      fc.constantFrom('', ' ', '-'),
    )
    .map(
      ([prefix, second, rest, sep]) =>
        `${prefix}1${second}${rest.slice(0, 1)}${sep}${rest.slice(1, 5)}${sep}${rest.slice(5)}`,
    ),
  // International: +cc then 2–4 digit groups with one kind of separator, 8–15 digits in all
  fc
    .tuple(
      fc.integer({ min: 1, max: 999 }),
      fc.array(fc.integer({ min: 2, max: 4 }), { minLength: 2, maxLength: 4 }),
      digits(16, 16),
      fc.constantFrom(' ', '-', '.'),
    )
    .filter(([cc, sizes]) => {
      const total = String(cc).length + sizes.reduce((a, b) => a + b, 0);
      return total >= 8 && total <= 15;
    })
    .map(([cc, sizes, fill, sep]) => {
      let offset = 0;
      const groups = sizes.map((n) => fill.slice(offset, (offset += n)));
      return `+${cc}${sep}${groups.join(sep)}`;
    }),
);

/** Ordinary words and snippets, English and Chinese, with numbers and a little markup. */
export const fillerArb: fc.Arbitrary<string> = fc.constantFrom(
  'great',
  'product',
  'shipping',
  'was',
  'slow',
  'but',
  'I',
  'love',
  'it',
  '好评',
  '质量',
  '很好',
  '物流',
  '太慢了',
  '推荐',
  '购买',
  'call',
  'me',
  'at',
  '联系',
  '电话',
  '邮箱',
  ',',
  '.',
  '!',
  '？',
  '42',
  '2023',
  '3.5',
  '100%',
  '<b>',
  '</b>',
  '**',
  '&amp;',
  '😂',
  '哈哈哈哈',
  'sooooo',
  '[EMAIL]',
  '(',
  ')',
  '-',
  '@',
  'www',
  'v1.2',
);

/** Wraps a value in markup that must not stop it from being found. */
export const wrapArb: fc.Arbitrary<(s: string) => string> = fc.constantFrom(
  (s: string) => s,
  (s: string) => `<b>${s}</b>`,
  (s: string) => `<p>${s}</p>`,
  (s: string) => `**${s}**`,
  (s: string) => `[b]${s}[/b]`,
  (s: string) => `[${s}](http://x.cn)`,
  (s: string) => `联系${s}谢谢`,
  (s: string) => `(${s})`,
  (s: string) => `${s}.`,
);

/** Surrounding text with `secret` embedded (wrapped in markup) at a random word position. */
export function embeddedArb(secret: fc.Arbitrary<string>): fc.Arbitrary<{ secret: string; text: string }> {
  return fc
    .tuple(secret, fc.array(fillerArb, { maxLength: 12 }), fc.array(fillerArb, { maxLength: 12 }), wrapArb)
    .map(([value, before, after, wrap]) => ({ secret: value, text: [...before, wrap(value), ...after].join(' ') }));
}

/** Naive email finder, independent of the redactor. */
export function findEmail(text: string): string | undefined {
  return /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/.exec(text)?.[0];
}

function luhn(digitString: string): boolean {
  let sum = 0;
  for (let i = 0; i < digitString.length; i++) {
    let d = Number(digitString[digitString.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Brute force: every run of 13–19 digits, optionally separated by single spaces or dashes, that
 * is not part of a longer digit run, checked with Luhn. Returns the first valid one.
 */
export function findLuhnCard(text: string): string | undefined {
  for (let start = 0; start < text.length; start++) {
    if (!/\d/.test(text[start]!) || /\d/.test(text[start - 1] ?? '')) continue;
    for (let end = start + 13; end <= Math.min(text.length, start + 37); end++) {
      const candidate = text.slice(start, end);
      if (!/^\d(?:[ -]?\d)+$/.test(candidate) || /\d/.test(text[end] ?? '')) continue;
      const ds = candidate.replace(/[ -]/g, '');
      if (ds.length >= 13 && ds.length <= 19 && luhn(ds)) return candidate;
    }
  }
  return undefined;
}
