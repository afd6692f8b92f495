import { DueQueue } from './due-queue';

describe('DueQueue', () => {
  it('pops entries in due-time order, only once due', () => {
    const q = new DueQueue();
    const times = [50, 10, 40, 10, 30, 20, 60, 0];
    times.forEach((t, i) => q.push(`u${i}`, t));
    expect(q.peekAt()).toBe(0);
    expect(q.popDue(-1)).toBeNull();
    const out: number[] = [];
    for (let e = q.popDue(45); e; e = q.popDue(45)) out.push(e.at);
    expect(out).toEqual([0, 10, 10, 20, 30, 40]);
    expect(q.size).toBe(2);
    expect(q.peekAt()).toBe(50);
  });

  it('keeps heap order under many random pushes and pops', () => {
    const q = new DueQueue();
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) % 1000;
    for (let i = 0; i < 500; i++) q.push(`u${i}`, rand());
    let last = -1;
    for (let e = q.popDue(Infinity); e; e = q.popDue(Infinity)) {
      expect(e.at).toBeGreaterThanOrEqual(last);
      last = e.at;
    }
  });
});
