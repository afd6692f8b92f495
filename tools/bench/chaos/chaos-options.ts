/**
 * The chaos command's arguments: parsed and checked before anything is set up, so `--help` and a
 * mistyped flag answer at once instead of after a broker start.
 */
import { parseArgs } from 'node:util';

export interface ChaosOptions {
  /** Services SIGKILLed (and restarted) during run B. */
  kills: number;
  /** Drives the input and the fault plan; printed and reported so a run can be repeated. */
  seed: number;
  /** User events in the fixed input (the catalogue and the erasures come on top). */
  events: number;
  /** Simulated users; default one per ten events. */
  users: number;
  /** Redis restarts (kill -9, back empty) during run B. */
  redisRestarts: number;
  /** Broker restarts (kill -9, back on the same data) during run B. */
  brokerRestarts: number;
  /**
   * Kafka nodes: 1, or 3 (replication factor 3, min.insync.replicas 2, as in production), where a
   * broker restart kills the leader of a partition the fuser consumes and lets the pipeline run on
   * the other two before it comes back.
   */
  brokers: 1 | 3;
  /** Partitions of the topics the services create. */
  partitions: number;
  /** Overall bound on the whole command, seconds. */
  timeoutS: number;
  /** Leave the logs, Kafka's data and the run's topics on disk. */
  keep: boolean;
}

export const USAGE = `Usage: npm run chaos [-- OPTIONS]

Runs a fixed, seeded input through text-cleaner, encoder and profile-fuser twice, on a Kafka and a
Redis of its own (free ports on 127.0.0.1, own state directory): run A without faults, run B while
services are SIGKILLed and restarted, Redis is restarted empty and the broker is restarted. Then
compares every user's final profile on profiles.v1 and reports users differing, events lost and
events double-applied. Exit code 0 only when both runs agree.

Options:
  --kills N            services SIGKILLed during run B (default 20)
  --seed S             seed of the input and of the fault plan (default: random, printed)
  --events N           user events in the fixed input (default 1000)
  --users N            simulated users (default: events / 10, at least 5)
  --redis-restarts N   Redis restarts during run B (default 1)
  --broker-restarts N  broker restarts during run B (default 1)
  --brokers N          Kafka nodes, 1 or 3 (default 1); with 3, topics are replicated 3 times
                       (min.insync.replicas 2) and a broker restart kills a partition leader
  --partitions N       partitions of the topics the services create (default 3)
  --timeout-s N        bound on the whole command, in seconds (default 1800)
  --keep               keep logs, Kafka's data and Redis' directory under .local/chaos/
  -h, --help           this text

Exit codes: 0 the runs agree; 1 users differ, events were lost or double-applied, or a run did not
drain in time; 2 bad arguments; 3 the chaos run itself failed (set-up, a service that did not come
back, the time bound); 130 interrupted.

Example:
  npm run chaos -- --kills 5 --events 300 --seed 7`;

export type ParsedChaosArgs =
  { kind: 'help' } | { kind: 'run'; options: ChaosOptions } | { kind: 'error'; message: string };

interface IntRule {
  min: number;
  max: number;
}

const RULES = {
  kills: { min: 0, max: 500 },
  seed: { min: 0, max: 2 ** 31 - 1 },
  events: { min: 10, max: 200_000 },
  users: { min: 1, max: 100_000 },
  'redis-restarts': { min: 0, max: 20 },
  'broker-restarts': { min: 0, max: 20 },
  brokers: { min: 1, max: 3 },
  partitions: { min: 1, max: 64 },
  'timeout-s': { min: 30, max: 24 * 3600 },
} satisfies Record<string, IntRule>;

type IntFlag = keyof typeof RULES;

/** Parses argv (without node and the script); `randomSeed` is used when --seed is absent. */
export function parseChaosArgs(
  argv: readonly string[],
  randomSeed: () => number = () => Math.floor(Math.random() * 1_000_000),
): ParsedChaosArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        kills: { type: 'string' },
        seed: { type: 'string' },
        events: { type: 'string' },
        users: { type: 'string' },
        'redis-restarts': { type: 'string' },
        'broker-restarts': { type: 'string' },
        brokers: { type: 'string' },
        partitions: { type: 'string' },
        'timeout-s': { type: 'string' },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    return { kind: 'error', message: describeParseError(err) };
  }
  if (values['help']) return { kind: 'help' };
  const ints: Partial<Record<IntFlag, number>> = {};
  for (const flag of Object.keys(RULES) as IntFlag[]) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const parsed = parseWholeNumber(String(raw), RULES[flag]);
    if (typeof parsed === 'string') return { kind: 'error', message: `--${flag}: ${parsed}, got "${String(raw)}"` };
    ints[flag] = parsed;
  }
  const events = ints.events ?? 1000;
  const brokers = ints.brokers ?? 1;
  if (brokers !== 1 && brokers !== 3) return { kind: 'error', message: `--brokers: expected 1 or 3, got "${brokers}"` };
  return {
    kind: 'run',
    options: {
      kills: ints.kills ?? 20,
      seed: ints.seed ?? randomSeed(),
      events,
      users: ints.users ?? Math.max(5, Math.round(events / 10)),
      redisRestarts: ints['redis-restarts'] ?? 1,
      brokerRestarts: ints['broker-restarts'] ?? 1,
      brokers,
      partitions: ints.partitions ?? 3,
      timeoutS: ints['timeout-s'] ?? 1800,
      keep: values['keep'] === true,
    },
  };
}

function parseWholeNumber(raw: string, rule: IntRule): number | string {
  if (!/^\d+$/.test(raw.trim())) return 'expected a whole number';
  const n = Number(raw);
  if (n < rule.min || n > rule.max) return `expected ${rule.min} to ${rule.max}`;
  return n;
}

/** node:util's messages explain positional escaping at length; say what was wrong in one line. */
function describeParseError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const quoted = /'([^']+)'/.exec(e.message ?? '')?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? ''} (see --help)`.replace('  ', ' ');
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${quoted ?? ''} (options only; see --help)`.replace('  ', ' ');
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = quoted?.split(' ')[0] ?? 'an option';
      return /argument missing/.test(e.message ?? '')
        ? `${flag} needs a value (see --help)`
        : `${flag} takes no value (see --help)`;
    }
    default:
      return e.message ?? String(err);
  }
}
