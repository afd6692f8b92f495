/**
 * The main job: runs the pipeline's services as separate processes on local Kafka and Redis, feeds
 * them a stream of sample events, and shows what happens live. Ctrl-C (or --duration) stops
 * everything cleanly.
 *
 *   npm start [-- --duration SECONDS] [--rate EVENTS_PER_SECOND] [--users N] [--model M]
 *             [--replay FILE|dataset]   replay a JSON-lines events file (or the review dataset)
 *                                       instead of the built-in feed, at --rate events/s (0: as fast
 *                                       as possible) or at --speedup X times its original timing
 */
import { existsSync } from 'node:fs';
import { SingleObjectSerde, TOPICS, type CleanedText, type UserProfile } from '@profilestream/contracts';
import { commandLine, numberOption, UsageError } from '@profilestream/tools-cli';
import {
  findEventsFile,
  readEvents,
  Pacer,
  pacingFrom,
  sendCounted,
  sendReplayLines,
  total,
  SampleFeed,
  type ReplayTally,
} from '@profilestream/tools-events';
import {
  LocalPipeline,
  bucketDelta,
  histogramBuckets,
  histogramQuantile,
  sumByLabel,
  modelEnv,
  modelProblem,
  type Bucket,
} from '@profilestream/tools-runtime';

const USAGE = `Usage: npm start [-- OPTIONS]

The main job: set-up (tools/ci/setup.sh), local Kafka and Redis (stopped at the end when it started
them, unless --keep-infra), a build, then text-cleaner, encoder and profile-fuser as separate processes fed a stream of
sample events (or a replayed file), with events/s, lag, latency and profiles updating shown live.
Ctrl-C (or --duration) stops everything cleanly; logs in .local/logs/.

Options:
  --duration SECONDS   stop after this long; 0 runs until Ctrl-C (default 0)
  --rate N             events per second, of the built-in feed or of --replay; with --replay,
                       0 sends as fast as possible (default 25)
  --users N            simulated users of the built-in feed (default 40)
  --model M            the encoder model: default (all-MiniLM-L6-v2, English) or multilingual
                       (multilingual-e5-small: Chinese and about 100 more languages), or a model
                       directory (default: default)
  --replay FILE        replay a gzipped JSON-lines events file (events.jsonl.gz form) instead of
                       the built-in feed; \`dataset\` replays the review dataset
  --speedup X          with --replay: X times the file's original timing, instead of --rate
  --port N             HTTP port of text-cleaner; encoder and profile-fuser take the next two
                       (default 8081)
  --keep-infra         leave the local Kafka and Redis running at the end (their topics and keys
                       stay readable: npm run consume, the read API; npm run infra:down stops them)
  -h, --help           this text

Environment:
  KAFKA_PORT (9092), REDIS_PORT (6379) and the rest of tools/infra/up.sh's: the local infrastructure
  PROFILESTREAM_DATASET_DIR   where --replay dataset looks (default ../shared/datasets/)

Example:
  npm start -- --duration 60 --rate 50`;

