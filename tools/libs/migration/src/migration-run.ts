/**
 * A model migration's catch-up, in three phases, with the next space's services started by the
 * caller (child processes locally, Deployments in Kubernetes):
 *
 * 1. re-embed: the next space's encoder (its own consumer group, KAFKA_GROUP_SUFFIX) starts at the
 *    earliest offset of texts.cleaned.v1, the archive, and embeds it oldest first, rate-limited by
 *    ENCODER_MAX_TEXTS_PER_SECOND; resumable because its progress is its committed offsets;
 * 2. items first: the item vectors of the next space are written into profile-fuser's item table;
 * 3. re-fuse: the next space's fuser starts at the earliest offsets of its inputs and folds the
 *    archive (texts of its space, clicks with the new item vectors, erasures) into profiles it
 *    publishes on profiles.shadow.v1, until it has caught up with live traffic.
 *
 * Progress (records consumed, lag, ETA at the pace of the last poll) is reported as it goes.
 */
import { topicCatalog, type ValueSerde } from '@profilestream/contracts';
import type { Admin, Kafka } from '@profilestream/kafka';
import type { EmbeddingSpace } from '@profilestream/embedding';
import { CONSUMED_TOPICS as FUSER_INPUTS } from '@profilestream/profile-fuser-config';
import {
  ENCODER_GROUP,
  FUSER_GROUP,
  etaSeconds,
  groupProgress,
  registerServing,
  seedItems,
  type GroupProgress,
  type SeedReport,
} from './migrate.lib';

export type MigrationPhase = 're-embed' | 're-fuse';

export interface MigrationProgress extends GroupProgress {
  phase: MigrationPhase;
  /** Seconds left at the pace since the last poll; null when nothing moved. */
  etaS: number | null;
}

export interface MigrationRunOptions {
  kafka: Kafka;
  admin: Admin;
  /** KAFKA_TOPIC_PREFIX of the deployment. */
  prefix: string;
  /** KAFKA_GROUP_SUFFIX of the next space's encoder and fuser. */
  groupSuffix: string;
  space: EmbeddingSpace & { key: string };
  /** The space profiles.v1 carries now: registered, so the next space's fuser starts as a shadow. */
  servedSpace: string;
  embeddedSerde: ValueSerde<'EmbeddedText'>;
  replicationFactor: number;
  /** A phase is done when its group has at most this many records left (live traffic keeps coming). */
  maxLag: number;
  pollMs: number;
  /** Epoch ms after which the run gives up. */
  deadline: number;
  startEncoder: () => Promise<void>;
  startFuser: () => Promise<void>;
  onProgress: (p: MigrationProgress) => void | Promise<void>;
  log: (line: string) => void;
}

export interface MigrationRunReport {
  /** Offsets of texts.cleaned.v1 the next encoder consumed (transaction markers included). */
  archiveOffsets: number;
  seeded: SeedReport;
  /** Offsets of its inputs the next fuser consumed. */
  fusedOffsets: number;
  seconds: { reEmbed: number; reFuse: number };
}

export async function runMigration(o: MigrationRunOptions): Promise<MigrationRunReport> {
  const topics = topicCatalog(o.prefix);
  const encoderGroup = `${o.prefix}${ENCODER_GROUP}${o.groupSuffix}`;
  const fuserGroup = `${o.prefix}${FUSER_GROUP}${o.groupSuffix}`;
  const serving = await registerServing(o.kafka, o.admin, {
    prefix: o.prefix,
    space: o.servedSpace,
    replicationFactor: o.replicationFactor,
  });
  if (serving.space === o.space.key) throw new Error(`${o.space.key} is already the space served on profiles.v1`);

  o.log(`re-embedding ${topics.textsCleaned.name} into ${o.space.key} (group ${encoderGroup})`);
  const embedStarted = Date.now();
  await o.startEncoder();
  const embedded = await untilCaughtUp(o, 're-embed', encoderGroup, [topics.textsCleaned.name]);
  const reEmbedS = (Date.now() - embedStarted) / 1000;

  const seeded = await seedItems(o.kafka, o.admin, {
    prefix: o.prefix,
    space: o.space,
    embeddedSerde: o.embeddedSerde,
    replicationFactor: o.replicationFactor,
  });
  o.log(`items first: ${seeded.items} item vectors of ${o.space.key} written to the item table`);

  o.log(`re-fusing the archive into ${o.space.key} (group ${fuserGroup}), published on ${topics.profilesShadow.name}`);
  const fuseStarted = Date.now();
  await o.startFuser();
  const fused = await untilCaughtUp(
    o,
    're-fuse',
    fuserGroup,
    FUSER_INPUTS.map((k) => topics[k].name),
  );
  return {
    archiveOffsets: embedded.consumed,
    seeded,
    fusedOffsets: fused.consumed,
    seconds: { reEmbed: reEmbedS, reFuse: (Date.now() - fuseStarted) / 1000 },
  };
}

async function untilCaughtUp(
  o: MigrationRunOptions,
  phase: MigrationPhase,
  groupId: string,
  topicNames: string[],
): Promise<GroupProgress> {
  const read = () => withRetries(() => groupProgress(o.admin, groupId, topicNames));
  let last = await read();
  let lastAt = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, o.pollMs));
    const now = Date.now();
    const p = await read();
    await o.onProgress({ ...p, phase, etaS: etaSeconds(last, p, now - lastAt) });
    if (p.lag <= o.maxLag && (p.consumed > 0 || p.lag === 0)) return p;
    if (now > o.deadline) throw new Error(`${phase}: ${groupId} still has ${p.lag} records to consume at the deadline`);
    last = p;
    lastAt = now;
  }
}

/** A busy broker answers admin calls with retriable errors now and then (a group coordinator moving). */
async function withRetries<T>(call: () => Promise<T>, attempts = 10): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (err) {
      if (i >= attempts || !(err as { retriable?: boolean }).retriable) throw err;
      await new Promise((r) => setTimeout(r, 500 * i));
    }
  }
}
