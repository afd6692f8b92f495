import { unpackFloat32, type UserProfile } from '@profilestream/contracts';

/** `v` scaled to unit length, or null when it has none (all zeros, non-finite). */
export function normalise(v: ArrayLike<number>): Float32Array | null {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  if (n === 0 || !Number.isFinite(n)) return null;
  const inv = 1 / Math.sqrt(n);
  return Float32Array.from(v, (x) => x * inv);
}

/** A profile's unit vectors by name: `fused`, `horizon:<name>`, `channel:<name>` and `negative`. */
export type ProfileVectors = ReadonlyMap<string, Float32Array>;

/**
 * The profile's unit vectors to rank with: each horizon alone (`horizon:7d`), each channel alone
 * (`channel:review`), and `fused`, the horizons with evidence summed as unit vectors (short and
 * long memory counted alike). Absent when the profile has no evidence there.
 */
export function profileVectors(profile: UserProfile): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const fused = new Float32Array(profile.dim);
  let any = false;
  for (const h of profile.horizons) {
    const unit = h.weight > 0 ? normalise(unpackFloat32(h.vector)) : null;
    if (!unit) continue;
    out.set(`horizon:${h.name}`, unit);
    for (let d = 0; d < unit.length; d++) fused[d]! += unit[d]!;
    any = true;
  }
  for (const c of profile.channels) {
    const unit = c.weight > 0 ? normalise(unpackFloat32(c.vector)) : null;
    if (unit) out.set(`channel:${c.name}`, unit);
  }
  const unitFused = any ? normalise(fused) : null;
  if (unitFused) out.set('fused', unitFused);
  return out;
}

/** What the ranker reads from a profile: `profileVectors` and the negative vector (reviews rated 1–2). */
export function rankerVectors(profile: UserProfile): Map<string, Float32Array> {
  const out = profileVectors(profile);
  const negative =
    profile.negative && profile.negative.weight > 0 ? normalise(unpackFloat32(profile.negative.vector)) : null;
  if (negative) out.set('negative', negative);
  return out;
}
