import type { DatasetEvent } from '@profilestream/tools-events';
import { seededRandom } from '@profilestream/embedding';
import { coldStartUsers, leaveLastOut, withNewItems } from './split';

/** A catalogue line: an item's description, no user. */
const item = (seq: number, id: string): DatasetEvent => ({
  ts: 10,
  seq,
  user_id: '',
  item_id: id,
  type: 'item',
  rating: null,
  text: `all about ${id}`,
});

const ev = (seq: number, user: string, item: string, ts: number, type = 'review'): DatasetEvent => ({
  ts,
  seq,
  user_id: user,
  item_id: item,
  type,
  rating: 5,
  text: `${user} on ${item}`,
});

describe('leaveLastOut', () => {
  const events = [
    ev(0, 'u1', 'i1', 100),
    ev(1, 'u2', 'i2', 100),
    ev(2, 'u1', 'i2', 200),
    ev(3, 'u1', 'i3', 300),
    ev(4, 'u1', 'i4', 300), // same day as i3: source order decides which is last
    ev(5, 'u2', 'i1', 150),
    ev(6, 'u3', 'i5', 50), // u3 has 2 interactions: not evaluated, but trains
    ev(7, 'u3', 'i1', 60),
    ev(8, 'u2', 'i3', 400),
    ev(9, 'u1', 'i9', 250, 'post'),
  ];

  it("holds out each eligible user's last interaction, ties broken by source order", () => {
    const split = leaveLastOut(events);
    expect(split.test).toEqual([
      { userId: 'u1', itemId: 'i4', ts: 300, seq: 4 },
      { userId: 'u2', itemId: 'i3', ts: 400, seq: 8 },
    ]);
  });

  it('trains on everything before the held-out events, in time order, other users included', () => {
    const split = leaveLastOut(events);
    expect(split.train.map((e) => e.seq)).toEqual([6, 7, 0, 1, 5, 2, 9, 3]);
    expect(split.trainItems.get('u1')).toEqual(new Set(['i1', 'i2', 'i3']));
    expect(split.trainItems.get('u2')).toEqual(new Set(['i2', 'i1']));
    expect(split.trainItems.has('u3')).toBe(false);
  });

  it('builds the candidate catalogue from training interactions in source order', () => {
    // i4 appears only as a held-out item, so it is not a candidate.
    expect(leaveLastOut(events).catalogue).toEqual(['i1', 'i2', 'i3', 'i5']);
  });

  it('honours the minimum number of interactions', () => {
    expect(leaveLastOut(events, 2).test.map((t) => t.userId)).toEqual(['u1', 'u2', 'u3']);
  });

  it('makes described items candidates, and finds the users whose held-out item only a description knows', () => {
    const split = leaveLastOut([...events, item(10, 'i4'), item(11, 'i3'), item(12, 'i8')]);
    // i4 (u1's held-out item) and i8 (never interacted with) are candidates through their descriptions.
    expect(split.catalogue).toEqual(['i1', 'i2', 'i3', 'i5', 'i4', 'i8']);
    expect([...split.described].sort()).toEqual(['i3', 'i4', 'i8']);
    expect(split.interacted.has('i4')).toBe(false);
    // u2's held-out i3 was interacted with in training (by u1): not cold.
    expect(coldStartUsers(split)).toEqual(new Set(['u1']));
    expect(coldStartUsers(leaveLastOut(events))).toEqual(new Set());
  });

  describe('withNewItems', () => {
    const described = leaveLastOut([...events, item(10, 'i1'), item(11, 'i2'), item(12, 'i3'), item(13, 'i7')]);

    it('takes every training interaction of the chosen items away, and their users join the cold-start slice', () => {
      // Share 1/3 of the 3 described items with training interactions (i7 has none): one item.
      const { split, newItems } = withNewItems(described, 1 / 3, seededRandom(7));
      expect(newItems.size).toBe(1);
      const [chosen] = [...newItems];
      expect(['i1', 'i2', 'i3']).toContain(chosen);
      expect(split.train.some((e) => e.type !== 'item' && e.item_id === chosen)).toBe(false);
      expect(split.train.filter((e) => e.type === 'item')).toHaveLength(4); // descriptions stay
      expect(split.interacted.has(chosen!)).toBe(false);
      for (const items of split.trainItems.values()) expect(items.has(chosen!)).toBe(false);
      expect(split.catalogue).toEqual(described.catalogue); // still a candidate, through its description
      expect(split.test).toEqual(described.test);
      const heldOutOnChosen = split.test.filter((t) => t.itemId === chosen).map((t) => t.userId);
      expect([...coldStartUsers(split)].sort()).toEqual(heldOutOnChosen.sort());
    });

    it('is the same split for the same seed, and changes nothing at share 0 or without descriptions', () => {
      const a = withNewItems(described, 2 / 3, seededRandom(7)).newItems;
      expect(withNewItems(described, 2 / 3, seededRandom(7)).newItems).toEqual(a);
      expect(a.size).toBe(2);
      expect(withNewItems(described, 0, seededRandom(7)).split).toBe(described);
      const bare = leaveLastOut(events);
      expect(withNewItems(bare, 0.5, seededRandom(7)).newItems.size).toBe(0);
    });

    it('makes a held-out item cold once no training interaction touches it', () => {
      // u2 holds out i3, which u1 trained on: not cold until i3 is new. u1 holds out i4, which no
      // description knows: never in the slice.
      expect(coldStartUsers(described)).toEqual(new Set());
      const { split, newItems } = withNewItems(described, 1, seededRandom(1));
      expect(newItems).toEqual(new Set(['i1', 'i2', 'i3']));
      expect(coldStartUsers(split)).toEqual(new Set(['u2']));
    });
  });
});
