import { packFloat32, type UserProfile } from '@profilestream/contracts';
import {
  RANKER_FORMAT,
  RANKER_VERSION,
  RankerArtefactError,
  parseRanker,
  serializeRanker,
  toRankerArtefact,
  type RankerArtefact,
} from './artefact';
import { RANKER_FEATURES, popularityFeature } from './features';
import type { RankerFit } from './ranker';
import { RankerSpaceError, scoreCandidates } from './score';

const F = RANKER_FEATURES.length;
const col = (name: (typeof RANKER_FEATURES)[number]) => RANKER_FEATURES.indexOf(name);

/** A fit whose weights are 1 on one feature and 0 elsewhere, unstandardised: the score is that feature. */
function fitOn(feature: (typeof RANKER_FEATURES)[number], bias = 0): RankerFit {
  const weights = Array.from({ length: F }, (_, c) => (c === col(feature) ? 1 : 0));
  return {
    features: RANKER_FEATURES,
    mean: Array(F).fill(0),
    scale: Array(F).fill(1),
    weights,
    bias,
    l2: 0.01,
    trainedOn: { positives: 1, negatives: 4 },
    validationLogLoss: 0.4,
  };
}

const space = { modelId: 'm@1', projectionId: null, dim: 2 };
const segments = { attribute: 'country', maxInteractions: { DE: 49, FR: 9 } };
const artefactOf = (fit: RankerFit, maxInteractions = 99): RankerArtefact =>
  toRankerArtefact(fit, { space, maxInteractions, segments, training: null });

const vector = (name: string, v: number[], weight = 1) => ({
  name,
  halfLifeMs: 1,
  vector: packFloat32(v),
  weight,
  refTime: 0,
});
const profile = {
  userId: 'u',
  modelId: 'm@1',
  projectionId: null,
  dim: 2,
  horizons: [vector('1d', [1, 0]), vector('90d', [0, 1])],
  channels: [vector('click', [1, 1])],
  negative: null,
  attributes: [
    { name: 'country', value: 'DE', updatedAt: 0 },
    { name: 'languages', value: ['de', 'en'], updatedAt: 0 },
  ],
} as unknown as UserProfile;

