/**
 * The encoder service against the encoder engine alone, on the same texts and cores, in one run:
 * rounds alternate between the engine in this process (`timeEngine`) and the built service as a
 * child process consuming the same texts, pre-produced as CleanedText, from Kafka (see
 * EncoderServiceRig). For each: texts/s, the workers' busy share, and CPU per text on the main
 * thread, the inference workers and V8's helper threads, so a gap shows where it comes from.
 *
 * Knobs (environment): BENCH_ENCODER_TEXTS (2000), BENCH_ENCODER_ROUNDS (2),
 * BENCH_ENCODER_SERVICE_ENV (`ENCODER_MAX_WAIT_MS=5,…`: settings for the service),
 * BENCH_ENCODER_CPU_PROFILE (a directory: profile the service's main thread, written with the
 * measured windows; summarise with cpu-profile-summary.ts).
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { cleanText } from '@profilestream/text-cleaning';
import { findEventsFile, loadEvents } from '@profilestream/tools-events';
import { newResult, type BenchResult, type BenchRow } from './bench-harness';
import { timeEngine, type EngineTiming } from './encoder.bench';
import { freePortRun } from '@profilestream/tools-runtime';
import { EncoderServiceRig, type FeedText, type ServiceRound } from './encoder-service-rig';

const TEXTS = Number(process.env['BENCH_ENCODER_TEXTS'] ?? 2000);
const ROUNDS = Number(process.env['BENCH_ENCODER_ROUNDS'] ?? 2);
const PARTITIONS = 3;
const WARM_UP = 64;

/** The first `n` review texts of the dataset that survive cleaning, as text-cleaner would emit them. */
export async function loadCleanedReviews(file: string, n: number): Promise<FeedText[]> {
  const out: FeedText[] = [];
  for (const e of await loadEvents(file, n * 2)) {
    const r = cleanText(e.text ?? '');
    if (r.dropped) continue;
    out.push({
      text: r.text,
      lang: r.lang,
      userId: e.user_id,
      itemId: e.item_id,
      rating: e.rating === null ? null : Math.round(e.rating),
      occurredAt: e.ts * 1000,
    });
    if (out.length === n) break;
  }
  return out;
}

/** `K=V,K=V` into an environment object. */
function parseEnvList(list: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (list ?? '').split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at > 0) out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return out;
}

function row(name: string, texts: number, m: EngineTiming | ServiceRound): BenchRow {
  const perText = (s: number) => (1000 * s) / texts;
  return {
    case: name,
    'texts/s': texts / m.seconds,
    'worker busy': m.workerBusy,
    'main ms/text': perText(m.cpu.main),
    'workers ms/text': perText(m.cpu.workers),
    'other ms/text': perText(m.cpu.other),
  };
}

export async function benchEncoderService(): Promise<BenchResult | null> {
  const file = findEventsFile();
  if (!file) {
    console.log('encoder-service bench skipped: no dataset (set PROFILESTREAM_DATASET_DIR)');
    return null;
  }
  const feed = await loadCleanedReviews(file, TEXTS);
  const texts = feed.map((f) => f.text);
  const workers = availableParallelism();
  const serviceEnv = parseEnvList(process.env['BENCH_ENCODER_SERVICE_ENV']);
  const profileDir = process.env['BENCH_ENCODER_CPU_PROFILE']
    ? resolve(process.env['BENCH_ENCODER_CPU_PROFILE'])
    : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const result = newResult('encoder-service');
  const progress = (what: string) => console.log(`  encoder-service bench: ${what}…`);

  const rig = new EncoderServiceRig({
    prefix: `bench-encsvc-${Date.now().toString(36)}.`,
    port: await freePortRun(1),
    partitions: PARTITIONS,
    workers,
    env: serviceEnv,
    ...(profileDir ? { cpuProfileDir: profileDir } : {}),
  });
  progress('starting the encoder service');
  const totals = { engine: { texts: 0, seconds: 0 }, service: { texts: 0, seconds: 0 } };
  try {
    await rig.start(feed.slice(0, WARM_UP));
    for (let r = 1; r <= ROUNDS; r++) {
      progress(`round ${r}: engine alone`);
      const engine = await timeEngine('int8', texts);
      result.rows.push(row(`engine alone, round ${r}`, texts.length, engine));
      progress(`round ${r}: service`);
      const service = await rig.round(feed, `round-${r}`);
      result.rows.push(row(`service via Kafka and Redis, round ${r}`, feed.length, service));
      totals.engine.texts += texts.length;
      totals.engine.seconds += engine.seconds;
      totals.service.texts += feed.length;
      totals.service.seconds += service.seconds;
      result.notes.push(
        `round ${r}: service / engine ${(feed.length / service.seconds / (texts.length / engine.seconds)).toFixed(2)}`,
      );
    }
  } finally {
    await rig.stop();
  }
  const rate = (t: { texts: number; seconds: number }) => t.texts / t.seconds;
  result.notes.unshift(
    `${feed.length} cleaned review texts, int8, ${workers} inference workers in both; the service consumes ${PARTITIONS} partitions of pre-produced CleanedText (each round committed in one transaction, content hashes salted per round so the cache misses)${Object.keys(serviceEnv).length > 0 ? `; service env ${JSON.stringify(serviceEnv)}` : ''}`,
    `service / engine over all rounds: ${(rate(totals.service) / rate(totals.engine)).toFixed(2)} (${rate(totals.service).toFixed(1)} against ${rate(totals.engine).toFixed(1)} texts/s)`,
    'CPU per text by thread: main (event loop), workers (the inference threads), other (V8 GC and compiler threads, libuv); the engine alone runs in the bench process',
  );
  if (profileDir)
    result.notes.push(`CPU profile of the service's main thread and the measured windows in ${profileDir}`);
  return result;
}
