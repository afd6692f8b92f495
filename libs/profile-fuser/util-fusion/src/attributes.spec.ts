import fc from 'fast-check';
import type { AttributeChange } from '@profilestream/contracts';
import { foldAttributeChanges, publishedAttributes, type AttributeState } from './attributes';
import { applyEvents, type AttributesFusionEvent } from './fuse';
import { emptyState } from './profile-state';
import { dict, type Dict } from './records';
import { T0, pos } from './spec-helpers';

interface Rec {
  at: number;
  changes: AttributeChange[];
}

function fold(records: readonly Rec[], maxCustom = 32): Dict<AttributeState> {
  const attributes = dict<AttributeState>();
  for (const r of records) foldAttributeChanges(attributes, r.changes, r.at, { maxCustom });
  return attributes;
}

const plain = (d: Dict<AttributeState>): Record<string, AttributeState> => ({ ...d });

const arbChange: fc.Arbitrary<AttributeChange> = fc.record({
  name: fc.constantFrom('country', 'gender', 'languages', 'custom.tier', 'custom.seats'),
  value: fc.oneof(
    fc.constant(null),
    fc.constantFrom('DE', 'FR', 'f', 'gold'),
    fc.integer({ min: 0, max: 3 }),
    fc.boolean(),
    fc.constantFrom<string[][]>(['de'], ['en', 'de']),
  ),
});
const arbRecords = fc.array(
  fc.record({ at: fc.integer({ min: 0, max: 5 }), changes: fc.array(arbChange, { maxLength: 3 }) }),
  { maxLength: 8 },
);

describe('user attributes', () => {
  it('keeps the latest value per attribute by event time, whatever order records arrive in', () => {
    fc.assert(
      fc.property(
        arbRecords.chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length }))),
        ([records, shuffled]) => {
          expect(plain(fold(shuffled))).toEqual(plain(fold(records)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('lets a late older update lose, and a removal stay removed', () => {
    const a = dict<AttributeState>();
    foldAttributeChanges(a, [{ name: 'country', value: 'DE' }], T0 + 10);
    const late = foldAttributeChanges(a, [{ name: 'country', value: 'FR' }], T0);
    expect(late).toEqual({ applied: 0, stale: 1, overLimit: 0 });
    expect(a['country']).toEqual({ value: 'DE', at: T0 + 10 });
    foldAttributeChanges(a, [{ name: 'country', value: null }], T0 + 20);
    foldAttributeChanges(a, [{ name: 'country', value: 'IT' }], T0 + 15);
    expect(a['country']).toEqual({ value: null, at: T0 + 20 });
    expect(publishedAttributes(a)).toEqual([]);
  });

  it('bounds custom attributes per user: old removals make room, otherwise new names are dropped', () => {
    const a = dict<AttributeState>();
    const r = foldAttributeChanges(
      a,
      [
        { name: 'custom.a', value: 1 },
        { name: 'custom.b', value: null },
        { name: 'custom.c', value: 3 },
        { name: 'country', value: 'DE' },
      ],
      T0,
      { maxCustom: 2 },
    );
    // The removal of b is forgotten to make room for c; then nothing is left to forget.
    expect(r).toEqual({ applied: 4, stale: 0, overLimit: 0 });
    expect(Object.keys(a).sort()).toEqual(['country', 'custom.a', 'custom.c']);
    expect(foldAttributeChanges(a, [{ name: 'custom.d', value: 1 }], T0 + 2, { maxCustom: 2 })).toEqual({
      applied: 0,
      stale: 0,
      overLimit: 1,
    });
    // A name already kept is always updated.
    expect(foldAttributeChanges(a, [{ name: 'custom.a', value: 2 }], T0 + 2, { maxCustom: 2 }).applied).toBe(1);
  });

  it('publishes values sorted by name, without removals and withheld names', () => {
    const a = fold([
      {
        at: T0,
        changes: [
          { name: 'gender', value: 'f' },
          { name: 'country', value: 'DE' },
          { name: 'custom.x', value: null },
        ],
      },
    ]);
    expect(publishedAttributes(a)).toEqual([
      { name: 'country', value: 'DE', updatedAt: T0 },
      { name: 'gender', value: 'f', updatedAt: T0 },
    ]);
    expect(publishedAttributes(a, new Set(['gender']))).toEqual([{ name: 'country', value: 'DE', updatedAt: T0 }]);
  });

  it('folds users.v1 records as events: deduplicated by offset, not counted as activity', () => {
    const e = (offset: number, changes: AttributeChange[], at = T0): AttributesFusionEvent => ({
      kind: 'attributes',
      changes,
      occurredAt: at,
      position: pos(offset, 0, 'users.v1'),
    });
    const first = applyEvents(emptyState('u', 'm', 4), [e(1, [{ name: 'country', value: 'DE' }])]);
    expect(first.applied).toBe(1);
    expect(first.state.eventCount).toBe(0);
    expect(first.state.lastEventAt).toBe(0);
    const again = applyEvents(first.state, [
      e(1, [{ name: 'country', value: 'FR' }], T0 + 5),
      e(2, [{ name: 'country', value: 'IT' }], T0 - 5),
    ]);
    expect(again.skipped.duplicate).toBe(1);
    expect(again.skipped.staleAttribute).toBe(1);
    expect(again.state.attributes['country']).toEqual({ value: 'DE', at: T0 });
  });
});
