import type { Review } from '../index';

/**
 * A review that passes validation (ids r1, u1, i1; rating 5), for tests that change only the
 * fields they are about.
 */
export function sampleReview(overrides: Partial<Review> & Pick<Review, 'occurredAt'>): Review {
  return {
    eventId: 'r1',
    userId: 'u1',
    itemId: 'i1',
    text: 'Works great',
    rating: 5,
    lang: null,
    platform: 'shop',
    ...overrides,
  };
}
