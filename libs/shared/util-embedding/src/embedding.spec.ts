import fc from 'fast-check';
import {
  clsPool,
  cosine,
  fitPca,
  l2NormaliseRows,
  meanPool,
  paddingRatio,
  planRuns,
  project,
  type Projection,
} from './index';

describe('pooling', () => {
  // 2 texts × 3 tokens × 2 dims; the second text has one padding token.
  const hidden = Float32Array.from([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 999, 999]);
  const mask = [1, 1, 1, 1, 1, 0];

  it('averages only unmasked tokens', () => {
    expect(Array.from(meanPool(hidden, mask, 2, 3, 2))).toEqual([3, 4, 20, 30]);
    expect(Array.from(meanPool(hidden, [1n, 1n, 1n, 1n, 1n, 0n], 2, 3, 2))).toEqual([3, 4, 20, 30]);
  });

  it('takes the first token for cls pooling', () => {
    expect(Array.from(clsPool(hidden, 2, 3, 2))).toEqual([1, 2, 10, 20]);
  });

  it('normalises rows to unit length and leaves zero rows alone', () => {
    const m = l2NormaliseRows(Float32Array.from([3, 4, 0, 0]), 2);
    expect(Array.from(m)).toEqual([0.6000000238418579, 0.800000011920929, 0, 0]);
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([1, 1], [2, 2])).toBeCloseTo(1, 12);
  });
});

describe('planRuns', () => {
  it('sorts by length and fills runs up to the padded-token budget', () => {
    const runs = planRuns(
      [
        { key: 'a', tokens: 100 },
        { key: 'b', tokens: 10 },
        { key: 'c', tokens: 12 },
        { key: 'd', tokens: 90 },
        { key: 'e', tokens: 11 },
      ],
      { tokenBudget: 199, maxTexts: 32 },
    );
    expect(runs.map((r) => r.keys)).toEqual([['b', 'e', 'c'], ['d'], ['a']]);
    expect(runs[0]).toMatchObject({ paddedLength: 12, realTokens: 33 });
    expect(paddingRatio(runs[0]!)).toBeCloseTo(3 / 36, 12);
  });

  it('starts a new run rather than pad past the padding limit', () => {
    const texts = [
      { key: 'a', tokens: 40 },
      { key: 'b', tokens: 42 },
      { key: 'c', tokens: 120 },
      { key: 'd', tokens: 200 },
    ];
    expect(planRuns(texts, { tokenBudget: 1024, maxTexts: 8 }).map((r) => r.keys)).toEqual([['a', 'b', 'c', 'd']]);
    const capped = planRuns(texts, { tokenBudget: 1024, maxTexts: 8, maxPaddingShare: 0.1 });
    expect(capped.map((r) => r.keys)).toEqual([['a', 'b'], ['c'], ['d']]);
    for (const r of capped) expect(paddingRatio(r)).toBeLessThanOrEqual(0.1);
  });

  it('puts every text in exactly one run within budget and text limits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 200 }),
        fc.integer({ min: 64, max: 4096 }),
        fc.integer({ min: 1, max: 64 }),
        fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
        (lengths, budget, maxTexts, maxPaddingShare) => {
          const runs = planRuns(
            lengths.map((tokens, key) => ({ key, tokens })),
            { tokenBudget: budget, maxTexts, ...(maxPaddingShare === null ? {} : { maxPaddingShare }) },
          );
          const keys = runs.flatMap((r) => r.keys).sort((a, b) => a - b);
          expect(keys).toEqual(lengths.map((_, i) => i));
          for (const r of runs) {
            expect(r.keys.length).toBeLessThanOrEqual(maxTexts);
            if (r.keys.length > 1) expect(r.keys.length * r.paddedLength).toBeLessThanOrEqual(budget);
            if (r.keys.length > 1 && maxPaddingShare !== null)
              expect(paddingRatio(r)).toBeLessThanOrEqual(maxPaddingShare + 1e-12);
          }
        },
      ),
    );
  });
});

