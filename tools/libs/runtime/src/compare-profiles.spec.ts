import { packFloat32, type DecayedVector, type UserProfile } from '@profilestream/contracts';
import {
  closeEnough,
  compareProfiles,
  compareSnapshots,
  eventDelta,
  fieldFamily,
  type FinalProfile,
} from './compare-profiles';

const HOUR = 3_600_000;

function vector(name: string, values: number[], weight = 1.5, refTime = 5000): DecayedVector {
  return { name, halfLifeMs: name === '1d' ? 24 * HOUR : 90 * 24 * HOUR, vector: packFloat32(values), weight, refTime };
}

/** A user with 2 reviews, 1 post and 3 clicks (2 views, 1 purchase): eventCount 6. */
function profile(userId: string, overrides: Partial<UserProfile> = {}): UserProfile {
  return {
    userId,
    version: 7,
    modelId: 'm@1',
    projectionId: null,
    dim: 3,
    horizons: [vector('1d', [0.6, 0.8, 0]), vector('90d', [0.5, 0.5, 0.7071])],
    channels: [vector('review', [1, 0, 0]), vector('post', [0, 1, 0]), vector('click', [0, 0, 1])],
    negative: vector('negative', [0, 0, 0], 0),
    counters: [
      { channel: 'review', action: null, total: 2, decayed: 1.9, refTime: 5000 },
      { channel: 'post', action: null, total: 1, decayed: 0.99, refTime: 5000 },
      { channel: 'click', action: 'view', total: 2, decayed: 1.5, refTime: 5000 },
      { channel: 'click', action: 'purchase', total: 1, decayed: 0.7, refTime: 4000 },
    ],
    ratingMean: 4.5,
    ratingCount: 2,
    sentiment: {
      classifierId: 'c1',
      positive: 1,
      negative: 0,
      meanPositive: 0.8,
      scored: 0.95,
      halfLifeMs: 90 * 24 * HOUR,
      refTime: 5000,
    },
    categoryAffinities: [
      { label: 'guitars', score: 3.2 },
      { label: 'drums', score: 1.1 },
    ],
    interests: [
      { label: 'guitar', score: 0.61 },
      { label: 'bass', score: 0.42 },
      { label: 'piano', score: 0.4 },
    ],
    attributes: [],
    interestClusters: [],
    firstEventAt: 1000,
    lastEventAt: 5000,
    eventCount: 6,
    updatedAt: 123_456,
    state: Buffer.from([1, 2, 3]),
    ...overrides,
  };
}

describe('closeEnough', () => {
  it('is relative 1e-4 for large values and absolute 1e-6 near zero', () => {
    expect(closeEnough(100, 100.009)).toBe(true);
    expect(closeEnough(100, 100.02)).toBe(false);
    expect(closeEnough(0, 9e-7)).toBe(true);
    expect(closeEnough(0, 2e-6)).toBe(false);
    expect(closeEnough(NaN, NaN)).toBe(false);
  });
});

