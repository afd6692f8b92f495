import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Registry } from 'prom-client';
import { kafkaCrossChecks, kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { BatchConsumer, DeadLetterPublisher, KafkaMetrics, createKafka, ok, silentLog } from '../src';
import { connectedKafka, createTopic, uniqueName, waitFor } from '../src/testing';

/** The deployment's settings for every member of the group, as a service reads them. */
const SESSION_TIMEOUT_MS = 6_000;
const groupEnv = { KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), KAFKA_HEARTBEAT_INTERVAL_MS: '1000' };

function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'nx.json'))) dir = dirname(dir);
  return dir;
}

describe('a consumer group with KAFKA_SESSION_TIMEOUT_MS, on a real broker', () => {
  const settings = toKafkaSettings(
    parseEnv(kafkaEnvSchema, { ...process.env, ...groupEnv }, kafkaCrossChecks),
    'failover',
  );
  const { kafka, admin, producer, started } = connectedKafka(createKafka(settings, silentLog));
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  it("hands a killed member's partition to the survivor once the session times out, well before the default 30 s", async () => {
    const topic = uniqueName('failover');
    await createTopic(admin, topic, 2);
    const groupId = uniqueName('failover-group');
    const survivorSaw = new Map<number, number>();
    const metrics = new KafkaMetrics(new Registry(), 'test');
    const survivor = new BatchConsumer(kafka, {
      groupId,
      topics: [topic],
      handler: async (messages) =>
        messages.map((m) => {
          survivorSaw.set(m.partition, Date.now());
          return ok;
        }),
      deadLetters: new DeadLetterPublisher(producer, 'test', metrics),
      metrics,
      log: silentLog,
    });
    started.push(survivor);
    await survivor.start();

    // A second member in its own process, configured by the same variables, killed like a pod.
    const member = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'testing/group-member.child.ts'), topic, groupId],
      { cwd: repoRoot(), env: { ...process.env, ...groupEnv }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    children.push(member);
    const memberSaw = new Set<number>();
    let memberErrors = '';
    member.stdout!.on('data', (chunk: Buffer) => {
      for (const m of chunk.toString().matchAll(/partition (\d+)/g)) memberSaw.add(Number(m[1]));
    });
    member.stderr!.on('data', (chunk: Buffer) => (memberErrors += chunk.toString()));
    const ticker = setInterval(() => {
      void producer
        .send(topic, [
          { key: null, value: Buffer.from('a'), partition: 0 },
          { key: null, value: Buffer.from('b'), partition: 1 },
        ])
        .catch(() => undefined);
    }, 250);
    try {
      // The group has rebalanced when the member handles one partition and the survivor the other.
      const split = await waitFor(() => memberSaw.size === 1, 90_000, 100);
      expect({ split, memberErrors: split ? '' : memberErrors }).toEqual({ split: true, memberErrors: '' });
      const lost = [...memberSaw][0]!;
      await waitFor(() => (survivorSaw.get(1 - lost) ?? 0) > Date.now() - 1_000, 30_000, 100);

      const killedAt = Date.now();
      member.kill('SIGKILL');
      expect(await waitFor(() => (survivorSaw.get(lost) ?? 0) > killedAt, 60_000, 100)).toBe(true);
      const takenOverAfterMs = survivorSaw.get(lost)! - killedAt;
      // The broker waits one session for the silent member, then the survivor rejoins (a heartbeat).
      expect(takenOverAfterMs).toBeGreaterThanOrEqual(SESSION_TIMEOUT_MS - 1_000);
      expect(takenOverAfterMs).toBeLessThan(20_000);
    } finally {
      clearInterval(ticker);
    }
  }, 180_000);
});
