import { textRepeatKey } from './text-repeat';

describe('textRepeatKey', () => {
  it('is the same for the same text about the same item, and differs for another item or none', () => {
    const h = 'a'.repeat(64);
    expect(textRepeatKey('capo-1', h)).toBe(textRepeatKey('capo-1', h));
    expect(textRepeatKey('capo-1', h)).not.toBe(textRepeatKey('tuner-2', h));
    expect(textRepeatKey('capo-1', h)).not.toBe(textRepeatKey('capo-1', 'b'.repeat(64)));
    // No item (a post) is not an item with an empty id, nor one named like the separator.
    expect(
      new Set([textRepeatKey(null, h), textRepeatKey('', h), textRepeatKey('none', h), textRepeatKey('\u0000none', h)])
        .size,
    ).toBe(4);
    expect(textRepeatKey(null, h)).toMatch(/^[0-9a-f]{64}$/);
  });
});
