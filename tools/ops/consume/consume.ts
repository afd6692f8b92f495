/**
 * `npm run consume -- --topic profiles.v1 [--from-beginning] [--follow] [--user ID] [--max N] [--vectors summary|full|none]`
 *
 * Prints a topic's records as JSON lines, decoded with the topic's schema in the deployment's
 * framing (KAFKA_FRAMING); see consume.lib.ts.
 */
import { randomBytes } from 'node:crypto';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { TOPICS, topicCatalog, type TopicKey } from '@profilestream/contracts';
import { createKafka, readTopicToEnd, silentLog, topicSerde } from '@profilestream/kafka';
import { commandLine, numberOption, UsageError } from '@profilestream/tools-cli';
import { VECTOR_MODES, describeRecord, type ConsumedRecord, type VectorMode } from './consume.lib';

const TOPIC_NAMES = Object.values(TOPICS).map((t) => t.name);

const USAGE = `Usage: npm run consume -- --topic TOPIC [OPTIONS]

Prints the records of one of the product's topics as JSON lines (topic, partition, offset, time,
key, value), the value decoded with the topic's Avro schema in the deployment's framing
(KAFKA_FRAMING), vectors summarised (length, norm, first values). A tombstone prints value null;
a value that does not decode prints its length and why. Without --from-beginning it prints new
records until Ctrl-C or --max.

Options:
  --topic TOPIC        the topic, without KAFKA_TOPIC_PREFIX: ${TOPIC_NAMES.join(', ')}
  --from-beginning     read from the oldest record to the end present now, then stop
  --follow             with --from-beginning: keep printing new records after the end
  --user ID            only records with this key (user or item id)
  --max N              stop after N printed records
  --vectors MODE       summary (default), full (every float) or none (left out)
  --group-prefix P     start of the throwaway consumer group's name (default consume-; under
                       ACLs, one the principal may use, e.g. profile-reader-)
  -h, --help           this text

Environment:
  KAFKA_BROKERS (127.0.0.1:9092), KAFKA_TOPIC_PREFIX, KAFKA_FRAMING, SCHEMA_REGISTRY_URL and the
  other KAFKA_* settings (TLS, SASL)

Examples:
  npm run consume -- --topic profiles.v1 --from-beginning --user u-42
  npm run consume -- --topic clicks.v1 --max 10`;

const args = commandLine(
  {
    command: 'npm run consume',
    usage: USAGE,
    options: {
      topic: { type: 'string' },
      'from-beginning': { type: 'boolean', default: false },
      follow: { type: 'boolean', default: false },
      user: { type: 'string' },
      max: { type: 'string' },
      vectors: { type: 'string', default: 'summary' },
      'group-prefix': { type: 'string', default: 'consume-' },
    },
  },
  ({ values }) => {
    if (!values.topic) throw new UsageError(`--topic is required: one of ${TOPIC_NAMES.join(', ')}`);
    const key = (Object.keys(TOPICS) as TopicKey[]).find((k) => TOPICS[k].name === values.topic);
    if (!key) throw new UsageError(`--topic ${values.topic}: not one of ${TOPIC_NAMES.join(', ')}`);
    if (!(VECTOR_MODES as readonly string[]).includes(values.vectors))
      throw new UsageError(`--vectors: one of ${VECTOR_MODES.join(', ')}, got "${values.vectors}"`);
    if (values.follow && !values['from-beginning'])
      throw new UsageError('--follow goes with --from-beginning (without it, new records are followed anyway)');
    return {
      key,
      fromBeginning: values['from-beginning'],
      follow: values.follow,
      user: values.user,
      max: values.max === undefined ? Infinity : numberOption('--max', values.max, { min: 1, whole: true }),
      vectors: values.vectors as VectorMode,
      groupPrefix: values['group-prefix'],
    };
  },
);

async function main(): Promise<void> {
  const settings = toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'consume');
  const spec = topicCatalog(settings.topicPrefix)[args.key];
  const kafka = createKafka(settings, silentLog);
  const serde = spec.schema ? topicSerde({ ...spec, schema: spec.schema }, settings) : null;
  await serde?.init();
  const decode = serde ? (bytes: Buffer) => serde.decode(bytes) as Promise<unknown> : null;
  let printed = 0;
  const done = () => printed >= args.max;
  const print = async (r: ConsumedRecord) => {
    if (done() || (args.user !== undefined && r.key !== args.user)) return;
    process.stdout.write(`${await describeRecord(spec, r, decode, args.vectors)}\n`);
    printed++;
  };
  const groupPrefix = `${settings.topicPrefix}${args.groupPrefix}`;
  if (args.fromBeginning && !args.follow) {
    await readTopicToEnd(
      kafka,
      spec.name,
      (m) =>
        print({
          partition: m.partition,
          offset: m.offset,
          timestamp: m.timestamp,
          key: m.key?.toString() ?? null,
          value: m.value,
        }),
      { groupPrefix },
    );
    return;
  }
  // Following: one consumer from where it starts (the beginning, or the end), so nothing falls between two readers.
  const consumer = kafka.consumer({ groupId: `${groupPrefix}${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: spec.name, fromBeginning: args.fromBeginning });
  await new Promise<void>((resolve, reject) => {
    process.once('SIGINT', () => resolve());
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          await print({
            partition,
            offset: message.offset,
            timestamp: Number(message.timestamp),
            key: message.key?.toString() ?? null,
            value: message.value,
          });
          if (done()) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`consume: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
