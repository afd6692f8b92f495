import { applyEvents } from './fuse';
import { DEFAULT_FUSION_CONFIG, emptyState, stateMemoryBytes } from './profile-state';
import { click, pos } from './spec-helpers';

describe('stateMemoryBytes', () => {
  const dim = 384;
  const unit = (i: number) => {
    const v = new Float32Array(dim);
    v[i] = 1;
    return v;
  };

  it('counts every float32 vector of a new profile: its horizons, three channels and the negative vector', () => {
    const state = emptyState('u', 'm', dim, DEFAULT_FUSION_CONFIG);
    const vectors = Object.keys(DEFAULT_FUSION_CONFIG.halfLivesMs).length + 4;
    const bytes = stateMemoryBytes(state);
    expect(bytes).toBeGreaterThanOrEqual(vectors * 4 * dim);
    expect(bytes).toBeLessThan(vectors * 4 * dim + 4_000);
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
