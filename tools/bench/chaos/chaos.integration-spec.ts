/**
 * `npm run chaos`, short: a small fixed input through the three built services on a Kafka and a
 * Redis of the test's own (free ports, own state directory; the shared stack is never touched),
 * run A without faults, run B with 3 SIGKILLs, one Redis restart and one broker restart.
 *
 * The mechanics are asserted unconditionally: faults were injected, services came back, both runs
 * drained, the comparison covered every user and its numbers add up, everything was stopped. And
 * run B ends with the same profiles as run A: no user differs, no event is lost or applied twice.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createTopic, testKafka, uniqueName } from '@profilestream/kafka/testing';
import { ensureBuilt } from '@profilestream/tools-runtime';
import type { ChaosOptions } from './chaos-options';
import { formatSummary, type ChaosReport } from './chaos-report';
import type { ComparisonSummary } from '@profilestream/tools-runtime';
import { runChaos, type ChaosOutcome } from './chaos';
import { partitionLag } from './group-lag';
import { visibleRecords } from './profile-snapshot';

const repoRoot = resolve(__dirname, '../../..');
const run = promisify(execFile);
const TIME_BOUND_S = 220;
/** A chaos run's hook: its bound, and time to stop what it started. */
const CHAOS_RUN_TIMEOUT_MS = (TIME_BOUND_S + 30) * 1000;

async function listening(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      ok(true);
    });
    socket.once('error', () => ok(false));
  });
}

/** A short run: 120 events of 12 users on 3 partitions; a test picks the faults and the brokers. */
function shortRun(
  faults: Pick<ChaosOptions, 'kills' | 'seed' | 'redisRestarts' | 'brokerRestarts' | 'brokers'>,
): ChaosOptions {
  return { events: 120, users: 12, partitions: 3, timeoutS: TIME_BOUND_S, keep: false, ...faults };
}

