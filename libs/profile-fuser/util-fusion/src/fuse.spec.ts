import fc from 'fast-check';
import { FusionInputError } from './errors';
import { applyEvents, foldClickContent, isDuplicate, type ClickFusionEvent, type FusionEvent } from './fuse';
import { DEFAULT_FUSION_CONFIG, emptyState, type ProfileState } from './profile-state';
import { encodeState } from './state-codec';
import { DAY, DIM, T0, arbEvents, batches, click, pos, shuffle, stateDiffs, text, vec } from './spec-helpers';

const fresh = (): ProfileState => emptyState('u1', 'm@1', DIM);
const apply = (events: FusionEvent[], state = fresh()) => applyEvents(state, events, DEFAULT_FUSION_CONFIG);
const weights = (s: ProfileState) => Object.fromEntries(Object.entries(s.horizons).map(([k, v]) => [k, v.weight]));

function applyInBatches(state: ProfileState, parts: FusionEvent[][]): ProfileState {
  for (const b of parts) state = apply(b, state).state;
  return state;
}

describe('applyEvents rules', () => {
  it('adds a positive review to every horizon and the review channel with weight 1', () => {
    const r = apply([text({ vector: vec(1, 0, 0, 0), rating: 5, categories: ['books'], position: pos(1) })]);
    expect(r).toMatchObject({ applied: 1, skipped: { duplicate: 0, clickWithoutVector: 0 } });
    const s = r.state;
    expect(weights(s)).toEqual({ '1d': 1, '7d': 1, '90d': 1 });
    expect(Array.from(s.horizons['7d']!.sum)).toEqual([1, 0, 0, 0]);
    expect(s.horizons['1d']!.refTime).toBe(T0);
    expect(s.channels.review.weight).toBe(1);
    expect(s.channels.post.weight).toBe(0);
    expect(s.channels.click.weight).toBe(0);
    expect(s.negative.weight).toBe(0);
    expect(s.counters['review']).toMatchObject({
      channel: 'review',
      action: null,
      total: 1,
      decayed: { value: 1, refTime: T0, halfLifeMs: 90 * DAY },
    });
    expect([s.ratingSum, s.ratingCount]).toEqual([5, 1]);
    expect(s.categoryAffinity['books']).toEqual({ halfLifeMs: 90 * DAY, value: 1, refTime: T0 });
    expect([s.firstEventAt, s.lastEventAt, s.eventCount]).toEqual([T0, T0, 1]);
    expect(s.appliedOffsets['texts.embedded.v1:0']).toBe('1');
  });

  it('puts reviews rated 1 or 2 only into negative, but still counts them', () => {
    const s = apply([
      text({ vector: vec(0, 1, 0, 0), rating: 2, categories: ['games'], position: pos(1) }),
      text({ vector: vec(0, 0, 1, 0), rating: 1, position: pos(2) }),
      text({ vector: vec(1, 0, 0, 0), rating: 3, position: pos(3) }),
    ]).state;
    expect(s.negative.weight).toBe(2);
    expect(Array.from(s.negative.sum)).toEqual([0, 1, 1, 0]);
    expect(weights(s)).toEqual({ '1d': 1, '7d': 1, '90d': 1 });
    expect(Array.from(s.horizons['90d']!.sum)).toEqual([1, 0, 0, 0]);
    expect(s.channels.review.weight).toBe(1);
    expect(s.counters['review']!.total).toBe(3);
    expect([s.ratingSum, s.ratingCount]).toEqual([6, 3]);
    expect(s.categoryAffinity['games']!.value).toBe(1);
  });

  it('routes posts to the post channel and ignores ratings on them', () => {
    const s = apply([text({ source: 'post', vector: vec(0, 0, 0, 1), rating: 1, position: pos(1) })]).state;
    expect(s.channels.post.weight).toBe(1);
    expect(s.negative.weight).toBe(0);
    expect(s.ratingCount).toBe(0);
    expect(s.counters['post']!.total).toBe(1);
  });

  it('adds clicked item vectors with the action weight to horizons and the click channel', () => {
    const s = apply([
      click({
        action: 'purchase',
        itemVector: vec(1, 0, 0, 0),
        categories: ['books', 'books'],
        position: pos(7, 0, 'clicks.v1'),
      }),
      click({ action: 'view', itemVector: vec(0, 1, 0, 0), categories: ['books'], position: pos(8, 0, 'clicks.v1') }),
    ]).state;
    expect(weights(s)).toEqual({ '1d': 3.2, '7d': 3.2, '90d': 3.2 });
    expect(Array.from(s.channels.click.sum)).toEqual([3, Math.fround(0.2), 0, 0]);
    expect(s.channels.review.weight).toBe(0);
    expect(s.counters['click:purchase']).toMatchObject({ channel: 'click', action: 'purchase', total: 1 });
    expect(s.counters['click:view']).toMatchObject({ channel: 'click', action: 'view', total: 1 });
    expect(s.categoryAffinity['books']!.value).toBeCloseTo(3.2, 15); // duplicate labels in one event count once
    expect(s.appliedOffsets['clicks.v1:0']).toBe('8');
  });

  it('counts clicks on an item not known yet, but leaves its vector and categories for later', () => {
    const r = apply([click({ action: 'like', position: pos(1, 0, 'clicks.v1') })]);
    expect(r.applied).toBe(1);
    expect(r.skipped).toMatchObject({ duplicate: 0, clickWithoutVector: 1, repeatedText: 0, staleAttribute: 0 });
    expect(weights(r.state)).toEqual({ '1d': 0, '7d': 0, '90d': 0 });
    expect(r.state.channels.click.weight).toBe(0);
    expect(r.state.counters['click:like']!.total).toBe(1);
    expect(Object.keys(r.state.categoryAffinity)).toEqual([]);
    expect(r.state.eventCount).toBe(1);
  });

  it('decays counters and affinities with the longest half-life and keeps totals', () => {
    const s = apply([
      text({ vector: vec(1, 0, 0, 0), categories: ['a'], occurredAt: T0, position: pos(1) }),
      text({ vector: vec(1, 0, 0, 0), categories: ['a'], occurredAt: T0 + 90 * DAY, position: pos(2) }),
    ]).state;
    expect(s.counters['review']).toMatchObject({ total: 2, decayed: { value: 1.5, refTime: T0 + 90 * DAY } });
    expect(s.categoryAffinity['a']!.value).toBe(1.5);
    expect(s.horizons['1d']!.weight).toBeCloseTo(1 + 2 ** -90, 15);
    expect(s.horizons['90d']!.weight).toBe(1.5);
    expect([s.firstEventAt, s.lastEventAt, s.eventCount]).toEqual([T0, T0 + 90 * DAY, 2]);
  });

  it('uses configured action weights', () => {
    const config = { ...DEFAULT_FUSION_CONFIG, actionWeights: { ...DEFAULT_FUSION_CONFIG.actionWeights, view: 0.05 } };
    const s = applyEvents(
      fresh(),
      [click({ action: 'view', itemVector: vec(0, 0, 2, 0), position: pos(1) })],
      config,
    ).state;
    expect(s.horizons['1d']!.weight).toBe(0.05);
    expect(s.horizons['1d']!.sum[2]).toBe(Math.fround(0.1));
  });

  it('treats category labels such as __proto__ as plain keys', () => {
    const s = apply([
      click({
        action: 'like',
        itemVector: vec(1, 0, 0, 0),
        categories: ['__proto__', 'constructor'],
        position: pos(1),
      }),
    ]).state;
    expect(Object.keys(s.categoryAffinity).sort()).toEqual(['__proto__', 'constructor']);
    expect(s.categoryAffinity['constructor']!.value).toBe(1);
  });
});

