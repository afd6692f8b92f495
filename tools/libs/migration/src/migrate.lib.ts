/**
 * What `npm run migrate` does with the broker: the serving record (which vector space
 * profiles.v1 carries), the next space's item table, and the progress of the consumer groups that
 * re-embed and re-fuse the archive.
 */
import {
  SERVING_KEY,
  decodeServingSpace,
  encodeServingSpace,
  partitionForKey,
  topicCatalog,
  unpackFloat32,
  type ServingSpace,
  type ValueSerde,
} from '@profilestream/contracts';
import { encodeItem, itemKey, parseItemKey, parseStateKey, type ItemVector } from '@profilestream/fusion';
import { unlinkKeys, type RedisClient } from '@profilestream/redis';
import {
  provisionTopics,
  readPartition,
  readTopicToEnd,
  readerGroupPrefix,
  type Admin,
  type Kafka,
} from '@profilestream/kafka';
import { spaceKey, type EmbeddingSpace } from '@profilestream/embedding';
import { prefixLag } from '@profilestream/tools-runtime';

/** The services' consumer groups, before KAFKA_GROUP_SUFFIX. */
export const ENCODER_GROUP = 'encoder';
export const FUSER_GROUP = 'profile-fuser';

/** The serving record in force (the highest epoch), or null when no cut-over was ever made. */
export async function readServing(kafka: Kafka, admin: Admin, prefix: string): Promise<ServingSpace | null> {
  const topics = topicCatalog(prefix);
  const present = new Set(await admin.listTopics());
  if (!present.has(topics.fuserServing.name)) return null;
  let current: ServingSpace | null = null;
  await readTopicToEnd(
    kafka,
    topics.fuserServing.name,
    (m) => {
      if (m.key?.toString() !== SERVING_KEY || m.value === null) return;
      const record = decodeServingSpace(m.value);
      if (!current || record.epoch > current.epoch) current = record;
    },
    { groupPrefix: readerGroupPrefix(migrateGroup(prefix), 'serving') },
  );
  return current;
}

/** The command's reader groups start with this (under the deployment's prefix, like its other groups). */
function migrateGroup(prefix: string): string {
  return `${prefix}migrate`;
}

/** The vector space of the profiles on profiles.v1 now, read from its newest records (null when empty). */
export async function servedSpaceOnTopic(
  kafka: Kafka,
  admin: Admin,
  prefix: string,
  profileSerde: ValueSerde<'UserProfile'>,
): Promise<string | null> {
  const topics = topicCatalog(prefix);
  let newest: { at: number; space: string } | null = null;
  const partitions = await admin.fetchTopicOffsets(topics.profiles.name);
  for (const p of partitions) {
    const high = BigInt(p.high);
    if (high === BigInt(p.low)) continue;
    // The last few records of each partition: a tombstone says nothing about the space.
    const from = high - 20n > BigInt(p.low) ? high - 20n : BigInt(p.low);
    await readPartition(
      kafka,
      topics.profiles.name,
      p.partition,
      from,
      async (m) => {
        if (m.value === null) return;
        const profile = await profileSerde.decode(m.value);
        const space = spaceKey({ modelId: profile.modelId, projectionId: profile.projectionId ?? null });
        if (!newest || m.timestamp > newest.at) newest = { at: m.timestamp, space };
      },
      { groupPrefix: readerGroupPrefix(migrateGroup(prefix), 'profiles') },
    );
  }
  return (newest as { at: number; space: string } | null)?.space ?? null;
}

/**
 * Names the space profiles.v1 carries now (epoch 0: no cut-over, no version lift) unless a record
 * already says which: from then on the next space's fuser publishes on the shadow topic whatever
 * its deployment is called. Returns the record in force.
 */
