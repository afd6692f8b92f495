import fc from 'fast-check';
import { cleanText } from './clean-text';
import { cardArb, emailArb, embeddedArb, findEmail, findLuhnCard, phoneArb } from './spec-helpers/pii-arbitraries';

const RUNS = 400;

/** Strings built from a grammar that mixes words, Han, personal data, markup and noise. */
const grammarArb = fc
  .array(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          'good',
          'product',
          'the',
          'I',
          'love',
          '好评',
          '质量',
          '很好',
          '物流',
          '哈哈哈哈哈',
          'soooooo',
          'ＡＢＣ',
          '，',
          '。',
          '!',
          '!!!!!',
          '?',
          '😂😂😂😂',
          '👍🏻',
          '❤️',
          ' ',
          ' ',
          '-',
          '.',
          '@',
          ':',
          '1',
          '42',
          '2023',
        ),
      },
      { weight: 2, arbitrary: fc.oneof(emailArb, phoneArb, cardArb) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'http://x.cn/a?b=1',
          'www.shop.com',
          'bit.ly/x',
          '10.0.0.1',
          'fe80::1',
          '11010519491231002X',
          '@小明',
          '@bob',
        ),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          '<b>',
          '</b>',
          '<p>',
          '<br>',
          '<script>x</script>',
          '<!--',
          '-->',
          '&lt;',
          '&gt;',
          '&amp;',
          '&#20320;',
          '**',
          '_',
          '`',
          '~~',
          '[b]',
          '[/b]',
          '[url=x]',
          '[/url]',
          '[img]',
          '[/img]',
          '[',
          ']',
          '(',
          ')',
          '![',
          '](',
          '[EMAIL]',
          '[CARD]',
        ),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '\u0000',
          '\u202E',
          '\u200B',
          '\uFEFF',
          '\uD800',
          '\uDC00',
          '\u0301\u0302\u0303',
          '\t',
          '\n',
        ),
      },
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

const anyStringArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  grammarArb,
);
const optionsArb = fc.record({
  maxChars: fc.integer({ min: 1, max: 300 }),
  maxRepeat: fc.integer({ min: 1, max: 4 }),
  minMeaningfulChars: fc.integer({ min: 0, max: 4 }),
});

describe('cleanText properties', () => {
  it('never throws on arbitrary UTF-16, including lone surrogates', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (raw) => {
        expect(() => cleanText(raw)).not.toThrow();
      }),
      { numRuns: RUNS },
    );
  });

  it('is idempotent with default options', () => {
    fc.assert(
      fc.property(anyStringArb, (raw) => {
        const once = cleanText(raw).text;
        expect(cleanText(once).text).toBe(once);
      }),
      { numRuns: RUNS },
    );
  });

  it('is idempotent with any valid options', () => {
    fc.assert(
      fc.property(grammarArb, optionsArb, (raw, options) => {
        const once = cleanText(raw, options).text;
        expect(cleanText(once, options).text).toBe(once);
      }),
      { numRuns: RUNS },
    );
  });

  it('never returns more than maxChars code units, nor ill-formed UTF-16', () => {
    fc.assert(
      fc.property(anyStringArb, optionsArb, (raw, options) => {
        const { text } = cleanText(raw.repeat(3), options);
        expect(text.length).toBeLessThanOrEqual(options.maxChars);
        expect(text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      }),
      { numRuns: RUNS },
    );
  });

  it('leaves no email address', () => {
    fc.assert(
      fc.property(embeddedArb(emailArb), ({ secret, text }) => {
        const out = cleanText(text).text;
        expect(out).not.toContain(secret);
        expect(findEmail(out)).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });

  it('leaves no Luhn-valid card number', () => {
    fc.assert(
      fc.property(embeddedArb(cardArb), ({ secret, text }) => {
        const out = cleanText(text).text;
        expect(out).not.toContain(secret);
        expect(findLuhnCard(out)).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });

  it('leaves no phone number', () => {
    fc.assert(
      fc.property(embeddedArb(phoneArb), ({ secret, text }) => {
        expect(cleanText(text).text).not.toContain(secret);
      }),
      { numRuns: RUNS },
    );
  });

  it('leaves no email or Luhn-valid card in grammar-built text', () => {
    fc.assert(
      fc.property(grammarArb, (raw) => {
        const out = cleanText(raw).text;
        expect(findEmail(out)).toBeUndefined();
        expect(findLuhnCard(out)).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });
});
