/**
 * Runs a built service (dist/apps/<name>/src/main.js) as a child process, the way a deployment
 * runs it: its own process and environment, logs to a file, readiness over HTTP, SIGTERM to stop.
 * Used by the demo, the benchmarks and the monitoring integration test.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '../../../..');

const SERVICES = ['text-cleaner', 'encoder', 'profile-fuser'] as const;

/**
 * Runs `npm run build` when a service's dist entry point is missing or older than a source file
 * under apps/, libs/ or schemas/ (tests must not run stale builds). Returns whether it built.
 */
export function ensureBuilt(): boolean {
  const mains = SERVICES.map((name) => join(repoRoot, 'dist/apps', name, 'src/main.js'));
  const builtAt = Math.min(...mains.map((m) => (existsSync(m) ? statSync(m).mtimeMs : 0)));
  const newest = Math.max(...['apps', 'libs', 'schemas'].map((dir) => newestSource(join(repoRoot, dir))));
  if (builtAt > newest) return false;
  execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  return true;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (!/\.(integration-)?spec\.ts$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

export interface ServiceProcessOptions {
  name: (typeof SERVICES)[number];
  port: number;
  env: Record<string, string>;
  logDir?: string;
  /** Environment the service's own `env` is laid over; default: this process's. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Append to the log file on start instead of starting it afresh (a restarted process keeps its predecessor's log). */
  appendLog?: boolean;
  /**
   * Scheduling niceness (0–19): a process that must not take cores from the others when they need
   * them (a model migration's re-embedding beside live traffic). Its worker threads inherit it.
   */
  nice?: number;
  /** Log file name in logDir (default `<name>.log`): a second deployment of a service logs apart. */
  logName?: string;
  /** The script to run instead of the built service's dist entry point. */
  script?: string;
  /** Node and V8 flags before the script (those Node refuses in NODE_OPTIONS, e.g. `--heap-growing-percent`). */
  nodeFlags?: readonly string[];
}

export class ServiceProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<{ code: number | null; signal: string | null }> = Promise.resolve({
    code: null,
    signal: null,
  });
  /** Resolves once the log holds everything the process wrote (its pipes closed and the file flushed). */
  private logWritten: Promise<void> = Promise.resolve();
  readonly logFile: string;

  constructor(readonly options: ServiceProcessOptions) {
    const dir = options.logDir ?? join(repoRoot, '.local/logs');
    mkdirSync(dir, { recursive: true });
    this.logFile = join(dir, options.logName ?? `${options.name}.log`);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const main = this.options.script ?? join(repoRoot, 'dist/apps', this.options.name, 'src/main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
    const log = createWriteStream(this.logFile, { flags: this.options.appendLog ? 'a' : 'w' });
    // Through nice(1), so that every thread the process starts runs at that priority.
    const node = [...(this.options.nodeFlags ?? []), main];
    const [command, args] = this.options.nice
      ? ['nice', ['-n', String(this.options.nice), process.execPath, ...node]]
      : [process.execPath, node];
    this.child = spawn(command, args, {
      cwd: repoRoot,
      env: {
        ...(this.options.baseEnv ?? process.env),
        ...this.options.env,
        HTTP_PORT: String(this.options.port),
        HTTP_HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Both streams into one file: neither may end it (the first to end would make the other's
    // last lines a write after end, an error that kills the driver), so it ends once both closed.
    this.child.stdout?.pipe(log, { end: false });
    this.child.stderr?.pipe(log, { end: false });
    const child = this.child;
    child.once('close', () => log.end());
    this.logWritten = new Promise((resolve) => log.once('close', () => resolve()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Whether the process started last is still running. */
  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the process started last exits, with how it ended. */
  whenExited(): Promise<{ code: number | null; signal: string | null }> {
    return this.exited;
  }

  /** Sends `signal` (SIGKILL by default: a crash, nothing drained) and resolves once the process has exited. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: string | null }> {
    if (this.running) this.child!.kill(signal);
    return this.exited;
  }

  /** Waits until /health/ready answers 200; fails early with the log tail if the process dies. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let died = false;
    void this.exited.then(() => (died = true));
    while (Date.now() < deadline) {
      if (died) {
        // 'exit' can come before the pipes drain: wait for the last lines (a child the process
        // forked may hold its pipes open, hence the bound).
        await Promise.race([this.logWritten, new Promise((r) => setTimeout(r, 2000))]);
        throw new Error(`${this.options.name} exited during start-up:\n${this.logTail()}`);
      }
      try {
        const res = await fetch(`${this.baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${this.options.name} not ready after ${timeoutMs} ms:\n${this.logTail()}`);
  }

  /** The service's /metrics exposition. */
  async metricsText(): Promise<string> {
    return (await fetch(`${this.baseUrl}/metrics`)).text();
  }

  /** Current value of a metric (summed over its series) from /metrics. */
  async metric(name: string, filter: (labels: string) => boolean = () => true): Promise<number> {
    const text = await this.metricsText();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const m = /^([a-zA-Z0-9_:]+)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (m && m[1] === name && filter(m[2] ?? '')) sum += Number(m[3]);
    }
    return sum;
  }

  /** Peak resident memory of the process so far (Linux VmHWM), in MiB. */
  peakRssMiB(): number | null {
    const pid = this.child?.pid;
    if (!pid) return null;
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : null;
    } catch {
      return null;
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; how it ended. */
  async stop(graceMs = 20_000): Promise<{ code: number | null; signal: string | null }> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
