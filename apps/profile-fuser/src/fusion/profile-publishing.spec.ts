import { emptyState, foldEvents, type ProfileState, type TextFusionEvent } from '@profilestream/fusion';
import { profileOf, type ProfileShape } from './profile-publishing';

const T0 = 1_700_000_000_000;
const text = (offset: number, ...v: number[]): TextFusionEvent => ({
  kind: 'text',
  source: 'review',
  vector: Float32Array.from(v),
  occurredAt: T0 + offset,
  rating: null,
  sentiment: null,
  categories: [],
  position: { topic: 'texts.embedded.v1', partition: 0, offset: String(offset) },
});
const shape: ProfileShape = {
  interests: {
    labels: [
      { label: 'a', vector: Float32Array.from([1, 0]) },
      { label: 'b', vector: Float32Array.from([0, 1]) },
    ],
    top: 2,
  },
  projectionId: null,
  sentimentClassifierId: 'c',
  withheldAttributes: new Set(),
};
const labels = (s: ProfileState) => profileOf(s, 1, T0, shape).interestClusters.map((c) => c.label);

describe('profileOf', () => {
  it('labels each interest cluster with its nearest taxonomy label, again after the cluster changed', () => {
    // The fuser's working state changes in place: the same cluster object, moved.
    const state = emptyState('u', 'm', 2);
    foldEvents(state, [text(1, 1, 0)]);
    expect(labels(state)).toEqual(['a']);
    expect(labels(state)).toEqual(['a']);
    // Texts between the two directions join the cluster (cosine 0.6 with it) and pull it towards b.
    foldEvents(
      state,
      [2, 3, 4, 5, 6, 7, 8, 9].map((o) => text(o, 0.6, 0.8)),
    );
    expect(state.interestClusters).toHaveLength(1);
    expect(labels(state)).toEqual(['b']);
  });
});