describe('ranker artefact', () => {
  it('round-trips through JSON, with an id that changes with the numbers', () => {
    const a = artefactOf(fitOn('cos_fused'));
    expect(parseRanker(JSON.parse(serializeRanker(a)))).toEqual(a);
    expect(a.format).toBe(RANKER_FORMAT);
    expect(a.formatVersion).toBe(RANKER_VERSION);
    expect(artefactOf(fitOn('cos_fused', 0.5)).id).not.toBe(a.id);
  });

  it('refuses another version, other features and missing or bad numbers, naming what is wrong', () => {
    const a = JSON.parse(serializeRanker(artefactOf(fitOn('cos_fused')))) as Record<string, unknown>;
    // Version 1 had eight features: it must be retrained, not read.
    expect(RANKER_VERSION).toBe(2);
    expect(() => parseRanker({ ...a, formatVersion: 1 }, 'r.json')).toThrow(
      new RankerArtefactError('r.json: unknown formatVersion 1 (this build reads 2)'),
    );
    const { segments: _, ...withoutSegments } = a;
    expect(() => parseRanker(withoutSegments)).toThrow(/segments/);
    expect(() => parseRanker({ ...a, segments: { attribute: '', maxInteractions: {} } })).toThrow(/segments.attribute/);
    expect(() => parseRanker({ ...a, segments: { attribute: null, maxInteractions: { DE: -1 } } })).toThrow(
      /segments.maxInteractions.DE/,
    );
    expect(() => parseRanker({ ...a, format: 'other' })).toThrow(/format/);
    expect(() => parseRanker({ ...a, features: [...RANKER_FEATURES].reverse() })).toThrow(
      /features: must be exactly \[cos_fused/,
    );
    expect(() => parseRanker({ ...a, weights: [1, 2] })).toThrow(/weights/);
    expect(() => parseRanker({ ...a, scale: Array(F).fill(0) })).toThrow(/scale/);
    expect(() => parseRanker({ ...a, bias: 'x' })).toThrow(/bias/);
    expect(() => parseRanker(null)).toThrow(RankerArtefactError);
  });
});

describe('scoreCandidates', () => {
  it('scores the cosine of the fused profile with each candidate (vectors normalised, none gives 0)', () => {
    const scores = scoreCandidates(artefactOf(fitOn('cos_fused')), profile, [
      { vector: [2, 2], interactions: 0 },
      { vector: [-1, 0], interactions: 0 },
      { vector: null, interactions: 0 },
    ]);
    // fused = unit(1d + 90d) = (1, 1)/√2.
    expect(scores[0]).toBeCloseTo(1, 6);
    expect(scores[1]).toBeCloseTo(-Math.SQRT1_2, 6);
    expect(scores[2]).toBe(0);
  });

  it('takes the shortest and longest horizons and the click channel by name', () => {
    const c = [{ vector: [1, 0], interactions: 0 }];
    expect(scoreCandidates(artefactOf(fitOn('cos_short')), profile, c)[0]).toBeCloseTo(1, 6);
    expect(scoreCandidates(artefactOf(fitOn('cos_long')), profile, c)[0]).toBeCloseTo(0, 6);
    expect(scoreCandidates(artefactOf(fitOn('cos_click')), profile, c)[0]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('puts popularity on the training scale and passes co-occurrence through', () => {
    const scores = scoreCandidates(artefactOf(fitOn('popularity'), 99), profile, [{ vector: null, interactions: 9 }]);
    expect(scores[0]).toBeCloseTo(popularityFeature(9, 99), 12);
    expect(popularityFeature(9, 99)).toBeCloseTo(Math.log(10) / Math.log(100), 12);
    expect(
      scoreCandidates(artefactOf(fitOn('item_knn_max')), profile, [
        { vector: null, interactions: 0, knn: { sum: 3, max: 0.7 } },
      ])[0],
    ).toBe(0.7);
  });

  it("puts segment popularity on the scale of the profile's segment", () => {
    const a = artefactOf(fitOn('segment_popularity'), 99);
    const scores = scoreCandidates(a, profile, [
      { vector: null, interactions: 9, segmentInteractions: 4 },
      { vector: null, interactions: 9, segmentInteractions: 0 },
    ]);
    expect(scores[0]).toBeCloseTo(popularityFeature(4, 49), 12);
    expect(scores[1]).toBe(0);
  });

  it('falls back to overall popularity without a segment, a count or a segment the ranker knows', () => {
    const a = artefactOf(fitOn('segment_popularity'), 99);
    const overall = popularityFeature(9, 99);
    const withCountry = (value: unknown) =>
      ({ ...profile, attributes: [{ name: 'country', value, updatedAt: 0 }] }) as unknown as UserProfile;
    const c = [{ vector: null, interactions: 9, segmentInteractions: 4 }];
    expect(scoreCandidates(a, { ...profile, attributes: [] }, c)[0]).toBeCloseTo(overall, 12);
    expect(scoreCandidates(a, withCountry('IT'), c)[0]).toBeCloseTo(overall, 12);
    expect(scoreCandidates(a, withCountry('constructor'), c)[0]).toBeCloseTo(overall, 12);
    expect(scoreCandidates(a, withCountry(true), c)[0]).toBeCloseTo(overall, 12);
    expect(scoreCandidates(a, null, c)[0]).toBeCloseTo(overall, 12);
    expect(scoreCandidates(a, profile, [{ vector: null, interactions: 9 }])[0]).toBeCloseTo(overall, 12);
    const off = { ...a, segments: { attribute: null, maxInteractions: { DE: 49 } } };
    expect(scoreCandidates(off, profile, c)[0]).toBeCloseTo(overall, 12);
  });

  it('scores a user without a profile on behaviour alone', () => {
    const a = artefactOf(fitOn('cos_fused', 0.25));
    expect([...scoreCandidates(a, null, [{ vector: [1, 0], interactions: 3 }])]).toEqual([0.25]);
  });

  it('refuses a profile of another vector space and a candidate of the wrong size', () => {
    const a = artefactOf(fitOn('cos_fused'));
    expect(() => scoreCandidates(a, { ...profile, modelId: 'other@2' }, [])).toThrow(RankerSpaceError);
    expect(() => scoreCandidates(a, { ...profile, projectionId: 'pca-1' }, [])).toThrow(/space m@1\/pca-1/);
    expect(() => scoreCandidates(a, profile, [{ vector: [1, 0, 0], interactions: 0 }])).toThrow(
      /3 dimensions, ranker .* expects 2/,
    );
  });
});