describe('compareProfiles', () => {
  it('ignores version, updatedAt and the binary state', () => {
    expect(compareProfiles(profile('u'), profile('u', { version: 99, updatedAt: 1, state: null }))).toEqual([]);
  });

  it('requires equal attributes, and leaves interest clusters (order-dependent) out', () => {
    const cluster = {
      vector: packFloat32([1, 0, 0]),
      weight: 1,
      halfLifeMs: 1,
      refTime: 1,
      events: 1,
      label: null,
      topCategories: [],
    };
    const a = profile('u', { attributes: [{ name: 'country', value: 'DE', updatedAt: 5 }] });
    const b = profile('u', {
      attributes: [
        { name: 'country', value: 'FR', updatedAt: 5 },
        { name: 'languages', value: ['de'], updatedAt: 5 },
      ],
      interestClusters: [cluster, cluster],
    });
    expect(compareProfiles(a, b).map((d) => `${d.field}: ${d.a} | ${d.b}`)).toEqual([
      'attributes[country]: "DE"@5 | "FR"@5',
      'attributes[languages]: null | ["de"]@5',
    ]);
    expect(compareProfiles(a, { ...a, interestClusters: [cluster] })).toEqual([]);
  });

  it('accepts float rounding in vectors, weights, decayed counts and scores', () => {
    const b = profile('u', {
      horizons: [vector('1d', [0.6000001, 0.7999999, 4e-7], 1.50001), vector('90d', [0.5, 0.5, 0.70712])],
      counters: profile('u').counters.map((c) => ({ ...c, decayed: c.decayed * (1 + 5e-5) })),
      ratingMean: 4.5000001,
      interests: [
        { label: 'guitar', score: 0.610001 },
        { label: 'bass', score: 0.42 },
        { label: 'piano', score: 0.4 },
      ],
    });
    expect(compareProfiles(profile('u'), b)).toEqual([]);
  });

  it('names the first differing component of a vector, with how many differ', () => {
    const b = profile('u', { horizons: [vector('1d', [0.6, 0.81, 0.01]), vector('90d', [0.5, 0.5, 0.7071])] });
    expect(compareProfiles(profile('u'), b)).toEqual([
      {
        field: 'horizons[1d].vector',
        a: '[1] 0.8000000 (2 of 3 components differ, max |Δ| 0.01000000)',
        b: '[1] 0.8100000',
      },
    ]);
  });

  it('requires integers and strings to be equal', () => {
    const b = profile('u', {
      counters: profile('u').counters.map((c) => (c.action === 'view' ? { ...c, total: 3 } : c)),
      eventCount: 7,
      lastEventAt: 5001,
      modelId: 'm@2',
    });
    expect(compareProfiles(profile('u'), b).map((d) => `${d.field}: ${d.a} | ${d.b}`)).toEqual([
      'modelId: m@1 | m@2',
      'counters[click/view].total: 2 | 3',
      'lastEventAt: 5000 | 5001',
      'eventCount: 6 | 7',
    ]);
  });

  it('reports a counter present on one side only', () => {
    const b = profile('u', { counters: profile('u').counters.filter((c) => c.action !== 'purchase') });
    expect(compareProfiles(profile('u'), b)).toEqual([
      { field: 'counters[click/purchase]', a: 'total 1', b: 'absent' },
    ]);
  });

  it('accepts a near-tie at the top-k cut-off, but not a label that was clearly in', () => {
    const nearTie = profile('u', {
      interests: [
        { label: 'guitar', score: 0.61 },
        { label: 'bass', score: 0.42 },
        { label: 'violin', score: 0.4000001 },
      ],
    });
    expect(compareProfiles(profile('u'), nearTie)).toEqual([]);
    const swapped = profile('u', {
      interests: [
        { label: 'guitar', score: 0.61 },
        { label: 'piano', score: 0.4 },
        { label: 'violin', score: 0.3 },
      ],
    });
    expect(compareProfiles(profile('u'), swapped)).toEqual([
      { field: 'interests[bass]', a: '0.4200000', b: 'not listed' },
      { field: 'interests[violin]', a: 'not listed', b: '0.3000000' },
    ]);
  });

  it('compares nullable parts as present or not', () => {
    expect(compareProfiles(profile('u'), profile('u', { sentiment: null, ratingMean: null }))).toEqual([
      { field: 'ratingMean', a: '4.500000', b: 'null' },
      { field: 'sentiment', a: 'present', b: 'null' },
    ]);
  });
});

describe('eventDelta', () => {
  it('counts per counter: a shortfall is lost, an excess double-applied, even when they cancel in eventCount', () => {
    const b = profile('u', {
      counters: [
        { channel: 'review', action: null, total: 1, decayed: 1, refTime: 5000 },
        { channel: 'post', action: null, total: 2, decayed: 2, refTime: 5000 },
        { channel: 'click', action: 'view', total: 2, decayed: 1.5, refTime: 5000 },
        { channel: 'click', action: 'purchase', total: 1, decayed: 0.7, refTime: 4000 },
      ],
    });
    expect(eventDelta(profile('u'), b)).toEqual({ lost: 1, doubled: 1 });
    expect(eventDelta(profile('u'), null)).toEqual({ lost: 6, doubled: 0 });
    expect(eventDelta(null, profile('u'))).toEqual({ lost: 0, doubled: 6 });
  });
});