describe('project', () => {
  it('centres, projects onto the components and re-normalises', () => {
    const p: Projection = {
      id: 'pca2-test',
      modelId: 'm',
      inputDim: 3,
      outputDim: 2,
      mean: Float32Array.from([1, 1, 1]),
      components: Float32Array.from([1, 0, 0, 0, 0, 1]),
      explainedVarianceRatio: [0.7, 0.2],
    };
    const out = project(Float32Array.from([4, 9, 5, 1, 1, 1]), p);
    expect(Array.from(out.subarray(0, 2))).toEqual([0.6000000238418579, 0.800000011920929]);
    expect(Array.from(out.subarray(2))).toEqual([0, 0]);
  });
});

describe('fitPca', () => {
  it('finds the axes of largest variance, by falling variance, orthonormal', async () => {
    // Points spread mostly along (1, 1, 0)/√2, a little along z, hardly along (1, -1, 0).
    const rows: number[] = [];
    for (let i = 0; i < 200; i++) {
      const a = Math.sin(i * 1.7) * 10;
      const b = Math.cos(i * 2.3) * 2;
      const c = Math.sin(i * 0.7) * 0.1;
      rows.push(5 + a / Math.SQRT2 + c / Math.SQRT2, -3 + a / Math.SQRT2 - c / Math.SQRT2, 1 + b);
    }
    const fit = fitPca(Float32Array.from(rows), 3, 2);
    expect(Array.from(fit.mean).map((m) => Math.round(m))).toEqual([5, -3, 1]);
    const first = Array.from(fit.components.subarray(0, 3));
    expect(Math.abs(first[0]! * Math.SQRT1_2 + first[1]! * Math.SQRT1_2)).toBeCloseTo(1, 3);
    expect(Math.abs(fit.components[5]!)).toBeCloseTo(1, 3);
    expect(fit.explainedVarianceRatio[0]!).toBeGreaterThan(fit.explainedVarianceRatio[1]!);
    expect(fit.explainedVarianceRatio[0]! + fit.explainedVarianceRatio[1]!).toBeGreaterThan(0.999);
    expect(cosine(first, Array.from(fit.components.subarray(3, 6)))).toBeCloseTo(0, 5);
  });

  it('whitens: projected coordinates have unit variance on every kept axis', () => {
    const rows: number[] = [];
    for (let i = 0; i < 500; i++) rows.push(Math.sin(i * 1.3) * 10, Math.cos(i * 0.7) * 1, Math.sin(i * 2.9) * 0.1);
    const data = Float32Array.from(rows);
    const plain = fitPca(data, 3, 3);
    const white = fitPca(data, 3, 3, { whiten: true });
    // The same axes, scaled.
    expect(
      Math.abs(cosine(Array.from(plain.components.subarray(0, 3)), Array.from(white.components.subarray(0, 3)))),
    ).toBeCloseTo(1, 6);
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      let sq = 0;
      for (let r = 0; r < 500; r++) {
        let y = 0;
        for (let d = 0; d < 3; d++) y += (data[r * 3 + d]! - white.mean[d]!) * white.components[c * 3 + d]!;
        sum += y;
        sq += y * y;
      }
      expect(sum / 500).toBeCloseTo(0, 4);
      expect(sq / 500).toBeCloseTo(1, 2);
    }
  });

  it('refuses to whiten an axis the sample hardly varies on, instead of amplifying its noise', () => {
    // Points on a plane in 3-d: the third axis has no variance.
    const rows: number[] = [];
    for (let i = 0; i < 100; i++) rows.push(Math.sin(i), Math.cos(i * 1.7), 0);
    expect(() => fitPca(Float32Array.from(rows), 3, 3, { whiten: true })).toThrow(/cannot whiten 3 dimensions/);
    expect(() => fitPca(Float32Array.from(rows), 3, 2, { whiten: true })).not.toThrow();
    // Fewer rows than dimensions cannot span them.
    expect(() => fitPca(Float32Array.from(rows.slice(0, 6)), 3, 2, { whiten: true })).toThrow(/2 rows/);
  });
});
