/**
 * The chaos test: the same fixed input twice through the whole pipeline on a Kafka and a Redis of
 * its own, run A without faults and run B with them, then a user-by-user comparison of the final
 * profiles. Everything it starts is stopped before it returns or throws.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { ChaosOptions } from './chaos-options';
import { verdictProblems, type ChaosReport, type RunSummary } from './chaos-report';
import { runPipeline, type RunResult } from './chaos-run';
import { compareSnapshots } from '@profilestream/tools-runtime';
import { planFaults, type ServiceName } from './fault-plan';
import { DEFAULT_SPACING_MS, buildFixedInput, countKinds } from '@profilestream/tools-events';
import { OwnInfra, freePortBlock, freePorts } from './own-infra';

const repoRoot = resolve(__dirname, '../../..');
/** Kept back from the time bound for reading, comparing and stopping, so a slow run still reports. */
const REPORT_RESERVE_MS = 20_000;

/** Service configuration the caller's environment may hold for another stack: never inherited. */
const SERVICE_CONFIG = /^(KAFKA|SCHEMA_REGISTRY|REDIS|HTTP|LOG|HEALTH|SHUTDOWN|CLEANER|ENCODER|FUSER)_/;

export interface ChaosHooks {
  log: (line: string) => void;
  /** Aborts the run (Ctrl-C, the time bound); everything started is still stopped. */
  signal: AbortSignal;
  /** Epoch ms: the overall bound. */
  deadline: number;
  /** Where the JSON report goes (default reports/chaos/). */
  reportDir?: string;
}

export interface ChaosOutcome {
  report: ChaosReport;
  reportFile: string;
}

/** Runs both passes and compares them; the services must be built (ensureBuilt) beforehand. */
export async function runChaos(options: ChaosOptions, hooks: ChaosHooks): Promise<ChaosOutcome> {
  const started = Date.now();
  const runId = `${new Date(started).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}-seed${options.seed}`;
  const runDir = join(repoRoot, '.local/chaos', runId);
  const ports = await freePorts(6);
  const kafkaClusterBase = options.brokers === 3 ? (await freePortBlock(6))[0]! : undefined;
  const infra = new OwnInfra(join(runDir, 'infra'), {
    kafka: ports[0]!,
    controller: ports[1]!,
    redis: ports[2]!,
    ...(kafkaClusterBase === undefined ? {} : { kafkaClusterBase }),
  });
  const servicePorts: Record<ServiceName, number> = {
    'text-cleaner': ports[3]!,
    encoder: ports[4]!,
    'profile-fuser': ports[5]!,
  };
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SERVICE_CONFIG.test(k)));
  const { log } = hooks;

  // Whole minutes in the past: producers refuse future times, and both runs share every timestamp.
  const firstEventAt = Math.floor(started / 60_000) * 60_000 - (options.events + 60) * DEFAULT_SPACING_MS;
  const input = buildFixedInput({
    events: options.events,
    users: options.users,
    seed: options.seed,
    startAt: firstEventAt,
  });
  const plan = planFaults({
    events: input.events.length,
    kills: options.kills,
    redisRestarts: options.redisRestarts,
    brokerRestarts: options.brokerRestarts,
    seed: options.seed,
  });
  const kinds = countKinds(input.events);
  log(
    `seed ${options.seed}: ${options.users} users, ${input.catalogue.length} catalogue items, ${Object.entries(kinds)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}`,
  );
  log(
    `own Kafka on ${infra.brokers}${infra.brokerCount > 1 ? ' (replication factor 3, min.insync.replicas 2)' : ''}, Redis on 127.0.0.1:${infra.ports.redis}, state in ${relative(repoRoot, runDir)}`,
  );

  let completed = false;
  let drained = false;
  try {
    await infra.up();
    const pass = (label: 'A' | 'B', withFaults: boolean): Promise<RunResult> =>
      runPipeline({
        label,
        prefix: `chaos-${label.toLowerCase()}.`,
        input,
        plan: withFaults ? plan : null,
        infra,
        servicePorts,
        partitions: options.partitions,
        baseEnv,
        logDir: join(runDir, 'logs', label.toLowerCase()),
        drainDeadline: hooks.deadline - REPORT_RESERVE_MS,
        signal: hooks.signal,
        log,
      });
    const a = await pass('A', false);
    const b = await pass('B', true);
    const comparison = compareSnapshots(a.profiles, b.profiles);
    const expectedInput: Record<string, number> = {
      'reviews.v1': kinds['review'] ?? 0,
      'posts.v1': kinds['post'] ?? 0,
      'clicks.v1': kinds['click'] ?? 0,
      'items.v1': input.catalogue.length,
      'user-deletions.v1': kinds['deletion'] ?? 0,
    };
    const runs = { a: summary(a), b: summary(b) };
    const problems = verdictProblems(runs, comparison, expectedInput);
    completed = true;
    drained = a.drained && b.drained;
    const report: ChaosReport = {
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date().toISOString(),
      seconds: (Date.now() - started) / 1000,
      options,
      input: {
        users: options.users,
        catalogue: input.catalogue.length,
        events: kinds,
        erasedUsers: input.erasedUsers.length,
        firstEventAt,
        lastEventAt: input.endsAt,
      },
      ports: { kafka: infra.ports.kafka, brokers: infra.brokers, redis: infra.ports.redis, services: servicePorts },
      expectedInput,
      runs,
      comparison,
      verdict: { agree: problems.length === 0, problems },
      kept: options.keep || !(a.drained && b.drained) ? relative(repoRoot, runDir) : null,
    };
    const reportDir = hooks.reportDir ?? join(repoRoot, 'reports/chaos');
    mkdirSync(reportDir, { recursive: true });
    const reportFile = join(reportDir, `${runId}.json`);
    writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
    return { report, reportFile };
  } finally {
    log(`stopping the chaos Kafka and Redis${options.keep ? ' (data kept)' : ''}`);
    await infra
      .down(options.keep)
      .catch((err: unknown) =>
        log(`stopping the chaos stack failed: ${err instanceof Error ? err.message : String(err)}`),
      );
    if (options.keep) {
      log(
        `kept in ${relative(repoRoot, runDir)}: service logs in logs/, Kafka and Redis in infra/ (restart it with INFRA_STATE_DIR=${relative(repoRoot, join(runDir, 'infra'))} KAFKA_PORT=${infra.ports.kafka} KAFKA_CONTROLLER_PORT=${infra.ports.controller} REDIS_PORT=${infra.ports.redis} bash tools/infra/up.sh)`,
      );
    } else if (completed && drained) {
      rmSync(runDir, { recursive: true, force: true });
    } else {
      // A run that broke or did not drain keeps its logs: they are what explains it. Kafka's data goes.
      rmSync(join(runDir, 'infra', 'kafka', 'data'), { recursive: true, force: true });
      log(`logs kept in ${relative(repoRoot, runDir)}`);
    }
  }
}

function summary(r: RunResult): RunSummary {
  const { profiles: _profiles, ...rest } = r;
  return rest;
}
