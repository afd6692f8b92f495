/**
 * What a model migration costs while live traffic flows (`npm run migrate`, docs/operations.md):
 * the pipeline on local Kafka and Redis takes the dataset's first reviews as fast as possible (the
 * archive, and the sustained rate), then live reviews at half that rate, first alone (baseline),
 * then while the next space catches up: its encoder re-embeds the archive (rate-limited), its item
 * table is written, its fuser re-fuses; then the cut-over republishes every profile.
 *
 * The next space is the same model with a PCA projection fitted on the archive's embeddings (a
 * projection change is a new vector space, at the encoding cost of the current one: a second
 * model would not fit beside live traffic on 2 cores). Reported: re-embedding texts/s, the live
 * event-to-profile p50/p99 of the served space in each phase (its fuser's histogram), and how long
 * the cut-over took to republish every profile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SingleObjectSerde, unpackFloat32 } from '@profilestream/contracts';
import { readTopicToEnd } from '@profilestream/kafka';
import { saveFittedProjection } from '@profilestream/inference';
import { spaceKey } from '@profilestream/embedding';
import { findEventsFile, loadEvents, Pacer, sendReplayLines, total } from '@profilestream/tools-events';
import {
  LocalPipeline,
  ServiceProcess,
  bucketDelta,
  freePortRun,
  histogramBuckets,
  histogramQuantile,
  type Bucket,
} from '@profilestream/tools-runtime';
import { newResult, type BenchResult } from './bench-harness';
import { send, settle } from './pipeline.bench';
import { waitTextPathDrained } from './text-path-drain';
import { cutOver, runMigration } from '@profilestream/tools-migration';

const HISTORY = Number(process.env['BENCH_MIGRATION_HISTORY'] ?? 2000);
const LIVE_MAX = 20_000;
/** Live traffic as a share of the rate the pipeline sustained on the archive. */
const LOAD = Number(process.env['BENCH_MIGRATION_LOAD'] ?? 0.5);
const BASELINE_S = 40;
const PROJECTION_DIM = 128;
/** Re-embedding texts per second on top of the live ones the next encoder also embeds. */
const BACKLOG_RATE = Number(process.env['BENCH_MIGRATION_BACKLOG_RATE'] ?? 20);
const LATENCY = 'profile_fuser_event_to_profile_seconds';
const SUFFIX = '.next';
/** The next space's processes yield the cores to the served ones (`npm run migrate -- run` does the same). */
const NICE = Number(process.env['BENCH_MIGRATION_NICE'] ?? 19);

