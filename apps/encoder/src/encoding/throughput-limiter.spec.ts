import { ThroughputLimiter, chunkMessages } from './throughput-limiter';

describe('ThroughputLimiter', () => {
  /** A clock that only moves when the limiter sleeps. */
  function virtual(perSecond: number) {
    let t = 0;
    const slept: number[] = [];
    const limiter = new ThroughputLimiter(
      perSecond,
      () => t,
      async (ms) => {
        slept.push(ms);
        t += ms;
      },
    );
    return { limiter, slept, now: () => t };
  }

  it('never waits without a limit', async () => {
    const { limiter, slept } = virtual(0);
    for (let i = 0; i < 1000; i++) await limiter.acquire();
    expect(slept).toEqual([]);
  });

  it('lets one second of texts through at once, then one text per 1/rate seconds', async () => {
    const { limiter, slept, now } = virtual(10);
    for (let i = 0; i < 10; i++) await limiter.acquire();
    expect(slept).toEqual([]);
    for (let i = 0; i < 50; i++) await limiter.acquire();
    expect(now()).toBeCloseTo(5000, 6);
    expect(Math.max(...slept)).toBeCloseTo(100, 6);
  });

  it('holds the average at the limit over a long run', async () => {
    const { limiter, now } = virtual(40);
    for (let i = 0; i < 4000; i++) await limiter.acquire();
    expect(4000 / (now() / 1000)).toBeGreaterThan(39.5);
    expect(4000 / (now() / 1000)).toBeLessThan(40.5);
  });
});

describe('chunk size under a rate limit', () => {
  const base = { chunkMessages: 256, partitionConcurrency: 3, chunksInFlight: 2 };

  it('is the configured size without a limit', () => {
    expect(chunkMessages({ ...base, maxTextsPerSecond: 0 })).toBe(256);
  });

  it('keeps every chunk in flight done within 10 s at the limit', () => {
    expect(chunkMessages({ ...base, maxTextsPerSecond: 60 })).toBe(100);
    expect(chunkMessages({ ...base, maxTextsPerSecond: 1 })).toBe(1);
    expect(chunkMessages({ ...base, maxTextsPerSecond: 10_000 })).toBe(256);
  });
});