export async function registerServing(
  kafka: Kafka,
  admin: Admin,
  o: { prefix: string; space: string; replicationFactor: number; now?: number },
): Promise<ServingSpace> {
  const topics = topicCatalog(o.prefix);
  await provisionTopics(admin, [topics.fuserServing], { replicationFactor: o.replicationFactor });
  const current = await readServing(kafka, admin, o.prefix);
  if (current) return current;
  const record: ServingSpace = { space: o.space, epoch: 0, previousSpace: null, changedAt: o.now ?? Date.now() };
  await writeServing(kafka, topics.fuserServing.name, record);
  return record;
}

async function writeServing(kafka: Kafka, topic: string, record: ServingSpace): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: SERVING_KEY, value: encodeServingSpace(record) }] });
  } finally {
    await producer.disconnect();
  }
}

export interface CutOverOptions {
  /** KAFKA_TOPIC_PREFIX of the deployment. */
  prefix: string;
  /** The space to serve on profiles.v1 from now on. */
  space: string;
  /** The space served now when no record says so yet (read from profiles.v1 by the command). */
  servedBefore: string | null;
  replicationFactor: number;
  /** Most records every profile-fuser group may still have to consume (live traffic never stops). */
  maxLag: number;
  /**
   * With a serde: the share of users served now that must already have a profile in the new space
   * (read from both profile topics whole, so opt-in on large deployments).
   */
  coverage?: { min: number; profileSerde: ValueSerde<'UserProfile'> };
  /** Cut over whatever the lag and coverage. */
  force: boolean;
  now?: number;
}

export class CutOverRefused extends Error {}

export interface SpaceCoverage {
  /** Users with a profile on profiles.v1. */
  served: number;
  /** Of those, users whose latest record on profiles.shadow.v1 (or profiles.v1) is in `space`. */
  covered: number;
  share: number;
}

/** How many of the users served now already have a profile in `space` (latest record per user). */
export async function spaceCoverage(
  kafka: Kafka,
  admin: Admin,
  prefix: string,
  space: string,
  profileSerde: ValueSerde<'UserProfile'>,
): Promise<SpaceCoverage> {
  const topics = topicCatalog(prefix);
  const latest = async (topic: string) => {
    const out = new Map<string, Buffer | null>();
    const present = new Set(await admin.listTopics());
    if (present.has(topic))
      await readTopicToEnd(
        kafka,
        topic,
        (m) => {
          if (m.key) out.set(m.key.toString(), m.value);
        },
        { groupPrefix: readerGroupPrefix(migrateGroup(prefix), 'coverage') },
      );
    return out;
  };
  const inSpace = async (bytes: Buffer | null | undefined) => {
    if (!bytes) return false;
    const p = await profileSerde.decode(bytes);
    return spaceKey({ modelId: p.modelId, projectionId: p.projectionId ?? null }) === space;
  };
  const served = [...(await latest(topics.profiles.name))].filter(([, v]) => v !== null);
  const shadow = await latest(topics.profilesShadow.name);
  let covered = 0;
  for (const [userId, bytes] of served) if ((await inSpace(shadow.get(userId))) || (await inSpace(bytes))) covered++;
  return { served: served.length, covered, share: served.length === 0 ? 1 : covered / served.length };
}

/**
 * Writes the serving record that makes `space` the one on profiles.v1 (the next epoch). Refused
 * while a profile-fuser group of the deployment is further behind than `maxLag`: a space that has
 * not caught up would publish older profiles than the ones it replaces.
 */
