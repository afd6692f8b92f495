import fc from 'fast-check';
import { reduceNoise } from './reduce-noise';

describe('reduceNoise', () => {
  it.each([
    ['repeated letter', 'sooooo good', 'sooo good'],
    ['repeated exclamation', 'wow!!!!!!', 'wow!!!'],
    ['repeated Han laughter', '哈哈哈哈哈哈', '哈哈哈'],
    ['repeated full-width question marks', '真的吗？？？？？', '真的吗？？？'],
    ['Chinese full stops', '好吧。。。。。。', '好吧。。。'],
    ['emoji flood', '😂😂😂😂😂', '😂😂😂'],
    ['mixed emoji run', '😂🤣😂🤣😂🤣', '😂🤣😂'],
    ['emoji with skin tone stay whole', '👍🏻👍🏻👍🏻👍🏻', '👍🏻👍🏻👍🏻'],
    ['emoji with variation selector stay whole', '❤️❤️❤️❤️❤️', '❤️❤️❤️'],
    ['mixed punctuation run', 'what?!?!?!', 'what?!?'],
    ['symbols and emoji mixed', '$$$💰💰💰', '$$$'],
    ['exactly maxRepeat is kept', 'sooo!!! 哈哈哈', 'sooo!!! 哈哈哈'],
    ['digits are data, not noise', '1000000 and 0000 0000', '1000000 and 0000 0000'],
    ['placeholder brackets do not count', '!!![EMAIL]!!!', '!!![EMAIL]!!!'],
    ['run before a placeholder', '!!!!!![EMAIL]', '!!![EMAIL]'],
    ['repeated placeholders kept', '[EMAIL][EMAIL][EMAIL][EMAIL]', '[EMAIL][EMAIL][EMAIL][EMAIL]'],
    ['SQL comment survives', "'; DROP TABLE users; --", "'; DROP TABLE users; --"],
  ])('%s', (_name, input, expected) => {
    expect(reduceNoise(input, 3)).toBe(expected);
  });

  it.each([
    [1, 'soooo!!!! 哈哈哈', 'so! 哈'],
    [2, 'soooo!!!! 哈哈哈', 'soo!! 哈哈'],
  ])('honours maxRepeat=%i', (maxRepeat, input, expected) => {
    expect(reduceNoise(input, maxRepeat)).toBe(expected);
  });

  it('defaults to 3 and rejects a maxRepeat below 1', () => {
    expect(reduceNoise('aaaaa')).toBe('aaa');
    expect(() => reduceNoise('x', 0)).toThrow(RangeError);
  });

  it('is idempotent', () => {
    const unit = fc.constantFrom(
      'a',
      'o',
      '哈',
      '!',
      '?',
      '。',
      '😂',
      '🤣',
      '👍',
      '\u{1F3FB}',
      '\uFE0F',
      '\u0301',
      '[EMAIL]',
      '[',
      ']',
      ' ',
      '1',
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), (parts, maxRepeat) => {
        const once = reduceNoise(parts.join(''), maxRepeat);
        expect(reduceNoise(once, maxRepeat)).toBe(once);
      }),
      { numRuns: 500 },
    );
  });
});
