import { applyEvents } from './fuse';
import { DEFAULT_FUSION_CONFIG, emptyState, firstEventMemoryBytes, stateMemoryBytes } from './profile-state';
import { click, pos } from './spec-helpers';

describe('stateMemoryBytes', () => {
  const dim = 384;
  const unit = (i: number) => {
    const v = new Float32Array(dim);
    v[i] = 1;
    return v;
  };

  it('counts no float32 sums for a new profile: its vectors share the all-zero one', () => {
    const state = emptyState('u', 'm', dim, DEFAULT_FUSION_CONFIG);
    // Seven vectors of their own would take 7 · 4 · dim bytes.
    expect(stateMemoryBytes(state)).toBeLessThan(5_000);
  });

  it("counts the sums a user's first click gives it (horizons, click channel, one cluster), not the untouched channels", () => {
    const empty = emptyState('u', 'm', dim, DEFAULT_FUSION_CONFIG);
    const { state } = applyEvents(empty, [click({ itemVector: unit(0), position: pos(0) })], DEFAULT_FUSION_CONFIG);
    const withSums = Object.keys(DEFAULT_FUSION_CONFIG.halfLivesMs).length + 2;
    const bytes = stateMemoryBytes(state);
    expect(bytes - stateMemoryBytes(empty)).toBeGreaterThanOrEqual(withSums * 4 * dim);
    expect(bytes - stateMemoryBytes(empty)).toBeLessThan((withSums + 1) * 4 * dim);
    expect(firstEventMemoryBytes(dim, DEFAULT_FUSION_CONFIG)).toBe(bytes);
  });

  it('grows with each interest cluster a user gains', () => {
    const state = emptyState('u', 'm', dim, DEFAULT_FUSION_CONFIG);
    const before = stateMemoryBytes(state);
    // Orthogonal items: each starts an interest cluster of its own.
    const { state: after } = applyEvents(
      state,
      [0, 1, 2].map((i) => click({ itemVector: unit(i), position: pos(i) })),
      DEFAULT_FUSION_CONFIG,
    );
    expect(after.interestClusters.length).toBeGreaterThanOrEqual(2);
    expect(stateMemoryBytes(after) - before).toBeGreaterThanOrEqual(after.interestClusters.length * 4 * dim);
  });
});
