/**
 * Command lines of the project's commands (`npm start`, `npm run bench`, …), read the same way
 * everywhere and before any work: `-h`/`--help` prints the command's usage to stdout and exits 0;
 * an unknown option, a stray argument or a bad value prints one line `error: …` with a pointer to
 * --help to stderr and exits 2, without a stack trace. Each command keeps its usage text and its
 * checks next to it; this file only does the parsing and the exits.
 *
 * `--check-args` (appended by the shell wrappers, never typed by users) stops after the checks
 * with exit 0, so a wrapper can reject a typo in a second before its set-up, infra start and build.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec<O extends Options> {
  /** How users run it, for the pointer in error messages: `npm run bench`. */
  command: string;
  /** What --help prints: starts with `Usage:`. */
  usage: string;
  /** Options besides -h/--help, as node:util's parseArgs takes them. */
  options: O;
  /** Whether the command takes positional arguments (default: it does not). */
  positionals?: boolean;
}

type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>
>;

/** The parsed command line, handed to the command's own checks. */
export interface CommandArgs<O extends Options> {
  values: Parsed<O>['values'];
  positionals: string[];
}

export type CommandLine<O extends Options> =
  { kind: 'help' } | { kind: 'error'; message: string } | ({ kind: 'run'; checkOnly: boolean } & CommandArgs<O>);

/** A mistake in the command line; thrown by a command's checks, reported as `error: …`, exit 2. */
export class UsageError extends Error {}

export const CHECK_ARGS_FLAG = '--check-args';

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * Parses `argv` (without node and the script). As in `npm run chaos`, a malformed line (unknown
 * option, stray argument, missing value) is an error even next to --help, so a typo never passes
 * silently; otherwise --help wins, before the command's own checks of the values.
 */
export function parseCommandLine<O extends Options>(spec: CommandSpec<O>, argv: readonly string[]): CommandLine<O> {
  const end = argv.indexOf('--');
  const isCheckFlag = (a: string, i: number) => a === CHECK_ARGS_FLAG && (end < 0 || i < end);
  const checkOnly = argv.some(isCheckFlag);
  const args = argv.filter((a, i) => !isCheckFlag(a, i));
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: O & typeof HELP; strict: true; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args, options: { ...spec.options, ...HELP }, strict: true, allowPositionals: true });
  } catch (err) {
    return { kind: 'error', message: describeParseError(err) };
  }
  if (!spec.positionals && parsed.positionals.length > 0)
    return { kind: 'error', message: `unexpected argument "${parsed.positionals[0]}"` };
  const { help, ...values } = parsed.values as Record<string, unknown>;
  if (help === true) return { kind: 'help' };
  return { kind: 'run', checkOnly, values: values as Parsed<O>['values'], positionals: parsed.positionals };
}

/** The one line printed for a usage mistake. */
export function usageErrorLine(command: string, message: string): string {
  return `error: ${message}${/--help/.test(message) ? '' : ` (see ${command} -- --help)`}`;
}

/**
 * The command's arguments, checked by `check` (which throws UsageError for a bad value and returns
 * what the command runs with); exits on --help, on a mistake, and after the checks with
 * --check-args. Call it before anything else is done.
 */
export function commandLine<O extends Options, T>(
  spec: CommandSpec<O>,
  check: (args: CommandArgs<O>) => T,
  argv: readonly string[] = process.argv.slice(2),
): T {
  const line = parseCommandLine(spec, argv);
  if (line.kind === 'help') {
    process.stdout.write(`${spec.usage.trimEnd()}\n`);
    process.exit(0);
  }
  if (line.kind === 'error') exitWithUsageError(spec.command, line.message);
  let checked: T;
  try {
    checked = check(line);
  } catch (err) {
    if (err instanceof UsageError) exitWithUsageError(spec.command, err.message);
    throw err;
  }
  if (line.checkOnly) process.exit(0);
  return checked;
}

export function exitWithUsageError(command: string, message: string): never {
  process.stderr.write(`${usageErrorLine(command, message)}\n`);
  process.exit(2);
}

/** A number option's value: finite, within [min, max], whole when `whole`. */
export function numberOption(
  flag: string,
  raw: string,
  rule: { min?: number; max?: number; whole?: boolean } = {},
): number {
  const n = raw.trim() === '' ? NaN : Number(raw);
  const { min = -Infinity, max = Infinity, whole = false } = rule;
  const what = whole ? 'a whole number' : 'a number';
  const range =
    min > -Infinity && max < Infinity
      ? ` from ${min} to ${max}`
      : min > -Infinity
        ? ` ≥ ${min}`
        : max < Infinity
          ? ` ≤ ${max}`
          : '';
  if (!Number.isFinite(n) || (whole && !Number.isInteger(n)) || n < min || n > max)
    throw new UsageError(`${flag}: expected ${what}${range}, got "${raw}"`);
  return n;
}

/** node:util's messages explain positional escaping at length; say what was wrong in one line. */
function describeParseError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const quoted = /'([^']+)'/.exec(e.message ?? '')?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? ''}`.trimEnd();
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${quoted ?? ''}`.trimEnd();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = quoted?.split(' ')[0] ?? 'an option';
      return /argument missing|ambiguous/.test(e.message ?? '') ? `${flag} needs a value` : `${flag} takes no value`;
    }
    default:
      return (e.message ?? String(err)).split('\n')[0]!;
  }
}
