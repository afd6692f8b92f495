/**
 * The three built services on a real Redis Cluster (3 masters, `tools/infra/redis-cluster.sh`),
 * configured as the prod and gpu overlays configure them: REDIS_CLUSTER_NODES, with REDIS_URL
 * pointing at a closed port so nothing can fall back to the single node. User ids that stress
 * hash tags and encodings (`}abc`, `{x}y`, `a+b@example.com`, `用户一`) go through the pipeline
 * with a plain one: every service starts, profiles are published, stored in their partition's
 * slot and served by the read API, an item's vector reaches each user's click, an erasure on
 * user-deletions.v1 leaves no profile data of the user on any master, and the restore command
 * rebuilds the cluster's copy.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Cluster } from 'ioredis';
import { SingleObjectSerde, partitionForKey, type UserProfile } from '@profilestream/contracts';
import type { EventProducer } from '@profilestream/event-producer';
import { readTopicToEnd } from '@profilestream/kafka';
import { uniqueName, waitFor } from '@profilestream/kafka/testing';
import { loadModelBundle } from '@profilestream/inference';
import { scanKeys, unlinkKeys } from '@profilestream/redis';
import { localRedisCluster, testRedisCluster } from '@profilestream/redis/testing';
import { decodeStoredUser } from '@profilestream/fusion';
import { LocalPipeline, freePortRun, ensureBuilt } from '@profilestream/tools-runtime';

const repoRoot = resolve(__dirname, '../../..');
const tinyModel = join(repoRoot, 'libs/shared/fixtures/tiny-bert');
// Four partitions: with the script's slot split, the users below fall on all three masters.
const PARTITIONS = 4;
const ODD_USERS = ['}abc', '{x}y', 'a+b@example.com', '用户一'];
const PLAIN_USER = 'plain-user';
const USERS = [...ODD_USERS, PLAIN_USER];
const ITEM = 'guitar-1';

// `npm test` starts the cluster and requires it; elsewhere the suite skips, saying why, without one.
const local = localRedisCluster();
if (local.skipReason) console.warn(`Redis Cluster tests skipped: ${local.skipReason}`);
const describeOnCluster = local.nodes ? describe : describe.skip;

describeOnCluster(
  `the services on a real Redis Cluster${local.skipReason ? ` (skipped: ${local.skipReason})` : ''}`,
  () => {
    const nodes = local.nodes!;
    const prefix = `${uniqueName('rc')}.`;
    const workDir = mkdtempSync(join(tmpdir(), 'profilestream-redis-cluster-'));
    const profileSerde = new SingleObjectSerde('UserProfile');
    // Every Redis setting the services get: the cluster, and a single node that is not there.
    const redisEnv = { REDIS_CLUSTER_NODES: nodes, REDIS_URL: 'redis://127.0.0.1:1' };
    const fuserEnv = {
      FUSER_MODEL_DIR: tinyModel,
      FUSER_MODEL_VARIANT: 'fp32',
      FUSER_PUBLISH_INTERVAL_MS: '200',
      FUSER_API_READ_TOKEN: 'read-token',
    };
    let pipeline: LocalPipeline;
    let producer: EventProducer | null = null;
    let redis: Cluster;
    let modelId: string;

    const fuserKey = (userId: string) => `${prefix}{pf-${partitionForKey(userId, PARTITIONS)}}:${modelId}:u:${userId}`;

    /** The latest profiles.v1 record per user: a profile, or null for a tombstone. */
    async function latestProfiles(): Promise<Map<string, UserProfile | null>> {
      const latest = new Map<string, UserProfile | null>();
      await readTopicToEnd(pipeline.kafka, pipeline.topics.profiles.name, (m) => {
        if (m.key) latest.set(m.key.toString(), m.value ? profileSerde.decodeSync(m.value) : null);
      });
      return latest;
    }

    /** The fuser's read API for one user (the id URL-encoded, as any id must be). */
    const readProfile = (userId: string) =>
      fetch(`${pipeline.services['profile-fuser'].baseUrl}/v1/profiles/${encodeURIComponent(userId)}`, {
        headers: { authorization: 'Bearer read-token' },
      });

    /**
     * Errors the services logged themselves: a failure they retry past (a partition task whose Redis
     * calls fail) would leave the other assertions green, only slower. kafkajs' own lines are left
     * out: it logs retriable broker answers (a transaction still being concluded) as errors.
     */
    function loggedErrors(): string[] {
      return readdirSync(workDir)
        .filter((f) => f.endsWith('.log'))
        .flatMap((f) =>
          readFileSync(join(workDir, f), 'utf8')
            .split('\n')
            .filter((l) => /"level":"(error|fatal)"/.test(l) && !l.includes('"component":"kafkajs"'))
            .map((l) => `${f}: ${l.slice(0, 300)}`),
        );
    }

    /** Every key of this run, on all masters. */
    async function allKeys(): Promise<string[]> {
      const out: string[] = [];
      for await (const keys of scanKeys(redis, `${prefix}*`)) out.push(...keys);
      return out;
    }

    beforeAll(async () => {
      ensureBuilt();
      modelId = (await loadModelBundle(tinyModel, 'fp32')).modelId;
      pipeline = new LocalPipeline({
        prefix,
        basePort: await freePortRun(3),
        partitions: PARTITIONS,
        logDir: workDir,
        sharedEnv: redisEnv,
        env: {
          encoder: { ENCODER_MODEL_DIR: tinyModel, ENCODER_MODEL_VARIANT: 'fp32', ENCODER_WORKERS: '1' },
          'profile-fuser': fuserEnv,
        },
      });
      await pipeline.start(120_000);
      redis = (await testRedisCluster(nodes)) as Cluster;
      producer = pipeline.producer();
      await producer.connect();
    }, 180_000);

    afterAll(async () => {
      await producer?.disconnect().catch(() => undefined);
      await pipeline?.stop();
      await redis?.quit();
      rmSync(workDir, { recursive: true, force: true });
    }, 60_000);

    it("starts every service, publishes and stores profiles in their partition's slot, and brings an item's vector to each click", async () => {
      const now = Date.now();
      await producer!.sendItem({
        itemId: ITEM,
        title: 'Acoustic guitar',
        description: 'A warm acoustic guitar that stays in tune for weeks.',
        categories: ['guitars'],
        occurredAt: now - 60_000,
      });
      for (const [i, userId] of USERS.entries()) {
        await producer!.sendReview({
          eventId: `r-${i}`,
          userId,
          itemId: ITEM,
          text: `Review ${i}: the strings sound bright and the neck feels great.`,
          rating: 5,
          platform: 'test',
          occurredAt: now - 30_000 + i,
        });
        await producer!.sendClick({
          eventId: `c-${i}`,
          userId,
          itemId: ITEM,
          action: 'click',
          platform: 'test',
          occurredAt: now - 20_000 + i,
        });
      }
      await pipeline.waitDrained({ timeoutMs: 120_000 });

      let latest = new Map<string, UserProfile | null>();
      const complete = (p: UserProfile | null | undefined) =>
        !!p && p.eventCount === 2 && (p.channels.find((c) => c.name === 'click')?.weight ?? 0) > 0;
      const published = await waitFor(
        async () => {
          latest = await latestProfiles();
          return USERS.every((u) => complete(latest.get(u)));
        },
        60_000,
        1000,
      );
      expect(
        published
          ? []
          : USERS.filter((u) => !complete(latest.get(u))).map(
              (u) =>
                `${u}: ${JSON.stringify(latest.get(u) && { eventCount: latest.get(u)!.eventCount, channels: latest.get(u)!.channels.map((c) => [c.name, c.weight]) })}`,
            ),
      ).toEqual([]);
      for (const userId of USERS) {
        const profile = latest.get(userId)!;
        // The id comes back exactly as sent, whatever braces or script it has.
        expect(profile.userId).toBe(userId);
        expect(profile.counters.find((c) => c.channel === 'click' && c.action === 'click')?.total).toBe(1);

        // The fuser's copy sits under its partition's hash tag: one slot per partition, any id.
        const key = fuserKey(userId);
        expect(await redis.cluster('KEYSLOT', key)).toBe(
          await redis.cluster('KEYSLOT', `{pf-${partitionForKey(userId, PARTITIONS)}}`),
        );
        const stored = decodeStoredUser((await redis.hgetBuffer(key, 's'))!);
        expect(stored.kind).toBe('profile');
        expect(stored.version).toBe(profile.version);
      }
      // Those users' states are spread over all three masters, so every master ran the fuser's scripts.
      const perMaster = await Promise.all(
        redis.nodes('master').map(async (node) => (await node.keys(`${prefix}{pf-*}:*:u:*`)).length),
      );
      expect(perMaster.filter((n) => n > 0)).toHaveLength(3);
      // The encoder's cache and text-cleaner's duplicate window are on the cluster too.
      const keys = await allKeys();
      expect(keys.some((k) => k.startsWith(`${prefix}emb:`))).toBe(true);
      expect(keys.length).toBeGreaterThan(USERS.length * 2);

      // The read API serves every one of them from the cluster.
      for (const userId of USERS) {
        const res = await readProfile(userId);
        expect([userId, res.status]).toEqual([userId, 200]);
        expect((await res.json()) as { userId: string; eventCount: number }).toMatchObject({ userId, eventCount: 2 });
      }
      expect(loggedErrors()).toEqual([]);
    }, 240_000);

    it('erases users from user-deletions.v1: a tombstone, and on every master only an erasure mark left of them', async () => {
      const before = await allKeys();
      for (const userId of ODD_USERS) expect(before).toContain(fuserKey(userId));
      for (const userId of ODD_USERS) await producer!.sendDeletion({ userId, requestedAt: Date.now() });
      await pipeline.waitDrained({ timeoutMs: 120_000 });

      let latest = new Map<string, UserProfile | null>();
      expect(
        await waitFor(
          async () => {
            latest = await latestProfiles();
            return ODD_USERS.every((u) => latest.get(u) === null);
          },
          60_000,
          1000,
        ),
      ).toBe(true);
      expect(latest.get(PLAIN_USER)?.eventCount).toBe(2);

      const keys = await allKeys();
      for (const userId of ODD_USERS) {
        // Listed on all masters: the fuser keeps one key of the user, its partition's, and it holds a
        // mark without profile data (it expires with the deletion retention).
        const fuserKeys = keys.filter((k) => k.startsWith(`${prefix}{pf-`) && k.endsWith(`:u:${userId}`));
        expect(fuserKeys).toEqual([fuserKey(userId)]);
        const bytes = (await redis.hgetBuffer(fuserKey(userId), 's'))!;
        expect(decodeStoredUser(bytes).kind).toBe('erased');
        expect(bytes.length).toBe(17);
      }
      const plain = decodeStoredUser((await redis.hgetBuffer(fuserKey(PLAIN_USER), 's'))!);
      expect(plain.kind).toBe('profile');
      for (const userId of ODD_USERS) expect([userId, (await readProfile(userId)).status]).toEqual([userId, 404]);
      expect((await readProfile(PLAIN_USER)).status).toBe(200);
      expect(loggedErrors()).toEqual([]);
    }, 180_000);

    it("restores the fuser's copy on the cluster from the state topic (the restore command)", async () => {
      const userKeys = (await allKeys()).filter((k) => k.startsWith(`${prefix}{pf-`) && k.includes(':u:'));
      const before = new Map<string, Buffer>();
      for (const k of userKeys) before.set(k, (await redis.hgetBuffer(k, 's'))!);
      expect(before.size).toBe(USERS.length);
      await pipeline.services['profile-fuser'].stop();
      expect(await unlinkKeys(redis, `${prefix}{pf-*`)).toBeGreaterThan(0);

      const { stdout } = await promisify(execFile)(
        process.execPath,
        [join(repoRoot, 'dist/apps/profile-fuser/src/restore.js')],
        {
          cwd: repoRoot,
          env: {
            ...process.env,
            ...redisEnv,
            ...fuserEnv,
            KAFKA_TOPIC_PREFIX: prefix,
            REDIS_KEY_PREFIX: prefix,
            LOG_LEVEL: 'warn',
          },
          timeout: 60_000,
        },
      );
      const reports = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { partition: number; records: number });
      expect(reports.map((r) => r.partition)).toEqual([0, 1, 2, 3]);
      for (const [k, state] of before) expect((await redis.hgetBuffer(k, 's'))?.equals(state)).toBe(true);
    }, 120_000);
  },
);
