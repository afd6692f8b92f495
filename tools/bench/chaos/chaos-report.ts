/**
 * The chaos run's verdict and its summary table (pure): what the console shows and what the JSON
 * report in reports/chaos/ holds.
 */
import type { ChaosOptions } from './chaos-options';
import type { ComparisonSummary } from '@profilestream/tools-runtime';
import type { RunResult } from './chaos-run';

/** A run as the report keeps it: the final profiles are compared, not stored. */
export type RunSummary = Omit<RunResult, 'profiles'>;

export interface ChaosReport {
  startedAt: string;
  finishedAt: string;
  seconds: number;
  options: ChaosOptions;
  input: {
    users: number;
    catalogue: number;
    events: Record<string, number>;
    erasedUsers: number;
    firstEventAt: number;
    lastEventAt: number;
  };
  /** The chaos stack's loopback ports; `brokers` lists every Kafka node (one, or three with a cluster). */
  ports: { kafka: number; brokers: string; redis: number; services: Record<string, number> };
  /** Expected records per input topic (short name → count). */
  expectedInput: Record<string, number>;
  runs: { a: RunSummary; b: RunSummary };
  comparison: ComparisonSummary;
  verdict: { agree: boolean; problems: string[] };
  /** Where the logs and data were kept (relative to the repository), or null when removed. */
  kept: string | null;
}

/** Everything that makes the run fail, in words; empty when the two runs agree. */
export function verdictProblems(
  runs: { a: RunSummary; b: RunSummary },
  comparison: ComparisonSummary,
  expectedInput: Record<string, number>,
): string[] {
  const problems: string[] = [];
  for (const run of [runs.a, runs.b]) {
    if (!run.drained) problems.push(`run ${run.label} did not drain in time (${run.notDrainedReason ?? 'unknown'})`);
    // A service that is up but never consumes needs a person to notice it: a defect, not a fault ridden out.
    const idle = run.serviceEvents.filter((e) => e.kind === 'idle-consumer-restart');
    if (idle.length > 0)
      problems.push(
        `run ${run.label}: ${idle.map((e) => e.service).join(', ')} ready but not consuming until restarted by the harness (${idle.length}×)`,
      );
    const wrong = Object.entries(expectedInput).filter(([topic, n]) => (run.topics.input[topic] ?? 0) !== n);
    if (wrong.length > 0)
      problems.push(
        `run ${run.label}: input topics hold ${wrong.map(([t, n]) => `${run.topics.input[t] ?? 0} records on ${t} for ${n} sent`).join(', ')}`,
      );
  }
  if (comparison.usersDiffering > 0)
    problems.push(`${comparison.usersDiffering} of ${comparison.usersCompared} users differ`);
  if (comparison.erasedInOneRunOnly > 0) problems.push(`${comparison.erasedInOneRunOnly} users erased in one run only`);
  if (comparison.eventsLost > 0) problems.push(`${comparison.eventsLost} events lost`);
  if (comparison.eventsDoubleApplied > 0) problems.push(`${comparison.eventsDoubleApplied} events double-applied`);
  if (!comparison.countsConsistent)
    problems.push(
      `counters and eventCount disagree: double-applied − lost = ${comparison.eventsDoubleApplied - comparison.eventsLost}, Σ eventCount B − A = ${comparison.eventCountDelta}`,
    );
  return problems;
}

