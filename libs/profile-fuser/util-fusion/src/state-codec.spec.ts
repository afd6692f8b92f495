import fc from 'fast-check';
import type { ClickAction } from '@profilestream/contracts';
import { hasSharedZeroSum, zeroSum, type DecayedScalarState, type DecayedVectorState } from './decayed-vector';
import { StateCodecError } from './errors';
import { applyEvents } from './fuse';
import {
  DEFAULT_FUSION_CONFIG,
  counterKey,
  emptyState,
  type CounterState,
  type FusionChannel,
  type ProfileState,
} from './profile-state';
import { dict, setEntry } from './records';
import { decodeState, encodeState, STATE_CODEC_VERSION } from './state-codec';
import { DIM, arbEvents, click, pos, text, vec } from './spec-helpers';

/** Every number compared with Object.is (so -0 ≠ 0) and every vector byte for byte. */
function expectBitIdentical(a: ProfileState, b: ProfileState): void {
  const norm = (s: ProfileState): unknown =>
    JSON.parse(
      JSON.stringify(s, (_k, v: unknown) => {
        if (v instanceof Float32Array || v instanceof Float64Array)
          return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
        if (typeof v === 'number') return Object.is(v, -0) ? '-0' : `n${v}`;
        if (v && typeof v === 'object' && !Array.isArray(v))
          return Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
        return v;
      }),
    );
  expect(norm(b)).toEqual(norm(a));
}

const anyDouble = fc.double({ noNaN: true });

const V1_STATE =
  'AQYAAAB1AHMAZQByAC0AMQADAAAAbQBAADEAAgAAAAIAAAACAAAAMQBkAAAAAABwmZRBogmI8xsa/z8AAFA0Bb14Qh9V68lUH+I/GNo+LOMU/D8DAAAAOQAwAGQAAAAAgMX3/EEBlZs8X/3/PwAAUDQFvXhC/v4e7wsw4z9AihWassr8PwAAAIDF9/xBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACAxff8QQAAAAAAAPA/AACAVv68eEIAAABAMzPjPwAAAKCZmek/AAAAgMX3/EEAAAAAAADwPwAAUDQFvXhCAAAAAAAAAAAAAAAAAADwPwAAAIDF9/xBAAAAAAAA8D8AAGjFAb14QgAAAAAAAPA/AAAAAAAAAAADAAAABQAAAGMAbABpAGMAawABBAAAAGwAaQBrAGUAAAAAAAAA8D8AAACAxff8QQAAAAAAAPA/AABQNAW9eEIEAAAAcABvAHMAdAAAAAAAAAAA8D8AAACAxff8QQAAAAAAAPA/AACAVv68eEIGAAAAcgBlAHYAaQBlAHcAAAAAAAAAAPA/AAAAgMX3/EEAAAAAAADwPwAAaMUBvXhCAAAAAAAAAEAAAAAAAADwPwEAAAAFAAAAbQB1AHMAaQBjAAAAAIDF9/xBAZWbPF/9/z8AAFA0Bb14QgAAgFb+vHhCAABQNAW9eEIAAAAAAAAIQAIAAAALAAAAYwBsAGkAYwBrAHMALgB2ADEAOgAxAAEAAAAzABMAAAB0AGUAeAB0AHMALgBlAG0AYgBlAGQAZABlAGQALgB2ADEAOgAwAAEAAAA4AA==';
const anyString = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 12,
});
const arbScalar: fc.Arbitrary<DecayedScalarState> = fc.record({
  halfLifeMs: anyDouble,
  value: anyDouble,
  refTime: anyDouble,
});
const anyFloat = fc.float({ noNaN: true });
const arbVec = (dim: number): fc.Arbitrary<DecayedVectorState> =>
  fc.record({
    halfLifeMs: anyDouble,
    weight: anyDouble,
    refTime: anyDouble,
    // Often all zeros (a vector nothing was folded into is written without its floats).
    sum: fc
      .oneof(fc.constant(null), fc.array(anyFloat, { minLength: dim, maxLength: dim }))
      .map((xs) => (xs ? Float32Array.from(xs) : new Float32Array(dim))),
  });
const arbKeyed = <T>(arbKey: fc.Arbitrary<string>, arbValue: fc.Arbitrary<T>) =>
  fc.uniqueArray(fc.tuple(arbKey, arbValue), { selector: ([k]) => k, maxLength: 5 }).map((entries) => {
    const d = dict<T>();
    for (const [k, v] of entries) setEntry(d, k, v);
    return d;
  });
const arbCounter: fc.Arbitrary<CounterState> = fc.record({
  channel: fc.constantFrom<FusionChannel>('review', 'post', 'click'),
  action: fc.option(fc.constantFrom<ClickAction>('view', 'click', 'like', 'add_to_cart', 'purchase')),
  total: anyDouble,
  decayed: arbScalar,
});