describe('offsets and duplicates', () => {
  const e = (offset: string | number, partition = 0) =>
    text({ vector: vec(1, 0, 0, 0), position: pos(offset, partition) });

  it('skips offsets at or below the applied one, per partition, comparing as integers', () => {
    const first = apply([e(9), e(9), e(2, 1)]);
    expect(first).toMatchObject({ applied: 2, skipped: { duplicate: 1 } });
    const second = apply([e(8), e(9), e(10), e(2, 1), e(3, 1)], first.state);
    expect(second).toMatchObject({ applied: 2, skipped: { duplicate: 3 } });
    expect(second.state.appliedOffsets).toEqual(
      Object.assign(Object.create(null), { 'texts.embedded.v1:0': '10', 'texts.embedded.v1:1': '3' }),
    );
    expect(second.state.eventCount).toBe(4);
  });

  it('compares offsets beyond 2^53 exactly', () => {
    const s = apply([e('9007199254740993')]).state;
    expect(isDuplicate(s, pos('9007199254740992'))).toBe(true);
    expect(isDuplicate(s, pos('9007199254740993'))).toBe(true);
    expect(isDuplicate(s, pos('9007199254740994'))).toBe(false);
    expect(apply([e('9007199254740992')], s).skipped.duplicate).toBe(1);
  });

  it('applies a batch in position order, whatever order it arrives in', () => {
    const evs = [e(3), e(1), e(2)];
    const r = apply(evs);
    expect(r.applied).toBe(3);
    expect(encodeState(r.state)).toEqual(encodeState(apply([e(1), e(2), e(3)]).state));
  });

  it('never modifies the input state', () => {
    const s0 = fresh();
    const before = encodeState(s0);
    apply(
      [
        e(1),
        click({ action: 'like', itemVector: vec(0, 1, 0, 0), categories: ['x'], position: pos(1, 0, 'clicks.v1') }),
      ],
      s0,
    );
    expect(encodeState(s0)).toEqual(before);
  });
});

