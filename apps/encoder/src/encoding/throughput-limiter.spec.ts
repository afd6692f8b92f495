import { ThroughputLimiter } from './throughput-limiter';

describe('ThroughputLimiter', () => {
  it('never blocks without a limit', () => {
    const l = new ThroughputLimiter(0, () => 0);
    l.took(1_000_000);
    expect(l.blocked()).toBe(false);
  });

  it('holds the average at the limit: a burst of one second, then debt paid back over time', () => {
    let t = 0;
    const l = new ThroughputLimiter(100, () => t);
    l.took(100);
    expect(l.blocked()).toBe(false);
    l.took(250);
    expect(l.blocked()).toBe(true);
    t = 2_400;
    expect(l.blocked()).toBe(true);
    t = 2_501;
    expect(l.blocked()).toBe(false);
  });

  it('simulated consumption that pauses while blocked averages the limit', () => {
    let t = 0;
    const l = new ThroughputLimiter(50, () => t);
    let texts = 0;
    for (; t < 60_000; t += 20) {
      if (l.blocked()) continue;
      l.took(64);
      texts += 64;
    }
    expect(texts / 60).toBeGreaterThan(48);
    expect(texts / 60).toBeLessThan(54);
  });
});
