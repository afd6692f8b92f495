/**
 * profile-fuser on the click path, end to end on this machine: clicks produced onto Kafka → folded
 * into partition-owned state → committed (state topic, profiles, offsets in one transaction) →
 * synced to Redis. Kafka, Redis, the fuser(s) and the producer share the cores.
 *
 * Cases: sustained throughput with one instance; the same with two instances on the same 6
 * partitions; click-to-profile latency at half the sustained rate (a shorter publish interval);
 * 1,000,000 distinct users (state spills to Redis). For each: updates/s, cores used per process,
 * bytes per update into Kafka and through Redis, peak RSS of the fuser(s).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { kafkaEnvSchema, parseEnv, redisEnvSchema, toKafkaSettings, toRedisSettings } from '@profilestream/config';
import { SingleObjectSerde, topicCatalog, type Click, type TopicCatalog } from '@profilestream/contracts';
import {
  BatchingProducer,
  createKafka,
  provisionTopics,
  silentLog,
  type Admin,
  type Kafka,
} from '@profilestream/kafka';
import { createRedis, unlinkKeys, type RedisClient } from '@profilestream/redis';
import { loadModelBundle } from '@profilestream/inference';
import { itemEmbedding } from '@profilestream/tools-events';
import {
  ServiceProcess,
  freePortRun,
  bucketDelta,
  histogramBuckets,
  histogramQuantile,
} from '@profilestream/tools-runtime';
import { newResult, type BenchResult, type BenchRow } from './bench-harness';
import { deployedRuntime, describeRuntime, type DeployedRuntime } from './deployment-env';

const repoRoot = resolve(__dirname, '../..');
const PARTITIONS = 6;
const ITEMS = 200;
const HOT_USERS = 2000;
const THROUGHPUT_CLICKS = Number(process.env['BENCH_FUSER_CLICKS'] ?? 300_000);
const LATENCY_CLICKS = Number(process.env['BENCH_FUSER_LATENCY_CLICKS'] ?? 300_000);
const DISTINCT_USERS = Number(process.env['BENCH_FUSER_DISTINCT_USERS'] ?? 1_000_000);
/** Users of the publish-bound latency case: each clicks about once a minute, so every click is a publish. */
const MANY_USERS = Number(process.env['BENCH_FUSER_MANY_USERS'] ?? 20_000);
const MANY_USERS_CLICKS = 2 * MANY_USERS;
/** Publish interval of the latency case: short enough that a click reaches its profile fast. */
const LATENCY_PUBLISH_INTERVAL_MS = 100;
const LATENCY = 'profile_fuser_event_to_profile_seconds';
const ACTIONS = ['view', 'view', 'click', 'like', 'add_to_cart', 'purchase'] as const;
/** Cases to run (all by default): throughput, two-instances, latency, latency-many-users, distinct-users. */
const CASES = new Set(
  (process.env['BENCH_FUSER_CASES'] ?? 'throughput,two-instances,latency,latency-many-users,distinct-users').split(','),
);

interface Env {
  kafka: Kafka;
  admin: Admin;
  redis: RedisClient;
  modelId: string;
  dim: number;
}