describe('invalid events', () => {
  it('throws a dimension_mismatch FusionInputError and applies nothing', () => {
    const s0 = fresh();
    const bad = () =>
      apply(
        [
          text({ vector: vec(1, 0, 0, 0), position: pos(1) }),
          click({ itemVector: vec(1, 2, 3), position: pos(5, 2, 'clicks.v1') }),
        ],
        s0,
      );
    expect(bad).toThrow(FusionInputError);
    expect(bad).toThrow('click event at clicks.v1:2@5: itemVector has dimension 3 but the profile has dimension 4');
    try {
      bad();
    } catch (err) {
      expect((err as FusionInputError).reason).toBe('dimension_mismatch');
    }
    expect(s0.eventCount).toBe(0);
  });

  it('rejects non-finite values, bad offsets and bad times', () => {
    expect(() => apply([text({ vector: vec(NaN, 0, 0, 0), position: pos(1) })])).toThrow(/vector\[0\] is NaN/);
    expect(() => apply([text({ vector: vec(1, 0, 0, 0), position: pos('-1') })])).toThrow(/offset/);
    expect(() => apply([text({ vector: vec(1, 0, 0, 0), position: pos('1e3') })])).toThrow(/offset/);
    expect(() => apply([text({ vector: vec(1, 0, 0, 0), occurredAt: 1.5, position: pos(1) })])).toThrow(/occurredAt/);
  });

  it('skips an already-applied event even if it would be invalid', () => {
    const s = apply([text({ vector: vec(1, 0, 0, 0), position: pos(4) })]).state;
    expect(apply([text({ vector: vec(1, 0), position: pos(4) })], s).skipped.duplicate).toBe(1);
  });
});

