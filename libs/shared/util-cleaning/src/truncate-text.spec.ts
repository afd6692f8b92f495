import { truncateText } from './truncate-text';

describe('truncateText', () => {
  it.each([
    ['short text untouched', 'hello', 10, 'hello', false],
    ['exact length untouched', '你好世界', 4, '你好世界', false],
    ['cut at a word start', 'hello wonderful world', 12, 'hello', true],
    ['Han may be cut anywhere', '你好世界和平', 4, '你好世界', true],
    ['mixed: cut before a Latin word', '我爱iPhone手机', 5, '我爱', true],
    ['surrogate pair never split', 'ab😀cd', 3, 'ab', true],
    ['emoji-only text', '😀😀😀', 3, '😀', true],
    ['placeholder never split', 'see [EMAIL] now', 8, 'see', true],
    ['Chinese before a placeholder', '联系[PHONE]谢谢', 5, '联系', true],
    ['number not cut into a shorter number', 'id 123456789012345678901234', 20, 'id', true],
    ['word longer than the back-off is cut hard', 'x'.repeat(50), 40, 'x'.repeat(40), true],
    ['single long word is not cut to nothing', 'abcdefghij', 5, 'abcde', true],
    ['trailing space trimmed', 'ab cd', 3, 'ab', true],
  ])('%s', (_name, input, maxChars, text, truncated) => {
    expect(truncateText(input, maxChars)).toEqual({ text, truncated });
  });

  it('defaults to 2000 code units', () => {
    expect(truncateText('好'.repeat(2500)).text).toHaveLength(2000);
  });

  it('rejects a limit below 1', () => {
    expect(() => truncateText('x', 0)).toThrow(RangeError);
  });
});
