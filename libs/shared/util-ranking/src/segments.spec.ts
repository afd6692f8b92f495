import type { UserProfile } from '@profilestream/contracts';
import { toRankerArtefact } from './artefact';
import { RANKER_FEATURES, popularityFeature, type CandidateVectors } from './features';
import { pointInTimeRows, type Interaction, type Snapshot } from './point-in-time';
import { trainRanker } from './ranker';
import { scoreCandidates } from './score';
import { SegmentCounts, segmentOf } from './segments';

const F = RANKER_FEATURES.length;
const col = (name: (typeof RANKER_FEATURES)[number]) => RANKER_FEATURES.indexOf(name);
const noVectors: CandidateVectors = { cosine: () => 0 };
const withAttributes = (attributes: { name: string; value: unknown }[]) =>
  ({ attributes: attributes.map((a) => ({ ...a, updatedAt: 0 })) }) as unknown as UserProfile;

describe('segmentOf', () => {
  it("is the user's string value of the attribute, a list's first, else null", () => {
    const p = withAttributes([
      { name: 'country', value: 'DE' },
      { name: 'languages', value: ['de', 'en'] },
      { name: 'signupAt', value: 1_700_000_000_000 },
      { name: 'custom.vip', value: true },
      { name: 'custom.tags', value: [] },
    ]);
    expect(segmentOf(p, 'country')).toBe('DE');
    expect(segmentOf(p, 'languages')).toBe('de');
    expect(segmentOf(p, 'signupAt')).toBeNull();
    expect(segmentOf(p, 'custom.vip')).toBeNull();
    expect(segmentOf(p, 'custom.tags')).toBeNull();
    expect(segmentOf(p, 'region')).toBeNull();
    expect(segmentOf(p, null)).toBeNull();
    expect(segmentOf(null, 'country')).toBeNull();
  });
});

describe('SegmentCounts', () => {
  it('counts per segment and item, with each segment’s largest count', () => {
    const s = new SegmentCounts();
    for (const [segment, item] of [
      ['FR', 1],
      ['DE', 0],
      ['DE', 0],
      ['DE', 1],
    ] as const)
      s.add(segment, item);
    expect([s.count('DE', 0), s.count('DE', 1), s.count('FR', 0), s.count('IT', 0)]).toEqual([2, 1, 0, 0]);
    expect([s.maxOf('DE'), s.maxOf('IT'), s.maxOf(null)]).toEqual([2, 0, 0]);
    expect(s.maxInteractions()).toEqual({ DE: 2, FR: 1 });
  });
});

describe('segment_popularity, point in time', () => {
  const snap = (segment: string | null): Snapshot[] => [{ at: 0, vectors: new Map(), segment }];
  const history = new Map([
    ['d1', snap('DE')],
    ['d2', snap('DE')],
    ['f1', snap('FR')],
    ['n', snap(null)],
  ]);
  const rowsOf = (interactions: Interaction[]) =>
    pointInTimeRows({ catalogue: ['a', 'b', 'c'], items: noVectors, interactions, history, negatives: 1, seed: 1 });

  it("counts only the segment's interactions before the one predicted", () => {
    const r = rowsOf([
      { userId: 'd1', itemId: 'a', at: 1 }, // DE has nothing yet: popularity (0)
      { userId: 'f1', itemId: 'b', at: 2 },
      { userId: 'f1', itemId: 'b', at: 3 },
      { userId: 'd2', itemId: 'a', at: 4 }, // DE: a once, the most any item had in DE
      { userId: 'n', itemId: 'a', at: 5 }, // no segment: popularity
      { userId: 'd1', itemId: 'b', at: 6 }, // DE: b never; later b clicks in DE are not seen
      { userId: 'd2', itemId: 'b', at: 7 },
    ]);
    const positive = (k: number, feature: (typeof RANKER_FEATURES)[number]) => r.rows[k * 2 * F + col(feature)]!;
    expect(positive(0, 'segment_popularity')).toBe(positive(0, 'popularity'));
    expect(positive(3, 'segment_popularity')).toBeCloseTo(popularityFeature(1, 1), 12);
    expect(positive(3, 'popularity')).toBeCloseTo(popularityFeature(1, 2), 12);
    expect(positive(4, 'segment_popularity')).toBe(positive(4, 'popularity'));
    expect(positive(5, 'segment_popularity')).toBe(0);
    expect(positive(5, 'popularity')).toBeGreaterThan(0);
    expect(r.segments.maxInteractions()).toEqual({ DE: 2, FR: 2 });
  });
});

describe('segment_popularity, learned', () => {
  // Users in DE mostly take X, users in FR mostly Y: overall, X and Y are equally popular, and four
  // filler items are taken by everyone alike. Only the segment tells a DE user's X from their Y.
  const catalogue = ['X', 'Y', 'f0', 'f1', 'f2', 'f3'];
  const history = new Map<string, Snapshot[]>();
  const interactions: Interaction[] = [];
  let at = 1;
  for (let round = 0; round < 3; round++)
    for (let u = 0; u < 40; u++) {
      const country = u % 2 === 0 ? 'DE' : 'FR';
      const userId = `${country}-${u}`;
      history.set(userId, [{ at: 0, vectors: new Map(), segment: country }]);
      const favourite = country === 'DE' ? 'X' : 'Y';
      const other = country === 'DE' ? 'Y' : 'X';
      // One in ten users of each segment also takes the other segment's item, once.
      const itemId = round === 0 ? `f${u % 4}` : round === 2 && u % 10 < 2 ? other : favourite;
      interactions.push({ userId, itemId, at: at++ });
    }
  const rows = pointInTimeRows({ catalogue, items: noVectors, interactions, history, negatives: 3, seed: 5 });
  const fit = trainRanker(rows, (userId) => Number(userId.split('-')[1]) % 5 === 0);
  const segmentWeight = fit.weights[col('segment_popularity')]!;

  it('gets a positive weight', () => {
    expect(segmentWeight).toBeGreaterThan(0.5);
  });

  it('ranks X first for a DE user and Y first for a FR user, through the artefact', () => {
    const count = (itemId: string, country?: string) =>
      interactions.filter((x) => x.itemId === itemId && (!country || x.userId.startsWith(country))).length;
    expect(count('X')).toBe(count('Y'));
    const artefact = toRankerArtefact(fit, {
      space: { modelId: 'm@1', projectionId: null, dim: 2 },
      maxInteractions: count('X'),
      segments: { attribute: 'country', maxInteractions: rows.segments.maxInteractions() },
      training: null,
    });
    const profileIn = (country: string) =>
      ({
        userId: 'new',
        modelId: 'm@1',
        projectionId: null,
        dim: 2,
        horizons: [],
        channels: [],
        negative: null,
        attributes: [{ name: 'country', value: country, updatedAt: 0 }],
      }) as unknown as UserProfile;
    const candidates = (country: string) =>
      ['X', 'Y'].map((id) => ({ vector: null, interactions: count(id), segmentInteractions: count(id, country) }));
    const [deX, deY] = scoreCandidates(artefact, profileIn('DE'), candidates('DE'));
    const [frX, frY] = scoreCandidates(artefact, profileIn('FR'), candidates('FR'));
    expect(deX).toBeGreaterThan(deY!);
    expect(frY).toBeGreaterThan(frX!);
    // Without a segment the two are tied: the attribute alone made the difference.
    const [noX, noY] = scoreCandidates(artefact, null, candidates('DE'));
    expect(noX).toBeCloseTo(noY!, 12);
  });
});
