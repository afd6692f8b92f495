/**
 * For tests of what reads profiles.v1: a few users' profiles, published by a tiny fuser, and one of
 * them erased, so that a reader meets both a profile and a tombstone.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SingleObjectSerde,
  topicCatalog,
  type Click,
  type TopicCatalog,
  type UserProfile,
} from '@profilestream/contracts';
import { BatchingProducer, silentLog, type Kafka } from '@profilestream/kafka';
import { testKafka, uniqueName, waitFor } from '@profilestream/kafka/testing';
import { itemEmbedding } from '@profilestream/tools-events';
import type { ServiceProcess } from '../service-process';
import { latestProfiles, startTinyFuser, stopTinyFuser, type TinyFuser } from './tiny-fuser';

/**
 * Sends one catalogue item per user (item-0, item-1, …), a purchase of its item by each user, then
 * the erasure of `erased`; resolves once profiles.v1 holds every user's profile and the tombstone.
 */
export async function publishSampleProfiles(o: {
  kafka: Kafka;
  /** Connected. */
  producer: BatchingProducer;
  fuser: TinyFuser;
  /** The fuser's topic prefix. */
  prefix: string;
  users: readonly string[];
  erased: string;
}): Promise<void> {
  const topics = topicCatalog(o.prefix);
  const latest = () => latestProfiles(o.kafka, topics.profiles.name);
  const { dim, modelId } = o.fuser;
  const embedded = new SingleObjectSerde('EmbeddedText');
  await o.producer.send(
    topics.textsEmbedded.name,
    o.users.map((_, i) => ({
      key: `item-${i}`,
      value: embedded.encode(
        itemEmbedding({
          itemId: `item-${i}`,
          vector: Array.from({ length: dim }, (_, d) => Math.sin(i + d)),
          modelId,
          occurredAt: Date.now() - 60_000,
        }),
      ),
    })),
  );
  // The fuser must hold the items before the clicks that refer to them arrive.
  await new Promise((r) => setTimeout(r, 1000));
  const clickSerde = new SingleObjectSerde('Click');
  const clicks: Click[] = o.users.map((userId, i) => ({
    eventId: `c-${i}`,
    userId,
    itemId: `item-${i}`,
    action: 'purchase',
    dwellMs: null,
    platform: 'test',
    occurredAt: Date.now() - 30_000,
  }));
  await o.producer.send(
    topics.clicks.name,
    clicks.map((c) => ({ key: c.userId, value: clickSerde.encode(c) })),
  );
  if (!(await waitFor(async () => (await latest()).size === o.users.length, 60_000, 500))) {
    throw new Error(`the fuser did not publish a profile for each of ${o.users.join(', ')} within 60 s`);
  }
  const deletion = new SingleObjectSerde('UserDeletion').encode({ userId: o.erased, requestedAt: Date.now() });
  await o.producer.send(topics.userDeletions.name, [{ key: o.erased, value: deletion }]);
  if (!(await waitFor(async () => (await latest()).get(o.erased) === null, 60_000, 500))) {
    throw new Error(`the fuser did not publish the erasure of ${o.erased} within 60 s`);
  }
}

/**
 * For a describe block that reads profiles.v1: before its tests, a tiny fuser under a topic prefix
 * of its own publishes the profiles of ann, bob and 用户一, then bob's erasure; after them it stops.
 */
export function sampleProfilesFixture(name: string): {
  kafka: Kafka;
  topics: TopicCatalog;
  /** The newest record per user on the fixture's profiles.v1: a profile, or null once erased. */
  latest: () => Promise<Map<string, UserProfile | null>>;
} {
  const prefix = `${uniqueName(name)}.`;
  const topics = topicCatalog(prefix);
  const workDir = mkdtempSync(join(tmpdir(), `profilestream-${name}-`));
  const kafka = testKafka(`${name}-spec`);
  const producer = new BatchingProducer(kafka, { log: silentLog, maxBatchMessages: 100, lingerMs: 2 });
  let fuser: ServiceProcess | undefined;
  beforeAll(async () => {
    const started = await startTinyFuser({ prefix, logDir: workDir });
    fuser = started.fuser;
    await producer.connect();
    await publishSampleProfiles({
      kafka,
      producer,
      fuser: started,
      prefix,
      users: ['ann', 'bob', '用户一'],
      erased: 'bob',
    });
  }, 240_000);
  afterAll(() => stopTinyFuser({ fuser, producer, workDir }), 60_000);
  return { kafka, topics, latest: () => latestProfiles(kafka, topics.profiles.name) };
}
