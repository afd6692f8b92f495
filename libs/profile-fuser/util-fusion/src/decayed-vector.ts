/**
 * Exponentially time-decayed sums with half-life h. A state holds its value at `refTime`, the
 * latest event time folded in (0 while empty); an event of weight w at time t contributes
 * w·2^-((refTime−t)/h). Folding events in any order gives Σ wᵢ·2^-((T−tᵢ)/h)·vᵢ with T = max tᵢ,
 * equal up to float rounding, and refTime = T exactly.
 *
 * Sums are kept in float32 (the precision embeddings arrive in): each step computes in float64
 * and rounds once on store, so a state is half the bytes and its stored form is exactly what the
 * maths reads back. Weights and times stay float64.
 */

export interface DecayedVectorState {
  halfLifeMs: number;
  /**
   * Σ wᵢ·2^-((refTime−tᵢ)/h)·vᵢ, rounded to float32 at every step. Read only outside addEvent: it
   * may be the shared all-zero sum (zeroSum).
   */
  sum: Float32Array;
  /** Σ wᵢ·2^-((refTime−tᵢ)/h). */
  weight: number;
  /** Epoch ms the sum and weight are valued at. */
  refTime: number;
}

export interface DecayedScalarState {
  halfLifeMs: number;
  /** Σ wᵢ·2^-((refTime−tᵢ)/h). */
  value: number;
  refTime: number;
}

/** 2^-(dtMs/halfLifeMs); exactly 1 when dtMs is 0. */
export function decayFactor(dtMs: number, halfLifeMs: number): number {
  return dtMs === 0 ? 1 : Math.pow(2, -dtMs / halfLifeMs);
}

function checkHalfLife(halfLifeMs: number): void {
  if (!(Number.isFinite(halfLifeMs) && halfLifeMs > 0))
    throw new RangeError(`half-life must be a positive finite number of ms, got ${halfLifeMs}`);
}

function checkTime(t: number, what: string): void {
  if (!Number.isFinite(t)) throw new RangeError(`${what} must be a finite epoch ms, got ${t}`);
}

/**
 * One all-zero sum per dimension, shared by every vector nothing was folded into. Most users never
 * write a review or a post, so three of a click-only user's seven vectors would each hold `dim`
 * zeros of their own (about a third of its memory). Nothing may write into a shared sum: addEvent,
 * the only function that writes a sum in place, gives the vector its own array first.
 */
const zeroSums = new Map<number, Float32Array>();

/** The shared all-zero sum of this dimension (read only). */
export function zeroSum(dim: number): Float32Array {
  let sum = zeroSums.get(dim);
  if (!sum) {
    sum = new Float32Array(dim);
    zeroSums.set(dim, sum);
  }
  return sum;
}

/** True while the vector uses the shared all-zero sum (it holds no array of its own). */
export function hasSharedZeroSum(state: DecayedVectorState): boolean {
  return state.sum === zeroSums.get(state.sum.length);
}

export function emptyDecayedVector(dim: number, halfLifeMs: number): DecayedVectorState {
  if (!(Number.isSafeInteger(dim) && dim > 0)) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  checkHalfLife(halfLifeMs);
  return { halfLifeMs, sum: zeroSum(dim), weight: 0, refTime: 0 };
}

export function cloneDecayedVector(s: DecayedVectorState): DecayedVectorState {
  const sum = hasSharedZeroSum(s) ? s.sum : s.sum.slice();
  return { halfLifeMs: s.halfLifeMs, sum, weight: s.weight, refTime: s.refTime };
}

/**
 * Folds w·v observed at t into `state`, in place (returns the same object). If t ≥ refTime the
 * state first decays to t and refTime becomes t; otherwise the contribution is decayed to refTime.
 */
export function addEvent(state: DecayedVectorState, v: ArrayLike<number>, w: number, t: number): DecayedVectorState {
  if (v.length !== state.sum.length)
    throw new RangeError(`vector has dimension ${v.length}, state has ${state.sum.length}`);
  if (!Number.isFinite(w)) throw new RangeError(`weight must be finite, got ${w}`);
  checkTime(t, 'event time');
  if (hasSharedZeroSum(state)) state.sum = new Float32Array(v.length);
  const sum = state.sum;
  if (t >= state.refTime) {
    const f = decayFactor(t - state.refTime, state.halfLifeMs);
    if (f === 1) {
      for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + w * v[i]!;
    } else {
      for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! * f + w * v[i]!;
    }
    state.weight = state.weight * f + w;
    state.refTime = t;
  } else {
    const g = w * decayFactor(state.refTime - t, state.halfLifeMs);
    for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + g * v[i]!;
    state.weight += g;
  }
  return state;
}

/** True while nothing was ever folded in (the state is as emptyDecayedVector made it). */
export function isEmptyDecayedVector(state: DecayedVectorState): boolean {
  if (state.weight !== 0 || state.refTime !== 0) return false;
  return hasSharedZeroSum(state) || state.sum.every((x) => x === 0);
}

/** A copy valued at `now` (sum and weight decayed). Never moves refTime back: if now ≤ refTime the copy is unchanged. */
export function decayTo(state: DecayedVectorState, now: number): DecayedVectorState {
  checkTime(now, 'now');
  const out = cloneDecayedVector(state);
  if (now <= state.refTime) return out;
  const f = decayFactor(now - state.refTime, state.halfLifeMs);
  if (!hasSharedZeroSum(out)) for (let i = 0; i < out.sum.length; i++) out.sum[i] = out.sum[i]! * f;
  out.weight *= f;
  out.refTime = now;
  return out;
}

/** The sum as a unit vector (decay does not change its direction); all zeros when the sum is zero. */
export function normalised(state: DecayedVectorState): Float64Array {
  const sum = state.sum;
  const out = new Float64Array(sum.length);
  // Scale by the largest magnitude first so the squared norm neither under- nor overflows.
  let m = 0;
  for (let i = 0; i < sum.length; i++) m = Math.max(m, Math.abs(sum[i]!));
  if (!(m > 0) || !Number.isFinite(m)) return out;
  let nn = 0;
  for (let i = 0; i < sum.length; i++) nn += (sum[i]! / m) ** 2;
  const norm = Math.sqrt(nn);
  for (let i = 0; i < sum.length; i++) out[i] = sum[i]! / m / norm;
  return out;
}

export function emptyDecayedScalar(halfLifeMs: number): DecayedScalarState {
  checkHalfLife(halfLifeMs);
  return { halfLifeMs, value: 0, refTime: 0 };
}

/** Scalar counterpart of addEvent (in place, returns the same object). */
export function addScalar(state: DecayedScalarState, w: number, t: number): DecayedScalarState {
  if (!Number.isFinite(w)) throw new RangeError(`weight must be finite, got ${w}`);
  checkTime(t, 'event time');
  if (t >= state.refTime) {
    state.value = state.value * decayFactor(t - state.refTime, state.halfLifeMs) + w;
    state.refTime = t;
  } else {
    state.value += w * decayFactor(state.refTime - t, state.halfLifeMs);
  }
  return state;
}

/** A copy valued at `now`; unchanged when now ≤ refTime. */
export function decayScalarTo(state: DecayedScalarState, now: number): DecayedScalarState {
  checkTime(now, 'now');
  if (now <= state.refTime) return { ...state };
  return {
    halfLifeMs: state.halfLifeMs,
    value: state.value * decayFactor(now - state.refTime, state.halfLifeMs),
    refTime: now,
  };
}