describe('order independence and idempotence (properties)', () => {
  it('gives the same state for any arrival order and batching that keeps per-partition order', () => {
    fc.assert(
      fc.property(arbEvents, fc.integer(), fc.integer(), (events, seed, batchSeed) => {
        const reference = apply(events).state;
        // Interleave partitions randomly (Kafka only orders within a partition), then batch.
        const queues = new Map<string, FusionEvent[]>();
        for (const ev of events) {
          const k = `${ev.position.topic}:${ev.position.partition}`;
          queues.set(k, [...(queues.get(k) ?? []), ev]);
        }
        const picks = shuffle(
          events.map((ev) => `${ev.position.topic}:${ev.position.partition}`),
          seed,
        );
        const arrival = picks.map((k) => queues.get(k)!.shift()!);
        const parts = batches(arrival, batchSeed).map((b) => shuffle(b, seed ^ b.length));
        expect(stateDiffs(applyInBatches(fresh(), parts), reference)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same state as applying the events one by one in time order, for events on distinct partitions', () => {
    fc.assert(
      fc.property(arbEvents, fc.integer(), fc.integer(), (events, seed, batchSeed) => {
        const distinct = events.map((ev, i) => ({ ...ev, position: pos(1, i) }));
        const sorted = [...distinct].sort((a, b) => a.occurredAt - b.occurredAt);
        const reference = applyInBatches(
          fresh(),
          sorted.map((ev) => [ev]),
        );
        const permuted = applyInBatches(fresh(), batches(shuffle(distinct, seed), batchSeed));
        expect(stateDiffs(permuted, reference)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('leaves out a repeat of the same text by the user within the window (by event time), once seen', () => {
    const config = { ...DEFAULT_FUSION_CONFIG, textDedupWindowMs: DAY };
    const t = (offset: number, hash: string, at: number) =>
      text({ vector: vec(1, 0, 0, 0), repeatKey: hash, occurredAt: at, position: pos(offset) });
    const r = applyEvents(
      fresh(),
      [t(1, 'aaaa', T0), t(2, 'aaaa', T0 + DAY / 2), t(3, 'bbbb', T0), t(4, 'aaaa', T0 + 3 * DAY)],
      config,
    );
    expect(r.applied).toBe(3);
    expect(r.skipped.repeatedText).toBe(1);
    expect(r.state.eventCount).toBe(3);
    // Seen: delivered again it is a duplicate, not re-judged.
    expect(applyEvents(r.state, [t(2, 'aaaa', T0 + DAY / 2)], config).skipped.duplicate).toBe(1);
    // Off by default.
    expect(applyEvents(fresh(), [t(1, 'aaaa', T0), t(2, 'aaaa', T0)]).applied).toBe(2);
    // At most RECENT_TEXTS remembered, the latest by event time.
    const many = applyEvents(
      fresh(),
      Array.from({ length: 40 }, (_, i) => t(i + 1, `h${i}`, T0 + i)),
      config,
    ).state;
    expect(many.recentTexts).toHaveLength(32);
    expect(many.recentTexts[0]).toEqual({ hash: 'h39', at: T0 + 39 });
  });

  it('folds a click whose item arrived late into the profile the in-order application gives', () => {
    fc.assert(
      fc.property(arbEvents, fc.integer(), (events, seed) => {
        // In order: every click already knows its item's vector and categories.
        const inOrder = apply(events).state;
        // Late: clicks arrive first with nothing but their action and time; their items arrive
        // afterwards, in any order, and each click's content is folded in then.
        const lateClicks = events.filter((e): e is ClickFusionEvent => e.kind === 'click' && e.itemVector !== null);
        const late = apply(events.map((e) => (e.kind === 'click' ? { ...e, itemVector: null } : e))).state;
        for (const c of shuffle(lateClicks, seed))
          foldClickContent(late, {
            action: c.action,
            itemVector: c.itemVector!,
            categories: c.categories,
            occurredAt: c.occurredAt,
          });
        // The arbitraries give vectorless clicks categories too; in-order application ignores them.
        const known = apply(
          events.map((e) => (e.kind === 'click' && e.itemVector === null ? { ...e, categories: [] } : e)),
        ).state;
        expect(stateDiffs(late, known, 1e-5)).toEqual([]);
        expect(stateDiffs(inOrder, known, 1e-5)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses to fold an item vector of another dimension or an action without weight', () => {
    const s = fresh();
    expect(() =>
      foldClickContent(s, { action: 'like', itemVector: vec(1, 0), categories: [], occurredAt: T0 }),
    ).toThrow(/dimension 2/);
    const config = {
      ...DEFAULT_FUSION_CONFIG,
      actionWeights: { ...DEFAULT_FUSION_CONFIG.actionWeights, like: Number.NaN },
    };
    expect(() =>
      foldClickContent(s, { action: 'like', itemVector: vec(1, 0, 0, 0), categories: [], occurredAt: T0 }, config),
    ).toThrow(/no usable weight/);
  });

  it('changes nothing when already-applied events are delivered again', () => {
    fc.assert(
      fc.property(arbEvents, fc.integer(), (events, seed) => {
        const once = apply(events).state;
        const redelivered = shuffle(events, seed).slice(0, 1 + (Math.abs(seed) % events.length));
        const again = apply(redelivered, once);
        expect(again.applied).toBe(0);
        expect(again.skipped.duplicate).toBe(redelivered.length);
        expect(encodeState(again.state)).toEqual(encodeState(once));
      }),
      { numRuns: 200 },
    );
  });
});
