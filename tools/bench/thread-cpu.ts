/**
 * CPU time per thread of a process, from Linux /proc: tells a service's main thread (the event
 * loop: Kafka, Avro, Redis, tokenizing) from its inference workers and from V8's helper threads
 * (concurrent GC, compilation), which `process.cpuUsage()` lumps together. Node names all of its
 * threads `node`; the main thread's id is the process id, and the inference workers are the
 * busiest of the rest.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/task/<tid>/stat (USER_HZ, 100 on every Linux we run). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) per thread id; empty where /proc is unavailable. */
export function threadCpuSeconds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start at state, field 3; utime and stime are fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND);
    } catch {
      // the thread ended
    }
  }
  return out;
}

export interface ThreadCpuSplit {
  /** CPU seconds of the main thread (the event loop). */
  main: number;
  /** CPU seconds of the `workers` busiest other threads (the inference workers). */
  workers: number;
  /** CPU seconds of every other thread (GC, compilation, libuv's pool). */
  other: number;
}

/** What each kind of thread spent between two readings of `threadCpuSeconds`. */
export function splitThreadCpu(
  pid: number,
  before: Map<number, number>,
  after: Map<number, number>,
  workers: number,
): ThreadCpuSplit {
  const deltas = [...after].map(([tid, s]) => ({ tid, s: s - (before.get(tid) ?? 0) }));
  const main = deltas.find((d) => d.tid === pid)?.s ?? 0;
  const rest = deltas
    .filter((d) => d.tid !== pid)
    .map((d) => d.s)
    .sort((a, b) => b - a);
  const busiest = rest.slice(0, workers).reduce((s, x) => s + x, 0);
  return { main, workers: busiest, other: rest.slice(workers).reduce((s, x) => s + x, 0) };
}

/** CPU seconds (user + system) of a whole process, every thread included; null where /proc is unavailable. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * CPU seconds of the whole machine, all cores, from /proc/stat: `busy` (user, nice, system, irq)
 * and `steal` (time a virtual machine's cores wanted to run and the host ran someone else).
 */
export function machineCpuSeconds(): { busy: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { busy: (user + nice + system + irq + softirq) / TICKS_PER_SECOND, steal: steal / TICKS_PER_SECOND };
}

/** The process listening on a local TCP port (the broker, Redis), found through /proc/net and the processes' sockets; null if none is visible. */
export function pidListeningOn(port: number): number | null {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; the socket's inode is field 10.
      if (f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A' && f[9]) inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  return null;
}
