import { packFloat32, schemaCatalog, unpackFloat32 } from '@profilestream/contracts';
import { applyEvents } from './fuse';
import { emptyState } from './profile-state';
import { decayProfileTo, toUserProfile } from './to-published';
import { DAY, DIM, T0, click, pos, text, vec } from './spec-helpers';

describe('toUserProfile', () => {
  const categories = Array.from({ length: 25 }, (_, i) => `c${String(i).padStart(2, '0')}`);
  const state = applyEvents(emptyState('u1', 'm@1', DIM), [
    text({ vector: vec(3, 4, 0, 0), rating: 4, categories: ['c00'], occurredAt: T0, position: pos(1) }),
    text({ vector: vec(0, 0, 1, 0), rating: 1, occurredAt: T0 + DAY, position: pos(2) }),
    click({
      action: 'purchase',
      itemVector: vec(0, 0, 0, 2),
      categories,
      occurredAt: T0 + 2 * DAY,
      position: pos(1, 0, 'clicks.v1'),
    }),
    click({
      action: 'view',
      itemVector: vec(0, 0, 0, 2),
      categories: ['c24'],
      occurredAt: T0 + 2 * DAY,
      position: pos(2, 0, 'clicks.v1'),
    }),
  ]).state;
  const interests = [{ label: 'music', score: 0.9 }];
  const profile = toUserProfile(state, { version: 7, interests, updatedAt: T0 + 3 * DAY });

  it('is a valid UserProfile record', () => {
    expect(schemaCatalog().type('UserProfile').isValid(profile)).toBe(true);
    expect(profile).toMatchObject({
      userId: 'u1',
      version: 7,
      modelId: 'm@1',
      projectionId: null,
      dim: DIM,
      interests,
      updatedAt: T0 + 3 * DAY,
    });
  });

  it('publishes horizons, channels and negative as unit float32 vectors with weight, refTime and half-life', () => {
    expect(profile.horizons.map((h) => [h.name, h.halfLifeMs, h.refTime])).toEqual([
      ['1d', DAY, T0 + 2 * DAY],
      ['7d', 7 * DAY, T0 + 2 * DAY],
      ['90d', 90 * DAY, T0 + 2 * DAY],
    ]);
    const h1 = profile.horizons[0]!;
    expect(h1.weight).toBeCloseTo(0.25 + 3 + 0.2, 12);
    const sum = [0.25 * 3, 0.25 * 4, 0, 6 + Math.fround(0.4)];
    const n = Math.hypot(...sum);
    expect(h1.vector).toEqual(packFloat32(sum.map((x) => x / n)));
    // No post was folded in: the post channel is left out.
    expect(profile.channels.map((c) => [c.name, c.weight])).toEqual([
      ['review', 1], // only the positive review, at its own refTime
      ['click', 3.2],
    ]);
    expect(profile.negative).toMatchObject({ name: 'negative', weight: 1, refTime: T0 + DAY, halfLifeMs: 90 * DAY });
    expect(Array.from(unpackFloat32(profile.negative!.vector))).toEqual([0, 0, 1, 0]);
  });

  it('leaves out what nothing was folded into: a click-only user has the click channel and no negative', () => {
    const clicksOnly = applyEvents(emptyState('u3', 'm@1', DIM), [
      click({ action: 'like', itemVector: vec(1, 0, 0, 0), occurredAt: T0, position: pos(1, 0, 'clicks.v1') }),
    ]).state;
    const record = toUserProfile(clicksOnly, { version: 1, interests: [], updatedAt: T0 });
    expect(schemaCatalog().type('UserProfile').isValid(record)).toBe(true);
    expect(record.horizons).toHaveLength(3);
    expect(record.channels.map((c) => c.name)).toEqual(['click']);
    expect(record.negative).toBeNull();
    // Four vectors of DIM float32s, not seven.
    expect([...record.horizons, ...record.channels].reduce((n, v) => n + v.vector.length, 0)).toBe(4 * 4 * DIM);
  });

  it('publishes counters, rating mean, top-20 category affinities and event times', () => {
    expect(profile.counters).toEqual([
      { channel: 'review', action: null, total: 2, decayed: 2 ** (-1 / 90) + 1, refTime: T0 + DAY },
      { channel: 'click', action: 'view', total: 1, decayed: 1, refTime: T0 + 2 * DAY },
      { channel: 'click', action: 'purchase', total: 1, decayed: 1, refTime: T0 + 2 * DAY },
    ]);
    expect([profile.ratingMean, profile.ratingCount]).toEqual([2.5, 2]);
    expect(profile.categoryAffinities).toHaveLength(20);
    expect(profile.categoryAffinities[0]!.label).toBe('c00');
    expect(profile.categoryAffinities[0]!.score).toBeCloseTo(3 + 2 ** (-2 / 90), 12);
    expect(profile.categoryAffinities[1]).toEqual({ label: 'c24', score: 3.2 });
    expect(profile.categoryAffinities.slice(2).map((a) => a.label)).toEqual(categories.slice(1, 19));
    expect([profile.firstEventAt, profile.lastEventAt, profile.eventCount]).toEqual([T0, T0 + 2 * DAY, 4]);
  });

  it('leaves the exact state out by default (the fuser keeps it in its state topic)', () => {
    expect(profile.state).toBeNull();
    const given = Buffer.from([1, 2]);
    expect(toUserProfile(state, { version: 1, interests: [], updatedAt: 0, stateBytes: given }).state).toBe(given);
    expect(toUserProfile(state, { version: 1, interests: [], updatedAt: 0, stateBytes: null }).state).toBeNull();
  });

  it('publishes an empty state with zero vectors and no rating mean', () => {
    const empty = toUserProfile(emptyState('u2', 'm@1', DIM), {
      version: 1,
      interests: [],
      updatedAt: T0,
      projectionId: 'pca',
    });
    expect(schemaCatalog().type('UserProfile').isValid(empty)).toBe(true);
    expect(empty).toMatchObject({
      ratingMean: null,
      ratingCount: 0,
      eventCount: 0,
      counters: [],
      categoryAffinities: [],
      projectionId: 'pca',
    });
    expect(empty.horizons.every((h) => h.weight === 0 && unpackFloat32(h.vector).every((x) => x === 0))).toBe(true);
  });
});