/** Runs the chaos harness within TIME_BOUND_S and prints its log and summary; a failure carries the log. */
async function boundedChaosRun(options: ChaosOptions): Promise<ChaosOutcome> {
  ensureBuilt();
  const controller = new AbortController();
  const bound = setTimeout(
    () => controller.abort(new Error(`chaos run over its ${TIME_BOUND_S} s bound`)),
    TIME_BOUND_S * 1000,
  );
  const lines: string[] = [];
  let outcome: ChaosOutcome;
  try {
    outcome = await runChaos(options, {
      log: (line) => lines.push(line),
      signal: controller.signal,
      deadline: Date.now() + TIME_BOUND_S * 1000,
    });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${lines.join('\n')}`);
  } finally {
    clearTimeout(bound);
  }
  console.log(`${lines.join('\n')}\n${formatSummary(outcome.report)}`);
  return outcome;
}

function expectBothRunsDrainedWithTheInput(report: ChaosReport): void {
  for (const r of [report.runs.a, report.runs.b]) {
    expect({ run: r.label, drained: r.drained, reason: r.notDrainedReason }).toEqual({
      run: r.label,
      drained: true,
      reason: null,
    });
    expect(r.topics.input).toEqual(report.expectedInput);
  }
}

function expectSameProfiles(c: ComparisonSummary): void {
  expect({
    differing: c.usersDiffering,
    lost: c.eventsLost,
    doubled: c.eventsDoubleApplied,
    firstDifferences: c.firstDifferences.slice(0, 5),
  }).toEqual({ differing: 0, lost: 0, doubled: 0, firstDifferences: [] });
}

/** Every port of the run's own stack that still accepts connections: none once it stopped. */
async function stillListening(report: ChaosReport): Promise<number[]> {
  const brokerPorts = report.ports.brokers.split(',').map((b) => Number(b.split(':')[1]));
  const ports = [
    ...new Set([report.ports.kafka, ...brokerPorts, report.ports.redis, ...Object.values(report.ports.services)]),
  ];
  const open = await Promise.all(ports.map(listening));
  return ports.filter((_, i) => open[i]);
}

describe('npm run chaos, on the command line', () => {
  const tsx = join(repoRoot, 'node_modules/.bin/tsx');
  const chaos = (args: string[]) =>
    run(tsx, ['tools/bench/chaos/main.ts', ...args], { cwd: repoRoot, timeout: 30_000 }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (err: { code: number; stdout: string; stderr: string }) => ({
        code: err.code,
        stdout: err.stdout,
        stderr: err.stderr.trim(),
      }),
    );

  it('answers --help and rejects an unknown flag before setting anything up', async () => {
    const help = await chaos(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run chaos \[-- OPTIONS\]/);
    expect(help.stdout).not.toMatch(/^\[\s*[\d.]+ s\]/m); // no progress line: nothing was started
    expect(await chaos(['--kills', '2', '--wipe-everything'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: unknown option --wipe-everything (see --help)',
    });
  }, 60_000);
});

describe('lag left by transaction markers (on the shared test broker)', () => {
  const kafka = testKafka('chaos-markers-test');
  const topic = uniqueName('chaos-markers');

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('reads through markers and aborted records: offsets say behind, a read-committed consumer gets nothing', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await createTopic(admin, topic, 1);
    const producer = kafka.producer({
      transactionalId: uniqueName('chaos-markers-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({
      topic,
      messages: [
        { key: 'u', value: 'a' },
        { key: 'u', value: 'b' },
      ],
    });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ key: 'u', value: 'never seen' }] });
    await aborted.abort();
    await producer.disconnect();
    // a, b, commit marker, the aborted record, abort marker: the coordinator writes the markers after
    // the commit or abort returned, so the end offset gets there a moment later.
    let end = (await admin.fetchTopicOffsets(topic))[0]!;
    for (const deadline = Date.now() + 15_000; Number(end.high) < 5 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 100));
      end = (await admin.fetchTopicOffsets(topic))[0]!;
    }
    await admin.disconnect();
    expect(Number(end.high)).toBe(5);
    expect(partitionLag('2', end.low, end.high)).toBe(3);
    expect(await visibleRecords(kafka, topic, 0, 2, 5)).toBe(0);
    expect(await visibleRecords(kafka, topic, 0, 0, 5)).toBe(2);
    expect(await visibleRecords(kafka, topic, 0, 1, 5)).toBe(1);
  }, 60_000);
});

describe('a short chaos run', () => {
  // Seed 5 kills each service once, spread over the input (fuser, Redis, cleaner, broker, encoder):
  // two kills of one service close together would stack two session timeouts before it drains.
  const options = shortRun({ kills: 3, seed: 5, redisRestarts: 1, brokerRestarts: 1, brokers: 1 });
  let outcome: ChaosOutcome;

  beforeAll(async () => {
    outcome = await boundedChaosRun(options);
  }, CHAOS_RUN_TIMEOUT_MS);

  it('injected every planned fault into run B, none into run A, and every service came back', () => {
    const { a, b } = outcome.report.runs;
    expect(a.faults).toEqual([]);
    expect(a.serviceEvents.filter((e) => e.kind === 'kill')).toEqual([]);
    const kinds = b.faults.map((f) => f.fault.kind).sort();
    expect(kinds).toEqual(['broker-restart', 'kill', 'kill', 'kill', 'redis-restart']);
    expect(b.serviceEvents.filter((e) => e.kind === 'kill')).toHaveLength(3);
    for (const f of b.faults) {
      expect(f.notReadyAfter ?? false).toBe(false);
      expect(f.recoveredS).toBeGreaterThan(0);
    }
  });

  it('drained both runs, and both hold exactly the input that was sent', () => {
    const { report } = outcome;
    expectBothRunsDrainedWithTheInput(report);
    for (const r of [report.runs.a, report.runs.b]) {
      expect(r.sent.events).toBe(Object.values(report.input.events).reduce((x, y) => x + y, 0));
    }
    expect(report.input.events['review']! + report.input.events['post']! + report.input.events['click']!).toBe(
      options.events,
    );
  });

  it('compared every user, with numbers that add up', () => {
    const c = outcome.report.comparison;
    expect(c.usersCompared).toBeGreaterThanOrEqual(options.users - 2);
    expect(c.usersIdentical + c.usersDiffering).toBe(c.usersCompared);
    expect(c.missingInA + c.missingInB + c.erasedInOneRunOnly).toBeLessThanOrEqual(c.usersDiffering);
    expect(c.runs.a.eventCount).toBeGreaterThan(0);
    expect(c.runs.a.eventCount).toBeLessThanOrEqual(options.events);
    expect(c.runs.b.eventCount - c.runs.a.eventCount).toBe(c.eventCountDelta);
    expect(c.eventsDoubleApplied - c.eventsLost).toBe(c.eventCountDelta);
    expect(c.countsConsistent).toBe(true);
    expect(c.firstDifferences.length).toBeLessThanOrEqual(
      Math.min(
        20,
        Object.values(c.differencesByField).reduce((x, y) => x + y, 0),
      ),
    );
    expect(c.firstDifferences.length > 0).toBe(c.usersDiffering > 0);
    const { verdict } = outcome.report;
    expect(verdict.agree).toBe(verdict.problems.length === 0);
    expect(verdict.problems.some((p) => p.endsWith('users differ'))).toBe(c.usersDiffering > 0);
    expect(verdict.problems.some((p) => p.endsWith('events lost'))).toBe(c.eventsLost > 0);
  });

  it('stopped everything it started, removed its data and wrote the report', async () => {
    const { report, reportFile } = outcome;
    expect(report.kept).toBeNull();
    expect(existsSync(reportFile)).toBe(true);
    expect(await stillListening(report)).toEqual([]);
  });

  it('ends run B with the same profiles as run A: no user differs, no event lost or applied twice', () => {
    expectSameProfiles(outcome.report.comparison);
  });
});

/**
 * The same comparison on a three-node cluster as production runs it (replication factor 3,
 * min.insync.replicas 2): in run B the leader of a partition the fuser consumes is killed with
 * kill -9 while events flow, the pipeline runs on the other two brokers for a while, then the node
 * comes back on its data. Nothing may be lost or applied twice.
 */
describe('a chaos run on a three-broker cluster: kill -9 of a partition leader', () => {
  const options = shortRun({ kills: 0, seed: 7, redisRestarts: 0, brokerRestarts: 1, brokers: 3 });
  let outcome: ChaosOutcome;

  beforeAll(async () => {
    outcome = await boundedChaosRun(options);
  }, CHAOS_RUN_TIMEOUT_MS);

  it("killed the leader of the fuser's clicks partition 0 in run B, and every service stayed or came back ready", () => {
    const { a, b } = outcome.report.runs;
    expect(a.faults).toEqual([]);
    expect(b.faults).toHaveLength(1);
    const [fault] = b.faults;
    expect(fault!.fault.kind).toBe('broker-restart');
    expect([1, 2, 3]).toContain(fault!.node);
    // Events went to the other two brokers while the node was down.
    expect(fault!.sentWhileDown).toBeGreaterThan(0);
    expect(fault!.notReadyAfter ?? false).toBe(false);
    expect(outcome.report.ports.brokers.split(',')).toHaveLength(3);
  });

  it('drained both runs with exactly the input sent, and ends run B with the same profiles as run A', () => {
    const { report } = outcome;
    expectBothRunsDrainedWithTheInput(report);
    const c = report.comparison;
    expect(c.usersCompared).toBeGreaterThanOrEqual(options.users - 2);
    expect(c.runs.a.eventCount).toBeGreaterThan(0);
    expectSameProfiles(c);
  });

  it('stopped every node of the cluster and everything else it started', async () => {
    const { report } = outcome;
    expect(report.kept).toBeNull();
    expect(await stillListening(report)).toEqual([]);
  });
});
