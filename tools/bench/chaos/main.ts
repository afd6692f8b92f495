/**
 * `npm run chaos [-- --kills N --seed S --events N --timeout-s N --keep …]`: the bounded chaos test
 * of the whole pipeline (see chaos.ts and `--help`). Arguments are checked before anything is set
 * up; Ctrl-C and the time bound stop everything the run started.
 */
import { spawnSync } from 'node:child_process';
import { relative, resolve } from 'node:path';
import { usageErrorLine } from '@profilestream/tools-cli';
import { ensureBuilt } from '@profilestream/tools-runtime';
import { USAGE, parseChaosArgs } from './chaos-options';
import { formatSummary } from './chaos-report';
import { runChaos } from './chaos';

const repoRoot = resolve(__dirname, '../../..');

class Interrupted extends Error {}
class TimedOut extends Error {}

async function main(): Promise<number> {
  const parsed = parseChaosArgs(process.argv.slice(2));
  if (parsed.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    console.error(usageErrorLine('npm run chaos', parsed.message));
    return 2;
  }
  const options = parsed.options;
  const started = Date.now();
  const deadline = started + options.timeoutS * 1000;
  const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

  const controller = new AbortController();
  let interruptedAt = 0;
  const onSignal = () => {
    // A terminal's Ctrl-C may arrive twice (directly and relayed by tsx): only a later one is news.
    if (controller.signal.aborted)
      return Date.now() - interruptedAt > 2000 ? log('still stopping what the run started…') : undefined;
    interruptedAt = Date.now();
    log('interrupted: stopping everything the run started…');
    controller.abort(new Interrupted('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const bound = setTimeout(
    () => controller.abort(new TimedOut(`the time bound of ${options.timeoutS} s was reached`)),
    options.timeoutS * 1000,
  );
  bound.unref();

  try {
    log('set-up (tools/ci/setup.sh)');
    const setup = spawnSync('bash', ['tools/ci/setup.sh'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    if (setup.status !== 0) throw new Error('tools/ci/setup.sh failed');
    log('checking the build');
    if (ensureBuilt()) log('built the services');
    if (controller.signal.aborted) throw controller.signal.reason;
    const { report, reportFile } = await runChaos(options, { log, signal: controller.signal, deadline });
    console.log(formatSummary(report));
    console.log(`\n  report: ${relative(repoRoot, reportFile)}`);
    return report.verdict.agree ? 0 : 1;
  } catch (err) {
    // Whatever broke first once the run was aborted, the abort is the reason.
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : err;
    if (reason instanceof Interrupted) return 130;
    console.error(`chaos: ${reason instanceof Error ? reason.message : String(reason)}`);
    return 3;
  } finally {
    clearTimeout(bound);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(3);
  },
);
