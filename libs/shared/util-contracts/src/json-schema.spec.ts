import Ajv from 'ajv';
import { jsonSchemaOf } from './json-schema';

describe('jsonSchemaOf', () => {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

  it('accepts a record as JSON and names what is wrong with a bad one', () => {
    const click = {
      eventId: 'c',
      userId: 'u',
      itemId: 'i',
      action: 'like',
      dwellMs: null,
      platform: 'web',
      occurredAt: 1_700_000_000_000,
    };
    const valid = ajv.compile(jsonSchemaOf('Click'));
    expect(valid(click)).toBe(true);
    // dwellMs has a default: it may be left out; action must be one of the enum's symbols.
    const { dwellMs: _omit, ...withoutDefaulted } = click;
    expect(valid(withoutDefaulted)).toBe(true);
    expect(valid({ ...click, action: 'stare' })).toBe(false);
    expect(valid({ ...click, userId: undefined })).toBe(false);
    expect(valid.errors?.map((e) => e.message)).toContain("must have required property 'userId'");
  });

  it('inlines named types from other files and makes ["null", T] nullable', () => {
    const change = jsonSchemaOf('ProfileChange') as {
      properties: Record<string, { nullable?: boolean; type?: string; properties?: Record<string, unknown> }>;
    };
    expect(change.properties['profile']).toMatchObject({ type: 'object', nullable: true });
    expect(Object.keys(change.properties['profile']!.properties!)).toContain('horizons');
  });
});
