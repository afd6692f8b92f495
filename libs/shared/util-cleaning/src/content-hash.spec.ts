import { contentHash } from './content-hash';

describe('contentHash', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['你好', '670d9743542cae3ea7ebe36af56bd53648b0a1126162e78d81a32934a711302e'],
  ])('sha-256 of %j (UTF-8)', (input, expected) => {
    expect(contentHash(input)).toBe(expected);
  });

  it('differs for different texts and is stable', () => {
    expect(contentHash('好评')).toBe(contentHash('好评'));
    expect(contentHash('好评')).not.toBe(contentHash('好评 '));
    expect(contentHash('x')).toMatch(/^[0-9a-f]{64}$/);
  });
});
