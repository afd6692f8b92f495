/**
 * The three services as an orchestrator runs them: separate processes, restarted when they die
 * (a planned SIGKILL or a crash) and when their liveness probe fails the way the Kubernetes
 * manifests configure it (every 10 s, 3 s timeout, 3 failures in a row). Every incarnation appends
 * to the same log file, after a line saying why it started.
 *
 * One more restart is what an operator, not an orchestrator, would do: a service that is ready
 * while its consumer group has no member for `IDLE_CONSUMER_RESTART_MS` has a consumer that never
 * started (or gave up) and will not consume by itself. It is restarted so the run can go on, and
 * the restart is recorded as a defect (kind `idle-consumer-restart`).
 */
import { appendFileSync } from 'node:fs';
import { ServiceProcess } from '@profilestream/tools-runtime';
import { SERVICE_NAMES, type ServiceName } from './fault-plan';
import { sleep } from './abortable';

const LIVENESS_PERIOD_MS = 10_000;
const LIVENESS_TIMEOUT_MS = 3_000;
const LIVENESS_FAILURES = 3;
/** Back-off before restarting a process that died on its own (a crash loop must not spin). */
const CRASH_RESTART_DELAY_MS = 1_000;
const CONSUMER_WATCH_PERIOD_MS = 5_000;
/**
 * Longer than a kafkajs consumer takes to restart itself after a crash (its retry back-off tops out
 * at 10 s), so only a consumer that is not coming back is restarted. A killed predecessor's member
 * only delays the count: the group is not empty until that member's session has expired.
 */
export const IDLE_CONSUMER_RESTART_MS = 25_000;

export interface FleetOptions {
  ports: Record<ServiceName, number>;
  /** Environment of every service (brokers, Redis, prefixes, partitions, log level). */
  env: Record<string, string>;
  /** Extra environment per service. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Environment the above is laid over. */
  baseEnv: NodeJS.ProcessEnv;
  logDir: string;
  /** Progress lines for the console. */
  log: (line: string) => void;
  /** Whether the service's consumer group has a member now; null when that cannot be told (broker down). */
  consuming?: (service: ServiceName) => Promise<boolean | null>;
}

export interface FleetEvent {
  service: ServiceName;
  kind: 'kill' | 'crash' | 'liveness-restart' | 'idle-consumer-restart';
  at: number;
  detail?: string;
}

export class ServiceFleet {
  readonly services: Record<ServiceName, ServiceProcess>;
  readonly events: FleetEvent[] = [];
  private stopping = false;
  /** Services being restarted by us right now: their exit is expected. */
  private readonly restarting = new Set<ServiceName>();
  private readonly liveSince = new Map<ServiceName, boolean>();
  private livenessTimer: NodeJS.Timeout | null = null;
  private consumerTimer: NodeJS.Timeout | null = null;
  private readonly failures = new Map<ServiceName, number>();
  /** Since when each service has been ready without a member in its consumer group. */
  private readonly idleSince = new Map<ServiceName, number>();

  constructor(private readonly options: FleetOptions) {
    const make = (name: ServiceName) =>
      new ServiceProcess({
        name,
        port: options.ports[name],
        logDir: options.logDir,
        appendLog: true,
        baseEnv: options.baseEnv,
        env: { ...options.env, ...options.serviceEnv?.[name] },
      });
    this.services = {
      'text-cleaner': make('text-cleaner'),
      encoder: make('encoder'),
      'profile-fuser': make('profile-fuser'),
    };
  }

  /** Starts all three at once (their topics do not exist yet: they create them, as in a deployment). */
  start(): void {
    for (const name of SERVICE_NAMES) this.launch(name, 'start');
    this.livenessTimer = setInterval(() => void this.probeLiveness(), LIVENESS_PERIOD_MS);
    this.livenessTimer.unref();
    if (this.options.consuming) {
      this.consumerTimer = setInterval(() => void this.watchConsumers(), CONSUMER_WATCH_PERIOD_MS);
      this.consumerTimer.unref();
    }
  }