const arbState: fc.Arbitrary<ProfileState> = fc.integer({ min: 1, max: 6 }).chain((dim) =>
  fc.record({
    userId: anyString,
    modelId: anyString,
    dim: fc.constant(dim),
    horizons: arbKeyed(fc.oneof(anyString, fc.constant('__proto__')), arbVec(dim)),
    channels: fc.record({ review: arbVec(dim), post: arbVec(dim), click: arbVec(dim) }),
    negative: arbVec(dim),
    counters: fc
      .uniqueArray(arbCounter, { selector: (c) => counterKey(c.channel, c.action), maxLength: 6 })
      .map((cs) => {
        const d = dict<CounterState>();
        for (const c of cs) setEntry(d, counterKey(c.channel, c.action), c);
        return d;
      }),
    ratingSum: anyDouble,
    ratingCount: anyDouble,
    categoryAffinity: arbKeyed(fc.oneof(anyString, fc.constantFrom('__proto__', 'constructor')), arbScalar),
    sentiment: fc.record({ positive: anyDouble, negative: anyDouble, probability: arbScalar, scored: arbScalar }),
    firstEventAt: anyDouble,
    lastEventAt: anyDouble,
    eventCount: anyDouble,
    appliedOffsets: arbKeyed(anyString, fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String)),
    recentTexts: fc.array(fc.record({ hash: anyString, at: anyDouble }), { maxLength: 4 }),
    attributes: arbKeyed(
      fc.oneof(anyString, fc.constant('__proto__')),
      fc.record({
        at: anyDouble,
        value: fc.oneof(fc.constant(null), anyString, anyDouble, fc.boolean(), fc.array(anyString, { maxLength: 3 })),
      }),
    ),
    interestClusters: fc.array(
      fc.record({
        vector: arbVec(dim),
        lastActivityAt: anyDouble,
        events: anyDouble,
        categories: fc.array(fc.record({ label: anyString, weight: arbScalar }), { maxLength: 3 }),
      }),
      { maxLength: 3 },
    ),
  }),
);

