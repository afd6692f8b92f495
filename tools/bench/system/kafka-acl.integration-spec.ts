/**
 * Least privilege on a real broker: a SASL_SSL (SCRAM-SHA-512) broker made for this run runs
 * KRaft's StandardAuthorizer and denies whatever no ACL allows. Every principal of KAFKA_ACCESS
 * gets exactly the rules `kafkaAclRules` makes of it (the ones the Strimzi KafkaUsers carry), and
 * the three built services start together on the bare broker, each as its own user: they create
 * their topics, clean, encode and fuse events a platform principal produced, and a recommender
 * principal reads the profiles. What a principal was not granted is refused.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kafkaEnvSchema, parseEnv, redisEnvSchema, toKafkaSettings, toRedisSettings } from '@profilestream/config';
import { createRedis, unlinkKeys } from '@profilestream/redis';
import {
  KAFKA_ACCESS,
  SingleObjectSerde,
  kafkaAclRules,
  kafkaUserName,
  topicCatalog,
  type KafkaAclRule,
  type KafkaPrincipal,
  type UserProfile,
} from '@profilestream/contracts';
import { EventProducer } from '@profilestream/event-producer';
import { createKafka, silentLog, type Admin, type Kafka } from '@profilestream/kafka';
import { startSecureKafkaBroker, uniqueName, waitFor, type SecureKafkaBroker } from '@profilestream/kafka/testing';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type AclEntry } from 'kafkajs';
import { LocalPipeline, freePortRun, ensureBuilt } from '@profilestream/tools-runtime';
import { NothingToTrainError, trainFromTopics } from '@profilestream/tools-ranker-training';

const repoRoot = resolve(__dirname, '../../..');
const tinyModel = join(repoRoot, 'libs/shared/fixtures/tiny-bert');
const PRINCIPALS = Object.keys(KAFKA_ACCESS) as KafkaPrincipal[];
const SERVICES = ['text-cleaner', 'encoder', 'profile-fuser'] as const;

/** A rule as kafkajs' createAcls takes it, one entry per operation. */
function aclEntries(principal: string, rule: KafkaAclRule): AclEntry[] {
  const resourceType = {
    topic: AclResourceTypes.TOPIC,
    group: AclResourceTypes.GROUP,
    transactionalId: AclResourceTypes.TRANSACTIONAL_ID,
  }[rule.type];
  return rule.operations.map((op) => ({
    resourceType,
    resourceName: rule.name,
    resourcePatternType: rule.patternType === 'prefix' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal: `User:${principal}`,
    host: '*',
    operation: {
      Read: AclOperationTypes.READ,
      Write: AclOperationTypes.WRITE,
      Describe: AclOperationTypes.DESCRIBE,
      Create: AclOperationTypes.CREATE,
    }[op],
    permissionType: AclPermissionTypes.ALLOW,
  }));
}

