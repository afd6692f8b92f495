import { VersionedHashStore, checkRedis, userKey, type RedisClient } from './index';
import { testRedis, uniquePrefix } from './testing';

describe('Redis data access on a real server', () => {
  let redis: RedisClient;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    redis = await testRedis();
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('answers the health check', async () => {
    await expect(checkRedis(redis, 1000)).resolves.toBeUndefined();
  });

  it('writes a versioned hash only when the version read is still current', async () => {
    const store = new VersionedHashStore(redis);
    const key = userKey(prefix, 'user-1', 'profile');
    expect(key).toBe(`${prefix}{user-1}:profile`);

    expect(await store.read(key)).toEqual({ version: 0, fields: {} });
    expect(await store.write(key, 0, { vec: Buffer.from([1, 2, 3]), count: '1' })).toEqual({ ok: true, version: 1 });

    // Two writers read version 1; only the first write wins, the second must re-read.
    const a = await store.read(key);
    const b = await store.read(key);
    expect(await store.write(key, a.version, { count: '2' })).toEqual({ ok: true, version: 2 });
    expect(await store.write(key, b.version, { count: 'lost' })).toEqual({ ok: false });

    const after = await store.read(key);
    expect(after.version).toBe(2);
    expect(after.fields['count']!.toString()).toBe('2');
    expect([...after.fields['vec']!]).toEqual([1, 2, 3]);
  });

  it('lets concurrent read-modify-write loops lose no update', async () => {
    const store = new VersionedHashStore(redis);
    const key = userKey(prefix, 'user-2', 'counter');
    const increment = async () => {
      for (;;) {
        const { version, fields } = await store.read(key);
        const next = Number(fields['n']?.toString() ?? '0') + 1;
        if ((await store.write(key, version, { n: String(next) })).ok) return;
      }
    };
    await Promise.all(Array.from({ length: 20 }, increment));
    const { version, fields } = await store.read(key);
    expect(fields['n']!.toString()).toBe('20');
    expect(version).toBe(20);
  });
});
