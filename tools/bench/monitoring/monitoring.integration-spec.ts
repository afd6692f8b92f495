/**
 * The monitoring files against the real thing: the three built services run on the local broker
 * and Redis (topics, groups and keys of their own), a real Prometheus (Debian's binary) scrapes
 * them every second with the project's recording and alerting rules, and sample events flow
 * through the pipeline. Checks that every metric the dashboard and the rules name is exported,
 * that every stage shows throughput and latency, that every rule evaluates, and that every
 * dashboard query runs and every panel shows data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { allTopicSpecs, topicCatalog } from '@profilestream/contracts';
import { EventProducer } from '@profilestream/event-producer';
import { createKafka, provisionTopics, silentLog, type Kafka } from '@profilestream/kafka';
import { freePort, uniqueName, waitFor } from '@profilestream/kafka/testing';
import { testRedis, uniquePrefix } from '@profilestream/redis/testing';
import { SampleFeed } from '@profilestream/tools-events';
import { ServiceProcess, ensureBuilt } from '@profilestream/tools-runtime';
import {
  dashboardQueries,
  dashboardVariableMetrics,
  exportedFamilies,
  metricNames,
  substituteVariables,
  unknownNames,
} from './promql';
import { dashboardFile, prometheusBinary, ruleFiles } from './prometheus-tools';

const STAGES = [
  { name: 'text-cleaner', prefix: 'text_cleaner' },
  { name: 'encoder', prefix: 'encoder' },
  { name: 'profile-fuser', prefix: 'profile_fuser' },
] as const;

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

interface RuleState {
  name: string;
  query: string;
  type: 'recording' | 'alerting';
  health: string;
  lastError?: string;
  state?: string;
}

const prefix = `${uniqueName('monitoring')}.`;
const redisPrefix = uniquePrefix();
const workDir = mkdtempSync(join(tmpdir(), 'profilestream-monitoring-'));
const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as unknown;
let services: ServiceProcess[] = [];
let prometheus: ChildProcess | null = null;
let prometheusUrl = '';
let kafka: Kafka;
let producer: EventProducer | null = null;
let feeding: Promise<void> = Promise.resolve();
let stopFeeding = false;
let sent = 0;

async function promApi<T>(path: string): Promise<T> {
  const res = await fetch(`${prometheusUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; data: T; errorType?: string; error?: string };
  if (body.status !== 'success') throw new Error(`${path}: ${body.errorType}: ${body.error}`);
  return body.data;
}

async function query(expr: string): Promise<Sample[]> {
  const data = await promApi<{ resultType: string; result: Sample[] }>(
    `/api/v1/query?query=${encodeURIComponent(expr)}`,
  );
  if (data.resultType !== 'vector') throw new Error(`${expr}: expected a vector, got ${data.resultType}`);
  return data.result;
}

async function rules(): Promise<RuleState[]> {
  const data = await promApi<{ groups: { rules: RuleState[] }[] }>('/api/v1/rules');
  return data.groups.flatMap((g) => g.rules);
}

const values = (samples: Sample[]) => samples.map((s) => Number(s.value[1]));

beforeAll(async () => {
  ensureBuilt();
  const promtoolOk = prometheusBinary('promtool'); // fail early and clearly when not installed
  expect(promtoolOk).toBeTruthy();
  const [cleanerPort, encoderPort, fuserPort, promPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const topics = topicCatalog(prefix);
  const settings = toKafkaSettings(
    parseEnv(kafkaEnvSchema, { ...process.env, KAFKA_TOPIC_PREFIX: prefix }),
    'monitoring-test',
  );
  kafka = createKafka(settings, silentLog);
  const admin = kafka.admin();
  await admin.connect();
  await provisionTopics(admin, allTopicSpecs(topics), { replicationFactor: 1, partitions: 2 });
  await admin.disconnect();

  const env = {
    KAFKA_TOPIC_PREFIX: prefix,
    REDIS_KEY_PREFIX: redisPrefix,
    KAFKA_TOPIC_PARTITIONS: '2',
    LOG_LEVEL: 'info',
  };
  services = [
    new ServiceProcess({ name: 'text-cleaner', port: cleanerPort!, env, logDir: workDir }),
    new ServiceProcess({ name: 'encoder', port: encoderPort!, env: { ...env, ENCODER_WORKERS: '1' }, logDir: workDir }),
    new ServiceProcess({ name: 'profile-fuser', port: fuserPort!, env, logDir: workDir }),
  ];
  for (const s of services) s.start();

  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    ...ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
    'scrape_configs:',
    ...services.flatMap((s) => [
      `  - job_name: ${s.options.name}`,
      '    static_configs:',
      `      - targets: ["127.0.0.1:${s.options.port}"]`,
    ]),
  ].join('\n');
  writeFileSync(join(workDir, 'prometheus.yml'), config);
  prometheusUrl = `http://127.0.0.1:${promPort}`;
  prometheus = spawn(
    prometheusBinary('prometheus'),
    [
      `--config.file=${join(workDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(workDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let prometheusLog = '';
  prometheus.stderr?.on('data', (d: Buffer) => (prometheusLog = (prometheusLog + d.toString()).slice(-4000)));

  await Promise.all(services.map((s) => s.waitReady(90_000)));
  const promReady = await waitFor(
    async () => (await fetch(`${prometheusUrl}/-/ready`).catch(() => null))?.ok === true,
    30_000,
    250,
  );
  if (!promReady) throw new Error(`Prometheus did not become ready:\n${prometheusLog}`);

  // Events flow until the end of the tests, so rates stay non-zero while they are queried.
  producer = new EventProducer(settings, silentLog);
  await producer.connect();
  const feed = new SampleFeed({ users: 30, seed: 7 });
  await Promise.all(feed.catalogue(Date.now()).map((item) => producer!.sendItem(item)));
  // Bytes without an Avro framing: text-cleaner dead-letters them (unknown_framing), so dead-letter series exist.
  const raw = kafka.producer();
  await raw.connect();
  await raw.send({
    topic: topics.reviews.name,
    messages: [0, 1, 2].map((i) => ({ key: `bad-${i}`, value: Buffer.from(`not avro ${i}`) })),
  });
  await raw.disconnect();
  // A double submit (the same review twice): text-cleaner drops the second, so drop series exist from the start.
  const review = {
    eventId: 'double-1',
    userId: 'user-double',
    itemId: feed.catalogue(Date.now())[0]!.itemId,
    text: 'Sounds warm and stays in tune.',
    rating: 5,
    platform: 'monitoring-test',
    occurredAt: Date.now(),
  };
  await producer.sendReview(review);
  await producer.sendReview({ ...review, eventId: 'double-2' });
  feeding = (async () => {
    while (!stopFeeding) {
      const events = Array.from({ length: 4 }, () => feed.next(Date.now()));
      await Promise.all(events.map((e) => producer!.send(e)));
      sent += events.length;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();

  const [cleaner, , fuser] = services as [ServiceProcess, ServiceProcess, ServiceProcess];
  const flowing = await waitFor(
    async () =>
      (await fuser.metric('profile_fuser_profiles_published_total')) > 0 &&
      (await cleaner.metric('text_cleaner_kafka_dead_lettered_total')) > 0 &&
      (await cleaner.metric('text_cleaner_texts_dropped_total')) > 0,
    90_000,
    500,
  );
  if (!flowing)
    throw new Error(
      `no profile published, dead letter or drop after 90 s (${sent} events sent):\n${services.map((s) => s.logTail(10)).join('\n')}`,
    );
  // Prometheus needs two scrapes after the first profile for rates, and a rule evaluation after that.
  const scraped = await waitFor(
    async () =>
      (await query('profilestream:stage_messages:rate5m{outcome="ok"} > 0')).length === 3 &&
      (await query('rate(text_cleaner_texts_dropped_total[1m])')).length > 0,
    30_000,
    500,
  );
  if (!scraped)
    throw new Error(
      `recording rules show no throughput for all stages: ${JSON.stringify(await query('profilestream:stage_messages:rate5m'))}`,
    );
}, 240_000);

afterAll(async () => {
  stopFeeding = true;
  await feeding.catch(() => undefined);
  await producer?.disconnect().catch(() => undefined);
  const prometheusExited =
    prometheus && prometheus.exitCode === null ? new Promise((r) => prometheus!.once('exit', r)) : Promise.resolve();
  prometheus?.kill('SIGTERM');
  await Promise.all([prometheusExited, ...services.map((s) => s.stop())]);
  if (kafka) {
    const admin = kafka.admin();
    await admin.connect();
    const ours = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    await admin.deleteTopics({ topics: ours }).catch(() => undefined);
    await admin.deleteGroups(STAGES.map((s) => `${prefix}${s.name}`)).catch(() => undefined);
    await admin.disconnect();
  }
  const redis = await testRedis();
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  rmSync(workDir, { recursive: true, force: true });
}, 60_000);

describe('monitoring against running services and a real Prometheus', () => {
  it('names only metrics the services export, in the dashboard and in every rule', async () => {
    const families = new Map<string, string>();
    for (const s of services) {
      const text = await (await fetch(`${s.baseUrl}/metrics`)).text();
      for (const [name, type] of exportedFamilies(text)) families.set(name, type);
    }
    // Sanity: a family of each kind the files rely on is really there.
    expect(families.get('profile_fuser_event_to_profile_seconds')).toBe('histogram');
    expect(families.get('encoder_process_resident_memory_bytes')).toBe('gauge');

    const loaded = await rules();
    // Both files, all groups: as many rules as promtool counts in them (25 recording, 12 alerting).
    expect(loaded.filter((r) => r.type === 'recording')).toHaveLength(25);
    expect(loaded.filter((r) => r.type === 'alerting')).toHaveLength(12);
    const recorded = new Set(loaded.filter((r) => r.type === 'recording').map((r) => r.name));

    const problems: string[] = [];
    for (const r of loaded) {
      for (const name of unknownNames(metricNames(r.query), families, recorded))
        problems.push(`rule ${r.name}: ${name}`);
    }
    for (const q of dashboardQueries(dashboard)) {
      for (const name of unknownNames(metricNames(q.expr), families, recorded))
        problems.push(`panel "${q.panel}" ${q.refId}: ${name}`);
    }
    for (const name of unknownNames(dashboardVariableMetrics(dashboard), families, recorded))
      problems.push(`dashboard variable: ${name}`);
    expect(problems).toEqual([]);
  });

  it('shows throughput and latency for every stage', async () => {
    for (const { name, prefix: p } of STAGES) {
      const throughput = values(await query(`sum(rate(${p}_kafka_message_outcomes_total{outcome="ok"}[1m]))`));
      expect({ stage: name, throughput: throughput[0]! > 0 }).toEqual({ stage: name, throughput: true });
      const p99 = values(
        await query(`histogram_quantile(0.99, sum by (le) (rate(${p}_kafka_handler_seconds_bucket[1m])))`),
      );
      expect({ stage: name, latencyFinite: Number.isFinite(p99[0]) && p99[0]! > 0 }).toEqual({
        stage: name,
        latencyFinite: true,
      });
    }
    expect(values(await query('sum(rate(text_cleaner_texts_cleaned_total[1m]))'))[0]).toBeGreaterThan(0);
    expect(values(await query('sum(rate(encoder_texts_embedded_total[1m]))'))[0]).toBeGreaterThan(0);
    expect(values(await query('sum(rate(profile_fuser_events_applied_total[1m]))'))[0]).toBeGreaterThan(0);
    const [p50, p99] = [
      values(
        await query('histogram_quantile(0.5, sum by (le) (rate(profile_fuser_event_to_profile_seconds_bucket[1m])))'),
      )[0]!,
      values(
        await query('histogram_quantile(0.99, sum by (le) (rate(profile_fuser_event_to_profile_seconds_bucket[1m])))'),
      )[0]!,
    ];
    expect(p50).toBeGreaterThan(0);
    expect(p99).toBeGreaterThanOrEqual(p50);
    expect(p99).toBeLessThanOrEqual(300);
  });

  it('evaluates every recording and alerting rule, with the series the dashboard and alerts use', async () => {
    // Every rule has been evaluated (health ok, not unknown) without error.
    const settled = await waitFor(async () => (await rules()).every((r) => r.health === 'ok'), 20_000, 500);
    const failing = (await rules())
      .filter((r) => r.health !== 'ok')
      .map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`);
    expect({ settled, failing }).toEqual({ settled: true, failing: [] });

    const stagesOf = async (expr: string) => new Set((await query(expr)).map((s) => s.metric['stage'])).size;
    // Recorded series appear at the rule interval after the stage's first samples: on a loaded
    // machine a stage can be a round late, so each is given a few rounds.
    const everyStage = async (expr: string) =>
      (await waitFor(async () => (await stagesOf(expr)) === 3, 20_000, 500)) ? 3 : stagesOf(expr);
    expect(await everyStage('profilestream:stage_consumed_messages:rate5m > 0')).toBe(3);
    expect(await everyStage('profilestream:stage_handler_seconds:p99_5m > 0')).toBe(3);
    expect(await everyStage('profilestream:stage_consumer_lag_messages:sum >= 0')).toBe(3);
    expect(await everyStage('profilestream:stage_health_check_up:min == 1')).toBe(3);
    const dlq = await query('profilestream:stage_dead_lettered:rate5m');
    expect(dlq.map((s) => `${s.metric['stage']}/${s.metric['reason']}`)).toContain('text-cleaner/unknown_framing');
    for (const name of [
      'profilestream:event_to_profile_seconds:p99_5m',
      'profilestream:encoder_cache_hit_ratio:rate15m',
      'profilestream:encoder_padding_ratio:mean5m',
      'profilestream:encoder_run_texts:mean5m',
    ]) {
      const v = values(await query(name));
      expect({ name, finite: v.length === 1 && Number.isFinite(v[0]) }).toEqual({ name, finite: true });
    }
    // A rule's first evaluations can come before its 5-minute rate has two samples of the
    // latency histogram (a busy machine scrapes late): wait for the series, as a dashboard would.
    let sloErrors: number[] = [];
    await waitFor(
      async () =>
        (sloErrors = values(await query('profilestream:event_to_profile_slo_errors:ratio_rate5m'))).length === 1,
      30_000,
      1000,
    );
    expect(sloErrors).toHaveLength(1);
    expect(sloErrors[0]).toBeGreaterThanOrEqual(0);
    expect(sloErrors[0]).toBeLessThanOrEqual(1);

    // A healthy pipeline: none of the availability alerts is pending or firing.
    const alerts = await promApi<{ alerts: { labels: { alertname: string } }[] }>('/api/v1/alerts');
    const names = alerts.alerts.map((a) => a.labels.alertname);
    for (const a of [
      'ProfileStreamServiceDown',
      'ProfileStreamTargetMissing',
      'ProfileStreamServiceNotReady',
      'ProfileStreamEncoderCpuFallback',
    ])
      expect(names).not.toContain(a);
  });

  it('runs every dashboard query, and every panel shows data', async () => {
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThan(30);
    const withData = new Set<string>();
    const errors: string[] = [];
    for (const q of queries) {
      const expr = substituteVariables(q.expr, { namespace: '.*', __rate_interval: '1m', datasource: '' });
      try {
        if ((await query(expr)).length > 0) withData.add(q.panel);
      } catch (err) {
        errors.push(`panel "${q.panel}" ${q.refId}: ${(err as Error).message}`);
      }
    }
    expect(errors).toEqual([]);
    const panels = [...new Set(queries.map((q) => q.panel))];
    expect(panels.filter((p) => !withData.has(p))).toEqual([]);
  });
});
