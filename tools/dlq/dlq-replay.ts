/**
 * `npm run dlq:replay -- --topic reviews.v1 [--reason R[,R…]] [--since TIME] [--until TIME] [--limit N] [--dry-run]`
 *
 * Sends dead letters of `<topic>.dlq` back onto `<topic>` (under KAFKA_TOPIC_PREFIX), after the
 * cause is fixed. TIME is epoch milliseconds or an ISO 8601 date, compared with the letter's
 * `ps-dlq-failed-at`. `--dry-run` only counts what would be replayed. Prints a JSON report.
 * Kafka settings come from the usual KAFKA_* variables.
 */
import { parseArgs } from 'node:util';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { createKafka, silentLog } from '@profilestream/kafka';
import { parseTime, replayDeadLetters, topicKeyOf } from './dlq-replay.lib';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      topic: { type: 'string' },
      reason: { type: 'string', multiple: true, default: [] },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  if (!values.topic) throw new Error('--topic is required (the source topic, e.g. reviews.v1)');
  const limit = values.limit === undefined ? Infinity : Number(values.limit);
  if (!(Number.isInteger(limit) && limit > 0) && limit !== Infinity) throw new Error(`--limit: expected a positive whole number, got "${values.limit}"`);
  const settings = toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'dlq-replay');
  const report = await replayDeadLetters(createKafka(settings, silentLog), {
    topic: topicKeyOf(values.topic),
    topicPrefix: settings.topicPrefix,
    filter: {
      reasons: values.reason.flatMap((r) => r.split(',')).filter(Boolean),
      since: parseTime('--since', values.since),
      until: parseTime('--until', values.until),
      limit,
    },
    dryRun: values['dry-run'],
  });
  console.log(JSON.stringify(report));
  if (report.failed > 0) {
    throw new Error(`${report.failed} of ${report.replayed} letters were not acknowledged (${report.errors.join('; ')}); narrow with --since/--reason and replay again`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`dlq:replay: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
