import fc from 'fast-check';
import { shuffle } from './spec-helpers';
import {
  addEvent,
  isEmptyDecayedVector,
  addScalar,
  decayFactor,
  decayScalarTo,
  decayTo,
  emptyDecayedScalar,
  emptyDecayedVector,
  cloneDecayedVector,
  hasSharedZeroSum,
  normalised,
  zeroSum,
} from './decayed-vector';

describe('decayed vector', () => {
  it('shares one all-zero sum until an event is folded in, and never writes into it', () => {
    const a = emptyDecayedVector(3, 1000);
    const b = emptyDecayedVector(3, 2000);
    expect(a.sum).toBe(b.sum);
    expect(hasSharedZeroSum(a)).toBe(true);
    expect(cloneDecayedVector(a).sum).toBe(a.sum);
    expect(isEmptyDecayedVector(a)).toBe(true);
    addEvent(a, [1, 2, 3], 1, 0);
    expect(hasSharedZeroSum(a)).toBe(false);
    expect(Array.from(a.sum)).toEqual([1, 2, 3]);
    expect(Array.from(b.sum)).toEqual([0, 0, 0]);
    expect(Array.from(zeroSum(3))).toEqual([0, 0, 0]);
    const copy = cloneDecayedVector(a);
    expect(copy.sum).not.toBe(a.sum);
    // A weight with a zero sum (a decoded state can hold one) still decays.
    const weighted = { ...emptyDecayedVector(3, 1000), weight: 2, refTime: 0 };
    const later = decayTo(weighted, 1000);
    expect(later.weight).toBe(1);
    expect(later.sum).toBe(zeroSum(3));
    expect(Array.from(zeroSum(3))).toEqual([0, 0, 0]);
  });

  it('decays forward and discounts late events by the closed form', () => {
    const s = emptyDecayedVector(2, 1000);
    addEvent(s, [1, 0], 1, 0);
    addEvent(s, [0, 1], 2, 1000); // first event halves
    expect(Array.from(s.sum)).toEqual([0.5, 2]);
    expect(s.weight).toBe(2.5);
    expect(s.refTime).toBe(1000);
    addEvent(s, [1, 1], 4, 0); // late: 4·2^-1 added, refTime stays
    expect(Array.from(s.sum)).toEqual([2.5, 4]);
    expect(s.weight).toBe(4.5);
    expect(s.refTime).toBe(1000);
    addEvent(s, [0, 0], 0, 3000); // two half-lives later
    expect(Array.from(s.sum)).toEqual([0.625, 1]);
    expect(s.weight).toBe(1.125);
  });

  it('reads decayed copies without moving refTime back', () => {
    const s = emptyDecayedVector(2, 1000);
    addEvent(s, [2, 0], 1, 5000);
    const later = decayTo(s, 7000);
    expect(later).toMatchObject({ weight: 0.25, refTime: 7000 });
    expect(Array.from(later.sum)).toEqual([0.5, 0]);
    expect(s).toMatchObject({ weight: 1, refTime: 5000 }); // untouched
    expect(decayTo(s, 1000)).toMatchObject({ weight: 1, refTime: 5000 });
    expect(decayFactor(86_400_000 * 7, 86_400_000 * 7)).toBe(0.5);
  });

  it('normalises to a unit vector, zeros when empty, even for tiny sums', () => {
    const s = emptyDecayedVector(2, 1000);
    expect(Array.from(normalised(s))).toEqual([0, 0]);
    addEvent(s, [3, 4], 1, 0);
    expect(Array.from(normalised(s))).toEqual([0.6, 0.8]);
    // float32 subnormals: squaring them directly would underflow to zero.
    s.sum[0] = 3e-40;
    s.sum[1] = 4e-40;
    const n = normalised(s);
    expect(n[0]).toBeCloseTo(0.6, 4);
    expect(n[1]).toBeCloseTo(0.8, 4);
  });

  it('stores sums as float32, each step rounded once from float64', () => {
    const s = emptyDecayedVector(1, 1000);
    addEvent(s, [0.1], 1, 0);
    addEvent(s, [0.2], 1, 0);
    expect(s.sum).toBeInstanceOf(Float32Array);
    expect(s.sum[0]).toBe(Math.fround(Math.fround(0.1) + 0.2));
    expect(isEmptyDecayedVector(emptyDecayedVector(2, 1000))).toBe(true);
    expect(isEmptyDecayedVector(s)).toBe(false);
  });

  it('rejects vectors of the wrong dimension', () => {
    expect(() => addEvent(emptyDecayedVector(3, 1000), [1, 2], 1, 0)).toThrow(/dimension 2, state has 3/);
  });

  it('keeps scalars the same way', () => {
    const c = emptyDecayedScalar(1000);
    addScalar(c, 1, 1000);
    addScalar(c, 1, 2000);
    addScalar(c, 4, 0);
    expect(c).toEqual({ halfLifeMs: 1000, value: 2.5, refTime: 2000 });
    expect(decayScalarTo(c, 3000)).toEqual({ halfLifeMs: 1000, value: 1.25, refTime: 3000 });
  });

  it('equals Σ wᵢ·2^-((T−tᵢ)/h)·vᵢ with T = max tᵢ, in any order', () => {
    const arbEvent = fc.record({
      v: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
      w: fc.double({ min: 0, max: 5, noNaN: true }),
      t: fc.integer({ min: 0, max: 10_000_000_000 }),
    });
    fc.assert(
      fc.property(
        fc.array(arbEvent, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 60_000, max: 10_000_000_000 }),
        fc.integer(),
        (events, h, seed) => {
          const shuffled = shuffle(events, seed);
          const s = emptyDecayedVector(3, h);
          const c = emptyDecayedScalar(h);
          for (const e of shuffled) {
            addEvent(s, e.v, e.w, e.t);
            addScalar(c, e.w, e.t);
          }
          const T = Math.max(...events.map((e) => e.t));
          const sum = [0, 0, 0];
          let weight = 0;
          for (const e of events) {
            const f = e.w * Math.pow(2, -(T - e.t) / h);
            weight += f;
            for (let i = 0; i < 3; i++) sum[i] = sum[i]! + f * e.v[i]!;
          }
          expect(s.refTime).toBe(T);
          expect(c.refTime).toBe(T);
          const tol = 1e-9 * Math.max(1, weight);
          expect(Math.abs(s.weight - weight)).toBeLessThanOrEqual(tol);
          expect(Math.abs(c.value - weight)).toBeLessThanOrEqual(tol);
          // Sums round to float32 (2^-24 relative) once per step: bounded by steps × that × |terms|.
          const sumTol = events.length * 2 ** -23 * Math.max(1, weight);
          for (let i = 0; i < 3; i++) expect(Math.abs(s.sum[i]! - sum[i]!)).toBeLessThanOrEqual(sumTol);
        },
      ),
      { numRuns: 200 },
    );
  });
});