describe('every principal with only its own ACLs, on a broker that denies the rest', () => {
  const prefix = `${uniqueName('acl')}.`;
  const topics = topicCatalog(prefix);
  const workDir = mkdtempSync(join(tmpdir(), 'profilestream-kafka-acl-'));
  let broker: SecureKafkaBroker;
  let pipeline: LocalPipeline;
  const clients: Kafka[] = [];
  const admins: Admin[] = [];

  /** A kafkajs client logged in as one principal, under this run's prefix. */
  const kafkaAs = (principal: KafkaPrincipal): Kafka => {
    const kafka = createKafka(
      {
        ...toKafkaSettings(parseEnv(kafkaEnvSchema, broker.env(kafkaUserName(principal))), `acl-test-${principal}`),
        topicPrefix: prefix,
      },
      silentLog,
    );
    clients.push(kafka);
    return kafka;
  };
  const settingsOf = (principal: KafkaPrincipal) => ({
    ...toKafkaSettings(parseEnv(kafkaEnvSchema, broker.env(kafkaUserName(principal))), `acl-test-${principal}`),
    topicPrefix: prefix,
  });

  // Refusals in the logs until the test that removes an ACL on purpose.
  let refusalsExpected = false;
  function loggedErrors(): string[] {
    if (refusalsExpected) return [];
    return readdirSync(workDir)
      .filter((f) => f.endsWith('.log'))
      .flatMap((f) =>
        readFileSync(join(workDir, f), 'utf8')
          .split('\n')
          .filter((l) => /AUTHORIZATION_FAILED|not authorized|denied/i.test(l))
          .map((l) => `${f}: ${l.slice(0, 300)}`),
      );
  }

  beforeAll(async () => {
    ensureBuilt();
    broker = await startSecureKafkaBroker({ users: PRINCIPALS.map(kafkaUserName), authorizer: true });
    const admin = createKafka(
      toKafkaSettings(parseEnv(kafkaEnvSchema, broker.env()), 'acl-test-admin'),
      silentLog,
    ).admin();
    admins.push(admin);
    await admin.connect();
    for (const principal of PRINCIPALS) {
      const rules = kafkaAclRules(KAFKA_ACCESS[principal], { topicPrefix: prefix, provisionTopics: true });
      await admin.createAcls({ acl: rules.flatMap((r) => aclEntries(kafkaUserName(principal), r)) });
    }
    pipeline = new LocalPipeline({
      prefix,
      basePort: await freePortRun(3),
      partitions: 2,
      logDir: workDir,
      // The driver reads lag and cleans up as the broker's admin; no topic exists before the services start.
      driverKafkaEnv: broker.env(),
      provisionTopics: false,
      env: {
        'text-cleaner': { ...broker.env(kafkaUserName('text-cleaner')), KAFKA_EXACTLY_ONCE: 'true', LOG_LEVEL: 'info' },
        encoder: {
          ...broker.env(kafkaUserName('encoder')),
          ENCODER_MODEL_DIR: tinyModel,
          ENCODER_MODEL_VARIANT: 'fp32',
          ENCODER_WORKERS: '1',
          KAFKA_EXACTLY_ONCE: 'true',
          LOG_LEVEL: 'info',
        },
        'profile-fuser': {
          ...broker.env(kafkaUserName('profile-fuser')),
          FUSER_MODEL_DIR: tinyModel,
          FUSER_MODEL_VARIANT: 'fp32',
          FUSER_PUBLISH_INTERVAL_MS: '200',
          LOG_LEVEL: 'info',
        },
      },
    });
    await pipeline.start(150_000);
  }, 240_000);

  afterAll(async () => {
    for (const admin of admins) await admin.disconnect().catch(() => undefined);
    await pipeline?.stop().catch(() => undefined);
    await broker?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }, 90_000);

  it('runs the whole pipeline: platform events in, profiles out, each service as its own user', async () => {
    const producer = new EventProducer(settingsOf('event-producer'), silentLog);
    await producer.connect();
    const now = Date.now();
    try {
      await producer.sendItem({
        itemId: 'amp-1',
        title: 'Tube amplifier',
        description: 'A warm tube amplifier for electric guitars.',
        categories: ['amps'],
        occurredAt: now - 60_000,
      });
      await producer.sendReview({
        eventId: 'r-1',
        userId: 'ann',
        itemId: 'amp-1',
        text: 'Warm tone and plenty of headroom for small gigs.',
        rating: 5,
        platform: 'test',
        occurredAt: now - 30_000,
      });
      await producer.sendClick({
        eventId: 'c-1',
        userId: 'ann',
        itemId: 'amp-1',
        action: 'click',
        platform: 'test',
        occurredAt: now - 20_000,
      });
    } finally {
      await producer.disconnect();
    }
    await pipeline.waitDrained({ timeoutMs: 120_000 });

    // A recommender reads profiles.v1 as profile-reader, in a group under its own prefix.
    const serde = new SingleObjectSerde('UserProfile');
    const consumer = kafkaAs('profile-reader').consumer({
      groupId: `${prefix}profile-reader-${uniqueName('r')}`,
      maxWaitTimeInMs: 100,
    });
    let latest: UserProfile | null = null;
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: topics.profiles.name, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => void (message.value && (latest = serde.decodeSync(message.value))),
      });
      const complete = () =>
        latest !== null &&
        latest.eventCount === 2 &&
        (latest.channels.find((c) => c.name === 'click')?.weight ?? 0) > 0;
      expect(await waitFor(complete, 60_000, 250)).toBe(true);
    } finally {
      await consumer.disconnect();
    }
    expect(loggedErrors()).toEqual([]);
  }, 240_000);

  it('trains the ranker as the ranker-trainer user, reading all five of its topics', async () => {
    // After the test above: one item, which the only user touched. Every topic reads, then the data
    // has no negative to sample (or no interaction after a profile); a refused read fails otherwise.
    const training = trainFromTopics(kafkaAs('ranker-trainer'), topics, {
      negatives: 4,
      seed: 7,
      validationShare: 0.2,
      source: 'acl-test',
      groupPrefix: `${prefix}ranker-trainer-`,
    });
    await expect(training).rejects.toThrow(NothingToTrainError);
    await expect(training).rejects.toThrow(/no negatives could be sampled|none of \d+ interactions had a profile/);
  }, 60_000);

  it("rebuilds a Redis that lost the fuser's copy from the state topic, reading it as the fuser's user", async () => {
    const fuser = pipeline.services['profile-fuser'];
    await fuser.stop();
    const redis = createRedis(toRedisSettings(parseEnv(redisEnvSchema, process.env)), 'acl-test');
    await redis.connect();
    try {
      expect(await unlinkKeys(redis, `${prefix}{pf-*`)).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
    fuser.start();
    await fuser.waitReady(120_000);
    const producer = new EventProducer(settingsOf('event-producer'), silentLog);
    await producer.connect();
    try {
      await producer.sendClick({
        eventId: 'c-2',
        userId: 'ann',
        itemId: 'amp-1',
        action: 'click',
        platform: 'test',
        occurredAt: Date.now() - 10_000,
      });
    } finally {
      await producer.disconnect();
    }
    await pipeline.waitDrained({ timeoutMs: 120_000 });
    // Three events: the two before the loss came back from the state topic.
    expect(await waitFor(async () => (await pipeline.profiles()).get('ann')?.eventCount === 3, 60_000, 500)).toBe(true);
    expect(loggedErrors()).toEqual([]);
  }, 240_000);

  it('names an ACL removed while a service runs in its log, and carries on once it is back', async () => {
    refusalsExpected = true;
    const admin = admins[0]!;
    const writeEmbedded = aclEntries(kafkaUserName('encoder'), {
      type: 'topic',
      name: topics.textsEmbedded.name,
      patternType: 'literal',
      operations: ['Write'],
    })[0]!;
    await admin.deleteAcls({ filters: [writeEmbedded] });
    const encoderLog = () => readFileSync(pipeline.services.encoder.logFile, 'utf8');
    const producer = new EventProducer(settingsOf('event-producer'), silentLog);
    await producer.connect();
    try {
      await producer.sendReview({
        eventId: 'r-acl',
        userId: 'bob',
        itemId: 'amp-1',
        text: 'Loud, clean and light enough to carry.',
        rating: 4,
        platform: 'test',
        occurredAt: Date.now() - 5000,
      });
      // One line: what was denied (the chunk wrote texts.embedded.v1 and committed offsets on its input) and whose ACL to fix.
      const line = new RegExp(
        `"err":"Kafka denied access to (topic|one of topics [^"(]*)${topics.textsEmbedded.name.replace(/\./g, '\\.')}[^"]* \\(TOPIC_AUTHORIZATION_FAILED[^"]*KAFKA_SASL_USERNAME=profilestream-encoder needs an ACL`,
      );
      const named = await waitFor(() => line.test(encoderLog()), 60_000, 250);
      expect(named).toBe(true);
    } finally {
      await admin.createAcls({ acl: [writeEmbedded] });
      await producer.disconnect();
    }
    // The chunk is retried and goes through once the ACL is back.
    await pipeline.waitDrained({ timeoutMs: 120_000 });
    expect(await waitFor(async () => (await pipeline.profiles()).has('bob'), 60_000, 500)).toBe(true);
  }, 240_000);

  it('refuses what a principal was not granted', async () => {
    // kafkajs reports a group the user may not use (FindCoordinator answering
    // GROUP_AUTHORIZATION_FAILED) as a coordinator not found; on this healthy broker that is all it can mean.
    const denied = async (what: Promise<unknown>): Promise<string> => {
      try {
        await what;
        return 'allowed';
      } catch (err) {
        const text = `${(err as Error).message} ${(err as { type?: string }).type ?? ''}`;
        if (/Failed to find group coordinator/.test(text)) return 'group denied';
        return /AUTHORIZATION_FAILED|not authorized/i.test(text) ? 'denied' : `failed otherwise: ${text}`;
      }
    };
    const produceAs = async (principal: KafkaPrincipal, topic: string) => {
      const producer = kafkaAs(principal).producer({ retry: { retries: 0 } });
      await producer.connect();
      try {
        await producer.send({ topic, messages: [{ key: 'x', value: 'x' }] });
      } finally {
        await producer.disconnect();
      }
    };
    const fetchAs = async (principal: KafkaPrincipal, topic: string, groupId: string) => {
      const consumer = kafkaAs(principal).consumer({ groupId, retry: { retries: 0 } });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await new Promise<void>((done, fail) => {
          consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));
          consumer.on(consumer.events.FETCH, () => done());
          void consumer.run({ eachMessage: async () => undefined }).catch(fail);
        });
      } finally {
        await consumer.disconnect();
      }
    };
    // Services write only their own outputs; nobody else writes a profile.
    expect(await denied(produceAs('text-cleaner', topics.profiles.name))).toBe('denied');
    expect(await denied(produceAs('encoder', topics.fuserState.name))).toBe('denied');
    expect(await denied(produceAs('event-producer', topics.textsEmbedded.name))).toBe('denied');
    // Platforms may write events but not read them; recommenders read profiles, not texts.
    expect(await denied(fetchAs('event-producer', topics.reviews.name, `${prefix}event-producer-x`))).toBe(
      'group denied',
    );
    expect(await denied(fetchAs('profile-reader', topics.textsCleaned.name, `${prefix}profile-reader-x`))).toBe(
      'denied',
    );
    expect(await denied(fetchAs('profile-reader', topics.fuserState.name, `${prefix}profile-reader-x`))).toBe('denied');
    // The ranker's training reads what the model learns from, not the exact state or raw texts.
    expect(await denied(fetchAs('ranker-trainer', topics.fuserState.name, `${prefix}ranker-trainer-x`))).toBe('denied');
    expect(await denied(fetchAs('ranker-trainer', topics.reviews.name, `${prefix}ranker-trainer-x`))).toBe('denied');
    // A service may not join another service's group, nor read what it does not consume.
    expect(await denied(fetchAs('encoder', topics.textsCleaned.name, `${prefix}profile-fuser`))).toBe('group denied');
    expect(await denied(fetchAs('encoder', topics.reviews.name, `${prefix}encoder.x`))).toBe('denied');

    // KEDA reads every service's lag, and nothing else.
    const keda = kafkaAs('keda').admin();
    admins.push(keda);
    await keda.connect();
    for (const service of SERVICES) {
      const offsets = await keda.fetchOffsets({
        groupId: `${prefix}${KAFKA_ACCESS[service].groupPrefix}`,
        topics: KAFKA_ACCESS.keda.describes
          .filter((k) => (KAFKA_ACCESS[service].reads as readonly string[]).includes(k))
          .map((k) => topics[k].name),
      });
      expect(offsets.length).toBeGreaterThan(0);
      expect((await keda.fetchTopicOffsets(offsets[0]!.topic)).length).toBe(2);
    }
    // KEDA finds the group (Describe) but may not join it (Read).
    expect(await denied(fetchAs('keda', topics.reviews.name, `${prefix}text-cleaner`))).toBe('denied');
    expect(await denied(produceAs('keda', topics.reviews.name))).toBe('denied');
  }, 120_000);
});
