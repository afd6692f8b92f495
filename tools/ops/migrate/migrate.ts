/**
 * `npm run migrate -- COMMAND …`: changing the encoder model without losing personalisation
 * (docs/operations.md, "Changing the model"). The next space's encoder and profile-fuser are the
 * same services under KAFKA_GROUP_SUFFIX; this command runs them locally (`run`), reports their
 * progress (`status`), switches what profiles.v1 carries (`cutover`, `rollback`) and writes the
 * next space's item table (`seed-items`, for deployments whose services an orchestrator starts).
 */
import { kafkaEnvSchema, parseEnv, redisEnvSchema, toKafkaSettings, toRedisSettings } from '@profilestream/config';
import { createRedis } from '@profilestream/redis';
import { topicCatalog } from '@profilestream/contracts';
import { createKafka, isReaderGroup, silentLog, topicSerde, type Admin, type Kafka } from '@profilestream/kafka';
import { embeddingSpaceOf, loadModelBundle, loadProjection } from '@profilestream/inference';
import { spaceKey, type EmbeddingSpace } from '@profilestream/embedding';
import { CONSUMED_TOPICS as FUSER_INPUTS } from '@profilestream/profile-fuser-config';
import { commandLine, UsageError } from '@profilestream/tools-cli';
import { ServiceProcess, ensureBuilt, freePortRun } from '@profilestream/tools-runtime';
import {
  CutOverRefused,
  ENCODER_GROUP,
  FUSER_GROUP,
  cutOver,
  dropSpace,
  etaSeconds,
  groupProgress,
  readServing,
  registerServing,
  seedItems,
  servedSpaceOnTopic,
  spaceCoverage,
  type GroupProgress,
  runMigration,
} from '@profilestream/tools-migration';

const USAGE = `Usage: npm run migrate -- COMMAND [OPTIONS]

Moves profiles to a new encoder model (or projection) while the current one keeps serving: the
next space's encoder re-embeds the archive (texts.cleaned.v1) into the new vector space, its
profile-fuser re-fuses texts, clicks and erasures into profiles on profiles.shadow.v1, and a
cut-over switches what profiles.v1 carries, every user at once. Rollback is a cut-over back.

Commands:
  run --to DIR        locally: start the next space's encoder and profile-fuser (this machine's
                      built services, KAFKA_GROUP_SUFFIX=--suffix), re-embed the archive (rate-
                      limited), write the item table, re-fuse, report progress with an ETA until
                      caught up; with --cutover, then cut over. The services keep running until
                      --duration ends or Ctrl-C.
  status              which space profiles.v1 carries, and for every encoder and profile-fuser
                      group: records consumed, records left, ETA (two readings --interval apart);
                      with --space, how many served users already have a profile in that space
  cutover             make --space (or the space of --model) the one on profiles.v1; refused
                      while a profile-fuser group has more than --max-lag records to consume, or
                      (with --min-coverage) too few served users have a profile in the new space
  rollback            cut over to the space served before the last cut-over
  seed-items          write the item vectors of --model's space from texts.embedded.v1 into
                      profile-fuser's item table (items first: before the next fuser starts)
  drop                after the grace period: remove --space (not the served one) from the state
                      and item topics (tombstones) and Redis, and delete the consumer groups of
                      its deployment (--suffix; scale it to zero first)

Options:
  --to DIR            model directory of the new space (run)
  --model DIR         model directory naming a space (cutover, seed-items)
  --projection FILE   PCA artefact of the new space (with --to or --model), if it has one
  --variant V         fp32 or int8 weights (default int8)
  --space KEY         a space by its key, model id [+projection id] (cutover)
  --suffix S          KAFKA_GROUP_SUFFIX of the next space's services (default .next; drop: of the
                      dropped space's, where "" is the deployment without a suffix)
  --rate N            texts per second the re-embedding may take (default 50; 0 = no limit)
  --nice N            run: niceness of the next space's processes, 0-19 (default 19: the served
                      services keep the cores they need, the re-embedding takes what is left)
  --max-lag N         most records a group may have left and count as caught up (default 100)
  --min-coverage R    cutover, rollback: share of the users on profiles.v1 (0-1) that must have a
                      profile in the new space; reads both profile topics whole (default: not checked)
  --interval S        seconds between the two readings of status (default 5)
  --cutover           run: cut over once caught up
  --duration S        run: stop the services after S seconds (default: at Ctrl-C)
  --force             cutover: whatever the lag
  -h, --help          this text

Environment:
  KAFKA_BROKERS (127.0.0.1:9092), KAFKA_TOPIC_PREFIX and the other KAFKA_* settings (TLS, SASL);
  REDIS_URL / REDIS_CLUSTER_NODES, REDIS_KEY_PREFIX and the other REDIS_* settings (drop; run
  passes them to the services it starts).

Examples:
  npm run migrate -- run --to .cache/models/paraphrase-multilingual-MiniLM-L12-v2 --rate 40
  npm run migrate -- status
  npm run migrate -- cutover --model .cache/models/paraphrase-multilingual-MiniLM-L12-v2
  npm run migrate -- rollback
  npm run migrate -- drop --space 'all-MiniLM-L6-v2@d4aff7c8' --suffix ''`;

