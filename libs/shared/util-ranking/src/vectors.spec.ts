import { packFloat32, type UserProfile } from '@profilestream/contracts';
import { profileVectors, rankerVectors } from './vectors';

describe('profileVectors', () => {
  const vector = (name: string, v: number[], weight: number) => ({
    name,
    halfLifeMs: 1,
    vector: packFloat32(v),
    weight,
    refTime: 0,
  });
  const profile = {
    dim: 2,
    horizons: [vector('1d', [1, 0], 0.5), vector('7d', [0, 2], 3), vector('90d', [0, 0], 0)],
    channels: [vector('review', [3, 4], 2), vector('click', [0, 0], 0)],
  } as unknown as UserProfile;

  it('gives each horizon and channel with evidence as a unit vector, and their fusion', () => {
    const vs = profileVectors(profile);
    expect([...vs.keys()].sort()).toEqual(['channel:review', 'fused', 'horizon:1d', 'horizon:7d']);
    expect([...vs.get('channel:review')!]).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    // The 1d and 7d directions count alike, whatever their weights.
    expect([...vs.get('fused')!]).toEqual([expect.closeTo(Math.SQRT1_2, 6), expect.closeTo(Math.SQRT1_2, 6)]);
  });
});
describe('rankerVectors', () => {
  const vector = (name: string, v: number[], weight: number) => ({
    name,
    halfLifeMs: 1,
    vector: packFloat32(v),
    weight,
    refTime: 0,
  });
  const base = { dim: 2, horizons: [vector('7d', [0, 2], 3)], channels: [] };

  it('adds the negative vector when it has evidence', () => {
    const withNegative = { ...base, negative: vector('90d', [3, 0], 1) } as unknown as UserProfile;
    expect([...rankerVectors(withNegative).get('negative')!]).toEqual([1, 0]);
    const spent = { ...base, negative: vector('90d', [3, 0], 0) } as unknown as UserProfile;
    expect(rankerVectors(spent).has('negative')).toBe(false);
    expect(rankerVectors({ ...base, negative: null } as unknown as UserProfile).has('negative')).toBe(false);
  });
});