describe('state codec', () => {
  it('round-trips an applied state bit-exactly, starting with the version byte', () => {
    fc.assert(
      fc.property(arbEvents, (events) => {
        const s = applyEvents(emptyState('u', 'm', DIM), events).state;
        const bytes = encodeState(s);
        expect(bytes[0]).toBe(STATE_CODEC_VERSION);
        const back = decodeState(bytes);
        expectBitIdentical(s, back);
        expect(encodeState(back)).toEqual(bytes);
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips any state bit-exactly (-0, subnormals, infinities, any UTF-16 string)', () => {
    fc.assert(
      fc.property(arbState, (s) => {
        const bytes = encodeState(s);
        const back = decodeState(bytes);
        expectBitIdentical(s, back);
        expect(Object.getPrototypeOf(back.categoryAffinity)).toBeNull();
        expect(encodeState(back)).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('encodes equal states equally whatever their key insertion order', () => {
    const a = emptyState('u', 'm', 2, {
      halfLivesMs: { x: 1, y: 2 },
      actionWeights: { view: 1, click: 1, like: 1, add_to_cart: 1, purchase: 1 },
    });
    const b = emptyState('u', 'm', 2, {
      halfLivesMs: { y: 2, x: 1 },
      actionWeights: { view: 1, click: 1, like: 1, add_to_cart: 1, purchase: 1 },
    });
    expect(encodeState(a)).toEqual(encodeState(b));
    // Counters, categories and partitions created in opposite orders by separate batches.
    const e1 = click({
      action: 'like',
      itemVector: vec(0, 1, 0, 0),
      categories: ['x'],
      position: pos(1, 0, 'clicks.v1'),
    });
    const e2 = text({ vector: vec(1, 0, 0, 0), categories: ['y'], position: pos(1, 0) });
    // Interest clusters keep creation order (which event started which depends on order), so they
    // are off here: this is about dictionaries.
    const noClusters = { ...DEFAULT_FUSION_CONFIG, interestClusters: { maxClusters: 0, joinSimilarity: 0.5 } };
    const s12 = applyEvents(applyEvents(emptyState('u', 'm', DIM), [e1], noClusters).state, [e2], noClusters).state;
    const s21 = applyEvents(applyEvents(emptyState('u', 'm', DIM), [e2], noClusters).state, [e1], noClusters).state;
    expect(Object.keys(s12.categoryAffinity)).toEqual(['x', 'y']);
    expect(Object.keys(s21.categoryAffinity)).toEqual(['y', 'x']);
    expect(encodeState(s12)).toEqual(encodeState(s21));
  });

  it('reads version 1 states, stored before sentiment existed, as states with no scored post', () => {
    // Written by the version 1 encoder: dim 2, horizons 1d and 90d, a post (offset 7), a 2-star review (8), a like (clicks.v1:1@3).
    const v1 = Buffer.from(V1_STATE, 'base64');
    expect(v1[0]).toBe(1);
    const s = decodeState(v1);
    expect(s.userId).toBe('user-1');
    expect(s.modelId).toBe('m@1');
    expect(Object.keys(s.horizons).sort()).toEqual(['1d', '90d']);
    expect(s.eventCount).toBe(3);
    expect(s.ratingSum).toBe(2);
    expect(Array.from(s.negative.sum)).toEqual([1, 0]);
    expect({ ...s.appliedOffsets }).toEqual({ 'texts.embedded.v1:0': '8', 'clicks.v1:1': '3' });
    expect(s.sentiment).toEqual({
      positive: 0,
      negative: 0,
      probability: { halfLifeMs: 7_776_000_000, value: 0, refTime: 0 },
      scored: { halfLifeMs: 7_776_000_000, value: 0, refTime: 0 },
    });
    // Re-encoded as the current version (float32, empty vectors without floats): the same state
    // otherwise, and a scored post can now be added.
    const current = encodeState(s);
    expect(current[0]).toBe(STATE_CODEC_VERSION);
    expectBitIdentical(decodeState(current), s);
    const next = applyEvents(s, [
      text({ source: 'post', vector: vec(0, 1), sentiment: { probability: 0.9, positive: true }, position: pos(9) }),
    ]).state;
    expect(next.sentiment.positive).toBe(1);
  });

  it("writes a click-only user's state without the floats of the vectors it never touched", () => {
    const s = applyEvents(emptyState('u', 'm', 384), [
      click({ itemVector: new Float32Array(384).fill(0.05), position: pos(1, 0, 'clicks.v1') }),
    ]).state;
    const bytes = encodeState(s);
    // 3 horizons, the click channel and its one interest cluster carry 384 float32s each; review,
    // post and negative none.
    expect(bytes.length).toBeGreaterThan(5 * 384 * 4);
    expect(bytes.length).toBeLessThan(6 * 384 * 4);
    expectBitIdentical(decodeState(bytes), s);
  });

  it('decodes untouched vectors onto the shared all-zero sum, which a later event does not write into', () => {
    const s = applyEvents(emptyState('u', 'm', 384), [
      click({ itemVector: new Float32Array(384).fill(0.05), position: pos(1, 0, 'clicks.v1') }),
    ]).state;
    const a = decodeState(encodeState(s));
    const b = decodeState(encodeState(s));
    expect(hasSharedZeroSum(a.channels.review)).toBe(true);
    expect(hasSharedZeroSum(a.channels.click)).toBe(false);
    const next = applyEvents(a, [
      text({ vector: new Float32Array(384).fill(0.1), source: 'review', position: pos(2, 0, 'texts.v1') }),
    ]).state;
    expect(next.channels.review.sum.some((x) => x !== 0)).toBe(true);
    expect(b.channels.review.sum.every((x) => x === 0)).toBe(true);
    expect(zeroSum(384).every((x) => x === 0)).toBe(true);
  });

  it('reads version 3 and 4 states, stored before attributes and interest clusters existed', () => {
    const s = emptyState('u', 'm', DIM);
    s.eventCount = 1;
    const current = encodeState(s);
    // Version 4 is version 5 without the cluster count at the end, version 3 without the attribute count too.
    expect(current.subarray(current.length - 8)).toEqual(Buffer.alloc(8));
    const v4 = Buffer.concat([Buffer.from([4]), current.subarray(1, current.length - 4)]);
    const v3 = Buffer.concat([Buffer.from([3]), current.subarray(1, current.length - 8)]);
    for (const old of [v3, v4]) {
      const back = decodeState(old);
      expect(Object.keys(back.attributes)).toEqual([]);
      expect(back.interestClusters).toEqual([]);
      expectBitIdentical(back, s);
    }
    // A v4 state with clusters off: the first new event starts them.
    const next = applyEvents(decodeState(v4), [text({ vector: vec(1, 0, 0, 0), position: pos(1) })]).state;
    expect(next.interestClusters).toHaveLength(1);
  });

  it('round-trips attributes of every kind, removals included', () => {
    const s = emptyState('u', 'm', DIM);
    setEntry(s.attributes, 'country', { value: 'DE', at: 5 });
    setEntry(s.attributes, 'languages', { value: ['de', 'en'], at: 5 });
    setEntry(s.attributes, 'custom.seats', { value: 4.5, at: 6 });
    setEntry(s.attributes, 'custom.beta', { value: false, at: 6 });
    setEntry(s.attributes, 'gender', { value: null, at: 7 });
    expectBitIdentical(decodeState(encodeState(s)), s);
  });

  it('rejects unknown versions, truncated and trailing bytes', () => {
    const bytes = encodeState(emptyState('u', 'm', DIM));
    const next = Buffer.from(bytes);
    next[0] = STATE_CODEC_VERSION + 1;
    expect(() => decodeState(next)).toThrow(StateCodecError);
    expect(() => decodeState(next)).toThrow(
      new RegExp(`unknown state version ${STATE_CODEC_VERSION + 1} \\(this build reads 1, 2, 3, 4, 5\\)`),
    );
    expect(() => decodeState(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => decodeState(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/trailing/);
    expect(() => decodeState(Buffer.alloc(0))).toThrow(/truncated/);
  });
});
