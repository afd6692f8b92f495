import { nextSlice } from './chunk-slice';

describe('nextSlice', () => {
  const inMemory = new Set(['warm']);
  const newUser = (userId: string) => (inMemory.has(userId) ? null : userId);

  /** Every slice of `inputs`, as the users each one loads. */
  function slices(inputs: string[], max: number): string[][] {
    const out: string[][] = [];
    for (let start = 0; start < inputs.length;) {
      const { end, users } = nextSlice(inputs, start, newUser, max);
      expect(end).toBeGreaterThan(start);
      out.push(users);
      start = end;
    }
    return out;
  }

  it('cuts a chunk where the next input would bring one user too many into memory', () => {
    expect(slices(['a', 'b', 'a', 'c', 'd', 'c', 'e'], 2)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('keeps inputs of users in memory, and repeats of users already loaded, in the current slice', () => {
    const inputs = ['a', 'warm', 'b', 'warm', 'a', 'b', 'c'];
    expect(nextSlice(inputs, 0, newUser, 2)).toEqual({ end: 6, users: ['a', 'b'] });
    expect(slices(['warm', 'warm', 'warm'], 1)).toEqual([[]]);
  });

  it('takes the whole chunk when its new users fit, and at least one input when the limit is below one', () => {
    expect(slices(['a', 'b', 'c'], 10)).toEqual([['a', 'b', 'c']]);
    expect(slices(['a', 'b'], 0)).toEqual([['a'], ['b']]);
  });

  it('asks about each input when its slice is planned, so a user evicted meanwhile is loaded again', () => {
    const inputs = ['a', 'b', 'a'];
    const first = nextSlice(inputs, 0, newUser, 1);
    expect(first).toEqual({ end: 1, users: ['a'] });
    // 'a' was applied, then evicted again before the next slice: it counts as new once more.
    expect(nextSlice(inputs, first.end, newUser, 1)).toEqual({ end: 2, users: ['b'] });
    expect(nextSlice(inputs, 2, newUser, 1)).toEqual({ end: 3, users: ['a'] });
  });
});
