import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Redis from 'ioredis';

/** PEM files made for one test run: a CA, a server certificate it signed, and a CA that signed nothing. */
export interface TestCertificates {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A CA unrelated to the server's certificate: trusting only it must fail. */
  untrustedCaFile: string;
}

/**
 * Makes the certificates with openssl (EC P-256: fast to generate). The server certificate names
 * 127.0.0.1 and localhost.
 */
export function makeTestCertificates(dir: string): TestCertificates {
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=ProfileStream test CA',
  );
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'other-ca.key',
    '-out',
    'other-ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=Unrelated test CA',
  );
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  );
  return {
    caFile: join(dir, 'ca.crt'),
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    untrustedCaFile: join(dir, 'other-ca.crt'),
  };
}

/** A port nothing listens on right now. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestRedisServer {
  /** Plaintext port. */
  port: number;
  /** TLS port (certificates from `certs`). */
  tlsPort: number;
  certs: TestCertificates;
  /** Password of the `default` user, which may do everything (set-up and inspection). */
  adminPassword: string;
  /** A client of the default user on the plaintext port. */
  admin: Redis;
  /** Creates (or replaces) an ACL user with `rules` and `password`, as an operator would. */
  setUser(name: string, rules: string, password: string): Promise<void>;
  /** Denials the server logged for `user` since the last reset (ACL LOG), as `reason object`. */
  deniedFor(user: string): Promise<string[]>;
  stop(): Promise<void>;
}

export interface TestRedisServerOptions {
  /** Run as a Redis Cluster (TLS between cluster clients and nodes, and on the cluster bus). */
  cluster?: boolean;
  /** Masters of the cluster, slots split evenly (default 1: every slot on one node). */
  masters?: number;
}

interface TestRedisNode {
  port: number;
  tlsPort: number;
  busPort: number;
  child: ChildProcess;
  admin: Redis;
}

/**
 * Starts a redis-server of the test's own, on free loopback ports, with a plaintext and a TLS
 * port, a password on the default user, and no persistence; its files live in a temporary
 * directory removed by `stop()`. As a cluster of several masters, every node gets the same
 * certificates, users and password, and the returned ports are the first node's (a seed).
 * Needs Debian's redis-server (built with TLS) and openssl.
 */
export async function startTestRedisServer(options: TestRedisServerOptions = {}): Promise<TestRedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ps-redis-'));
  const certs = makeTestCertificates(dir);
  const adminPassword = randomBytes(12).toString('hex');
  const nodes: TestRedisNode[] = [];
  try {
    const masters = options.cluster ? Math.max(1, options.masters ?? 1) : 1;
    for (let i = 0; i < masters; i++)
      nodes.push(await startNode(join(dir, `node-${i}`), certs, adminPassword, options.cluster ?? false));
    if (options.cluster) await formCluster(nodes);
  } catch (err) {
    for (const node of nodes) {
      node.admin.disconnect();
      await stopProcess(node.child);
    }
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const first = nodes[0]!;
  return {
    port: first.port,
    tlsPort: first.tlsPort,
    certs,
    adminPassword,
    admin: first.admin,
    // ACL users are per node: an operator creates them on every node of a cluster.
    async setUser(name, rules, password) {
      for (const node of nodes)
        await node.admin.call('ACL', 'SETUSER', name, ...rules.split(/\s+/).filter(Boolean), `>${password}`);
    },
    async deniedFor(user) {
      const out: string[] = [];
      for (const node of nodes) {
        const entries = (await node.admin.call('ACL', 'LOG')) as unknown[][];
        out.push(
          ...entries
            .map((e) => Object.fromEntries(pairs(e)) as Record<string, unknown>)
            .filter((e) => e['username'] === user)
            .map((e) => `${String(e['reason'])} ${String(e['object'])}`),
        );
      }
      return out;
    },
    async stop() {
      for (const node of nodes) {
        node.admin.disconnect();
        await stopProcess(node.child);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startNode(
  dir: string,
  certs: TestCertificates,
  adminPassword: string,
  cluster: boolean,
): Promise<TestRedisNode> {
  for (let attempt = 1; ; attempt++) {
    const [port, tlsPort, busPort] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort()];
    const data = join(dir, `data-${attempt}`);
    mkdirSync(data, { recursive: true });
    const args = [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      certs.certFile,
      '--tls-key-file',
      certs.keyFile,
      '--tls-ca-cert-file',
      certs.caFile,
      '--tls-auth-clients',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      data,
      '--loglevel',
      'notice',
      '--user',
      'default',
      'on',
      `>${adminPassword}`,
      '~*',
      '&*',
      '+@all',
      // The cluster bus runs over TLS too (tls-cluster): nodes meet and gossip with their certificates.
      ...(cluster
        ? [
            '--cluster-enabled',
            'yes',
            '--cluster-port',
            String(busPort),
            '--cluster-announce-ip',
            '127.0.0.1',
            '--cluster-config-file',
            join(data, 'nodes.conf'),
            '--tls-cluster',
            'yes',
            '--masterauth',
            adminPassword,
          ]
        : []),
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = await untilReady(child);
    if (started !== true) {
      // Another process may have taken a port between the probe and the start: try new ones.
      if (attempt < 3 && /Address already in use/i.test(started)) continue;
      throw new Error(`redis-server did not start: ${started}`);
    }
    const admin = new Redis({
      host: '127.0.0.1',
      port,
      password: adminPassword,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    await admin.connect();
    return { port, tlsPort, busPort, child, admin };
  }
}

function pairs(flat: unknown[]): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), flat[i + 1]]);
  return out;
}

/** Resolves true once the server accepts connections, or with its output when it exits first. */
function untilReady(child: ChildProcess): Promise<true | string> {
  return new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => finish(`not ready within 10 s: ${out.slice(-500)}`), 10_000);
    const finish = (result: true | string) => {
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.removeAllListeners('exit');
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) finish(true);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => finish(`exited with ${String(code)}: ${out.slice(-500)}`));
  });
}