export async function benchFuser(): Promise<BenchResult> {
  const result = newResult('fuser');
  const settings = toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'bench');
  const kafka = createKafka(settings, silentLog);
  const admin = kafka.admin();
  await admin.connect();
  const redis = createRedis(toRedisSettings(parseEnv(redisEnvSchema, process.env)), 'bench');
  await redis.connect();
  const bundle = await loadModelBundle(join(repoRoot, '.cache/models/all-MiniLM-L6-v2'), 'int8');
  const env: Env = { kafka, admin, redis, modelId: bundle.modelId, dim: bundle.manifest.dimension };
  const progress = (what: string) => console.log(`  fuser bench: ${what}…`);
  try {
    if (CASES.has('throughput')) {
      progress(`${THROUGHPUT_CLICKS} clicks of ${HOT_USERS} users, one instance, as fast as possible`);
      result.rows.push(
        (
          await runCase(env, {
            name: `1 instance, ${PARTITIONS} partitions, ${HOT_USERS} users`,
            instances: 1,
            clicks: THROUGHPUT_CLICKS,
            users: HOT_USERS,
            publishIntervalMs: 1000,
            rate: null,
          })
        ).row,
      );
    }
    if (CASES.has('two-instances')) {
      progress(`${THROUGHPUT_CLICKS} clicks, two instances`);
      result.rows.push(
        (
          await runCase(env, {
            name: `2 instances, ${PARTITIONS} partitions, ${HOT_USERS} users`,
            instances: 2,
            clicks: THROUGHPUT_CLICKS,
            users: HOT_USERS,
            publishIntervalMs: 1000,
            rate: null,
          })
        ).row,
      );
    }
    if (CASES.has('latency')) {
      progress(`latency: sustained rate with a ${LATENCY_PUBLISH_INTERVAL_MS} ms publish interval, then half of it`);
      const fast = await runCase(env, {
        name: `1 instance, publish interval ${LATENCY_PUBLISH_INTERVAL_MS} ms, as fast as possible`,
        instances: 1,
        clicks: THROUGHPUT_CLICKS,
        users: HOT_USERS,
        publishIntervalMs: LATENCY_PUBLISH_INTERVAL_MS,
        rate: null,
      });
      result.rows.push(fast.row);
      const half = Math.floor(fast.updatesPerSecond / 2);
      progress(`latency at ${half} clicks/s`);
      result.rows.push(
        (
          await runCase(env, {
            name: `1 instance, publish interval ${LATENCY_PUBLISH_INTERVAL_MS} ms, at half that rate`,
            instances: 1,
            clicks: LATENCY_CLICKS,
            users: HOT_USERS,
            publishIntervalMs: LATENCY_PUBLISH_INTERVAL_MS,
            rate: half,
          })
        ).row,
      );
    }
    if (CASES.has('latency-many-users')) {
      // Every click its own publish (a user's clicks are far apart): the sustained rate is what the
      // fuser publishes, and half of it leaves the fuser half idle, as the latency goal assumes.
      progress(`latency, ${MANY_USERS} users (every click a publish): sustained rate, then half of it`);
      const base = {
        instances: 1,
        clicks: MANY_USERS_CLICKS,
        users: MANY_USERS,
        publishIntervalMs: LATENCY_PUBLISH_INTERVAL_MS,
      };
      const fast = await runCase(env, {
        ...base,
        name: `1 instance, ${MANY_USERS.toLocaleString('en-US')} users, publish interval ${LATENCY_PUBLISH_INTERVAL_MS} ms, as fast as possible`,
        rate: null,
      });
      result.rows.push(fast.row);
      const half = Math.floor(fast.updatesPerSecond / 2);
      progress(`latency, ${MANY_USERS} users, at ${half} clicks/s`);
      result.rows.push(
        (
          await runCase(env, {
            ...base,
            name: `1 instance, ${MANY_USERS.toLocaleString('en-US')} users, publish interval ${LATENCY_PUBLISH_INTERVAL_MS} ms, at half that rate`,
            rate: half,
          })
        ).row,
      );
    }
    if (CASES.has('distinct-users')) {
      progress(`${DISTINCT_USERS} clicks of ${DISTINCT_USERS} distinct users (state spills to Redis)`);
      result.rows.push(
        (
          await runCase(env, {
            name: `1 instance, ${DISTINCT_USERS.toLocaleString('en-US')} distinct users`,
            instances: 1,
            clicks: DISTINCT_USERS,
            users: DISTINCT_USERS,
            publishIntervalMs: 1000,
            rate: null,
          })
        ).row,
      );
    }

    result.notes.push(
      `${ITEMS} items with description vectors (${env.dim}-d) committed before the clicks; clicks keyed by user; one flush = one Kafka transaction (user states, profiles, changelog, consumed offsets), then a Redis sync`,
      "updates/s: clicks from the first produce until every click is committed with its state and every partition's Redis checkpoint reached the state topic's end; cores: CPU seconds of each process over that wall time (producer = this benchmark process)",
      "bytes/update: the fuser's transactional writes (state topic, profiles.v1, changelog) and Redis network bytes (in + out), per click",
      "latency: per click, publish time of the first profile holding it minus its arrival, from the fuser's histogram (interpolated within buckets, as PromQL's histogram_quantile)",
      `fuser runtime: ${describeRuntime(fuserRuntime())} (the deployment's, unless BENCH_FUSER_NODE_OPTIONS or BENCH_FUSER_NODE_FLAGS is set)`,
    );
  } finally {
    await redis.quit();
    await admin.disconnect();
  }
  return result;
}

