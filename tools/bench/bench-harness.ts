/** Shared pieces of `npm run bench`: results as JSON under reports/bench, and a printed table. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpus } from 'node:os';

export interface BenchRow {
  case: string;
  [metric: string]: string | number;
}

export interface BenchResult {
  bench: string;
  startedAt: string;
  machine: { cpus: number; model: string; node: string };
  notes: string[];
  rows: BenchRow[];
}

const repoRoot = resolve(__dirname, '../..');

export function newResult(bench: string): BenchResult {
  const cpu = cpus();
  return {
    bench,
    startedAt: new Date().toISOString(),
    machine: { cpus: cpu.length, model: cpu[0]?.model ?? 'unknown', node: process.version },
    notes: [],
    rows: [],
  };
}

/** Writes the result to reports/bench/<bench>.json and prints it as a table. */
export function report(result: BenchResult): void {
  const dir = join(repoRoot, 'reports/bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.bench}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2));
  console.log(`\n## ${result.bench}  (${result.machine.cpus} × ${result.machine.model}, node ${result.machine.node})`);
  console.log(formatTable(result.rows));
  for (const n of result.notes) console.log(`  note: ${n}`);
  console.log(`  results: reports/bench/${result.bench}.json`);
}

export function formatTable(rows: BenchRow[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (typeof v === 'number' ? formatNumber(v) : String(v ?? ''));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(columns),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map((r) => line(columns.map((c) => cell(r[c])))),
  ].join('\n');
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** Runs `fn` once to warm up, then `repeats` times; returns the median seconds. */
export async function medianSeconds(fn: () => unknown, repeats = 3): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await fn();
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
