/**
 * A Kafka broker and a Redis of the chaos run's own, started with the project's infra scripts on
 * free loopback ports and their own state directory. The chaos run kills and restarts them, so it
 * must never reach the stack a developer or another test runs on the default ports: every process
 * it signals is found through its own state directory's pid files and checked by command line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '../../..');
const INFRA = join(repoRoot, 'tools/infra');
/** The shared stack's ports and state directory (tools/infra defaults): never ours. */
const SHARED_PORTS = new Set([9092, 9093, 6379]);
const SHARED_STATE_DIR = join(repoRoot, '.local/infra');

export interface InfraPorts {
  kafka: number;
  controller: number;
  redis: number;
  /**
   * With it, a three-node Kafka cluster (tools/infra/kafka-cluster.sh) on six consecutive ports
   * from here replaces the single broker of `kafka` and `controller`.
   */
  kafkaClusterBase?: number;
}

/** Nodes of the three-node cluster, by their node.id. */
export const CLUSTER_NODE_IDS = [1, 2, 3] as const;

/**
 * `n` distinct free TCP ports on 127.0.0.1, below the kernel's ephemeral range. Kafka and Redis
 * come back on the same port after a kill; a port inside the ephemeral range could meanwhile be
 * taken as the source port of some outgoing connection (even a client's own reconnect attempt to
 * that very port, which then connects to itself).
 */
export async function freePorts(n: number, random: () => number = Math.random): Promise<number[]> {
  const [low, high] = portRange();
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let attempt = 0; ports.length < n && attempt < 200; attempt++) {
      const port = low + Math.floor(random() * (high - low));
      if (ports.includes(port) || SHARED_PORTS.has(port)) continue;
      const server = createServer();
      const bound = await new Promise<boolean>((ok) => {
        server.once('error', () => ok(false));
        server.listen(port, '127.0.0.1', () => ok(true));
      });
      if (bound) {
        servers.push(server);
        ports.push(port);
      }
    }
    if (ports.length < n) throw new Error(`found only ${ports.length} of ${n} free ports in ${low}-${high}`);
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** `n` consecutive free TCP ports on 127.0.0.1 (a Kafka cluster's), returned from the lowest. */
export async function freePortBlock(n: number, random: () => number = Math.random): Promise<number[]> {
  const [low, high] = portRange();
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = low + Math.floor(random() * (high - low - n));
    const block = Array.from({ length: n }, (_, i) => base + i);
    if (block.some((p) => SHARED_PORTS.has(p))) continue;
    if (await allBindable(block)) return block;
  }
  throw new Error(`found no ${n} consecutive free ports in ${low}-${high}`);
}