export async function benchMigration(): Promise<BenchResult | null> {
  const file = findEventsFile();
  if (!file) {
    console.log('migration bench skipped: no dataset (set PROFILESTREAM_DATASET_DIR)');
    return null;
  }
  const events = await loadEvents(file, HISTORY + LIVE_MAX);
  const history = events.slice(0, HISTORY);
  const live = events.slice(HISTORY);
  const result = newResult('migration');
  const progress = (what: string) => console.log(`  migration bench: ${what}`);
  const workDir = mkdtempSync(join(tmpdir(), 'bench-migration-'));
  const prefix = `bench-migration-${Date.now().toString(36)}.`;
  const pipeline = new LocalPipeline({
    prefix,
    basePort: await freePortRun(3),
    env: { 'profile-fuser': { FUSER_PUBLISH_INTERVAL_MS: '250' } },
  });
  progress('starting the services');
  await pipeline.start();
  const fuser = pipeline.services['profile-fuser'];
  const latency = async () => histogramBuckets(await fuser.metricsText(), LATENCY);
  const admin = pipeline.kafka.admin();
  const next: ServiceProcess[] = [];
  const producer = pipeline.producer();
  try {
    await producer.connect();
    await admin.connect();

    progress(`${history.length} reviews as fast as possible (the archive)`);
    const started = Date.now();
    const sent = await send(producer, history, new Pacer({ kind: 'asap' }, started));
    const caughtUp = await waitTextPathDrained(admin, prefix, pipeline.topics);
    const sustained = sent / ((caughtUp - started) / 1000);
    const rate = sustained * LOAD;
    result.notes.push(
      `archive: ${sent} reviews through the pipeline at ${sustained.toFixed(1)} events/s; live traffic at ${LOAD} of that, ${rate.toFixed(1)} events/s`,
    );

    progress('fitting the next space: a PCA projection of the archive embeddings');
    const embeddedSerde = new SingleObjectSerde('EmbeddedText');
    const values: Buffer[] = [];
    await readTopicToEnd(pipeline.kafka, pipeline.topics.textsEmbedded.name, (m) => {
      if (m.value) values.push(m.value);
    });
    const decoded = await Promise.all(values.map((v) => embeddedSerde.decode(v)));
    const modelId = decoded[0]!.modelId;
    const rows = decoded.map((e) => unpackFloat32(e.vector));
    const fitted = saveFittedProjection(rows, PROJECTION_DIM, {
      whiten: false,
      modelId,
      fileFor: (id) => join(workDir, `${id}.json`),
    });
    const space = { modelId, projectionId: fitted.id, dim: PROJECTION_DIM };
    const nextSpace = { ...space, key: spaceKey(space) };

    let cursor = 0;
    const liveFor = (stop: () => boolean) => {
      const slice = live.slice(cursor);
      const tally = { sent: {}, rejected: {} };
      const pacer = new Pacer({ kind: 'rate', perSecond: rate }, Date.now());
      return sendReplayLines(producer, slice, { pacer, platform: 'bench', shouldStop: stop, tally }).then((t) => {
        cursor += total(t.sent) + total(t.rejected);
        return total(t.sent);
      });
    };

    progress(`baseline: live reviews at ${rate.toFixed(1)}/s for ${BASELINE_S} s`);
    const baseStart = { at: Date.now(), latency: await latency() };
    const baseSent = await liveFor(() => Date.now() - baseStart.at > BASELINE_S * 1000);
    await waitTextPathDrained(admin, prefix, pipeline.topics);
    await settle();
    result.rows.push(
      row(
        'live traffic alone (baseline)',
        baseSent / BASELINE_S,
        null,
        bucketDelta(await latency(), baseStart.latency),
      ),
    );

    progress(`migrating to ${nextSpace.key} with live traffic flowing`);
    let stopLive = false;
    const liveStart = Date.now();
    const liveSending = liveFor(() => stopLive);
    const phaseMarks: { phase: string; at: number; latency: Bucket[]; consumed: number }[] = [];
    const mark = async (phase: string, consumed: number) =>
      phaseMarks.push({ phase, at: Date.now(), latency: await latency(), consumed });
    await mark('start', 0);
    const start = async (name: 'encoder' | 'profile-fuser', env: Record<string, string>) => {
      const s = new ServiceProcess({
        name,
        port: await freePortRun(1),
        nice: NICE,
        env: { ...pipeline.environment(name), KAFKA_GROUP_SUFFIX: SUFFIX, ...env },
      });
      next.push(s);
      s.start();
      await s.waitReady(180_000);
    };
    const report = await runMigration({
      kafka: pipeline.kafka,
      admin,
      prefix,
      groupSuffix: SUFFIX,
      space: nextSpace,
      servedSpace: modelId,
      embeddedSerde,
      replicationFactor: 1,
      maxLag: 100,
      pollMs: 2000,
      deadline: Date.now() + 30 * 60_000,
      startEncoder: () =>
        start('encoder', {
          ENCODER_PROJECTION_FILE: fitted.file,
          ENCODER_MAX_TEXTS_PER_SECOND: String(Math.round(rate + BACKLOG_RATE)),
        }),
      startFuser: async () => {
        await mark('re-embedded', await next[0]!.metric('encoder_texts_embedded_total'));
        await start('profile-fuser', { FUSER_PROJECTION_FILE: fitted.file, FUSER_PUBLISH_INTERVAL_MS: '250' });
      },
      onProgress: (p) =>
        progress(
          `${p.phase}: ${p.consumed} consumed, ${p.lag} left${p.etaS === null ? '' : `, ETA ${p.etaS.toFixed(0)} s`}`,
        ),
      log: (line) => progress(line),
    });
    await mark('re-fused', report.fusedOffsets);
    stopLive = true;
    const liveSent = await liveSending;
    await waitTextPathDrained(admin, prefix, pipeline.topics);
    await settle();
    const [m0, m1, m2] = phaseMarks;
    const liveRate = liveSent / ((m2!.at - liveStart) / 1000);
    const reembedded = m1!.consumed;
    result.rows.push(
      row(
        `while the archive is re-embedded (${reembedded} texts, ${report.seconds.reEmbed.toFixed(0)} s)`,
        liveRate,
        reembedded / report.seconds.reEmbed,
        bucketDelta(m1!.latency, m0!.latency),
      ),
      row(
        `while the next fuser re-fuses (${report.fusedOffsets} records, ${report.seconds.reFuse.toFixed(0)} s)`,
        liveRate,
        null,
        bucketDelta(m2!.latency, m1!.latency),
      ),
    );
    result.notes.push(
      `re-embedding: the next encoder (int8, ${SUFFIX}) at most ${Math.round(rate + BACKLOG_RATE)} texts/s (live ${rate.toFixed(1)} + backlog ${BACKLOG_RATE}); its texts/s count every text it embedded, the archive and the live texts that arrived meanwhile (${report.archiveOffsets} offsets of texts.cleaned.v1, transaction markers included)`,
      `items first: ${report.seeded.items} item vectors written before the next fuser started`,
    );

    progress('cut-over');
    const profileSerde = new SingleObjectSerde('UserProfile');
    const users = new Set((await pipeline.profiles()).keys());
    const cutStarted = Date.now();
    await cutOver(pipeline.kafka, admin, {
      prefix,
      space: nextSpace.key,
      servedBefore: modelId,
      replicationFactor: 1,
      maxLag: 100,
      force: false,
    });
    let republishedAt = 0;
    for (let i = 0; i < 600 && !republishedAt; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const raw = new Map<string, Buffer | null>();
      await readTopicToEnd(
        pipeline.kafka,
        pipeline.topics.profiles.name,
        (m) => void raw.set(m.key!.toString(), m.value),
      );
      const moved = await Promise.all(
        [...users].map(async (u) => {
          const v = raw.get(u);
          return v ? (await profileSerde.decode(v)).projectionId === fitted.id : false;
        }),
      );
      if (moved.every(Boolean)) republishedAt = Date.now();
    }
    result.rows.push({
      case: `cut-over: every profile republished in the next space (${users.size} users)`,
      'live events/s': '',
      're-embedded texts/s': '',
      'live p50 s': '',
      'live p99 s': '',
      seconds: republishedAt ? (republishedAt - cutStarted) / 1000 : 'not within 600 s',
    });
    result.notes.push(
      'live p50/p99: event-to-profile latency of the served space for live reviews (its fuser histogram, interpolated as PromQL does), publish interval 250 ms',
      'cut-over seconds: from the cut-over record until every user on profiles.v1 carried the new space, polled once a second (includes the 3 s settle before the republish)',
    );
  } finally {
    await producer.disconnect().catch(() => undefined);
    await Promise.all(next.map((s) => s.kill('SIGTERM')));
    await admin.disconnect().catch(() => undefined);
    await pipeline.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  return result;
}

function row(name: string, liveRate: number, reembedRate: number | null, latency: Bucket[]) {
  return {
    case: name,
    'live events/s': liveRate,
    're-embedded texts/s': reembedRate ?? '',
    'live p50 s': histogramQuantile(0.5, latency),
    'live p99 s': histogramQuantile(0.99, latency),
    seconds: '',
  };
}