interface Case {
  name: string;
  instances: number;
  clicks: number;
  users: number;
  publishIntervalMs: number;
  /** Clicks per second to offer, or null for as fast as possible. */
  rate: number | null;
}

/**
 * The fuser's deployed runtime; for experiments BENCH_FUSER_NODE_OPTIONS replaces its NODE_OPTIONS
 * and BENCH_FUSER_NODE_FLAGS (space-separated, empty for none) its command's flags.
 */
export function fuserRuntime(): DeployedRuntime {
  const runtime = deployedRuntime('profile-fuser');
  const options = process.env['BENCH_FUSER_NODE_OPTIONS'];
  if (options !== undefined) runtime.env['NODE_OPTIONS'] = options;
  const flags = process.env['BENCH_FUSER_NODE_FLAGS'];
  if (flags !== undefined) runtime.nodeFlags = flags.split(' ').filter(Boolean);
  return runtime;
}

async function runCase(env: Env, c: Case): Promise<{ row: BenchRow; updatesPerSecond: number }> {
  const prefix = `bench-fuser-${Date.now().toString(36)}.`;
  const topics = topicCatalog(prefix);
  const basePort = await freePortRun(c.instances);
  await provisionTopics(
    env.admin,
    [
      topics.textsEmbedded,
      topics.clicks,
      topics.userDeletions,
      topics.profiles,
      topics.profilesChangelog,
      topics.fuserState,
      topics.fuserItems,
    ],
    { replicationFactor: 1, partitions: PARTITIONS },
  );
  const runtime = fuserRuntime();
  const services = Array.from(
    { length: c.instances },
    (_, i) =>
      new ServiceProcess({
        name: 'profile-fuser',
        port: basePort + i,
        env: {
          KAFKA_TOPIC_PREFIX: prefix,
          REDIS_KEY_PREFIX: prefix,
          LOG_LEVEL: 'warn',
          FUSER_PUBLISH_INTERVAL_MS: String(c.publishIntervalMs),
          ...runtime.env,
        },
        nodeFlags: runtime.nodeFlags,
        logDir: join(repoRoot, '.local/logs', `bench-fuser-${i}`),
      }),
  );
  for (const s of services) s.start();
  const producer = new BatchingProducer(env.kafka, { log: silentLog, maxBatchMessages: 5000, lingerMs: 5 });
  try {
    await Promise.all(services.map((s) => s.waitReady(180_000)));
    await producer.connect();
    await sendItems(producer, topics, env);
    await waitFor(
      async () =>
        (await sum(services, 'profile_fuser_events_applied_total', (l) => l.includes('kind="item"'))) >= ITEMS &&
        (await waitDurable(env, topics, prefix, 0)),
      60_000,
    );
    // Wait until every instance's item table has them (a click folds at once then).
    await new Promise((r) => setTimeout(r, 1500));

    const before = await snapshot(env, services);
    const started = performance.now();
    const sent = await sendClicks(producer, topics, c);
    const produced = performance.now();
    if (!(await waitFor(() => waitDurable(env, topics, prefix, sent), 30 * 60_000)))
      throw new Error(`${c.name}: clicks not durable after 30 minutes`);
    const seconds = (performance.now() - started) / 1000;
    const after = await snapshot(env, services);
    const latency = bucketDelta(after.latency, before.latency);
    const stateBytes = after.produced.state - before.produced.state;
    const publishBytes = after.produced.publish - before.produced.publish;
    const redisBytes = after.redisNet - before.redisNet;
    const updatesPerSecond = sent / seconds;
    const row: BenchRow = {
      case: c.name,
      clicks: sent,
      'updates/s': updatesPerSecond,
      'fuser cores': (after.fuserCpu - before.fuserCpu) / seconds,
      'kafka cores': (after.kafkaCpu - before.kafkaCpu) / seconds,
      'redis cores': (after.redisCpu - before.redisCpu) / seconds,
      'producer cores': (after.benchCpu - before.benchCpu) / seconds,
      'state B/update': stateBytes / sent,
      'profiles B/update': publishBytes / sent,
      'redis B/update': redisBytes / sent,
      'publishes/update': (after.publishes - before.publishes) / sent,
      'p50 s': histogramQuantile(0.5, latency),
      'p99 s': histogramQuantile(0.99, latency),
      'peak RSS MiB': Math.round(Math.max(...services.map((s) => s.peakRssMiB() ?? 0))),
    };
    if (c.rate !== null) row['offered/s'] = c.rate;
    console.log(
      `  fuser bench: ${c.name}: ${updatesPerSecond.toFixed(0)} updates/s (produced in ${((produced - started) / 1000).toFixed(1)} s, durable after ${seconds.toFixed(1)} s)`,
    );
    return { row, updatesPerSecond };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await Promise.all(services.map((s) => s.stop()));
    await cleanUp(env, topics, prefix);
  }
}

