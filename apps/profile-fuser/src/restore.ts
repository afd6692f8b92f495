/**
 * `npm run profiles:restore`: rebuilds profile-fuser's Redis copy (user states, erasure marks,
 * pending clicks) from its state topic, with the fuser's configuration. The fuser does this by
 * itself for a partition whose Redis checkpoint is missing; this command lets an operator do it
 * for every partition at once (say, before traffic returns after a Redis loss). Safe while the
 * fuser runs: a stored state only ever moves to a newer version.
 */
import { parseArgs } from 'node:util';
import { topicCatalog } from '@profilestream/contracts';
import { createKafka, readerGroupPrefix, silentLog } from '@profilestream/kafka';
import { closeRedis, connectRedis, createRedis } from '@profilestream/redis';
import { embeddingSpaceOf, loadModelBundle, loadProjection } from '@profilestream/inference';
import { CONSUMER_GROUP, loadProfileFuserConfig } from './config/profile-fuser.config';
import { spaceKey } from '@profilestream/embedding';
import { REDIS_LOST, PartitionStateStore } from './state/partition-state.store';
import { rebuildPartition } from './state/partition-rebuild';

const USAGE = `Usage: npm run profiles:restore [-- --partition N]
       (from the image: node dist/apps/profile-fuser/src/restore.js [--partition N])

Rebuilds profile-fuser's Redis copy (user states, erasure marks, pending clicks) from its state
topic (profile-fuser.state.v1 under KAFKA_TOPIC_PREFIX), every partition or only --partition N, for
the vector space of FUSER_MODEL_DIR / FUSER_MODEL_VARIANT / FUSER_PROJECTION_FILE. Safe while the
fuser runs. Prints one JSON line per partition.

Options:
  --partition N   only this partition of the state topic (default: all)
  -h, --help      this text

Environment: the fuser's own (KAFKA_*, REDIS_*, FUSER_*), as it is deployed.

Example:
  npm run profiles:restore -- --partition 3`;

/**
 * The command line, read before anything is loaded or connected: --help prints the usage (exit 0);
 * an unknown option or a bad value prints one line (exit 2).
 */
function commandLine(argv: string[]): { partition: number | undefined } {
  const fail = (message: string): never => {
    console.error(`error: ${message} (see npm run profiles:restore -- --help)`);
    process.exit(2);
  };
  let values: { partition?: string | undefined; help?: boolean | undefined } = {};
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { partition: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    // node:util's message goes on about escaping positionals: its first sentence says it all.
    const first = (err instanceof Error ? err.message : String(err)).split(/\.\s/)[0]!;
    fail(first.charAt(0).toLowerCase() + first.slice(1));
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.partition !== undefined && !/^\d+$/.test(values.partition))
    fail(`--partition: expected a whole number ≥ 0, got "${values.partition}"`);
  return { partition: values.partition === undefined ? undefined : Number(values.partition) };
}

const args = commandLine(process.argv.slice(2));

async function main(): Promise<void> {
  const config = loadProfileFuserConfig();
  const bundle = await loadModelBundle(config.model.dir, config.model.variant);
  const projection = config.projectionFile ? loadProjection(config.projectionFile, bundle.modelId) : null;
  const space = spaceKey(embeddingSpaceOf(bundle, projection));
  const kafka = createKafka(config.kafka, silentLog);
  const topic = topicCatalog(config.kafka.topicPrefix).fuserState.name;
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const wanted = args.partition === undefined ? offsets.map((o) => o.partition) : [args.partition];
  if (wanted.some((p) => !offsets.some((o) => o.partition === p)))
    throw new Error(`${topic} has partitions 0-${offsets.length - 1}`);
  const redis = createRedis(config.redis, 'profile-restore');
  // Fails with one line naming the cause (credentials, TLS), which main() prints.
  await connectRedis(redis, 10_000);
  try {
    const store = new PartitionStateStore(redis, config.redis.keyPrefix, space);
    for (const partition of wanted.sort((a, b) => a - b)) {
      const report = await rebuildPartition({
        kafka,
        stateTopic: topic,
        partition,
        store,
        space,
        deletionRetentionMs: config.deletionRetentionMs,
        from: 0n,
        readerGroupPrefix: readerGroupPrefix(
          `${config.kafka.topicPrefix}${CONSUMER_GROUP}${config.kafka.groupSuffix}`,
          'restore',
        ),
      });
      if (report === REDIS_LOST) throw new Error(`Redis lost partition ${partition} while it was being restored`);
      console.log(JSON.stringify({ partition, records: report.records, checkpoint: String(report.checkpoint) }));
    }
  } finally {
    await closeRedis(redis);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