async function allBindable(ports: readonly number[]): Promise<boolean> {
  const servers: Server[] = [];
  try {
    for (const port of ports) {
      const server = createServer();
      const bound = await new Promise<boolean>((ok) => {
        server.once('error', () => ok(false));
        server.listen(port, '127.0.0.1', () => ok(true));
      });
      if (!bound) return false;
      servers.push(server);
    }
    return true;
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** Where to look for ports: under the ephemeral range (Linux: ip_local_port_range), else a fixed band. */
function portRange(): [number, number] {
  try {
    const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (ephemeralLow > 12_000) return [Math.max(10_000, ephemeralLow - 12_000), ephemeralLow];
  } catch {
    // not Linux, or not readable
  }
  return [20_000, 30_000];
}

export class OwnInfra {
  readonly logFile: string;
  /** The infra script running now, if any: stopped before the stack is, so it cannot start a broker after. */
  private script: ChildProcess | null = null;

  constructor(
    readonly stateDir: string,
    readonly ports: InfraPorts,
  ) {
    const clash = Object.values(ports).filter((p) => SHARED_PORTS.has(p));
    if (clash.length > 0) throw new Error(`refusing to run chaos on the shared stack's port(s) ${clash.join(', ')}`);
    if (resolve(stateDir) === SHARED_STATE_DIR)
      throw new Error(`refusing to run chaos in the shared stack's state directory ${stateDir}`);
    mkdirSync(stateDir, { recursive: true });
    this.logFile = join(stateDir, 'infra.log');
  }

  get brokers(): string {
    const base = this.ports.kafkaClusterBase;
    if (base === undefined) return `127.0.0.1:${this.ports.kafka}`;
    return CLUSTER_NODE_IDS.map((n) => `127.0.0.1:${base + 2 * (n - 1)}`).join(',');
  }

  /** Kafka nodes: 1, or 3 with a cluster. */
  get brokerCount(): number {
    return this.ports.kafkaClusterBase === undefined ? 1 : CLUSTER_NODE_IDS.length;
  }

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.ports.redis}`;
  }

  /** What tools/infra/*.sh read to act on this stack and no other. */
  get env(): Record<string, string> {
    return {
      KAFKA_PORT: String(this.ports.kafka),
      KAFKA_CONTROLLER_PORT: String(this.ports.controller),
      REDIS_PORT: String(this.ports.redis),
      INFRA_STATE_DIR: this.stateDir,
      ...(this.ports.kafkaClusterBase === undefined
        ? {}
        : { KAFKA_CLUSTER_PORT_BASE: String(this.ports.kafkaClusterBase) }),
    };
  }

  /** The flag that picks the cluster in up.sh and down.sh, when there is one. */
  private get clusterArgs(): string[] {
    return this.ports.kafkaClusterBase === undefined ? [] : ['--kafka-cluster'];
  }

  /** Starts whatever of the two is not running (up.sh reuses what runs) and waits until both answer. */
  up(): Promise<void> {
    return this.runScript('up.sh', this.clusterArgs);
  }

  /** Stops both: gracefully (down.sh) to keep the data consistent for inspection, else at once. */
  async down(graceful: boolean): Promise<void> {
    await this.stopScript();
    if (graceful) return this.runScript('down.sh', this.clusterArgs);
    for (const which of ['kafka', 'redis'] as const) {
      const pid = this.pid(which);
      if (pid !== null) await killHard(pid, this.portsOf(which));
    }
    if (this.ports.kafkaClusterBase !== undefined) {
      for (const node of CLUSTER_NODE_IDS) {
        const pid = this.nodePid(node);
        if (pid !== null) await killHard(pid, this.nodePorts(node));
      }
    }
  }

  /** kill -9 on the broker, then start it again on the same data directory. */
  async restartBroker(): Promise<void> {
    if (this.ports.kafkaClusterBase !== undefined) return this.restartNode(CLUSTER_NODE_IDS[0]);
    const pid = this.pid('kafka');
    if (pid === null) throw new Error('broker restart: the chaos broker is not running');
    await killHard(pid, this.portsOf('kafka'));
    await this.up();
  }

  /** kill -9 on one node of the cluster; `up` starts it again on its data. */
  async killNode(node: number): Promise<void> {
    const pid = this.nodePid(node);
    if (pid === null) throw new Error(`broker kill: node ${node} of the chaos cluster is not running`);
    await killHard(pid, this.nodePorts(node));
  }

  async restartNode(node: number): Promise<void> {
    await this.killNode(node);
    await this.up();
  }

  private nodePorts(node: number): number[] {
    const port = this.ports.kafkaClusterBase! + 2 * (node - 1);
    return [port, port + 1];
  }

  /** The live process of a cluster node, or null: its pid file's process, only if it runs the node's own config. */
  nodePid(node: number): number | null {
    const dir = join(this.stateDir, 'kafka-cluster', `node-${node}`);
    return ownProcess(
      join(dir, 'kafka.pid'),
      (cmdline) => cmdline.includes('kafka.Kafka') && cmdline.includes(join(dir, 'server.properties')),
    );
  }

  /** kill -9 on Redis, then start it again: it runs without persistence, so it comes back empty. */
  async restartRedis(): Promise<void> {
    const pid = this.pid('redis');
    if (pid === null) throw new Error('Redis restart: the chaos Redis is not running');
    await killHard(pid, this.portsOf('redis'));
    await this.up();
  }

  private portsOf(which: 'kafka' | 'redis'): number[] {
    return which === 'kafka' ? [this.ports.kafka, this.ports.controller] : [this.ports.redis];
  }

  /** The live process of ours, or null: the pid file's process, only if its command line is ours. */
  pid(which: 'kafka' | 'redis'): number | null {
    return ownProcess(join(this.stateDir, which, `${which}.pid`), (cmdline) =>
      which === 'kafka'
        ? cmdline.includes('kafka.Kafka') && cmdline.includes(this.stateDir)
        : cmdline.includes('redis-server') && cmdline.includes(`:${this.ports.redis}`),
    );
  }

  /** An up.sh cut short by Ctrl-C: ended, then whatever it already launched is found by its pid file. */
  private async stopScript(): Promise<void> {
    const child = this.script;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('close', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    // The broker's wrapper writes its pid file a moment after it is launched.
    await new Promise((r) => setTimeout(r, 500));
  }

  private runScript(name: string, args: readonly string[] = []): Promise<void> {
    return new Promise((ok, fail) => {
      appendFileSync(this.logFile, `\n$ ${[name, ...args].join(' ')} (${new Date().toISOString()})\n`);
      const child = spawn('bash', [join(INFRA, name), ...args], {
        cwd: repoRoot,
        env: { ...process.env, ...this.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.script = child;
      let output = '';
      const keep = (d: Buffer) => {
        appendFileSync(this.logFile, d);
        output = (output + d.toString()).slice(-6000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.once('error', fail);
      child.once('close', (code) =>
        code === 0 ? ok() : fail(new Error(`tools/infra/${name} failed (exit ${code}):\n${output.trim()}`)),
      );
    });
  }
}

/** The live process a pid file names, or null: only when its command line passes `ours`. */
function ownProcess(file: string, ours: (cmdline: string) => boolean): number | null {
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return null;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return null;
  }
  return ours(cmdline) ? pid : null;
}

/**
 * Whether the process still holds its resources. A multithreaded process (the JVM) shows as a
 * zombie as soon as its main thread exits, while other threads, and its sockets, linger a moment;
 * it is gone once /proc no longer lists it or only its zombie main thread is left.
 */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (!/^\d+ \(.*\) [ZX]/.test(stat)) return true;
    return readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
}

async function killHard(pid: number, ports: readonly number[]): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + 15_000;
  while ((alive(pid) || (await anyListening(ports))) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) throw new Error(`process ${pid} survived SIGKILL for 15 s`);
}

async function anyListening(ports: readonly number[]): Promise<boolean> {
  const open = await Promise.all(
    ports.map(
      (port) =>
        new Promise<boolean>((ok) => {
          const socket = connect({ host: '127.0.0.1', port });
          socket.once('connect', () => {
            socket.destroy();
            ok(true);
          });
          socket.once('error', () => ok(false));
        }),
    ),
  );
  return open.some(Boolean);
}
