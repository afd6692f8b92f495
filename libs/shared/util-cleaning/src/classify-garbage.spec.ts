import { classifyGarbage } from './classify-garbage';

describe('classifyGarbage', () => {
  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['[EMAIL]', 'only_placeholders'],
    ['[EMAIL] [PHONE]!!', 'only_placeholders'],
    ['联系:[PHONE]', null], // 联系 is meaningful
    ['!!!', 'only_symbols'],
    ['😂😂😂', 'only_symbols'],
    ['？！。', 'only_symbols'],
    ['\uFFFD', 'only_symbols'],
    ['a', 'too_short'],
    ['好', 'too_short'],
    ['[URL] 好', 'too_short'],
    ['7!', 'too_short'],
    ['好评', null],
    ['ok', null],
    ['[URL] 好评', null],
    ['Great product', null],
    ["'; DROP TABLE users; --", null],
  ] as const)('%j → %s', (input, expected) => {
    expect(classifyGarbage(input, 2)).toBe(expected);
  });

  it('honours minMeaningfulChars', () => {
    expect(classifyGarbage('a', 0)).toBeNull();
    expect(classifyGarbage('好评', 3)).toBe('too_short');
    expect(classifyGarbage('好评如潮', 3)).toBeNull();
    expect(classifyGarbage('好')).toBe('too_short'); // default 2
  });
});
