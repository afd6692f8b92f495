import { assignSticky } from './co-partitioned-assigner';

const all = (a: Map<string, number[]>) => [...a.values()].flat().sort((x, y) => x - y);
const sizes = (a: Map<string, number[]>) => [...a.values()].map((l) => l.length).sort();

describe('sticky co-partitioned assignment', () => {
  it('gives every partition to exactly one member, balanced within one', () => {
    for (let n = 1; n <= 7; n++) {
      const members = Array.from({ length: n }, (_, i) => `m${i}`);
      const a = assignSticky(members, 6, new Map());
      expect(all(a)).toEqual([0, 1, 2, 3, 4, 5]);
      const s = sizes(a);
      expect(s[s.length - 1]! - s[0]!).toBeLessThanOrEqual(1);
    }
  });

  it('keeps what members held: scaling from one to two moves only half the partitions', () => {
    const one = assignSticky(['a'], 6, new Map());
    expect(one.get('a')).toEqual([0, 1, 2, 3, 4, 5]);
    const two = assignSticky(
      ['a', 'b'],
      6,
      new Map([
        ['a', one.get('a')!],
        ['b', []],
      ]),
    );
    expect(two.get('a')).toHaveLength(3);
    expect(two.get('a')!.every((p) => one.get('a')!.includes(p))).toBe(true);
    const three = assignSticky(['a', 'b', 'c'], 6, two);
    for (const m of ['a', 'b']) expect(three.get(m)!.every((p) => two.get(m)!.includes(p))).toBe(true);
    expect(three.get('c')).toHaveLength(2);
    // Back to one member: it gets everything.
    expect(assignSticky(['c'], 6, three).get('c')).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("gives a partition two members claim (a zombie's stale view) to neither by claim, still once", () => {
    const a = assignSticky(
      ['a', 'b'],
      4,
      new Map([
        ['a', [0, 1]],
        ['b', [1, 2]],
      ]),
    );
    expect(all(a)).toEqual([0, 1, 2, 3]);
    expect(a.get('a')).toContain(0);
    expect(a.get('b')).toContain(2);
  });

  it('is deterministic whatever the member order', () => {
    const prev = new Map([
      ['x', [5]],
      ['y', [0, 3]],
    ]);
    expect(assignSticky(['y', 'x', 'z'], 6, prev)).toEqual(assignSticky(['z', 'x', 'y'], 6, prev));
  });
});
