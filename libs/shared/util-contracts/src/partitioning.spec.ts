import { murmur2, partitionForKey } from './partitioning';

describe('Kafka default partitioning', () => {
  it("computes murmur2 exactly as Kafka does (vectors from Kafka's own Utils test)", () => {
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it('maps a key to its positive hash modulo the partition count, UTF-8 for strings', () => {
    expect(partitionForKey('21', 6)).toBe((-973932308 & 0x7fffffff) % 6);
    expect(partitionForKey('用户-1', 7)).toBe(partitionForKey(Buffer.from('用户-1', 'utf8'), 7));
    for (let i = 0; i < 200; i++) expect(partitionForKey(`user-${i}`, 6)).toBeLessThan(6);
    expect(() => partitionForKey('x', 0)).toThrow(/positive integer/);
  });
});
