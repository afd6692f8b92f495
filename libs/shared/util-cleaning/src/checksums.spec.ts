import { isLuhnValid, isValidChineseId } from './checksums';

describe('isLuhnValid', () => {
  it.each([
    ['4111111111111111', true],
    ['4111 1111 1111 1111', true],
    ['4111-1111-1111-1111', true],
    ['378282246310005', true], // Amex
    ['6222021234567890128', true], // UnionPay, 19 digits
    ['79927398713', true],
    ['4111111111111112', false],
    ['4111  1111 1111 1111', false], // double space is not a grouping
    ['4111111111111111a', false],
    ['', false],
    ['0', false],
    ['信用卡', false],
  ])('%j → %s', (input, expected) => {
    expect(isLuhnValid(input)).toBe(expected);
  });
});

describe('isValidChineseId', () => {
  it.each([
    ['11010519491231002X', true],
    ['11010519491231002x', true], // lower-case check character
    ['440305199003071236', true],
    ['310115200002294567', true], // 29 Feb 2000 (leap year)
    ['110105194912310021', false], // wrong check digit
    ['110105194912320025', false], // 32 December (check digit correct)
    ['110105202302290014', false], // 29 Feb 2023 (check digit correct)
    ['110105180001010010', false], // born 1800
    ['01010519491231002X', false], // region code starts with 0
    ['11010519491231002', false], // 17 characters
    ['1101051949123100299', false], // 19 characters
    ['11010519491231002Y', false],
  ])('%s → %s', (input, expected) => {
    expect(isValidChineseId(input)).toBe(expected);
  });
});
