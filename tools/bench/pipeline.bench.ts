/**
 * The whole pipeline end to end on this machine: text-cleaner, encoder and profile-fuser as
 * separate processes on local Kafka and Redis, fed dataset reviews as fast as possible, then the
 * next reviews at half the sustained rate. Sustained events/s, event-to-profile latency p50/p99
 * (the fuser's histogram, read like PromQL's histogram_quantile), peak memory per service, and the
 * pipeline's text throughput as a share of the encoder engine's alone on the same texts.
 */
import { cleanText } from '@profilestream/text-cleaning';
import type { EventProducer } from '@profilestream/event-producer';
import { findEventsFile, loadEvents, type DatasetEvent } from '../datasets/events-dataset';
import { Pacer } from '../replay/pacing';
import { sendReplayLines, total } from '../replay/send-events';
import { LocalPipeline } from '../runtime/local-pipeline';
import { bucketDelta, histogramBuckets, histogramQuantile, type Bucket } from '../runtime/prometheus-text';
import { newResult, type BenchResult } from './bench-harness';
import { timeEngine } from './encoder.bench';

const FULL_SPEED_EVENTS = 4000;
const HALF_RATE_EVENTS = 1500;
const LATENCY = 'profile_fuser_event_to_profile_seconds';

export async function benchPipeline(): Promise<BenchResult | null> {
  const file = findEventsFile();
  if (!file) {
    console.log('pipeline bench skipped: no dataset (set PROFILESTREAM_DATASET_DIR)');
    return null;
  }
  const events = await loadEvents(file, FULL_SPEED_EVENTS + HALF_RATE_EVENTS);
  const fullSpeed = events.slice(0, FULL_SPEED_EVENTS);
  const halfRate = events.slice(FULL_SPEED_EVENTS);
  const result = newResult('pipeline');
  const progress = (what: string) => console.log(`  pipeline bench: ${what}…`);

  const pipeline = new LocalPipeline({ prefix: `bench-pipeline-${Date.now().toString(36)}.`, basePort: 18381 });
  progress('starting the services');
  await pipeline.start();
  const { encoder, 'profile-fuser': fuser } = pipeline.services;
  const latency = async () => histogramBuckets(await fuser.metricsText(), LATENCY);
  const embedded = () => encoder.metric('encoder_texts_embedded_total');
  let pipelineTextsPerSecond = 0;
  try {
    const producer = pipeline.producer();
    await producer.connect();

    progress(`${fullSpeed.length} reviews as fast as possible`);
    const before = { latency: await latency(), embedded: await embedded() };
    const started = Date.now();
    const sent = await send(producer, fullSpeed, new Pacer({ kind: 'asap' }, started));
    const caughtUp = await pipeline.waitDrained({ pollMs: 250 });
    const seconds = (caughtUp - started) / 1000;
    const texts = (await embedded()) - before.embedded;
    const sustained = sent / seconds;
    pipelineTextsPerSecond = texts / seconds;
    result.rows.push(row(`as fast as possible (${sent} reviews)`, sustained, pipelineTextsPerSecond, bucketDelta(await latency(), before.latency)));

    const rate = sustained / 2;
    progress(`${halfRate.length} reviews at ${rate.toFixed(1)} events/s`);
    const halfBefore = { latency: await latency(), embedded: await embedded() };
    const halfStarted = Date.now();
    const halfSent = await send(producer, halfRate, new Pacer({ kind: 'rate', perSecond: rate }, halfStarted));
    const halfCaughtUp = await pipeline.waitDrained({ pollMs: 250 });
    const halfSeconds = (halfCaughtUp - halfStarted) / 1000;
    result.rows.push(row(`half the sustained rate (${halfSent} reviews)`, halfSent / halfSeconds, ((await embedded()) - halfBefore.embedded) / halfSeconds, bucketDelta(await latency(), halfBefore.latency)));
    await producer.disconnect();

    const peak = pipeline.peakRssMiB();
    result.notes.push(`peak memory (RSS): ${Object.entries(peak).map(([s, mib]) => `${s} ${mib} MiB`).join(', ')}`);
  } finally {
    await pipeline.stop();
  }

  progress('the encoder engine alone on the same texts');
  const cleaned = fullSpeed.map((e) => cleanText(e.text ?? '')).flatMap((r) => (r.dropped ? [] : [r.text]));
  const alone = await timeEngine('int8', cleaned);
  const aloneTextsPerSecond = cleaned.length / alone.seconds;
  result.rows.push({ case: `encoder engine alone, int8, ${alone.workers} workers (${cleaned.length} texts)`, 'events/s': '', 'texts embedded/s': aloneTextsPerSecond, 'latency p50 s': '', 'latency p99 s': '' });
  result.notes.push(
    `end-to-end text throughput / encoder alone: ${(pipelineTextsPerSecond / aloneTextsPerSecond).toFixed(2)} (the rest of the pipeline shares the same cores)`,
    'latency: publish time minus the arrival of the newest event folded in, at the first service; includes the fuser\'s one-publish-per-user-per-second limit; interpolated within histogram buckets',
    'texts embedded/s counts texts the encoder embedded (duplicates and garbage are dropped by the cleaner first)',
  );
  return result;
}

/** Sends the reviews through the typed producer, paced; returns how many the brokers acknowledged. */
async function send(producer: EventProducer, events: DatasetEvent[], pacer: Pacer): Promise<number> {
  const tally = await sendReplayLines(producer, events, { pacer, platform: 'bench' });
  if (total(tally.rejected) > 0) console.log(`  pipeline bench: rejected ${JSON.stringify(tally.rejected)}`);
  return total(tally.sent);
}

function row(name: string, eventsPerSecond: number, textsPerSecond: number, latency: Bucket[]) {
  return {
    case: name,
    'events/s': eventsPerSecond,
    'texts embedded/s': textsPerSecond,
    'latency p50 s': histogramQuantile(0.5, latency),
    'latency p99 s': histogramQuantile(0.99, latency),
  };
}
