import { categoryOf, summariseProfile, type CpuProfile } from './cpu-profile-summary';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

describe('CPU profile summary', () => {
  // Root → idle, root → handler (ours) → encode (a package); samples 1 ms apart from t = 1000 µs.
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3] },
      { id: 2, callFrame: frame('(idle)') },
      {
        id: 3,
        callFrame: frame('handle', 'file:///repo/dist/apps/encoder/src/encoding/encoder.handler.js'),
        children: [4],
      },
      { id: 4, callFrame: frame('encode', 'file:///repo/node_modules/@huggingface/tokenizers/dist/tokenizers.cjs') },
    ],
    startTime: 0,
    endTime: 6000,
    samples: [2, 4, 4, 3, 2, 4],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000],
  };

  it('names where code lives: a package, one of our apps or libraries, Node, a V8 pseudo-frame', () => {
    expect(categoryOf(profile.nodes[3]!.callFrame)).toBe('@huggingface/tokenizers');
    expect(categoryOf(profile.nodes[2]!.callFrame)).toBe('apps/encoder');
    expect(categoryOf(frame('(garbage collector)'))).toBe('(garbage collector)');
    expect(categoryOf(frame('readFile', 'node:fs'))).toBe('node');
  });

  it('adds self time per category, each sample standing for the time until the next', () => {
    const s = summariseProfile(profile);
    expect(s.totalMs).toBe(5);
    expect(Object.fromEntries(s.byCategory.map((c) => [c.category, c.ms]))).toEqual({
      '@huggingface/tokenizers': 2,
      '(idle)': 2,
      'apps/encoder': 1,
    });
    expect(s.byCategory[2]).toMatchObject({ category: 'apps/encoder', share: 0.2 });
  });

  it('keeps only the samples inside the windows', () => {
    const s = summariseProfile(profile, [[2000, 4000]]);
    expect(s.totalMs).toBe(2);
    expect(s.byFunction[0]).toMatchObject({ category: '@huggingface/tokenizers', ms: 2, share: 1 });
  });
});