async function sendItems(producer: BatchingProducer, topics: TopicCatalog, env: Env): Promise<void> {
  const serde = new SingleObjectSerde('EmbeddedText');
  const now = Date.now();
  const items = Array.from({ length: ITEMS }, (_, i) =>
    itemEmbedding({
      itemId: `item-${i}`,
      vector: Float32Array.from({ length: env.dim }, (_, d) => Math.sin(i * 1.3 + d * 0.7)),
      modelId: env.modelId,
      occurredAt: now - 3_600_000,
      categories: [`cat-${i % 12}`],
    }),
  );
  await producer.send(
    topics.textsEmbedded.name,
    items.map((e) => ({ key: e.itemId, value: serde.encode(e) })),
  );
}

/** Sends the clicks (as fast as possible, or paced) and returns how many were acknowledged. */
async function sendClicks(producer: BatchingProducer, topics: TopicCatalog, c: Case): Promise<number> {
  const serde = new SingleObjectSerde('Click');
  const now = Date.now();
  const started = performance.now();
  const slice = c.rate === null ? 5000 : Math.max(1, Math.round(c.rate / 100));
  const pending: Promise<void>[] = [];
  for (let i = 0; i < c.clicks; i += slice) {
    if (c.rate !== null) {
      const due = started + (i / c.rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const messages = [];
    for (let j = i; j < Math.min(c.clicks, i + slice); j++) {
      // Users spread with a stride (not in order), so every flush sees many of them.
      const userId = `user-${c.users === c.clicks ? j : (j * 7919) % c.users}`;
      const click: Click = {
        eventId: `click-${j}`,
        userId,
        itemId: `item-${(j * 31) % ITEMS}`,
        action: ACTIONS[j % ACTIONS.length]!,
        dwellMs: 1000,
        platform: 'bench',
        occurredAt: now - (c.clicks - j),
      };
      messages.push({ key: userId, value: serde.encode(click) });
    }
    pending.push(producer.send(topics.clicks.name, messages));
    // Keep a bounded number of sends in flight.
    if (pending.length >= 20) await pending.shift();
  }
  await Promise.all(pending);
  return c.clicks;
}

/** True once `clicks` clicks are committed by the group and every partition's Redis copy caught up. */
async function waitDurable(env: Env, topics: TopicCatalog, prefix: string, clicks: number): Promise<boolean> {
  const [committed] = await env.admin.fetchOffsets({ groupId: `${prefix}profile-fuser`, topics: [topics.clicks.name] });
  const done = (committed?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  if (done < clicks) return false;
  const ends = await env.admin.fetchTopicOffsets(topics.fuserState.name);
  for (const { partition, high } of ends) {
    const ckpt = await env.redis.get(`${prefix}{pf-${partition}}:${env.modelId}:ckpt`);
    // The log ends with the last transaction's commit marker, one past the checkpoint.
    if (Number(high) > 0 && (ckpt === null || Number(ckpt) < Number(high) - 1)) return false;
  }
  return true;
}

interface Snapshot {
  fuserCpu: number;
  kafkaCpu: number;
  redisCpu: number;
  benchCpu: number;
  redisNet: number;
  produced: { state: number; publish: number };
  publishes: number;
  latency: ReturnType<typeof histogramBuckets>;
}

async function snapshot(env: Env, services: ServiceProcess[]): Promise<Snapshot> {
  const info = await env.redis.info();
  const field = (name: string) => Number(new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] ?? 0);
  const texts = await Promise.all(services.map((s) => s.metricsText()));
  const latency = texts
    .map((t) => histogramBuckets(t, LATENCY))
    .reduce(
      (a, b) => (a.length === 0 ? b : a.map((x, i) => ({ ...x, count: x.count + (b[i]?.count ?? 0) }))),
      [] as ReturnType<typeof histogramBuckets>,
    );
  const bytes = (pattern: RegExp) =>
    texts.reduce((s, t) => s + sumLines(t, 'profile_fuser_kafka_produced_bytes_total', (l) => pattern.test(l)), 0);
  const cpu = process.cpuUsage();
  return {
    fuserCpu: services.reduce((s, svc) => s + processCpuSeconds(svc.pid), 0),
    kafkaCpu: processCpuSeconds(pidFromFile('.local/infra/kafka/kafka.pid')),
    redisCpu: field('used_cpu_sys') + field('used_cpu_user'),
    benchCpu: (cpu.user + cpu.system) / 1e6,
    redisNet: field('total_net_input_bytes') + field('total_net_output_bytes'),
    produced: { state: bytes(/profile-fuser\.(state|items)\.v1/), publish: bytes(/profiles\.(v1|changelog\.v1)"/) },
    publishes: texts.reduce((s, t) => s + sumLines(t, 'profile_fuser_profiles_published_total'), 0),
    latency,
  };
}

function sumLines(exposition: string, name: string, filter: (labels: string) => boolean = () => true): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z0-9_:]+)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name && filter(m[2] ?? '')) sum += Number(m[3]);
  }
  return sum;
}

async function sum(services: ServiceProcess[], name: string, filter: (labels: string) => boolean): Promise<number> {
  return (await Promise.all(services.map((s) => s.metric(name, filter)))).reduce((a, b) => a + b, 0);
}

/** utime + stime of a process, in seconds (Linux /proc; 0 when unknown). */
function processCpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function pidFromFile(file: string): number | undefined {
  try {
    return Number(
      readFileSync(
        join(
          repoRoot,
          process.env['INFRA_STATE_DIR'] ? file.replace('.local/infra', process.env['INFRA_STATE_DIR']) : file,
        ),
        'utf8',
      ).trim(),
    );
  } catch {
    return undefined;
  }
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function cleanUp(env: Env, topics: TopicCatalog, prefix: string): Promise<void> {
  const present = new Set(await env.admin.listTopics());
  const names = Object.values(topics)
    .flatMap((t) => [t.name, `${t.name}.dlq`])
    .filter((n) => present.has(n));
  await env.admin.deleteTopics({ topics: names }).catch(() => undefined);
  await unlinkKeys(env.redis, `${prefix}*`);
}
