/**
 * Parity check of a converted model against an oracle JSON (reference embeddings + token ids).
 *
 *   npx tsx tools/model/check-parity.ts --model <converted dir> --oracle <oracle.json>
 *     [--min-fp32 0.9999] [--min-int8 0.99] [--bench N]
 *
 * Prints per-text cosine (fp32 and int8) and token-id agreement; exits 1 if any fp32 cosine is
 * below --min-fp32, any int8 cosine below --min-int8, or any token ids differ.
 * --bench N also times N synthetic review sentences (batch 16, length-sorted, 1 intra-op thread).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cosine, ReferenceEncoder } from './embed';
import type { Oracle } from './oracle-format';

interface Row {
  text: string;
  idsMatch: boolean;
  fp32: number;
  int8: number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      oracle: { type: 'string' },
      'min-fp32': { type: 'string', default: '0.9999' },
      'min-int8': { type: 'string', default: '0.99' },
      bench: { type: 'string' },
    },
  });
  if (!values.model || !values.oracle) {
    console.error(
      'usage: check-parity.ts --model <dir> --oracle <oracle.json> [--min-fp32 X] [--min-int8 X] [--bench N]',
    );
    return 2;
  }
  const minFp32 = Number(values['min-fp32']);
  const minInt8 = Number(values['min-int8']);
  const oracle = JSON.parse(readFileSync(values.oracle, 'utf8')) as Oracle;
  const texts = oracle.texts.map((t) => t.text);

  const fp32 = await ReferenceEncoder.load(values.model);
  const int8 = await ReferenceEncoder.load(values.model, { quantized: true });
  const [e32, e8] = [await fp32.embed(texts), await int8.embed(texts)];
  const rows: Row[] = oracle.texts.map((t, i) => ({
    text: t.text,
    idsMatch: sameIds(fp32.tokenize(t.text), t.tokenIds),
    fp32: cosine(e32[i]!, t.embedding),
    int8: cosine(e8[i]!, t.embedding),
  }));
  await Promise.all([fp32.release(), int8.release()]);

  console.log(`model ${values.model} vs oracle ${oracle.model} (${rows.length} texts)`);
  console.log('  fp32 cos   int8 cos   ids  text');
  for (const r of rows) {
    const label = JSON.stringify(r.text.length > 48 ? `${r.text.slice(0, 45)}...` : r.text);
    console.log(`  ${r.fp32.toFixed(7)}  ${r.int8.toFixed(7)}  ${r.idsMatch ? 'ok ' : 'DIFF'}  ${label}`);
  }
  const minOf = (xs: number[]): number => Math.min(...xs);
  const worst32 = minOf(rows.map((r) => r.fp32));
  const worst8 = minOf(rows.map((r) => r.int8));
  const idDiffs = rows.filter((r) => !r.idsMatch).length;
  console.log(
    `min cosine fp32 ${worst32.toFixed(7)} (need >= ${minFp32}), int8 ${worst8.toFixed(7)} (need >= ${minInt8}); ` +
      `token id mismatches: ${idDiffs}`,
  );

  if (values.bench) await bench(values.model, Number(values.bench));

  const ok = worst32 >= minFp32 && worst8 >= minInt8 && idDiffs === 0;
  console.log(ok ? 'PARITY OK' : 'PARITY FAILED');
  return ok ? 0 : 1;
}

function sameIds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Rough throughput, single session with one intra-op thread (the service's per-worker setting). */
async function bench(modelDir: string, n: number): Promise<void> {
  const texts = reviewSentences(n);
  for (const quantized of [false, true]) {
    const enc = await ReferenceEncoder.load(modelDir, { quantized, intraOpNumThreads: 1 });
    await enc.embed(texts.slice(0, 16)); // warm-up
    const t0 = performance.now();
    await enc.embed(texts, 16);
    const secs = (performance.now() - t0) / 1000;
    const avgTokens = texts.reduce((s, t) => s + enc.tokenize(t).length, 0) / texts.length;
    console.log(
      `bench ${quantized ? 'int8' : 'fp32'}: ${n} texts (avg ${avgTokens.toFixed(1)} tokens) in ${secs.toFixed(2)} s ` +
        `= ${(n / secs).toFixed(1)} texts/s`,
    );
    await enc.release();
  }
}

/** Deterministic review-like sentences of varied length. */
function reviewSentences(n: number): string[] {
  const subjects = [
    'The battery',
    'This jacket',
    'The delivery',
    'Customer support',
    'The screen',
    'This blender',
    'The app',
    'The fabric',
    'Setup',
    'The price',
  ];
  const verdicts = [
    'is excellent',
    'was disappointing',
    'works as described',
    'broke after two weeks',
    'exceeded my expectations',
    'feels cheap',
    'is fine for the money',
    'could be better',
  ];
  const tails = [
    '',
    ' and I would buy it again.',
    ', but shipping took forever.',
    '. Five stars from me!',
    ' compared with the previous model, which lasted years.',
    '; my kids love it.',
    ' although the instructions were confusing and the box arrived damaged.',
  ];
  return Array.from(
    { length: n },
    (_, i) => `${subjects[i % subjects.length]} ${verdicts[(i * 7) % verdicts.length]}${tails[(i * 3) % tails.length]}`,
  );
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