const COMMANDS = ['run', 'status', 'cutover', 'rollback', 'seed-items', 'drop'] as const;
type Command = (typeof COMMANDS)[number];

const positiveNumber = (name: string, raw: string | undefined, fallback: number, allowZero = false) => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0))
    throw new UsageError(`--${name}: expected a ${allowZero ? 'non-negative' : 'positive'} number, got "${raw}"`);
  return n;
};

const coverageShare = (raw: string) => {
  const n = Number(raw);
  if (!(n >= 0 && n <= 1)) throw new UsageError(`--min-coverage: expected a share from 0 to 1, got "${raw}"`);
  return n;
};

const args = commandLine(
  {
    command: 'npm run migrate',
    usage: USAGE,
    positionals: true,
    options: {
      to: { type: 'string' },
      model: { type: 'string' },
      projection: { type: 'string' },
      variant: { type: 'string', default: 'int8' },
      space: { type: 'string' },
      suffix: { type: 'string', default: '.next' },
      rate: { type: 'string' },
      'max-lag': { type: 'string' },
      interval: { type: 'string' },
      cutover: { type: 'boolean', default: false },
      nice: { type: 'string' },
      'min-coverage': { type: 'string' },
      duration: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
  },
  ({ values, positionals }) => {
    const [command, ...rest] = positionals;
    if (!command) throw new UsageError(`a command is required: ${COMMANDS.join(', ')}`);
    if (!(COMMANDS as readonly string[]).includes(command))
      throw new UsageError(`unknown command "${command}": expected one of ${COMMANDS.join(', ')}`);
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    if (values.variant !== 'fp32' && values.variant !== 'int8')
      throw new UsageError(`--variant: expected fp32 or int8, got "${values.variant}"`);
    if (!/^[a-zA-Z0-9._-]*$/.test(values.suffix))
      throw new UsageError('--suffix: letters, digits, dot, underscore and dash only');
    if (command !== 'drop' && values.suffix === '')
      throw new UsageError('--suffix: the next space needs a suffix of its own (default .next)');
    if (command === 'drop' && !values.space) throw new UsageError('drop needs --space KEY');
    if (values.nice !== undefined && !/^(1?[0-9])$/.test(values.nice))
      throw new UsageError(`--nice: expected a whole number from 0 to 19, got "${values.nice}"`);
    if (command === 'run' && !values.to) throw new UsageError('run needs --to DIR (the new model)');
    if (command === 'seed-items' && !values.model) throw new UsageError('seed-items needs --model DIR');
    if (command === 'cutover' && !values.space && !values.model)
      throw new UsageError('cutover needs --space KEY or --model DIR');
    return {
      command: command as Command,
      modelDir: values.to ?? values.model ?? null,
      projection: values.projection ?? null,
      variant: values.variant as 'fp32' | 'int8',
      space: values.space ?? null,
      suffix: values.suffix,
      rate: positiveNumber('rate', values.rate, 50, true),
      maxLag: positiveNumber('max-lag', values['max-lag'], 100, true),
      intervalS: positiveNumber('interval', values.interval, 5),
      cutover: values.cutover,
      durationS: values.duration === undefined ? null : positiveNumber('duration', values.duration, 0),
      force: values.force,
      nice: positiveNumber('nice', values.nice, 19, true),
      minCoverage: values['min-coverage'] === undefined ? null : coverageShare(values['min-coverage']),
    };
  },
);

const settings = toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'migrate');
const prefix = settings.topicPrefix;

async function spaceOf(dir: string): Promise<EmbeddingSpace & { key: string }> {
  const bundle = await loadModelBundle(dir, args.variant);
  const projection = args.projection ? loadProjection(args.projection, bundle.modelId) : null;
  const space = embeddingSpaceOf(bundle, projection);
  return { ...space, key: spaceKey(space) };
}