const { args, replayFile, pacing } = commandLine(
  {
    command: 'npm start',
    usage: USAGE,
    options: {
      duration: { type: 'string', default: '0' },
      rate: { type: 'string', default: '25' },
      users: { type: 'string', default: '40' },
      replay: { type: 'string' },
      speedup: { type: 'string' },
      model: { type: 'string', default: 'default' },
      // Read by start.sh, which owns the infrastructure; accepted here so the checks know it.
      'keep-infra': { type: 'boolean', default: false },
      port: { type: 'string', default: '8081' },
    },
  },
  ({ values }) => {
    numberOption('--duration', values.duration, { min: 0 });
    numberOption('--users', values.users, { min: 1, whole: true });
    numberOption('--port', values.port, { min: 1024, max: 65533, whole: true });
    const problem = modelProblem(values.model);
    if (problem) throw new UsageError(`--model ${values.model}: ${problem}`);
    // A bad --replay is reported before anything starts.
    const file = values.replay === 'dataset' ? findEventsFile() : (values.replay ?? null);
    if (values.replay && !file)
      throw new UsageError('no dataset found for --replay dataset (set PROFILESTREAM_DATASET_DIR)');
    if (file && !existsSync(file)) throw new UsageError(`--replay ${file}: no such file`);
    try {
      return { args: values, replayFile: file, pacing: pacingFrom({ rate: values.rate, speedup: values.speedup }) };
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
  },
);
const durationS = Number(args.duration);
const rate = Number(args.rate);
const users = Number(args.users);

// The services' own ports and topic names; every topic provisioned up front (clicks.v1 before
// profile-fuser exists included). The demo's data stays when it stops.
const pipeline = new LocalPipeline({
  prefix: '',
  basePort: Number(args.port),
  env: {
    'text-cleaner': { LOG_LEVEL: 'info' },
    encoder: { LOG_LEVEL: 'info', ENCODER_WORKERS: '1', ...modelEnv(args.model).encoder },
    // The explorer's live pipeline page reads the other two services' /metrics.
    'profile-fuser': {
      LOG_LEVEL: 'info',
      FUSER_EXPLORER_STAGES: `text-cleaner=http://127.0.0.1:${Number(args.port)},encoder=http://127.0.0.1:${Number(args.port) + 1}`,
      ...modelEnv(args.model)['profile-fuser'],
    },
  },
});
const services = Object.values(pipeline.services);

async function main(): Promise<void> {
  const kafka = pipeline.kafka;
  console.log('starting services…');
  await pipeline.start(90_000);
  console.log(
    `services ready: ${services.map((s) => `${s.options.name} (${s.baseUrl})`).join(', ')}; logs in .local/logs/`,
  );
  console.log(
    `profile explorer: ${pipeline.services['profile-fuser'].baseUrl}/explorer (type a user id, e.g. one shown below; the live pipeline at /explorer#pipeline)`,
  );

  const producer = pipeline.producer();
  await producer.connect();
  const feed = new SampleFeed({ users, seed: Date.now() % 100_000 });
  await Promise.all(feed.catalogue(Date.now()).map((item) => producer.sendItem(item)));
  await Promise.all(feed.users(Date.now()).map((user) => producer.sendUser(user)));

  const latest: CleanedText[] = [];
  const cleanedSerde = new SingleObjectSerde('CleanedText');
  const profileSerde = new SingleObjectSerde('UserProfile');
  const profiles = new Map<string, UserProfile>();
  // read_committed, as every reader of the pipeline's topics must be: the services write in transactions.
  const watcher = kafka.consumer({ groupId: `demo-watch-${Date.now()}`, maxWaitTimeInMs: 200, readUncommitted: false });
  await watcher.connect();
  await watcher.subscribe({ topics: [TOPICS.textsCleaned.name, TOPICS.profiles.name], fromBeginning: false });
  await watcher.run({
    eachMessage: async ({ topic, message }) => {
      if (!message.value) return;
      if (topic === TOPICS.profiles.name) {
        const p = profileSerde.decodeSync(message.value);
        profiles.set(p.userId, p);
        return;
      }
      latest.unshift(cleanedSerde.decodeSync(message.value));
      latest.length = Math.min(latest.length, 4);
    },
  });

  // What the platforms sent, by kind, and what was refused, by reason (replayed or generated).
  const tally: ReplayTally = { sent: {}, rejected: {} };
  const started = Date.now();
  let stopping = false;
  let requestStop: () => void = () => undefined;
  const stop = new Promise<void>((resolve) => {
    requestStop = resolve;
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    if (durationS > 0) setTimeout(resolve, durationS * 1000);
  }).then(() => (stopping = true));

  const replaying = async (file: string) => {
    await sendReplayLines(producer, readEvents(file), {
      pacer: new Pacer(pacing, Date.now()),
      platform: 'replay',
      window: 100,
      shouldStop: () => stopping,
      tally,
    });
  };
  let feedError: unknown = null;
  const feeding = (async () => {
    if (replayFile) return replaying(replayFile);
    while (!stopping) {
      const tick = Date.now();
      await Promise.all(
        Array.from({ length: Math.max(1, Math.round(rate / 10)) }, () =>
          sendCounted(producer, feed.next(Date.now()), tally),
        ),
      );
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
    }
  })().catch((err: unknown) => {
    // A feed that fails (an unreadable replay file) stops the run cleanly instead of killing it.
    feedError = err;
    requestStop();
  });

  let previous = { at: Date.now(), produced: 0, cleaned: 0, embedded: 0, applied: 0 };
  // The latency histogram as it was a few renders ago: percentiles over the last ~30 s.
  const latencyWindow: Bucket[][] = [];
  const view = setInterval(() => void render().catch(() => undefined), 2000);
  async function render(): Promise<void> {
    const { 'text-cleaner': cleaner, encoder, 'profile-fuser': fuser } = pipeline.services;
    const cleaned = await cleaner.metric('text_cleaner_texts_cleaned_total');
    const cleanerText = await cleaner.metricsText();
    const droppedBy = sumByLabel(cleanerText, 'text_cleaner_texts_dropped_total', 'reason');
    const dropped = [...droppedBy.values()].reduce((a, b) => a + b, 0);
    const droppedWhy =
      dropped > 0
        ? ` (${[...droppedBy]
            .filter(([, n]) => n > 0)
            .map(([r, n]) => `${r} ${n}`)
            .join(', ')})`
        : '';
    const dlq = await cleaner.metric('text_cleaner_texts_dead_lettered_total');
    const lag = await cleaner.metric('text_cleaner_kafka_consumer_lag_messages');
    const redactions = await cleaner.metric('text_cleaner_redactions_total');
    const embedded = await encoder.metric('encoder_texts_embedded_total');
    const hits = await encoder.metric('encoder_cache_hits_total');
    const misses = await encoder.metric('encoder_cache_misses_total');
    const runs = await encoder.metric('encoder_run_texts_count');
    const runTexts = await encoder.metric('encoder_run_texts_sum');
    const encoderLag = await encoder.metric('encoder_kafka_consumer_lag_messages');
    const fuserText = await fuser.metricsText();
    const appliedBy = sumByLabel(fuserText, 'profile_fuser_events_applied_total', 'kind');
    const applied = [...appliedBy.values()].reduce((a, b) => a + b, 0);
    const published = await fuser.metric('profile_fuser_profiles_published_total');
    const fuserLag = await fuser.metric('profile_fuser_kafka_consumer_lag_messages');
    const buckets = histogramBuckets(fuserText, 'profile_fuser_event_to_profile_seconds');
    latencyWindow.push(buckets);
    if (latencyWindow.length > 15) latencyWindow.shift();
    const recent = bucketDelta(
      buckets,
      latencyWindow[0]!.length === buckets.length && latencyWindow.length > 1 ? latencyWindow[0]! : [],
    );
    const ms = (q: number) => {
      const v = histogramQuantile(q, recent);
      return Number.isFinite(v) ? `${(v * 1000).toFixed(0)} ms` : '-';
    };
    const shown = [...profiles.values()].sort((a, b) => b.updatedAt - a.updatedAt).slice(0, 4);
    const now = Date.now();
    const dt = (now - previous.at) / 1000;
    const offered = !replayFile
      ? `(offered ${rate}/s)`
      : pacing.kind === 'rate'
        ? `(offered ${pacing.perSecond}/s)`
        : pacing.kind === 'asap'
          ? '(offered: as fast as possible)'
          : `(offered: the file's timing ×${pacing.factor})`;
    const lines = [
      `ProfileStream — ${Math.round((now - started) / 1000)} s   (Ctrl-C stops everything)`,
      '',
      `  platforms     produced ${String(total(tally.sent)).padStart(7)}   ${((total(tally.sent) - previous.produced) / dt).toFixed(1).padStart(6)} events/s   ${offered}   rejected ${total(tally.rejected)}`,
      `  text-cleaner  cleaned  ${String(cleaned).padStart(7)}   ${((cleaned - previous.cleaned) / dt).toFixed(1).padStart(6)} texts/s    dropped ${dropped}${droppedWhy}   dead-lettered ${dlq}   redactions ${redactions}   lag ${lag}`,
      `  encoder       embedded ${String(embedded).padStart(7)}   ${((embedded - previous.embedded) / dt).toFixed(1).padStart(6)} texts/s    cache hits ${hits}/${hits + misses}   runs ${runs} (${runs ? (runTexts / runs).toFixed(1) : '0'} texts each)   lag ${encoderLag}`,
      `  profile-fuser applied  ${String(applied).padStart(7)}   ${((applied - previous.applied) / dt).toFixed(1).padStart(6)} events/s   published ${published}   lag ${fuserLag}   event→profile p50 ${ms(0.5)}, p99 ${ms(0.99)} (last 30 s)`,
      `                (applied: ${[...appliedBy].map(([k, n]) => `${k} ${n}`).join(', ') || 'none yet'}; texts, clicks, item descriptions and erasures each count once)`,
      '',
      '  latest cleaned texts:',
      ...latest.map((t) => `    ${(t.userId ?? t.itemId ?? '').padEnd(14)} [${t.lang}] ${t.text.slice(0, 90)}`),
      '',
      '  profiles updating:',
      ...shown.map((p) => {
        const counts = p.counters.map((c) => `${c.action ?? c.channel} ${c.total}`).join(', ');
        const interests = p.interests
          .slice(0, 3)
          .map((i) => `${i.label} ${i.score.toFixed(2)}`)
          .join(', ');
        const attributes = p.attributes
          .map(
            (a) => `${a.name.replace(/^custom\./, '')} ${Array.isArray(a.value) ? a.value.join('+') : String(a.value)}`,
          )
          .join(', ');
        const clusterWeight = p.interestClusters.reduce((sum, c) => sum + c.weight, 0);
        const clusters = p.interestClusters
          .slice(0, 3)
          .map((c) => `${c.topCategories[0] ?? c.label ?? '?'} ${(c.weight / clusterWeight).toFixed(2)}`)
          .join(' · ');
        return `    ${p.userId.padEnd(12)} v${String(p.version).padEnd(4)} interests: ${interests}\n${' '.repeat(22)}activity: ${counts}${p.ratingMean === null ? '' : `, rating ${p.ratingMean.toFixed(1)}`}${postMood(p)}${clusters ? `\n${' '.repeat(22)}clusters: ${clusters} (${p.interestClusters.length})` : ''}${attributes ? `\n${' '.repeat(22)}attributes: ${attributes}` : ''}`;
      }),
    ];
    previous = { at: now, produced: total(tally.sent), cleaned, embedded, applied };
    if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
    console.log(lines.join('\n'));
  }

  await stop;
  console.log('\nstopping…');
  clearInterval(view);
  await feeding;
  await producer.disconnect();
  await watcher.disconnect();
  await render();
  const peak = pipeline.peakRssMiB();
  await pipeline.stop({ keepData: true });
  for (const s of services) {
    const exit = await s.stop();
    console.log(
      `${s.options.name} stopped (${exit.signal ?? `exit ${exit.code}`}, peak memory ${peak[s.options.name]} MiB)`,
    );
  }
  if (feedError) throw feedError;
}

/** How the user's posts sound, from the fuser's sentiment summary. */
function postMood(p: UserProfile): string {
  const s = p.sentiment;
  if (!s || s.meanPositive === null) return '';
  return `, posts: ${s.positive} judged positive, ${s.negative} negative (mean P(positive) ${s.meanPositive.toFixed(2)}, recent posts weigh more)`;
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    console.error(err instanceof Error ? `npm start: ${err.message}` : err);
    await pipeline.stop({ keepData: true });
    process.exit(1);
  },
);