export async function cutOver(kafka: Kafka, admin: Admin, o: CutOverOptions): Promise<ServingSpace> {
  const topics = topicCatalog(o.prefix);
  await provisionTopics(admin, [topics.fuserServing], { replicationFactor: o.replicationFactor });
  const current = await readServing(kafka, admin, o.prefix);
  const served = current?.space ?? o.servedBefore;
  if (served === o.space) throw new CutOverRefused(`${o.space} is already the space served on profiles.v1`);
  if (!o.force) {
    const behind = await fuserLag(admin, o.prefix);
    const late = Object.entries(behind).filter(([, lag]) => lag > o.maxLag);
    if (late.length > 0)
      throw new CutOverRefused(
        `not caught up: ${late.map(([g, lag]) => `${g} has ${lag} records to consume`).join(', ')} (more than --max-lag ${o.maxLag}); wait, or pass --force`,
      );
    if (o.coverage) {
      const c = await spaceCoverage(kafka, admin, o.prefix, o.space, o.coverage.profileSerde);
      if (c.share < o.coverage.min)
        throw new CutOverRefused(
          `coverage ${(100 * c.share).toFixed(1)}%: ${c.covered} of the ${c.served} users on profiles.v1 have a profile in ${o.space} (less than --min-coverage ${o.coverage.min}); wait, or pass --force`,
        );
    }
  }
  const record: ServingSpace = {
    space: o.space,
    epoch: (current?.epoch ?? 0) + 1,
    previousSpace: served,
    changedAt: o.now ?? Date.now(),
  };
  await writeServing(kafka, topics.fuserServing.name, record);
  return record;
}

/** Records each profile-fuser group of the deployment still has to consume, by group id. */
export async function fuserLag(admin: Admin, prefix: string): Promise<Record<string, number>> {
  const report = await prefixLag(admin, `${prefix}${FUSER_GROUP}`);
  return report.byGroup;
}

export interface GroupProgress {
  groupId: string;
  /** Records consumed so far (committed offsets above each partition's earliest). */
  consumed: number;
  lag: number;
}

/** Where one consumer group stands on the topics it reads (committed offsets against end offsets). */
export async function groupProgress(admin: Admin, groupId: string, topicNames: string[]): Promise<GroupProgress> {
  let consumed = 0;
  let lag = 0;
  const committed = await admin.fetchOffsets({ groupId, topics: topicNames });
  for (const topic of topicNames) {
    const done = new Map(
      (committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
    );
    for (const p of await admin.fetchTopicOffsets(topic)) {
      const low = Number(p.low);
      const high = Number(p.high);
      const at = Math.max(low, done.get(p.partition) ?? -1);
      consumed += Math.max(0, at - low);
      lag += Math.max(0, high - at);
    }
  }
  return { groupId, consumed, lag };
}

/** Seconds left at the pace between two readings; null when nothing was consumed in between. */
export function etaSeconds(before: GroupProgress, after: GroupProgress, elapsedMs: number): number | null {
  const rate = (after.consumed - before.consumed) / (elapsedMs / 1000);
  if (!(rate > 0)) return after.lag === 0 ? 0 : null;
  return after.lag / rate;
}

export interface SeedReport {
  items: number;
  /** Item texts of other spaces (the old model's) passed over. */
  otherSpaces: number;
}

/**
 * Items first: writes every item vector of `space` found on texts.embedded.v1 into profile-fuser's
 * item table (the partition its owner would write), so that the next space's fuser, started after
 * this, folds each archived click with its item's new vector at once rather than waiting for the
 * item's text in another partition. Latest description per item, as the fuser keeps it.
 */
export async function seedItems(
  kafka: Kafka,
  admin: Admin,
  o: {
    prefix: string;
    space: EmbeddingSpace & { key: string };
    embeddedSerde: ValueSerde<'EmbeddedText'>;
    replicationFactor: number;
  },
): Promise<SeedReport> {
  const topics = topicCatalog(o.prefix);
  const latest = new Map<string, ItemVector>();
  let otherSpaces = 0;
  await readTopicToEnd(
    kafka,
    topics.textsEmbedded.name,
    async (m) => {
      if (m.value === null) return;
      const t = await o.embeddedSerde.decode(m.value);
      if (t.source !== 'item' || !t.itemId) return;
      if (t.modelId !== o.space.modelId || (t.projectionId ?? null) !== o.space.projectionId || t.dim !== o.space.dim) {
        otherSpaces++;
        return;
      }
      const known = latest.get(t.itemId);
      if (known && known.occurredAt > t.occurredAt) return;
      latest.set(t.itemId, { vector: unpackFloat32(t.vector), categories: t.categories, occurredAt: t.occurredAt });
    },
    { groupPrefix: readerGroupPrefix(migrateGroup(o.prefix), 'items') },
  );
  const partitions = (await admin.fetchTopicOffsets(topics.textsEmbedded.name)).length;
  await provisionTopics(admin, [topics.fuserItems], { replicationFactor: o.replicationFactor, partitions });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const messages = [...latest].map(([itemId, item]) => ({
      key: itemKey(o.space.key, itemId),
      value: encodeItem(item),
      partition: partitionForKey(itemId, partitions),
    }));
    for (let i = 0; i < messages.length; i += 500)
      await producer.send({ topic: topics.fuserItems.name, acks: -1, messages: messages.slice(i, i + 500) });
  } finally {
    await producer.disconnect();
  }
  return { items: latest.size, otherSpaces };
}