const fmtEta = (s: number | null) =>
  s === null ? 'ETA unknown (nothing consumed since the last reading)' : `ETA ${formatSeconds(s)}`;

function formatSeconds(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** The profile serde, its schemas read (a registry with confluent framing). */
async function profileSerde() {
  const serde = topicSerde(topicCatalog(prefix).profiles, settings);
  await serde.init();
  return serde;
}

async function embeddedSerde() {
  const serde = topicSerde(topicCatalog(prefix).textsEmbedded, settings);
  await serde.init();
  return serde;
}

async function status(kafka: Kafka, admin: Admin): Promise<void> {
  const serving = await readServing(kafka, admin, prefix);
  console.log(
    serving
      ? `profiles.v1 carries ${serving.space} (epoch ${serving.epoch}, since ${new Date(serving.changedAt).toISOString()}; before: ${serving.previousSpace ?? 'none recorded'})`
      : 'no serving record yet: the profile-fuser deployment without a KAFKA_GROUP_SUFFIX publishes on profiles.v1',
  );
  const topics = topicCatalog(prefix);
  const { groups } = await admin.listGroups();
  const watched = groups
    .map((g) => g.groupId)
    .filter((id) => id.startsWith(`${prefix}${ENCODER_GROUP}`) || id.startsWith(`${prefix}${FUSER_GROUP}`))
    .filter((id) => !isReaderGroup(id))
    .sort();
  const inputsOf = (id: string) =>
    id.startsWith(`${prefix}${ENCODER_GROUP}`) ? [topics.textsCleaned.name] : FUSER_INPUTS.map((k) => topics[k].name);
  const first = new Map<string, GroupProgress>();
  for (const id of watched) first.set(id, await groupProgress(admin, id, inputsOf(id)));
  await new Promise((r) => setTimeout(r, args.intervalS * 1000));
  for (const id of watched) {
    const now = await groupProgress(admin, id, inputsOf(id));
    const eta = etaSeconds(first.get(id)!, now, args.intervalS * 1000);
    console.log(`${id}: ${now.consumed} consumed, ${now.lag} left, ${now.lag === 0 ? 'caught up' : fmtEta(eta)}`);
  }
  if (args.space) {
    const c = await spaceCoverage(kafka, admin, prefix, args.space, await profileSerde());
    console.log(`coverage of ${args.space}: ${c.covered} of ${c.served} served users (${(100 * c.share).toFixed(1)}%)`);
  }
}

async function cutOverTo(kafka: Kafka, admin: Admin, space: string): Promise<void> {
  const record = await cutOver(kafka, admin, {
    prefix,
    space,
    servedBefore: await servedSpaceOnTopic(kafka, admin, prefix, await profileSerde()),
    replicationFactor: settings.replicationFactor,
    maxLag: args.maxLag,
    ...(args.minCoverage === null ? {} : { coverage: { min: args.minCoverage, profileSerde: await profileSerde() } }),
    force: args.force,
  });
  console.log(
    `cut over: profiles.v1 now carries ${record.space} (epoch ${record.epoch}; versions from ${record.epoch} × 2^32); before: ${record.previousSpace ?? 'unknown'}. Its profile-fuser republishes every profile within seconds; rollback: npm run migrate -- rollback`,
  );
}

async function run(kafka: Kafka, admin: Admin): Promise<void> {
  const space = await spaceOf(args.modelDir!);
  const served = await readServing(kafka, admin, prefix);
  const servedSpace = served?.space ?? (await servedSpaceOnTopic(kafka, admin, prefix, await profileSerde()));
  if (!servedSpace)
    throw new CutOverRefused(
      'profiles.v1 holds no profile yet: nothing to migrate (start the services with the new model instead)',
    );
  ensureBuilt();
  const started: ServiceProcess[] = [];
  const start = async (name: 'encoder' | 'profile-fuser', env: Record<string, string>) => {
    const s = new ServiceProcess({
      name,
      port: await freePortRun(1),
      nice: args.nice,
      logName: `${name}${args.suffix}.log`,
      env: { KAFKA_GROUP_SUFFIX: args.suffix, ...env },
    });
    started.push(s);
    s.start();
    await s.waitReady(300_000);
    console.log(`${name}${args.suffix} ready on ${s.baseUrl} (log ${s.logFile})`);
  };
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await Promise.all(started.map((s) => s.kill('SIGTERM')));
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(143)));
  try {
    await catchUp(kafka, admin, space, servedSpace, start, started);
  } catch (err) {
    // The services started for the run must not outlive it.
    await stop();
    throw err;
  }
  if (args.durationS !== null) {
    await new Promise((r) => setTimeout(r, args.durationS! * 1000));
    if (!stopping) await stop();
  } else console.log('the next space keeps up with live traffic until Ctrl-C');
}

