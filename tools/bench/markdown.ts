/**
 * Prints the latest results in reports/bench/*.json as Markdown tables, for the README's
 * benchmark section:  npx tsx tools/bench/markdown.ts
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BenchResult } from './bench-harness';

const dir = join(resolve(__dirname, '../..'), 'reports/bench');
if (!existsSync(dir)) throw new Error('no results yet: run `npm run bench`');
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()) {
  const r = JSON.parse(readFileSync(join(dir, file), 'utf8')) as BenchResult;
  const columns = [...new Set(r.rows.flatMap((row) => Object.keys(row)))];
  const fmt = (v: unknown) =>
    typeof v === 'number'
      ? Number.isInteger(v)
        ? v.toLocaleString('en-US')
        : Math.abs(v) >= 100
          ? v.toFixed(0)
          : Math.abs(v) >= 1
            ? v.toFixed(2)
            : v.toPrecision(3)
      : String(v ?? '');
  console.log(
    `**${r.bench}** (${r.startedAt.slice(0, 10)}, ${r.machine.cpus} × ${r.machine.model}, node ${r.machine.node})\n`,
  );
  console.log(`| ${columns.join(' | ')} |\n|${columns.map(() => '---').join('|')}|`);
  for (const row of r.rows) console.log(`| ${columns.map((c) => fmt(row[c])).join(' | ')} |`);
  console.log('');
  for (const n of r.notes) console.log(`- ${n}`);
  console.log('');
}
