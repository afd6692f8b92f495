import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { makeTestCertificates, type TestCertificates } from '@profilestream/redis/testing';
import { freePort } from './index';

export interface SecureKafkaBroker {
  /** `127.0.0.1:<port>` of the SASL_SSL listener, the only one for clients. */
  bootstrap: string;
  /** The CA that signed the broker's certificate, and one that did not (`untrustedCaFile`). */
  certs: TestCertificates;
  /** A SCRAM-SHA-512 user that may do everything (a super user when the authorizer runs). */
  username: string;
  password: string;
  /** Whether ACLs are enforced: then users other than `username` may do only what ACLs allow. */
  authorizer: boolean;
  /**
   * The variables a client needs to use this broker: TLS with its CA, SCRAM-SHA-512 as `username`
   * or as one of the users asked for at start.
   */
  env(user?: string): Record<string, string>;
  /** Stops the broker and deletes its certificates, data and logs. */
  stop(): Promise<void>;
}

/**
 * Starts a single-node KRaft broker of the test's own, on free loopback ports, whose only client
 * listener is SASL_SSL with SCRAM-SHA-512 (users created at format time) and a certificate for
 * 127.0.0.1 and localhost signed by a CA made for this run. It runs from the jars tools/infra uses
 * (fetched once into its cache) in a temporary directory that `stop()` deletes. Needs Java 17+
 * and openssl; takes 10 to 30 s.
 */
export interface SecureBrokerOptions {
  /** More SCRAM-SHA-512 users, each with a password of its own. */
  users?: readonly string[];
  /**
   * Runs KRaft's StandardAuthorizer and denies whatever no ACL allows: only `username` (the
   * broker's admin) may do anything; the other users get what the test grants them.
   */
  authorizer?: boolean;
}

