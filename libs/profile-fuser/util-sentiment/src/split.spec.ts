import fc from 'fast-check';
import { splitByUser } from './split';

const examples = Array.from({ length: 600 }, (_, i) => ({ user: `u${(i * 7919) % 200}`, i }));

describe('split by user', () => {
  it('never puts one user in two parts, and keeps every example once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.nat()), { minLength: 12, maxLength: 200 }),
        (seed, raw) => {
          const xs = raw.map(([u, v], i) => ({ user: `user-${u}`, v, i }));
          if (new Set(xs.map((x) => x.user)).size < 8) return;
          const s = splitByUser(xs, (x) => x.user, seed);
          const owner = new Map<string, string>();
          for (const part of ['train', 'validation', 'test'] as const) {
            for (const x of s[part]) {
              expect(owner.get(x.user) ?? part).toBe(part);
              owner.set(x.user, part);
            }
            expect(s.users[part].length).toBeGreaterThan(0);
          }
          expect([...s.train, ...s.validation, ...s.test].map((x) => x.i).sort((a, b) => a - b)).toEqual(
            xs.map((x) => x.i),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is deterministic for a seed, whatever the input order, and differs between seeds', () => {
    const a = splitByUser(examples, (x) => x.user, 42);
    const b = splitByUser([...examples].reverse(), (x) => x.user, 42);
    expect(b.users).toEqual(a.users);
    expect(new Set(b.test.map((x) => x.i))).toEqual(new Set(a.test.map((x) => x.i)));
    expect(splitByUser(examples, (x) => x.user, 43).users.test).not.toEqual(a.users.test);
  });

  it('cuts users by the fractions', () => {
    const s = splitByUser(examples, (x) => x.user, 1, { train: 0.7, validation: 0.15, test: 0.15 });
    expect([s.users.train.length, s.users.validation.length, s.users.test.length]).toEqual([140, 30, 30]);
  });

  it('rejects bad fractions and too few users', () => {
    expect(() => splitByUser(examples, (x) => x.user, 1, { train: 0.5, validation: 0.2, test: 0.2 })).toThrow(
      /sum to 1/,
    );
    expect(() => splitByUser(examples, (x) => x.user, 1.5)).toThrow(/seed must be an integer/);
    expect(() => splitByUser(examples.slice(0, 3), (x) => x.user, 1)).toThrow(/3 users cannot be split/);
  });
});
