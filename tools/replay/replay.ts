/**
 * `npm run replay -- --file EVENTS.jsonl[.gz] [--rate N | --speedup X | --asap] [--limit N] [--platform NAME]`
 *
 * Sends a JSON-lines file of events (one object a line: see ReplayLine) onto the input topics
 * through the typed producer, so every record is validated exactly as a platform's would be.
 * Prints progress every few seconds and, at the end, what was sent and what was rejected, by reason.
 * Kafka settings come from the usual KAFKA_* variables.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { EventProducer } from '@profilestream/event-producer';
import { topicCatalog } from '@profilestream/contracts';
import { createKafka, silentLog } from '@profilestream/kafka';
import { Pacer, pacingFrom } from './pacing';
import { sendReplayLines, total, type ReplayTally } from './send-events';

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    rate: { type: 'string', default: '200' },
    speedup: { type: 'string' },
    asap: { type: 'boolean', default: false },
    limit: { type: 'string' },
    platform: { type: 'string', default: 'replay' },
  },
});

async function main(): Promise<void> {
  if (!values.file) throw new Error('--file is required');
  const pacing = pacingFrom(values);
  const limit = values.limit ? Number(values.limit) : Infinity;
  const settings = toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'replay');
  await requireInputTopics(settings);
  const producer = new EventProducer(settings, silentLog);
  await producer.connect();

  const input = createReadStream(values.file);
  const lines = createInterface({ input: values.file.endsWith('.gz') ? input.pipe(createGunzip()) : input, crlfDelay: Infinity });
  const tally: ReplayTally = { sent: {}, rejected: {} };
  const started = Date.now();
  const progress = setInterval(() => {
    const sent = total(tally.sent);
    console.log(`replay: ${sent} sent, ${total(tally.rejected)} rejected, ${(sent / ((Date.now() - started) / 1000)).toFixed(0)} events/s`);
  }, 5000);
  await sendReplayLines(producer, firstLines(lines, limit), { pacer: new Pacer(pacing, started), platform: values.platform, window: 1000, tally });
  clearInterval(progress);
  await producer.disconnect();
  const seconds = (Date.now() - started) / 1000;
  console.log(JSON.stringify({ ...tally, seconds: Number(seconds.toFixed(1)) }));
}

/** Fails at once, naming them, when the input topics are missing (every send would time out). */
async function requireInputTopics(settings: ReturnType<typeof toKafkaSettings>): Promise<void> {
  const admin = createKafka(settings, silentLog).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = topicCatalog(settings.topicPrefix);
    const missing = [topics.reviews, topics.posts, topics.clicks, topics.items, topics.userDeletions].map((t) => t.name).filter((name) => !existing.has(name));
    if (missing.length > 0) throw new Error(`input topics missing on ${settings.brokers.join(',')}: ${missing.join(', ')} (check KAFKA_TOPIC_PREFIX, or start the services, which create them)`);
  } finally {
    await admin.disconnect();
  }
}

/** The first `limit` non-blank lines. */
async function* firstLines(lines: AsyncIterable<string>, limit: number): AsyncGenerator<string> {
  let taken = 0;
  for await (const line of lines) {
    if (!line.trim()) continue;
    if (taken++ >= limit) return;
    yield line;
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