export async function startSecureKafkaBroker(options: SecureBrokerOptions = {}): Promise<SecureKafkaBroker> {
  const libs = kafkaLibs();
  // The single-node topic settings of the local stack (tools/infra/up.sh), so both brokers agree.
  const topicProperties = infraShell('kafka_topic_properties 1 1 1');
  const dir = mkdtempSync(join(tmpdir(), 'ps-kafka-'));
  try {
    const certs = makeBrokerCertificates(dir);
    const username = 'app';
    const password = randomBytes(12).toString('hex');
    const interBroker = randomBytes(12).toString('hex');
    const users = new Map<string, string>([
      [username, password],
      ...(options.users ?? []).map((u) => [u, randomBytes(12).toString('hex')] as [string, string]),
    ]);
    const authorizer = options.authorizer ?? false;
    for (let attempt = 1; ; attempt++) {
      const [port, controllerPort] = [await freePort(), await freePort()];
      const run = join(dir, `run-${attempt}`);
      mkdirSync(join(run, 'logs'), { recursive: true });
      const config = join(run, 'server.properties');
      writeFileSync(
        config,
        serverProperties(run, port, controllerPort, interBroker) +
          topicProperties +
          (authorizer ? AUTHORIZER_PROPERTIES : ''),
      );
      const java = (args: string[]) =>
        execFileSync('java', ['-Xmx256m', '-cp', `${libs}/*`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      // Credentials go into the metadata log at format time, as they must on a fresh KRaft cluster.
      java([
        'kafka.tools.StorageTool',
        'format',
        '-t',
        kafkaUuid(),
        '-c',
        config,
        ...[...users].flatMap(([name, secret]) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${secret}]`]),
        '--add-scram',
        `SCRAM-SHA-512=[name=broker,password=${interBroker}]`,
      ]);
      const child = spawn(
        'java',
        [
          '-Xmx384m',
          '-Xms128m',
          '-XX:+UseSerialGC',
          '-XX:TieredStopAtLevel=1',
          '-XX:+ExitOnOutOfMemoryError',
          '-Djava.awt.headless=true',
          `-Dkafka.logs.dir=${join(run, 'logs')}`,
          `-Dlog4j2.configurationFile=${join(repoRoot(), 'tools/infra/kafka/log4j2.properties')}`,
          '-cp',
          `${libs}/*`,
          'kafka.Kafka',
          config,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-4000)));
      child.stderr!.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-4000)));
      const started = await untilStarted(child, join(run, 'logs/server.log'), port, () => out);
      if (started !== true) {
        await stopProcess(child);
        // Another process may have taken a port between the probe and the start: try new ones.
        if (attempt < 3 && /Address already in use|BindException/i.test(started)) continue;
        throw new Error(`the test broker did not start: ${started}`);
      }
      const bootstrap = `127.0.0.1:${port}`;
      return {
        bootstrap,
        certs,
        username,
        password,
        authorizer,
        env: (user = username) => {
          const secret = users.get(user);
          if (secret === undefined) throw new Error(`the test broker has no user ${user}`);
          return {
            KAFKA_BROKERS: bootstrap,
            KAFKA_SSL: 'true',
            KAFKA_SSL_CA_FILE: certs.caFile,
            KAFKA_SASL_MECHANISM: 'scram-sha-512',
            KAFKA_SASL_USERNAME: user,
            KAFKA_SASL_PASSWORD: secret,
          };
        },
        async stop() {
          await stopProcess(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function serverProperties(run: string, port: number, controllerPort: number, interBrokerPassword: string): string {
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
controller.listener.names=CONTROLLER
listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=SASL_SSL://127.0.0.1:${port}
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
inter.broker.listener.name=SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="${interBrokerPassword}";
ssl.keystore.type=PKCS12
ssl.keystore.location=${join(run, '..', 'broker.p12')}
ssl.keystore.password=${KEYSTORE_PASSWORD}
ssl.key.password=${KEYSTORE_PASSWORD}
ssl.truststore.type=PEM
ssl.truststore.location=${join(run, '..', 'ca.crt')}
log.dirs=${join(run, 'data')}
`;
}

/**
 * ACLs enforced, nothing allowed without one. The broker's own user and the admin are super users;
 * so is ANONYMOUS, which is what the controller listener (plaintext, on loopback, not advertised to
 * clients) authenticates as in a combined KRaft node.
 */
const AUTHORIZER_PROPERTIES = `authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:broker;User:app;User:ANONYMOUS
`;

/** Only guards the keystore file inside the run's own temporary directory. */
const KEYSTORE_PASSWORD = 'test-keystore';

/**
 * The certificates every TLS test server uses (a CA, a certificate it signed for 127.0.0.1 and
 * localhost, an unrelated CA), with the certificate and key also in the PKCS#12 keystore Kafka reads.
 */
function makeBrokerCertificates(dir: string): TestCertificates {
  const certs = makeTestCertificates(dir);
  execFileSync(
    'openssl',
    [
      'pkcs12',
      '-export',
      '-in',
      certs.certFile,
      '-inkey',
      certs.keyFile,
      '-certfile',
      certs.caFile,
      '-name',
      'broker',
      '-out',
      join(dir, 'broker.p12'),
      '-passout',
      `pass:${KEYSTORE_PASSWORD}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return certs;
}

/**
 * The directory of the broker's jars, fetched by tools/infra (a no-op once cached), so the test
 * broker and the local stack share one download and one version.
 */
function kafkaLibs(): string {
  return infraShell('need_java17 && bash "$INFRA_DIR/kafka/fetch.sh" >&2 && printf %s "$KAFKA_LIBS"');
}

/** The output of a bash command run with tools/infra/lib.sh's settings and helpers. */
function infraShell(command: string): string {
  return execFileSync('bash', ['-c', `source "$1/tools/infra/lib.sh" && ${command}`, 'infra', repoRoot()], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** 16 random bytes as Kafka prints a Uuid; never starting with '-', which the CLI takes for a flag. */
function kafkaUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Resolves true once the broker logged that it started and its port accepts TCP, else with why not. */
async function untilStarted(
  child: ChildProcess,
  serverLog: string,
  port: number,
  output: () => string,
): Promise<true | string> {
  const deadline = Date.now() + 90_000;
  const logTail = () =>
    existsSync(serverLog)
      ? readFileSync(serverLog, 'utf8')
          .split('\n')
          .filter((l) => / (ERROR|FATAL) /.test(l))
          .slice(-5)
          .join('\n')
      : '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      return `exited with ${String(child.exitCode ?? child.signalCode)}: ${logTail()}\n${output()}`;
    if (
      existsSync(serverLog) &&
      readFileSync(serverLog, 'utf8').includes('Kafka Server started') &&
      (await accepts(port))
    )
      return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return `not started within 90 s: ${logTail()}`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
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
