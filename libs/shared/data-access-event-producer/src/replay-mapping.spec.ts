import { mapReplayLine } from './index';

describe('mapReplayLine', () => {
  it('maps a line of the review dataset onto a review', () => {
    expect(
      mapReplayLine(
        { ts: 1_400_000_000, seq: 7, user_id: 'A1', item_id: 'B2', type: 'review', rating: 4, text: 'Good strings' },
        0,
      ),
    ).toEqual({
      kind: 'review',
      value: {
        eventId: 'review-7',
        userId: 'A1',
        itemId: 'B2',
        text: 'Good strings',
        rating: 4,
        platform: 'replay',
        occurredAt: 1_400_000_000_000,
      },
    });
  });

  it('maps clicks, items, posts and deletions, and names what cannot be sent', () => {
    expect(
      mapReplayLine({ type: 'click', occurred_at: 5, user_id: 'u', item_id: 'i', action: 'purchase' }, 3),
    ).toMatchObject({ kind: 'click', value: { eventId: 'click-3', action: 'purchase', dwellMs: null } });
    expect(
      mapReplayLine({ type: 'item', ts: 1, item_id: 'i', title: 'T', description: 'D', categories: ['c'] }, 0),
    ).toMatchObject({ kind: 'item', value: { itemId: 'i', categories: ['c'] } });
    expect(mapReplayLine({ type: 'post', ts: 1, user_id: 'u', text: 'hi', tags: ['x'] }, 0)).toMatchObject({
      kind: 'post',
      value: { tags: ['x'] },
    });
    expect(mapReplayLine({ type: 'deletion', ts: 2, user_id: 'u' }, 0)).toEqual({
      kind: 'deletion',
      value: { userId: 'u', requestedAt: 2000 },
    });
    expect(
      mapReplayLine(
        { type: 'user', ts: 3, user_id: 'u', country: 'DE', languages: ['de', 'en'], custom: { plan_seats: 4 } },
        0,
      ),
    ).toEqual({
      kind: 'user',
      value: {
        userId: 'u',
        occurredAt: 3000,
        ageBand: null,
        gender: null,
        country: 'DE',
        region: null,
        locale: null,
        languages: ['de', 'en'],
        signupAt: null,
        accountType: null,
        custom: { plan_seats: 4 },
        cleared: [],
      },
    });
    expect(mapReplayLine({ type: 'click', ts: 1, action: 'hover' }, 0)).toEqual({ error: 'unknown_action' });
    expect(mapReplayLine({ type: 'poll', ts: 1 }, 0)).toEqual({ error: 'unknown_type' });
    expect(mapReplayLine({ type: 'review', text: 'x' }, 0)).toEqual({ error: 'missing_time' });
  });
});