export interface DropReport {
  stateRecords: number;
  itemRecords: number;
  redisKeys: number;
  groupsDeleted: string[];
}

/**
 * Removes a space that is no longer served, once its grace period is over: tombstones for its keys
 * on profile-fuser's state and item topics (compaction then removes them), its Redis keys, and the
 * consumer groups of its deployment. Refused for the space served on profiles.v1, and while its
 * deployment still has a member (scale it to zero first).
 */
export async function dropSpace(
  kafka: Kafka,
  admin: Admin,
  redis: RedisClient,
  o: { prefix: string; redisKeyPrefix: string; space: string; groupSuffix: string },
): Promise<DropReport> {
  const serving = await readServing(kafka, admin, o.prefix);
  if (!serving) throw new CutOverRefused('no cut-over recorded: the only space there is is the served one');
  if (serving.space === o.space) throw new CutOverRefused(`${o.space} is the space served on profiles.v1`);
  const groups = [`${o.prefix}${ENCODER_GROUP}${o.groupSuffix}`, `${o.prefix}${FUSER_GROUP}${o.groupSuffix}`];
  const { groups: described } = await admin.describeGroups(groups);
  const busy = described.filter((g) => g.members.length > 0).map((g) => g.groupId);
  if (busy.length > 0)
    throw new CutOverRefused(`${busy.join(' and ')} still has members: scale the deployment to zero first`);

  const topics = topicCatalog(o.prefix);
  const tombstones = async (topic: string, ofSpace: (key: string) => boolean): Promise<number> => {
    const live = new Map<string, number>();
    await readTopicToEnd(
      kafka,
      topic,
      (m) => {
        const key = m.key?.toString();
        if (key === undefined || !ofSpace(key)) return;
        if (m.value === null) live.delete(key);
        else live.set(key, m.partition);
      },
      { groupPrefix: readerGroupPrefix(migrateGroup(o.prefix), 'drop') },
    );
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const messages = [...live].map(([key, partition]) => ({ key, value: null, partition }));
      for (let i = 0; i < messages.length; i += 500)
        await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
    } finally {
      await producer.disconnect();
    }
    return live.size;
  };
  const present = new Set(await admin.listTopics());
  const stateRecords = present.has(topics.fuserState.name)
    ? await tombstones(topics.fuserState.name, (k) => parseStateKey(k)?.space === o.space)
    : 0;
  const itemRecords = present.has(topics.fuserItems.name)
    ? await tombstones(topics.fuserItems.name, (k) => parseItemKey(k)?.space === o.space)
    : 0;
  const redisKeys = await unlinkKeys(redis, `${globEscape(o.redisKeyPrefix)}{pf-*}:${globEscape(o.space)}:*`);
  const existing = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
  const groupsDeleted = groups.filter((g) => existing.has(g));
  if (groupsDeleted.length > 0) await admin.deleteGroups(groupsDeleted);
  return { stateRecords, itemRecords, redisKeys, groupsDeleted };
}

/** A literal for a Redis glob pattern. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
