import fc from 'fast-check';
import { normalizeUnicode } from './normalize-unicode';

describe('normalizeUnicode', () => {
  it.each([
    // NFKC: full-width → half-width, compatibility forms
    ['full-width Latin and digits', 'ＡＢＣ１２３', 'ABC123'],
    ['full-width Chinese punctuation', '你好，世界！（测试）', '你好,世界!(测试)'],
    ['ligature and circled digit', 'ﬁle ①', 'file 1'],
    ['ideographic space', '中\u3000文', '中 文'],
    ['decomposed accents compose', 'Cafe\u0301', 'Café'],
    // lone surrogates
    ['lone high surrogate', 'a\uD800b', 'a\uFFFDb'],
    ['lone low surrogate before Han', '\uDC00中', '\uFFFD中'],
    ['valid pair kept', '好😀', '好😀'],
    // control characters
    ['null byte', 'a\u0000b', 'ab'],
    ['null byte in Chinese', '中\u0000文\u0007', '中文'],
    ['tabs and newlines become spaces', 'line1\nline2\tx\r\ny', 'line1 line2 x y'],
    ['C1 controls removed, NEL is a line break', 'a\u0080b\u009Fc\u0085d', 'abc d'],
    // zero-width and bidi
    ['zero-width space inside a word', 'pass\u200Bword', 'password'],
    ['BOM and joiners in Chinese', '\uFEFF敏\u200D感\u2060词', '敏感词'],
    ['right-to-left override', '\u202Egnp.exe', 'gnp.exe'],
    ['isolates, marks and ALM', 'a\u2066b\u2069\u200E\u200F\u061Cc', 'abc'],
    ['soft hyphen', 'e\u00ADmail', 'email'],
    // zalgo
    ['combining-mark flood', 'Z\u0337\u0322\u031B\u033A\u0353o', 'Z\u0337\u0322o'],
    ['marks on Han', '好\u0300\u0301\u0302\u0303', '好\u0300\u0301'],
    ['Vietnamese keeps its two marks', 'Tiê\u0301ng Việt', 'Tiếng Việt'],
    // whitespace
    ['collapse and trim', '  a \t\n  b  ', 'a b'],
    ['only invisible', '\u200B\u200C\u0000 \n', ''],
  ])('%s', (_name, input, expected) => {
    expect(normalizeUnicode(input)).toBe(expected);
  });

  it('composes a mark that a removed invisible separated from its base, in one pass', () => {
    expect(normalizeUnicode('e\u200B\u0301')).toBe('é');
  });

  it('is idempotent on arbitrary UTF-16', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        const once = normalizeUnicode(s);
        expect(normalizeUnicode(once)).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it('always returns well-formed UTF-16', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        expect(normalizeUnicode(s)).not.toMatch(
          /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/,
        );
      }),
      { numRuns: 300 },
    );
  });
});
