/**
 * `npm run replay -- --file EVENTS.jsonl[.gz] [--rate N | --speedup X | --asap] [--limit N] [--platform NAME]`
 *
 * Sends a JSON-lines file of events (one object a line: see ReplayLine) onto the input topics
 * through the typed producer, so every record is validated exactly as a platform's would be.
 * Prints progress every few seconds and, at the end, what was sent and what was rejected, by reason.
 * Kafka settings come from the usual KAFKA_* variables.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { EventProducer } from '@profilestream/event-producer';
import { topicCatalog } from '@profilestream/contracts';
import { createKafka, silentLog } from '@profilestream/kafka';
import { commandLine, numberOption, UsageError } from '@profilestream/tools-cli';
import { Pacer, pacingFrom, sendReplayLines, total, type ReplayTally } from '@profilestream/tools-events';

const USAGE = `Usage: npm run replay -- --file EVENTS.jsonl[.gz] [OPTIONS]

Sends a JSON-lines file of events (gzipped or not; one event a line, \`type\` review, post, click,
item or deletion) onto the input topics through the typed producer, so every record is validated
exactly as a platform's would be. Prints progress every few seconds and, at the end, what was sent
and what was rejected, by reason. The input topics must exist (the services create them).

Options:
  --file FILE       the events (required)
  --rate N          events per second; 0 sends as fast as possible (default 200)
  --speedup X       the file's original timing, X times faster (instead of --rate)
  --asap            as fast as possible
  --limit N         only the first N events (default: all)
  --platform NAME   the platform the events are sent as (default replay)
  -h, --help        this text

Environment:
  KAFKA_BROKERS (127.0.0.1:9092), KAFKA_TOPIC_PREFIX and the other KAFKA_* settings (TLS, SASL)

Example:
  npm run replay -- --file events.jsonl.gz --speedup 3600 --limit 10000`;

const { values, pacing } = commandLine(
  {
    command: 'npm run replay',
    usage: USAGE,
    options: {
      file: { type: 'string' },
      rate: { type: 'string', default: '200' },
      speedup: { type: 'string' },
      asap: { type: 'boolean', default: false },
      limit: { type: 'string' },
      platform: { type: 'string', default: 'replay' },
    },
  },
  ({ values }) => {
    if (!values.file) throw new UsageError('--file is required');
    if (!existsSync(values.file)) throw new UsageError(`--file ${values.file}: no such file`);
    if (values.limit !== undefined) numberOption('--limit', values.limit, { min: 0, whole: true });
    try {
      return { values: { ...values, file: values.file }, pacing: pacingFrom(values) };
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
  },
);

async function main(): Promise<void> {
  const limit = values.limit ? Number(values.limit) : Infinity;
  const settings = toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'replay');
  await requireInputTopics(settings);
  const producer = new EventProducer(settings, silentLog);
  await producer.connect();

  const input = createReadStream(values.file);
  const lines = createInterface({
    input: values.file.endsWith('.gz') ? input.pipe(createGunzip()) : input,
    crlfDelay: Infinity,
  });
  const tally: ReplayTally = { sent: {}, rejected: {} };
  const started = Date.now();
  const progress = setInterval(() => {
    const sent = total(tally.sent);
    console.log(
      `replay: ${sent} sent, ${total(tally.rejected)} rejected, ${(sent / ((Date.now() - started) / 1000)).toFixed(0)} events/s`,
    );
  }, 5000);
  await sendReplayLines(producer, firstLines(lines, limit), {
    pacer: new Pacer(pacing, started),
    platform: values.platform,
    window: 1000,
    tally,
  });
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
    const missing = [topics.reviews, topics.posts, topics.clicks, topics.items, topics.userDeletions]
      .map((t) => t.name)
      .filter((name) => !existing.has(name));
    if (missing.length > 0)
      throw new Error(
        `input topics missing on ${settings.brokers.join(',')}: ${missing.join(', ')} (check KAFKA_TOPIC_PREFIX, or start the services, which create them)`,
      );
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
