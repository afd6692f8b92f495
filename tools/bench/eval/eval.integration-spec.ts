/**
 * `npm run eval` end to end on the real pipeline, with a platform's kind of data: a catalogue of
 * described items, clicks and a few reviews (made up here, two topics), some users' last click on
 * an item nobody clicked before. Eval must rank the catalogue from the items' descriptions, report
 * the cold-start slice, its coverage and the interest clusters next to the single vector; on data
 * whose items have no vector at all it must fail loudly, not print rows of zeros.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { DatasetEvent } from '@profilestream/tools-events';
import { ensureBuilt } from '@profilestream/tools-runtime';

const repoRoot = resolve(__dirname, '../../..');

const TOPICS = {
  guitar: [
    'nylon strings for a classical guitar',
    'steel strings for an acoustic guitar',
    'a capo for guitar',
    'guitar picks, medium gauge',
    'a guitar tuner that clips on the headstock',
    'a padded gig bag for an electric guitar',
    'a guitar strap in leather',
    'a slide for blues guitar',
  ],
  drums: [
    'maple drum sticks',
    'a practice pad for drummers',
    'brushes for jazz drums',
    'a snare drum head',
    'a drum key for tuning',
    'a cymbal stand',
    'a bass drum pedal',
    'a drum throne with a round seat',
  ],
} as const;

/** A dataset line; catalogue lines carry a title and description too. */
type Line = DatasetEvent & { title?: string; description?: string };

/** Items first (the catalogue), then each user's clicks within one topic; the last item of each topic only as a held-out click. */
function dataset(withDescriptions: boolean): Line[] {
  const lines: Line[] = [];
  let seq = 0;
  const t0 = 1_600_000_000;
  for (const [topic, titles] of Object.entries(TOPICS)) {
    titles.forEach((title, i) => {
      if (withDescriptions)
        lines.push({
          ts: t0,
          seq: seq++,
          user_id: '',
          item_id: `${topic}-${i}`,
          type: 'item',
          rating: null,
          text: '',
          title,
          description: `Product: ${title}.`,
        });
    });
  }
  for (let u = 0; u < 16; u++) {
    const topic = u % 2 === 0 ? 'guitar' : 'drums';
    const n = TOPICS[topic].length;
    // Four clicks on the topic's first items, a review, then the held-out click: the topic's last
    // item (cold: no one clicks it in training) for half the users, a seen item for the others.
    for (let k = 0; k < 4; k++)
      lines.push({
        ts: t0 + 100 + u * 10 + k,
        seq: seq++,
        user_id: `user-${u}`,
        item_id: `${topic}-${(u + k) % (n - 1)}`,
        type: 'click',
        rating: null,
        text: '',
      });
    lines.push({
      ts: t0 + 100 + u * 10 + 5,
      seq: seq++,
      user_id: `user-${u}`,
      item_id: `${topic}-${u % (n - 1)}`,
      type: 'review',
      rating: 5,
      text: `Great ${TOPICS[topic][u % (n - 1)]}, exactly what I needed.`,
    });
    const heldOut = u % 4 < 2 ? `${topic}-${n - 1}` : `${topic}-${(u + 5) % (n - 1)}`;
    lines.push({
      ts: t0 + 1000 + u,
      seq: seq++,
      user_id: `user-${u}`,
      item_id: heldOut,
      type: 'click',
      rating: null,
      text: '',
    });
  }
  return lines;
}

function runEval(file: string, extra: string[] = []): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(
      join(repoRoot, 'node_modules/.bin/tsx'),
      ['tools/bench/eval/main.ts', '--file', file, '--pca', '0', '--resamples', '50', ...extra],
      { cwd: repoRoot, env: process.env },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => done({ code, output }));
  });
}

