/**
 * `npm run dlq:replay -- --topic reviews.v1 [--reason R[,R…]] [--since TIME] [--until TIME] [--limit N] [--dry-run]`
 *
 * Sends dead letters of `<topic>.dlq` back onto `<topic>` (under KAFKA_TOPIC_PREFIX), after the
 * cause is fixed. TIME is epoch milliseconds or an ISO 8601 date, compared with the letter's
 * `ps-dlq-failed-at`. `--dry-run` only counts what would be replayed. Prints a JSON report.
 * Kafka settings come from the usual KAFKA_* variables.
 */
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { createKafka, silentLog } from '@profilestream/kafka';
import { commandLine, UsageError } from '@profilestream/tools-cli';
import { parseTime, replayDeadLetters, topicKeyOf } from './dlq-replay.lib';

const USAGE = `Usage: npm run dlq:replay -- --topic TOPIC [OPTIONS]

Sends the dead letters of <TOPIC>.dlq back onto TOPIC (both under KAFKA_TOPIC_PREFIX), once their
cause is fixed; filtered by reason and by when they failed (the letter's ps-dlq-failed-at). Prints
a JSON report; exit 1 when a letter was not acknowledged.

Options:
  --topic TOPIC    the source topic, e.g. reviews.v1 (required)
  --reason R[,R…]  only letters with these reasons (ps-dlq-reason); repeatable (default: all)
  --since TIME     only letters that failed at or after TIME: epoch ms or an ISO 8601 date
  --until TIME     only letters that failed before TIME
  --limit N        at most N letters (default: all)
  --dry-run        only count what would be replayed
  -h, --help       this text

Environment:
  KAFKA_BROKERS (127.0.0.1:9092), KAFKA_TOPIC_PREFIX and the other KAFKA_* settings (TLS, SASL)

Example:
  npm run dlq:replay -- --topic reviews.v1 --since 2024-05-01T00:00:00Z --dry-run`;

const args = commandLine(
  {
    command: 'npm run dlq:replay',
    usage: USAGE,
    options: {
      topic: { type: 'string' },
      reason: { type: 'string', multiple: true, default: [] },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
  },
  ({ values }) => {
    if (!values.topic) throw new UsageError('--topic is required (the source topic, e.g. reviews.v1)');
    const limit = values.limit === undefined ? Infinity : Number(values.limit);
    if (!(Number.isInteger(limit) && limit > 0) && limit !== Infinity)
      throw new UsageError(`--limit: expected a positive whole number, got "${values.limit}"`);
    try {
      return {
        topic: topicKeyOf(values.topic),
        reasons: values.reason.flatMap((r) => r.split(',')).filter(Boolean),
        since: parseTime('--since', values.since),
        until: parseTime('--until', values.until),
        limit,
        dryRun: values['dry-run'],
      };
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
  },
);

async function main(): Promise<void> {
  const settings = toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'dlq-replay');
  const report = await replayDeadLetters(createKafka(settings, silentLog), {
    topic: args.topic,
    topicPrefix: settings.topicPrefix,
    filter: { reasons: args.reasons, since: args.since, until: args.until, limit: args.limit },
    dryRun: args.dryRun,
  });
  console.log(JSON.stringify(report));
  if (report.failed > 0) {
    throw new Error(
      `${report.failed} of ${report.replayed} letters were not acknowledged (${report.errors.join('; ')}); narrow with --since/--reason and replay again`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`dlq:replay: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
