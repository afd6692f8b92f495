import { spawn, type ChildProcess } from 'node:child_process';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { dlqTopicSpec, topicCatalog } from '@profilestream/contracts';
import { provisionTopics } from '@profilestream/kafka';
import { freePort, readTopic, testKafka, uniqueName, waitFor } from '@profilestream/kafka/testing';
import { bootTextCleaner, produceReview } from './testing/text-cleaner-app';

/**
 * Start-up as operators meet it: a fresh broker where nothing created the topics yet, and a Redis
 * that comes up after the service. The service must neither exit nor stay up idle, and its HTTP
 * server answers from the start so readiness can say what it waits for.
 */
describe('text-cleaner start-up against missing topics and a late Redis', () => {
  const kafka = testKafka();
  const admin = kafka.admin();
  const apps: INestApplication[] = [];
  let redis: ChildProcess | null = null;

  beforeAll(() => admin.connect());
  afterAll(async () => {
    for (const app of apps) await app.close();
    redis?.kill('SIGKILL');
    await admin.disconnect();
  });

  it('stays unready while its topics do not exist, fails liveness with the cause after CONSUMER_START_TIMEOUT_MS, and consumes once they exist', async () => {
    const prefix = `${uniqueName('tc-start')}.`;
    const topics = topicCatalog(prefix);
    const app = await bootTextCleaner(apps, {
      KAFKA_TOPIC_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      KAFKA_PROVISION_TOPICS: 'false',
      CONSUMER_START_TIMEOUT_MS: '3000',
    });
    const http = () => request(app.getHttpServer());

    const consumerCheck = (body: { checks: Record<string, { status: string; error?: string }> }) =>
      Object.entries(body.checks).find(([name]) => name.startsWith('consumer'))?.[1];
    expect(
      await waitFor(
        async () => {
          const unready = await http().get('/health/ready');
          return unready.status === 503 && consumerCheck(unready.body)?.status === 'down';
        },
        30_000,
        100,
      ),
    ).toBe(true);

    // Past the deadline liveness names why the consumer never started.
    expect(await waitFor(async () => (await http().get('/health/live')).status === 503, 30_000, 250)).toBe(true);
    const dead = await http().get('/health/live');
    const cause = Object.values(dead.body.checks as Record<string, { status: string; error?: string }>).find(
      (c) => c.status === 'down',
    );
    expect(cause?.error).toMatch(/did not start within 3000 ms: .+/);

    // The topics appear (another service, or the operator, creates them): it recovers by itself.
    const mine = [topics.reviews, topics.posts, topics.items, topics.textsCleaned, topics.userDeletions];
    await provisionTopics(admin, [...mine, ...mine.filter((t) => t.schema !== null).map(dlqTopicSpec)], {
      replicationFactor: 1,
      partitions: 1,
    });
    expect(
      await waitFor(
        async () =>
          (await http().get('/health/ready')).status === 200 && (await http().get('/health/live')).status === 200,
        60_000,
        250,
      ),
    ).toBe(true);

    await produceReview(kafka, topics.reviews.name);
    expect(await readTopic(kafka, topics.textsCleaned.name, 1, 30_000)).toHaveLength(1);
  });

  it('answers HTTP at once while Redis is down, names the wait in readiness, and becomes ready when Redis starts', async () => {
    const port = await freePort();
    const prefix = `${uniqueName('tc-redis')}.`;
    const app = await bootTextCleaner(apps, {
      KAFKA_TOPIC_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    const http = () => request(app.getHttpServer());
    // The start-up step and its last failure, before any connection succeeded.
    expect(
      await waitFor(
        async () => {
          const r = await http().get('/health/ready');
          return (
            r.status === 503 &&
            /^waiting for Redis: .*ECONNREFUSED/.test(
              (r.body.checks as Record<string, { error?: string }>)['startup']?.error ?? '',
            )
          );
        },
        10_000,
        250,
      ),
    ).toBe(true);
    expect((await http().get('/health/live')).status).toBe(200);

    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    expect(await waitFor(async () => (await http().get('/health/ready')).status === 200, 60_000, 250)).toBe(true);
  });
});