/** Joins the nodes (CLUSTER MEET over the TLS bus), splits the slots evenly, waits for cluster_state:ok on all. */
async function formCluster(nodes: TestRedisNode[]): Promise<void> {
  const first = nodes[0]!;
  for (const node of nodes.slice(1)) {
    await first.admin.call('CLUSTER', 'MEET', '127.0.0.1', String(node.port), String(node.busPort));
  }
  const per = Math.ceil(16384 / nodes.length);
  for (const [i, node] of nodes.entries())
    await node.admin.call('CLUSTER', 'ADDSLOTSRANGE', String(i * per), String(Math.min(16383, (i + 1) * per - 1)));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const infos = await Promise.all(nodes.map(async (n) => String(await n.admin.call('CLUSTER', 'INFO'))));
    if (
      infos.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${nodes.length}`))
    )
      return;
    if (Date.now() > deadline)
      throw new Error(`the ${nodes.length}-node test cluster did not reach cluster_state:ok within 20 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The services that keep state in Redis, each with its own ACL user. */
export type RedisService = 'text-cleaner' | 'encoder' | 'profile-fuser';

/** The key prefix the operators' ACL file is written for: the deployments' REDIS_KEY_PREFIX. */
export const ACL_FILE_KEY_PREFIX = 'ps:';

/** The operators' ACL file (deploy/redis/users.acl): one `user <name> <rules>` line per service. */
export function readServiceAcl(
  file = join(repoRoot(), 'deploy/redis/users.acl'),
): { user: string; rules: string; keyPatterns: string[] }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const m = /^user (\S+) (.+)$/.exec(line);
      if (!m) throw new Error(`${file}: expected "user <name> <rules>", got "${line}"`);
      const keyPatterns = m[2]!
        .split(/\s+/)
        .filter((r) => r.startsWith('~'))
        .map((r) => r.slice(1));
      return { user: m[1]!, rules: m[2]!, keyPatterns };
    });
}

/**
 * One service's user and rules from the ACL file, its key patterns moved from the file's prefix
 * to `prefix` (tests run under prefixes of their own).
 */
export function serviceAcl(service: RedisService, prefix: string): { user: string; rules: string } {
  const entry = readServiceAcl().find((e) => e.user.endsWith(`-${service}`));
  if (!entry) throw new Error(`deploy/redis/users.acl has no user for ${service}`);
  const escaped = prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
  const rules = entry.rules.replace(/(^|\s)~(\S+)/g, (_, space: string, pattern: string) => {
    if (!pattern.startsWith(ACL_FILE_KEY_PREFIX))
      throw new Error(
        `deploy/redis/users.acl: ${entry.user}'s key pattern ${pattern} does not start with ${ACL_FILE_KEY_PREFIX}`,
      );
    return `${space}~${escaped}${pattern.slice(ACL_FILE_KEY_PREFIX.length)}`;
  });
  return { user: entry.user, rules };
}

/**
 * The environment of a service that logs in to `server` as `user` over TLS, trusting the test CA
 * alone: what the prod overlay sets, on a single node or (cluster) through the cluster client.
 */
export function serviceTlsEnv(
  server: TestRedisServer,
  user: string,
  password: string,
  prefix: string,
  cluster = false,
): Record<string, string> {
  const target: Record<string, string> = cluster
    ? { REDIS_CLUSTER_NODES: `127.0.0.1:${server.tlsPort}`, REDIS_TLS: 'true' }
    : { REDIS_URL: `rediss://127.0.0.1:${server.tlsPort}` };
  return {
    ...target,
    REDIS_USERNAME: user,
    REDIS_PASSWORD: password,
    REDIS_TLS_CA_FILE: server.certs.caFile,
    REDIS_KEY_PREFIX: prefix,
  };
}

/** Every command the `.lua` files in `dir` call (`redis.call('HGET', …)`), lower case. */
export function luaCommands(dir: string): string[] {
  const out = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.lua'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/redis\.p?call\(\s*'([A-Za-z]+)'/g))
      out.add(m[1]!.toLowerCase());
  }
  return [...out].sort();
}

/** Resolves with "ok", or with the error message the command failed with. */
export async function outcome(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'nx.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root (nx.json) not found');
    dir = up;
  }
  return dir;
}