async function catchUp(
  kafka: Kafka,
  admin: Admin,
  space: EmbeddingSpace & { key: string },
  servedSpace: string,
  start: (name: 'encoder' | 'profile-fuser', env: Record<string, string>) => Promise<void>,
  started: ServiceProcess[],
): Promise<void> {
  const report = await runMigration({
    kafka,
    admin,
    prefix,
    groupSuffix: args.suffix,
    space,
    servedSpace,
    embeddedSerde: await embeddedSerde(),
    replicationFactor: settings.replicationFactor,
    maxLag: args.maxLag,
    pollMs: 2_000,
    deadline: Infinity,
    startEncoder: () =>
      start('encoder', {
        ENCODER_MODEL_DIR: args.modelDir!,
        ENCODER_MODEL_VARIANT: args.variant,
        ENCODER_MAX_TEXTS_PER_SECOND: String(args.rate),
        ...(args.projection ? { ENCODER_PROJECTION_FILE: args.projection } : {}),
      }),
    startFuser: () =>
      start('profile-fuser', {
        FUSER_MODEL_DIR: args.modelDir!,
        FUSER_MODEL_VARIANT: args.variant,
        ...(args.projection ? { FUSER_PROJECTION_FILE: args.projection } : {}),
      }),
    onProgress: (p) =>
      console.log(
        `${p.phase}: ${p.consumed} consumed, ${p.lag} left, ${p.lag <= args.maxLag ? 'caught up' : fmtEta(p.etaS)}`,
      ),
    log: (line) => console.log(line),
  });
  const texts = await started[0]!.metric('encoder_texts_embedded_total');
  console.log(
    `caught up: ${texts} texts embedded in ${report.seconds.reEmbed.toFixed(0)} s (${(texts / Math.max(1, report.seconds.reEmbed)).toFixed(1)} texts/s), ${report.seeded.items} items written first, ${report.fusedOffsets} records re-fused in ${report.seconds.reFuse.toFixed(0)} s`,
  );
  if (args.cutover) await cutOverTo(kafka, admin, space.key);
  else console.log(`next: npm run migrate -- cutover --space '${space.key}'`);
}

async function main(): Promise<void> {
  const kafka = createKafka(settings, silentLog);
  const admin = kafka.admin();
  await admin.connect();
  try {
    switch (args.command) {
      case 'status':
        return await status(kafka, admin);
      case 'cutover':
        return await cutOverTo(kafka, admin, args.space ?? (await spaceOf(args.modelDir!)).key);
      case 'rollback': {
        const serving = await readServing(kafka, admin, prefix);
        if (!serving?.previousSpace) throw new CutOverRefused('no earlier cut-over to roll back');
        return await cutOverTo(kafka, admin, serving.previousSpace);
      }
      case 'seed-items': {
        const space = await spaceOf(args.modelDir!);
        // The next space's fuser starts after this: it must find the served space named.
        const servedSpace = await servedSpaceOnTopic(kafka, admin, prefix, await profileSerde());
        if (servedSpace)
          await registerServing(kafka, admin, {
            prefix,
            space: servedSpace,
            replicationFactor: settings.replicationFactor,
          });
        const r = await seedItems(kafka, admin, {
          prefix,
          space,
          embeddedSerde: await embeddedSerde(),
          replicationFactor: settings.replicationFactor,
        });
        return console.log(
          `${r.items} item vectors of ${space.key} written (${r.otherSpaces} of other spaces passed over)`,
        );
      }
      case 'run':
        return await run(kafka, admin);
      case 'drop': {
        const redisEnv = parseEnv(redisEnvSchema, process.env);
        const redis = createRedis(toRedisSettings(redisEnv), 'migrate');
        try {
          const r = await dropSpace(kafka, admin, redis, {
            prefix,
            redisKeyPrefix: redisEnv.REDIS_KEY_PREFIX,
            space: args.space!,
            groupSuffix: args.suffix,
          });
          return console.log(
            `dropped ${args.space}: ${r.stateRecords} state and ${r.itemRecords} item records tombstoned, ${r.redisKeys} Redis keys removed, groups deleted: ${r.groupsDeleted.join(', ') || 'none'}`,
          );
        } finally {
          redis.disconnect();
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(`migrate: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof CutOverRefused ? 3 : 1);
});