describe('npm run eval on a catalogue with clicks (real pipeline)', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'profilestream-eval-'));
  const write = (name: string, lines: Line[]) => {
    mkdirSync(join(workDir, name), { recursive: true });
    const file = join(workDir, name, 'events.jsonl.gz');
    writeFileSync(file, gzipSync(lines.map((l) => JSON.stringify(l)).join('\n')));
    return file;
  };
  const reportOf = (name: string) => join(repoRoot, 'reports/eval', `${name}.json`);

  beforeAll(() => ensureBuilt(), 300_000);
  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
    const runs = join(repoRoot, '.cache/eval');
    for (const name of [datasetName, bareName, newItemsName]) {
      rmSync(reportOf(name), { force: true });
      // The saved pipeline runs (for --reuse-run) of this test's made-up datasets.
      if (existsSync(runs))
        for (const f of readdirSync(runs)) if (f.startsWith(`${name}-`)) rmSync(join(runs, f), { force: true });
    }
  });
  const datasetName = `eval-catalogue-${process.pid}`;
  const bareName = `eval-bare-${process.pid}`;
  const newItemsName = `eval-new-items-${process.pid}`;

  it('ranks items by their descriptions, reports the cold-start slice and coverage', async () => {
    const { code, output } = await runEval(write(datasetName, dataset(true)));
    expect({ code, tail: code === 0 ? '' : output.slice(-3000) }).toEqual({ code: 0, tail: '' });
    const report = JSON.parse(readFileSync(reportOf(datasetName), 'utf8')) as {
      notes: string[];
      methods: { method: string; users: number; ndcg: { mean: number }; note?: string }[];
      interestClusters?: { comparisons: { versus: string }[] }[];
    };
    const methods = new Map(report.methods.map((m) => [m.method, m]));
    expect(methods.get('pipeline fused')?.users).toBe(16);
    // Half the users held out the item no one clicked in training: only its description knows it.
    expect(methods.get('pipeline fused (cold-start slice)')?.users).toBe(8);
    expect(methods.get('most popular (cold-start slice)')?.users).toBe(8);
    // The joint model trained on point-in-time joins of the changelog and ranked everyone.
    const joint = report.methods.find((m) => m.method === 'joint model (profile + behaviour, logistic regression)') as
      { users: number; note?: string } | undefined;
    expect(joint?.users).toBe(16);
    expect(joint?.note).toMatch(/[1-9]\d* point-in-time positives/);
    const notes = report.notes.join('\n');
    expect(notes).toMatch(/cold-start slice: 8 users/);
    // Every candidate has a vector from its description; every click folded one in.
    expect(notes).toMatch(
      /0 of 16 evaluated users without a profile vector; 16 of 16 candidate items with a vector \(16 descriptions/,
    );
    expect(notes).toMatch(/16 of 16 held-out items scorable/);
    // The catalogue was embedded before the clicks were sent: none had to wait for its item.
    expect(notes).toMatch(/clicks that came before their item's vector: none/);
    // Interest clusters: the published ones ranked everyone, K and τ chosen on the other fold, the
    // replay checked against what the fuser published.
    expect(methods.get('pipeline interest clusters (max over clusters)')?.users).toBe(16);
    expect(methods.get('pipeline interest clusters replayed, K and τ cross-fitted (max over clusters)')?.note).toMatch(
      /chosen per fold on the other fold: K \d+(, τ [\d.]+)?; K \d+/,
    );
    expect(notes).toMatch(/pipeline interest clusters, replay check: .* for \d+ of \d+ evaluated users/);
    expect(report.interestClusters?.[0]?.comparisons.map((c) => c.versus)).toEqual(
      expect.arrayContaining(['fused', 'horizon:90d']),
    );
  }, 300_000);

  it('simulates newly listed items with --new-items: their training clicks go, their users join the cold-start slice', async () => {
    const { code, output } = await runEval(write(newItemsName, dataset(true)), [
      '--new-items',
      '0.5',
      '--max-clusters',
      '0',
    ]);
    expect({ code, tail: code === 0 ? '' : output.slice(-3000) }).toEqual({ code: 0, tail: '' });
    const report = JSON.parse(readFileSync(reportOf(newItemsName), 'utf8')) as {
      newItems: { share: number; items: number };
      notes: string[];
      methods: { method: string; users: number }[];
    };
    // 14 described items have training clicks (each topic's last one has none): half of them are new.
    expect(report.newItems).toEqual({ share: 0.5, items: 7 });
    expect(output).toMatch(/new items simulated: 7 described items \(share 0.5\) lost their training interactions/);
    const cold = report.methods.find((m) => m.method === 'pipeline fused (cold-start slice)');
    // The 8 users holding out a never-clicked item, and those whose held-out item became new.
    expect(cold?.users).toBeGreaterThan(8);
    expect(report.notes.join('\n')).toMatch(new RegExp(`cold-start slice: ${cold?.users} users`));
  }, 300_000);

  it('fails loudly, naming the cause, when no item has a vector', async () => {
    // Clicks only: no descriptions and no reviews, so nothing can be ranked by meaning.
    const bare = dataset(false).filter((l) => l.type === 'click');
    const { code, output } = await runEval(write(bareName, bare));
    expect(code).toBe(1);
    expect(output).toMatch(
      /coverage is broken, nothing to measure: no candidate item has a vector \(0 descriptions and 0 reviews embedded\)/,
    );
    expect(output).not.toMatch(/^\s+at /m);
  }, 300_000);
});
