import { validateClick, validateReview } from './index';
import { sampleReview } from './testing';

const now = 1_700_000_000_000;
const review = sampleReview({ occurredAt: now - 1000 });

describe('input validation', () => {
  it.each([
    [{ userId: '  ' }, 'missing_id'],
    [{ text: 'x'.repeat(100_001) }, 'text_too_large'],
    [{ occurredAt: now + 10 * 60_000 }, 'future_timestamp'],
    [{ occurredAt: -5 }, 'invalid_timestamp'],
    [{ rating: 9 }, 'rating_out_of_range'],
  ])('flags %j as %s', (patch, reason) => {
    expect(validateReview({ ...review, ...patch }, now).map((v) => v.reason)).toEqual([reason]);
  });

  it('accepts a valid review and a valid click', () => {
    expect(validateReview(review, now)).toEqual([]);
    expect(
      validateClick(
        { eventId: 'c', userId: 'u', itemId: 'i', action: 'purchase', dwellMs: 10, platform: 'p', occurredAt: now },
        now,
      ),
    ).toEqual([]);
  });
});
