import { actionOfRating, convertMovieLens, parseAtomic } from './movielens.lib';

// A made-up sample in the RecBole atomic format (CRLF in the item file, as the shipped one has).
const ITEMS = [
  'item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq',
  "1\tA Film About Boats\t1995\tAdventure Children's",
  '2\tQuiet Evening\t\tDrama',
  '3\t\t1990\tComedy',
].join('\r\n');
const RATINGS = [
  'user_id:token\titem_id:token\trating:float\ttimestamp:float',
  '7\t2\t5\t300',
  '9\t1\t3\t100',
  '7\t1\t1\t100',
  '9\t2\t4\t200',
].join('\n');

describe('MovieLens conversion', () => {
  const { events, untitledItems } = convertMovieLens(RATINGS, ITEMS);

  it('lists the catalogue first, one second before the first rating, with title, genres and categories', () => {
    const items = events.filter((e) => e.type === 'item');
    expect(items).toEqual([
      {
        ts: 99,
        seq: 0,
        user_id: '',
        item_id: 'm1',
        type: 'item',
        rating: null,
        text: '',
        title: 'A Film About Boats (1995)',
        description: "A film. Genres: Adventure, Children's.",
        categories: ['adventure', "children's"],
      },
      expect.objectContaining({ item_id: 'm2', title: 'Quiet Evening', description: 'A film. Genres: Drama.' }),
    ]);
    // A movie without a title has nothing to describe it: left out, and counted.
    expect(items.some((e) => e.item_id === 'm3')).toBe(false);
    expect(untitledItems).toBe(1);
  });

  it('turns ratings into clicks in time order (ties in file order), with the action the rating says', () => {
    const clicks = events.filter((e) => e.type === 'click');
    expect(clicks.map((e) => [e.ts, e.user_id, e.item_id, e.rating, e.action])).toEqual([
      [100, 'u9', 'm1', 3, 'click'],
      [100, 'u7', 'm1', 1, 'view'],
      [200, 'u9', 'm2', 4, 'like'],
      [300, 'u7', 'm2', 5, 'like'],
    ]);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
  });

  it('maps ratings onto actions', () => {
    expect([5, 4, 3.5, 3, 2, 1].map(actionOfRating)).toEqual(['like', 'like', 'click', 'click', 'view', 'view']);
  });

  it('says which column is missing', () => {
    expect(() => convertMovieLens('user_id:token\titem_id:token\n1\t2', ITEMS)).toThrow(
      'interaction file: no column rating',
    );
    expect(() => parseAtomic('', 'item file')).toThrow('item file: empty file');
    expect(() => convertMovieLens(RATINGS.replace('\t300', '\tnoon'), ITEMS)).toThrow(
      'line 2: bad rating or timestamp',
    );
  });

  it('reads the ML-1M form: titles as item ids (numbered in file order), a genre column, float years, prefixed users', () => {
    const items = [
      'item_id:token\tmovie_title:token\trelease_year:float\tgenre:token',
      'Boats (1995)\tBoats\t1995.0\tAdventure',
      'Rain (1990)\tRain\t1990.0\tDrama Romance',
    ].join('\r\n');
    const ratings = [
      'user_id:token\titem_id:token\trating:float\ttimestamp:float',
      '1m_12\tRain (1990)\t5\t10',
      '1m_12\tNot In The File (2000)\t2\t20',
    ].join('\r\n');
    const { events: out, untitledItems } = convertMovieLens(ratings, items);
    expect(untitledItems).toBe(0);
    expect(out.filter((e) => e.type === 'item').map((e) => [e.item_id, e.title, e.categories])).toEqual([
      ['m1', 'Boats (1995)', ['adventure']],
      ['m2', 'Rain (1990)', ['drama', 'romance']],
    ]);
    expect(out.filter((e) => e.type === 'click').map((e) => [e.user_id, e.item_id])).toEqual([
      ['u12', 'm2'],
      ['u12', 'm-Not In The File (2000)'],
    ]);
  });
});