/** The console summary: both runs side by side, then the comparison and its first differences. */
export function formatSummary(r: ChaosReport): string {
  const { a, b } = r.runs;
  const c = r.comparison;
  const faultCounts = (run: RunSummary) => {
    if (run.faults.length === 0) return 'none';
    const counts: Record<string, number> = {};
    for (const f of run.faults) {
      const name = f.fault.kind === 'kill' ? `kill ${f.fault.service}` : f.fault.kind;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return Object.entries(counts)
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ');
  };
  const unplanned = (run: RunSummary) => {
    const crashes = run.serviceEvents.filter((e) => e.kind === 'crash').length;
    const liveness = run.serviceEvents.filter((e) => e.kind === 'liveness-restart').length;
    const idle = run.serviceEvents.filter((e) => e.kind === 'idle-consumer-restart').length;
    return `${crashes} crash${crashes === 1 ? '' : 'es'}, ${liveness} liveness, ${idle} idle-consumer`;
  };
  const inputRecords = (run: RunSummary) => {
    const n = Object.values(run.topics.input).reduce((x, y) => x + y, 0);
    return run.sent.retriedSends > 0 ? `${n} (${run.sent.retriedSends} sends retried)` : String(n);
  };
  const deadLetters = (run: RunSummary) => {
    const entries = Object.entries(run.topics.deadLetters);
    return entries.length === 0 ? '0' : entries.map(([t, n]) => `${n} on ${t}`).join(', ');
  };
  const rows: [string, string, string][] = [
    ['prefix', a.prefix, b.prefix],
    ['input records on Kafka', inputRecords(a), inputRecords(b)],
    ['faults', faultCounts(a), faultCounts(b)],
    ['unplanned restarts', unplanned(a), unplanned(b)],
    ['services ready after', `${a.startupS.toFixed(1)} s`, `${b.startupS.toFixed(1)} s`],
    ['drained', drainedCell(a), drainedCell(b)],
    ['users with a record', String(c.runs.a.users), String(c.runs.b.users)],
    ['profiles / erased', `${c.runs.a.profiles} / ${c.runs.a.erased}`, `${c.runs.b.profiles} / ${c.runs.b.erased}`],
    ['Σ eventCount', String(c.runs.a.eventCount), String(c.runs.b.eventCount)],
    ['dead letters', deadLetters(a), deadLetters(b)],
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max('run A (no faults)'.length, ...rows.map((x) => x[1].length));
  const line = (x: [string, string, string]) => `  ${x[0].padEnd(w0)}  ${x[1].padEnd(w1)}  ${x[2]}`;
  const inputKinds = Object.entries(r.input.events)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const out = [
    '',
    `chaos: seed ${r.options.seed}; ${r.input.users} users; ${r.input.catalogue} catalogue items, then ${inputKinds}; ${r.seconds.toFixed(0)} s in all`,
    '',
    line(['', 'run A (no faults)', 'run B (faults)']),
    ...rows.map(line),
    '',
    `  comparison (run B against run A; floats within relative ${c.tolerance.relative}, absolute ${c.tolerance.absolute})`,
    `  users compared            ${c.usersCompared}`,
    `  users identical           ${c.usersIdentical}`,
    `  users differing           ${c.usersDiffering}   (missing in A ${c.missingInA}, missing in B ${c.missingInB}, erased in one run only ${c.erasedInOneRunOnly})`,
    `  events lost               ${c.eventsLost}`,
    `  events double-applied     ${c.eventsDoubleApplied}`,
    `  Σ eventCount B − A        ${signed(c.eventCountDelta)}   (${c.countsConsistent ? 'consistent with' : 'INCONSISTENT with'} double-applied − lost = ${signed(c.eventsDoubleApplied - c.eventsLost)})`,
  ];
  const families = Object.entries(c.differencesByField).sort((x, y) => y[1] - x[1]);
  if (families.length > 0) out.push(`  differing fields          ${families.map(([f, n]) => `${f} ${n}`).join(', ')}`);
  if (c.firstDifferences.length > 0) {
    out.push('', '  first differences (user, field: run A | run B):');
    for (const d of c.firstDifferences) out.push(`    ${d.userId}  ${d.field}: ${d.a} | ${d.b}`);
  }
  out.push('', r.verdict.agree ? '  verdict: the runs agree' : `  verdict: FAILED: ${r.verdict.problems.join('; ')}`);
  return out.join('\n');
}

function drainedCell(run: RunSummary): string {
  if (!run.drained) return `NO (${run.notDrainedReason})`;
  const markers =
    run.markerOnlyPartitions > 0 ? `; ${run.markerOnlyPartitions} partitions end in transaction markers` : '';
  return `yes, ${run.processingS.toFixed(1)} s after the first event${markers}`;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}
