import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { dlqTopicSpec, topicCatalog } from '@profilestream/contracts';
import {
  BatchingProducer,
  DeadLetterPublisher,
  provisionTopics,
  silentLog,
  type ConsumedMessage,
} from '@profilestream/kafka';
import { readTopic, testKafka, uniqueName } from '@profilestream/kafka/testing';
import { REPLAYED_FROM_HEADER, replayDeadLetters, type ReplayFilter } from './dlq-replay.lib';

const repoRoot = resolve(__dirname, '../../..');
const run = promisify(execFile);
const all: ReplayFilter = { reasons: [], since: null, until: null, limit: Infinity };

describe('dlq:replay against a real broker', () => {
  const kafka = testKafka('dlq-replay-test');
  const prefix = `${uniqueName('dlq')}.`;
  const topics = topicCatalog(prefix);
  const source = topics.reviews.name;
  const producer = new BatchingProducer(kafka, { log: silentLog });

  const consumed = (i: number, reason: string): { message: ConsumedMessage; reason: string; detail: string } => ({
    message: {
      topic: source,
      partition: 0,
      offset: String(10 + i),
      key: Buffer.from(`user-${i}`),
      value: Buffer.from(`bytes-${i}`),
      headers: { origin: Buffer.from(`o${i}`) },
      timestamp: 1000 + i,
    },
    reason,
    detail: `detail ${i}`,
  });

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await provisionTopics(admin, [{ ...topics.reviews, partitions: 1 }, dlqTopicSpec(topics.reviews)], {
      replicationFactor: 1,
    });
    await admin.disconnect();
    await producer.connect();
    // The services' own dead-letter writer, so the replay reads exactly what they write.
    await new DeadLetterPublisher(producer, 'text-cleaner').publish([
      consumed(0, 'unknown_schema'),
      consumed(1, 'text_too_large'),
      consumed(2, 'unknown_schema'),
    ]);
  });

  afterAll(async () => {
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [source, `${source}.dlq`] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('counts without sending in a dry run, then sends the chosen letters back as they were', async () => {
    const dry = await replayDeadLetters(kafka, {
      topic: 'reviews',
      topicPrefix: prefix,
      filter: { ...all, reasons: ['unknown_schema'] },
      dryRun: true,
    });
    expect(dry).toMatchObject({
      dlqTopic: `${source}.dlq`,
      sourceTopic: source,
      read: 3,
      replayed: 2,
      byReason: { unknown_schema: 2 },
      skipped: { reason: 1 },
    });
    expect(await readTopic(kafka, source, 1, 3000)).toHaveLength(0);

    const report = await replayDeadLetters(kafka, {
      topic: 'reviews',
      topicPrefix: prefix,
      filter: { ...all, reasons: ['unknown_schema'] },
      dryRun: false,
    });
    expect(report).toMatchObject({ read: 3, replayed: 2, byReason: { unknown_schema: 2 }, failed: 0, errors: [] });
    const back = await readTopic(kafka, source, 2);
    expect(back.map((m) => [m.key?.toString(), m.value?.toString(), m.headers['origin']?.toString()])).toEqual([
      ['user-0', 'bytes-0', 'o0'],
      ['user-2', 'bytes-2', 'o2'],
    ]);
    for (const m of back) {
      expect(Object.keys(m.headers).filter((h) => h.startsWith('ps-dlq-') && h !== REPLAYED_FROM_HEADER)).toEqual([]);
      expect(m.headers[REPLAYED_FROM_HEADER]?.toString()).toMatch(
        new RegExp(`^${source.replace(/\./g, '\\.')}\\.dlq/0/\\d+$`),
      );
    }
  });

  it('runs as `npm run dlq:replay` with the deployment prefix, and rejects bad arguments clearly', async () => {
    const env = { ...process.env, KAFKA_TOPIC_PREFIX: prefix };
    const tsx = join(repoRoot, 'node_modules/.bin/tsx');
    const { stdout } = await run(
      tsx,
      ['tools/ops/dlq/dlq-replay.ts', '--topic', 'reviews.v1', '--reason', 'text_too_large', '--dry-run'],
      { cwd: repoRoot, env },
    );
    expect(JSON.parse(stdout)).toMatchObject({ dryRun: true, read: 3, replayed: 1, byReason: { text_too_large: 1 } });

    const failure = (args: string[]) =>
      run(tsx, ['tools/ops/dlq/dlq-replay.ts', ...args], { cwd: repoRoot, env }).then(
        () => 'exit 0',
        (err: { code: number; stderr: string }) => `${err.code} ${err.stderr.trim()}`,
      );
    expect(await failure(['--topic', 'profiles.v1'])).toMatch(/^2 error: unknown topic "profiles.v1"/);
    expect(await failure(['--topic', 'reviews.v1', '--since', 'soon'])).toBe(
      '2 error: --since: expected epoch milliseconds or an ISO 8601 date, got "soon" (see npm run dlq:replay -- --help)',
    );
    expect(await failure(['--topic', 'reviews.v1', '--limit', 'many'])).toBe(
      '2 error: --limit: expected a positive whole number, got "many" (see npm run dlq:replay -- --help)',
    );
    expect(await failure(['--topic', 'posts.v1', '--dry-run'])).toBe(
      `1 dlq:replay: dead-letter topic ${prefix}posts.v1.dlq does not exist (check KAFKA_TOPIC_PREFIX)`,
    );
  });
});