describe('compareSnapshots', () => {
  const a = new Map<string, FinalProfile>([
    ['u1', profile('u1')],
    ['u2', profile('u2')],
    ['u3', null],
    ['u4', profile('u4')],
    ['u5', null],
  ]);

  it('finds nothing between a run and itself', () => {
    const s = compareSnapshots(a, new Map(a));
    expect(s).toMatchObject({
      usersCompared: 5,
      usersIdentical: 5,
      usersDiffering: 0,
      eventsLost: 0,
      eventsDoubleApplied: 0,
      eventCountDelta: 0,
      countsConsistent: true,
      firstDifferences: [],
    });
    expect(s.runs.a).toEqual({ users: 5, profiles: 3, erased: 2, eventCount: 18 });
  });

  it('counts differing, missing and resurrected users and the events behind them', () => {
    // u1: lost its two reviews (Redis emptied); u2: one view applied twice; u3: erased in A, back in B;
    // u4: missing in B; u5: erased in both (same); u6: only in B.
    const lostReviews = profile('u1', {
      counters: profile('u1').counters.filter((c) => c.channel !== 'review'),
      eventCount: 4,
      ratingCount: 0,
      ratingMean: null,
    });
    const doubledView = profile('u2', {
      counters: profile('u2').counters.map((c) => (c.action === 'view' ? { ...c, total: 3 } : c)),
      eventCount: 7,
    });
    const b = new Map<string, FinalProfile>([
      ['u1', lostReviews],
      ['u2', doubledView],
      ['u3', profile('u3')],
      ['u5', null],
      ['u6', profile('u6')],
    ]);
    const s = compareSnapshots(a, b);
    expect(s).toMatchObject({
      usersCompared: 6,
      usersIdentical: 1,
      usersDiffering: 5,
      missingInA: 1,
      missingInB: 1,
      erasedInOneRunOnly: 1,
      // u3's six events are an erasure applied in A only, not events applied twice in B.
      eventsLost: 2 + 6,
      eventsDoubleApplied: 1 + 6,
      eventCountDelta: -2 + 1 - 6 + 6,
      countsConsistent: true,
      differingUsers: ['u1', 'u2', 'u3', 'u4', 'u6'],
    });
    expect(s.firstDifferences.filter((d) => d.field.startsWith('('))).toEqual([
      { userId: 'u3', field: '(erased)', a: 'erased', b: 'profile (6 events)' },
      { userId: 'u4', field: '(record)', a: 'profile (6 events)', b: 'no record' },
      { userId: 'u6', field: '(record)', a: 'no record', b: 'profile (6 events)' },
    ]);
    expect(s.differencesByField).toMatchObject({
      counters: 1,
      'counters.total': 1,
      eventCount: 2,
      ratingCount: 1,
      ratingMean: 1,
    });
  });

  it('flags counters and eventCount that disagree', () => {
    const b = new Map(a);
    b.set('u1', profile('u1', { eventCount: 9 }));
    expect(compareSnapshots(a, b)).toMatchObject({
      eventsLost: 0,
      eventsDoubleApplied: 0,
      eventCountDelta: 3,
      countsConsistent: false,
    });
  });

  it('lists a few differences of each of the first users, up to the requested number', () => {
    const b = new Map(
      [...a].map(([k, v]) => [k, v && profile(k, { eventCount: 1, firstEventAt: 0, lastEventAt: 9, ratingCount: 5 })]),
    );
    expect(compareSnapshots(a, b, undefined, 5).firstDifferences.map((d) => `${d.userId} ${d.field}`)).toEqual([
      'u1 ratingCount',
      'u1 firstEventAt',
      'u1 lastEventAt',
      'u2 ratingCount',
      'u2 firstEventAt',
    ]);
  });
});

describe('fieldFamily', () => {
  it('drops the keys and indexes', () => {
    expect(fieldFamily('horizons[7d].vector')).toBe('horizons.vector');
    expect(fieldFamily('counters[click/view].total')).toBe('counters.total');
    expect(fieldFamily('eventCount')).toBe('eventCount');
  });
});