describe('decayProfileTo', () => {
  const state = applyEvents(emptyState('u1', 'm@1', DIM), [
    text({ vector: vec(1, 0, 0, 0), categories: ['a'], occurredAt: T0, position: pos(1) }),
  ]).state;
  const profile = toUserProfile(state, { version: 1, interests: [], updatedAt: T0 });

  it('decays weights, counters and affinities to now', () => {
    const later = decayProfileTo(profile, T0 + 7 * DAY);
    expect(later.horizons.map((h) => [h.name, h.weight, h.refTime])).toEqual([
      ['1d', 2 ** -7, T0 + 7 * DAY],
      ['7d', 0.5, T0 + 7 * DAY],
      ['90d', 2 ** (-7 / 90), T0 + 7 * DAY],
    ]);
    expect(later.horizons[0]!.vector).toEqual(profile.horizons[0]!.vector);
    expect(later.channels[0]!.weight).toBe(2 ** (-7 / 90));
    expect(later.counters[0]).toMatchObject({ total: 1, decayed: 2 ** (-7 / 90), refTime: T0 + 7 * DAY });
    expect(later.categoryAffinities).toEqual([{ label: 'a', score: 2 ** (-7 / 90) }]);
    expect(profile.horizons[0]!.weight).toBe(1); // input untouched
  });

  it('never moves refTime back', () => {
    const earlier = decayProfileTo(profile, T0 - DAY);
    expect(earlier.horizons[0]).toMatchObject({ weight: 1, refTime: T0 });
    expect(earlier.categoryAffinities).toEqual([{ label: 'a', score: 1 }]);
  });
});

describe('sentiment summary', () => {
  const post = (offset: number, probability: number, at: number) =>
    text({
      source: 'post',
      vector: vec(1, 0, 0, 0),
      sentiment: { probability, positive: probability >= 0.5 },
      occurredAt: at,
      position: pos(offset),
    });
  const state = applyEvents(emptyState('u1', 'm@1', DIM), [
    post(1, 0.9, T0),
    post(2, 0.2, T0 + 90 * DAY),
    // Neither a review nor an unscored post counts.
    text({ vector: vec(0, 1, 0, 0), rating: 5, occurredAt: T0 + 90 * DAY, position: pos(3) }),
    text({ source: 'post', vector: vec(0, 1, 0, 0), occurredAt: T0 + 90 * DAY, position: pos(4) }),
  ]).state;

  it('publishes counts and the decayed mean probability positive with its evidence', () => {
    const profile = toUserProfile(state, {
      version: 1,
      interests: [],
      updatedAt: T0,
      sentimentClassifierId: 'sentiment-lr-1',
    });
    expect(schemaCatalog().type('UserProfile').isValid(profile)).toBe(true);
    // The first post is one half-life older: weights 0.5 and 1.
    expect(profile.sentiment).toEqual({
      classifierId: 'sentiment-lr-1',
      positive: 1,
      negative: 1,
      meanPositive: expect.closeTo((0.9 * 0.5 + 0.2) / 1.5, 12),
      scored: 1.5,
      halfLifeMs: 90 * DAY,
      refTime: T0 + 90 * DAY,
    });
    const later = decayProfileTo(profile, T0 + 180 * DAY);
    expect(later.sentiment).toMatchObject({
      scored: 0.75,
      refTime: T0 + 180 * DAY,
      positive: 1,
      negative: 1,
      meanPositive: profile.sentiment!.meanPositive,
    });
  });

  it('has no mean before a post is scored, and no summary without a classifier', () => {
    const empty = toUserProfile(emptyState('u2', 'm@1', DIM), {
      version: 1,
      interests: [],
      updatedAt: T0,
      sentimentClassifierId: 'c',
    });
    expect(empty.sentiment).toEqual({
      classifierId: 'c',
      positive: 0,
      negative: 0,
      meanPositive: null,
      scored: 0,
      halfLifeMs: 90 * DAY,
      refTime: 0,
    });
    expect(toUserProfile(state, { version: 1, interests: [], updatedAt: T0 }).sentiment).toBeNull();
  });

  it('rejects a sentiment that is not a probability', () => {
    expect(() => applyEvents(emptyState('u1', 'm@1', DIM), [post(1, 1.5, T0)])).toThrow(
      /sentiment must be null or \{ probability in \[0, 1\], positive: boolean \}/,
    );
    expect(() => applyEvents(emptyState('u1', 'm@1', DIM), [post(1, NaN, T0)])).toThrow(/sentiment must be null/);
  });
});
