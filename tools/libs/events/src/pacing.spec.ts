import { Pacer, pacingFrom } from './pacing';

describe('pacingFrom', () => {
  it('prefers --asap, then --speedup, then --rate', () => {
    expect(pacingFrom({ asap: true, speedup: '10', rate: '5' })).toEqual({ kind: 'asap' });
    expect(pacingFrom({ speedup: '3600', rate: '5' })).toEqual({ kind: 'speedup', factor: 3600 });
    expect(pacingFrom({ rate: '250' })).toEqual({ kind: 'rate', perSecond: 250 });
    expect(pacingFrom({ rate: '0' })).toEqual({ kind: 'asap' });
  });

  it('rejects nonsense with a message naming the option', () => {
    expect(() => pacingFrom({ speedup: '0' })).toThrow(/--speedup/);
    expect(() => pacingFrom({ speedup: 'fast' })).toThrow(/--speedup/);
    expect(() => pacingFrom({ rate: '-1' })).toThrow(/--rate/);
  });
});

describe('Pacer', () => {
  const t0 = 1_000_000;

  it('spaces events evenly at a fixed rate, whatever their event times', () => {
    const pacer = new Pacer({ kind: 'rate', perSecond: 4 }, t0);
    expect([5, 1, 9].map((at) => pacer.dueAt(at))).toEqual([t0, t0 + 250, t0 + 500]);
  });

  it('compresses the original gaps by the speed-up factor', () => {
    const pacer = new Pacer({ kind: 'speedup', factor: 3600 }, t0);
    const hour = 3_600_000;
    const first = 1_300_000_000_000;
    expect([first, first + hour, first + 3 * hour].map((at) => pacer.dueAt(at))).toEqual([t0, t0 + 1000, t0 + 3000]);
  });

  it('sends an event older than the first at once instead of waiting or going back in time', () => {
    const pacer = new Pacer({ kind: 'speedup', factor: 10 }, t0);
    pacer.dueAt(50_000);
    expect(pacer.dueAt(10_000)).toBe(t0);
  });

  it('never waits when as fast as possible: every event is due at the start', () => {
    const pacer = new Pacer({ kind: 'asap' }, t0);
    expect([1, 5_000_000, 3].map((at) => pacer.dueAt(at))).toEqual([t0, t0, t0]);
  });

  it('waits until the due time', async () => {
    const start = Date.now();
    const pacer = new Pacer({ kind: 'rate', perSecond: 20 }, start);
    await pacer.wait(0);
    await pacer.wait(0);
    await pacer.wait(0);
    expect(Date.now() - start).toBeGreaterThanOrEqual(95);
  });
});