  /**
   * Resolves once the named services all answer /health/ready, however many times they crash and
   * are restarted meanwhile (a crash loop at start-up is the orchestrator's to ride out, and is
   * recorded); throws with their log tails after `timeoutMs`.
   */
  async waitReady(timeoutMs: number, names: readonly ServiceName[] = SERVICE_NAMES): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = await Promise.all(names.map((n) => this.ready(n)));
      if (ready.every(Boolean)) return;
      if (Date.now() > deadline) {
        const late = names.filter((_, i) => !ready[i]);
        throw new Error(
          `not ready after ${timeoutMs / 1000} s: ${late.join(', ')}\n${late.map((n) => `--- ${n} ---\n${this.services[n].logTail(15)}`).join('\n')}`,
        );
      }
      await sleep(250);
    }
  }

  /** Whether every service is running and answers /health/ready with 200. */
  async allReady(): Promise<boolean> {
    return (await Promise.all(SERVICE_NAMES.map((n) => this.ready(n)))).every(Boolean);
  }

  private async ready(name: ServiceName): Promise<boolean> {
    const s = this.services[name];
    if (!s.running) return false;
    try {
      return (await fetch(`${s.baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  }

  /** SIGKILL (no drain, no commit), restarted at once; resolves when it is ready again, with how long that took. */
  async kill(name: ServiceName, readyTimeoutMs: number): Promise<number> {
    this.restarting.add(name);
    try {
      await this.services[name].kill('SIGKILL');
      this.events.push({ service: name, kind: 'kill', at: Date.now() });
      if (this.stopping) throw new Error(`${name}: not restarted, the fleet is stopping`);
      this.launch(name, 'restart after SIGKILL');
    } finally {
      // From here on, a crash of the new process is an unplanned one, restarted like any other.
      this.restarting.delete(name);
    }
    const started = Date.now();
    await this.waitReady(readyTimeoutMs, [name]);
    return Date.now() - started;
  }

  /** Stops supervising, then SIGTERMs every service (they drain and commit) with `graceMs` before SIGKILL. */
  async stop(graceMs = 20_000): Promise<void> {
    this.stopping = true;
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    if (this.consumerTimer) clearInterval(this.consumerTimer);
    await Promise.all(SERVICE_NAMES.map((n) => this.services[n].stop(graceMs)));
  }

  private launch(name: ServiceName, why: string): void {
    if (this.stopping) return; // a restart racing with the stop must not outlive it
    const s = this.services[name];
    appendFileSync(s.logFile, `----- chaos: ${why} (${new Date().toISOString()}) -----\n`);
    this.liveSince.set(name, false);
    this.failures.set(name, 0);
    this.idleSince.delete(name);
    s.start();
    void s.whenExited().then((exit) => this.onExit(name, exit));
  }

  private onExit(name: ServiceName, exit: { code: number | null; signal: string | null }): void {
    if (this.stopping || this.restarting.has(name)) return;
    const detail = exit.signal ?? `exit ${exit.code}`;
    this.events.push({ service: name, kind: 'crash', at: Date.now(), detail });
    this.options.log(`${name} exited by itself (${detail}); restarting it`);
    this.restarting.add(name);
    void sleep(CRASH_RESTART_DELAY_MS)
      .then(() => {
        if (!this.stopping) this.launch(name, `restart after ${detail}`);
      })
      .finally(() => this.restarting.delete(name));
  }

  private async watchConsumers(): Promise<void> {
    await Promise.all(
      SERVICE_NAMES.map(async (name) => {
        if (this.stopping || this.restarting.has(name)) return;
        const [ready, consuming] = await Promise.all([
          this.ready(name),
          this.options.consuming!(name).catch(() => null),
        ]);
        if (consuming === null) return;
        if (!ready || consuming) {
          this.idleSince.delete(name);
          return;
        }
        const since = this.idleSince.get(name) ?? Date.now();
        this.idleSince.set(name, since);
        if (Date.now() - since < IDLE_CONSUMER_RESTART_MS || this.stopping || this.restarting.has(name)) return;
        const detail = `ready for ${Math.round((Date.now() - since) / 1000)} s without a member in its consumer group`;
        this.options.log(`${name} is ${detail}: its consumer is not running; restarting it`);
        this.events.push({ service: name, kind: 'idle-consumer-restart', at: Date.now(), detail });
        this.restarting.add(name);
        try {
          await this.services[name].stop(20_000);
          if (!this.stopping) this.launch(name, `restart: ${detail}`);
        } finally {
          this.restarting.delete(name);
        }
      }),
    );
  }

  private async probeLiveness(): Promise<void> {
    await Promise.all(
      SERVICE_NAMES.map(async (name) => {
        const s = this.services[name];
        if (this.stopping || this.restarting.has(name) || !s.running) return;
        let ok = false;
        try {
          ok = (await fetch(`${s.baseUrl}/health/live`, { signal: AbortSignal.timeout(LIVENESS_TIMEOUT_MS) })).ok;
        } catch {
          ok = false;
        }
        // Until it first answers, the process is starting (a startup probe's job, not liveness').
        if (ok) this.liveSince.set(name, true);
        if (ok || !this.liveSince.get(name)) {
          this.failures.set(name, 0);
          return;
        }
        const failures = (this.failures.get(name) ?? 0) + 1;
        this.failures.set(name, failures);
        if (failures < LIVENESS_FAILURES || this.stopping || this.restarting.has(name)) return;
        this.options.log(`${name} failed its liveness probe ${failures} times; restarting it`);
        this.events.push({ service: name, kind: 'liveness-restart', at: Date.now() });
        this.restarting.add(name);
        try {
          await s.kill('SIGKILL');
          if (!this.stopping) this.launch(name, 'restart after failed liveness probes');
        } finally {
          this.restarting.delete(name);
        }
      }),
    );
  }
}
