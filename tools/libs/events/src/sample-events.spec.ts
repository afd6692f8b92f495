import {
  validateClick,
  validateItem,
  validatePost,
  validateReview,
  validateUserAttributes,
  withAttributeDefaults,
  type Violation,
} from '@profilestream/contracts';
import { SampleFeed, type SampleEvent } from './sample-events';

/** The contract rules the typed producer applies before sending (schema defaults filled in). */
function violations(event: SampleEvent, now: number): Violation[] {
  switch (event.kind) {
    case 'review':
      return validateReview({ lang: null, ...event.value, rating: event.value.rating ?? null }, now);
    case 'post':
      return validatePost({ tags: [], ...event.value }, now);
    case 'click':
      return validateClick({ ...event.value, dwellMs: event.value.dwellMs ?? null }, now);
  }
}

function take(feed: SampleFeed, n: number): SampleEvent[] {
  const start = Date.UTC(2026, 0, 1);
  return Array.from({ length: n }, (_, i) => feed.next(start + i * 1000));
}

describe('SampleFeed', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = take(new SampleFeed({ users: 20, seed: 7 }), 200);
    const b = take(new SampleFeed({ users: 20, seed: 7 }), 200);
    const c = take(new SampleFeed({ users: 20, seed: 8 }), 200);
    expect(b).toEqual(a);
    expect(c.map((e) => e.value.userId)).not.toEqual(a.map((e) => e.value.userId));
  });

  it('mixes clicks, reviews and posts in roughly the configured shares, with unique event ids', () => {
    const events = take(new SampleFeed({ users: 50, seed: 1 }), 4000);
    const share = (kind: SampleEvent['kind']) => events.filter((e) => e.kind === kind).length / events.length;
    expect(share('click')).toBeGreaterThan(0.5);
    expect(share('click')).toBeLessThan(0.6);
    expect(share('review')).toBeGreaterThan(0.25);
    expect(share('review')).toBeLessThan(0.35);
    expect(share('post')).toBeGreaterThan(0.1);
    expect(share('post')).toBeLessThan(0.2);
    expect(new Set(events.map((e) => e.value.eventId)).size).toBe(events.length);
  });

  it('keeps every user within their own interests and the catalogue', () => {
    const feed = new SampleFeed({ users: 12, seed: 3 });
    const catalogue = new Map(feed.catalogue(0).map((item) => [item.itemId, item.categories?.[0]]));
    const categoriesByUser = new Map<string, Set<string>>();
    for (const event of take(feed, 3000)) {
      if (event.kind === 'post') continue;
      const category = catalogue.get(event.value.itemId);
      expect(category).toBeDefined();
      const seen = categoriesByUser.get(event.value.userId) ?? new Set<string>();
      seen.add(category!);
      categoriesByUser.set(event.value.userId, seen);
    }
    for (const seen of categoriesByUser.values()) expect(seen.size).toBeLessThanOrEqual(2);
    expect(categoriesByUser.size).toBe(12);
  });

  it('produces events that pass the input contracts, ratings matching the text sentiment range', () => {
    const feed = new SampleFeed({ users: 10, seed: 11 });
    const now = Date.UTC(2026, 1, 1);
    for (const item of feed.catalogue(Date.UTC(2026, 0, 1)))
      expect(validateItem({ ...item, categories: item.categories ?? [] }, now)).toEqual([]);
    const users = feed.users(now);
    expect(users.map((u) => u.userId)).toEqual(
      Array.from({ length: 10 }, (_, u) => `user-${String(u).padStart(4, '0')}`),
    );
    for (const user of users) expect(validateUserAttributes(withAttributeDefaults(user), now)).toEqual([]);
    for (const event of take(feed, 1000)) {
      expect(violations(event, now)).toEqual([]);
      if (event.kind === 'review') expect([1, 2, 4, 5]).toContain(event.value.rating);
    }
  });

  it('carries the mess real text has: markup, contact details, Chinese, repeats and noise', () => {
    const events = take(new SampleFeed({ users: 30, seed: 5 }), 5000);
    const texts = events.filter((e) => e.kind !== 'click').map((e) => (e.value as { text: string }).text);
    expect(texts.some((t) => t.includes('<p>'))).toBe(true);
    expect(texts.some((t) => /@example\.com/.test(t))).toBe(true);
    expect(texts.some((t) => /[\u4e00-\u9fff]/.test(t))).toBe(true);
    expect(texts.some((t) => t === '!!!???')).toBe(true);
    expect(new Set(texts).size).toBeLessThan(texts.length);
    // Double submits: the same user's same text about the same item, which text-cleaner drops.
    const reviews = events.flatMap((e) =>
      e.kind === 'review' ? [`${e.value.userId}|${e.value.itemId}|${e.value.text}`] : [],
    );
    expect(reviews.length - new Set(reviews).size).toBeGreaterThan(10);
  });
});
