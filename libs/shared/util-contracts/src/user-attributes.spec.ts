import type { UserAttributes } from './generated/schemas.generated';
import { attributeChanges, isAttributeName, validateUserAttributes, withAttributeDefaults } from './user-attributes';

const base: UserAttributes = withAttributeDefaults({ userId: 'u1', occurredAt: 1_700_000_000_000 });
const now = 1_700_000_000_000;

describe('attributeChanges', () => {
  it('lists what a record sets and removes, sorted by name, null fields left out', () => {
    expect(
      attributeChanges({
        ...base,
        country: 'DE',
        languages: ['de', 'en'],
        custom: { seats: 4, beta: true, nickname: null },
        cleared: ['gender'],
      }),
    ).toEqual([
      { name: 'country', value: 'DE' },
      { name: 'custom.beta', value: true },
      { name: 'custom.nickname', value: null },
      { name: 'custom.seats', value: 4 },
      { name: 'gender', value: null },
      { name: 'languages', value: ['de', 'en'] },
    ]);
  });

  it('lets an explicit removal win over a value in the same record', () => {
    expect(attributeChanges({ ...base, country: 'DE', cleared: ['country'] })).toEqual([
      { name: 'country', value: null },
    ]);
  });
});

describe('validateUserAttributes', () => {
  it('accepts a well-formed record', () => {
    expect(
      validateUserAttributes(
        { ...base, ageBand: '25-34', signupAt: 1, custom: { 'loyalty.tier': 'gold' }, cleared: ['custom.x'] },
        now,
      ),
    ).toEqual([]);
  });

  it('names every broken rule', () => {
    const reasons = validateUserAttributes(
      {
        ...base,
        userId: ' ',
        occurredAt: now + 3_600_000,
        signupAt: -1,
        country: 'x'.repeat(300),
        languages: Array.from({ length: 17 }, () => 'en'),
        custom: { 'bad name': 1, ok: Number.NaN },
        cleared: ['shoeSize'],
      },
      now,
    ).map((v) => `${v.reason}: ${v.detail}`);
    expect(reasons).toEqual([
      'missing_id: userId is empty',
      'future_timestamp: occurredAt is 3600000 ms in the future',
      'invalid_value: signupAt is not an epoch-milliseconds time',
      'invalid_value: country has 300 chars (limit 256)',
      'invalid_value: languages lists 17 (limit 16)',
      'invalid_value: custom name "bad name" is not [A-Za-z0-9_.-]{1,64}',
      'invalid_value: custom.ok is not finite',
      'invalid_value: cleared names unknown attribute "shoeSize"',
    ]);
  });

  it('fills what a producer left out with the schema defaults', () => {
    expect(withAttributeDefaults({ userId: 'u', occurredAt: 1, country: 'DE', custom: undefined })).toEqual({
      ...base,
      userId: 'u',
      occurredAt: 1,
      country: 'DE',
    });
  });

  it('knows standard and custom names', () => {
    expect(isAttributeName('gender')).toBe(true);
    expect(isAttributeName('custom.shoe_size')).toBe(true);
    expect(isAttributeName('custom.')).toBe(false);
    expect(isAttributeName('Gender')).toBe(false);
  });
});
