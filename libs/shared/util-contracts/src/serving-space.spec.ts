import {
  EPOCH_VERSION_STRIDE,
  decodeServingSpace,
  encodeServingSpace,
  publishedVersion,
  type ServingSpace,
} from './serving-space';

describe('serving space record', () => {
  const record: ServingSpace = {
    space: 'next@1234',
    epoch: 2,
    previousSpace: 'old@abcd',
    changedAt: 1_700_000_000_000,
  };

  it('round-trips', () => {
    expect(decodeServingSpace(encodeServingSpace(record))).toEqual(record);
  });

  it('names every problem of a bad record', () => {
    expect(() => decodeServingSpace(Buffer.from('{"space":"","epoch":-1,"previousSpace":3}'))).toThrow(
      'invalid serving record: space must be a non-empty string; epoch must be a whole number from 0 to 2^20 - 1; previousSpace must be a string or null; changedAt must be epoch milliseconds',
    );
    expect(() => decodeServingSpace(Buffer.from('not json'))).toThrow('serving record is not JSON');
  });

  it('lifts versions past every version of an earlier epoch', () => {
    expect(publishedVersion(7, 0)).toBe(7);
    expect(publishedVersion(1, 1)).toBeGreaterThan(publishedVersion(EPOCH_VERSION_STRIDE - 1, 0));
    expect(publishedVersion(1, 3)).toBeGreaterThan(publishedVersion(10_000_000, 2));
    expect(Number.isSafeInteger(publishedVersion(EPOCH_VERSION_STRIDE - 1, 2 ** 20 - 1))).toBe(true);
  });
});
