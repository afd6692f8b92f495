/**
 * Replaying dead letters: records in `<topic>.dlq` go back onto the topic they came from, with
 * their original key, value and headers (the `ps-dlq-*` headers removed, a `ps-dlq-replayed-from`
 * header added), once whatever dead-lettered them is fixed.
 */
import { TOPICS, dlqTopicName, topicCatalog, type TopicKey } from '@profilestream/contracts';
import {
  BatchingProducer,
  DLQ_HEADERS,
  readTopicToEnd,
  silentLog,
  type ConsumedMessage,
  type Kafka,
  type OutgoingMessage,
} from '@profilestream/kafka';

/** Header naming the dead letter a replayed record came from: `<dlq topic>/<partition>/<offset>`. */
export const REPLAYED_FROM_HEADER = 'ps-dlq-replayed-from';

/** Source topics that have a dead-letter topic (those the services consume). */
export const REPLAYABLE: readonly TopicKey[] = [
  'reviews',
  'posts',
  'clicks',
  'items',
  'userDeletions',
  'textsCleaned',
  'textsEmbedded',
];

export interface ReplayFilter {
  /** Replay only these reasons (`ps-dlq-reason`); empty for all. */
  reasons: readonly string[];
  /** Replay only letters that failed at or after / before these times (epoch ms, `ps-dlq-failed-at`). */
  since: number | null;
  until: number | null;
  /** Most records to replay. */
  limit: number;
}

export type Decision = { replay: OutgoingMessage } | { skip: 'reason' | 'time' | 'limit' | 'other_source' };

/**
 * What to do with one dead letter. `sourceTopic` is the topic the DLQ belongs to: a letter whose
 * `ps-dlq-source-topic` names another topic is skipped rather than sent somewhere unexpected.
 */
export function decide(
  letter: ConsumedMessage,
  sourceTopic: string,
  filter: ReplayFilter,
  replayedSoFar: number,
): Decision {
  const header = (name: string) => letter.headers[name]?.toString('utf8');
  if (header(DLQ_HEADERS.sourceTopic) !== sourceTopic) return { skip: 'other_source' };
  if (filter.reasons.length > 0 && !filter.reasons.includes(header(DLQ_HEADERS.reason) ?? ''))
    return { skip: 'reason' };
  const failedAt = Number(header(DLQ_HEADERS.failedAt));
  if ((filter.since !== null && !(failedAt >= filter.since)) || (filter.until !== null && !(failedAt < filter.until)))
    return { skip: 'time' };
  if (replayedSoFar >= filter.limit) return { skip: 'limit' };
  const dlqHeaders = new Set<string>(Object.values(DLQ_HEADERS));
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(letter.headers))
    if (!dlqHeaders.has(name) && name !== REPLAYED_FROM_HEADER) headers[name] = value;
  headers[REPLAYED_FROM_HEADER] = Buffer.from(`${letter.topic}/${letter.partition}/${letter.offset}`);
  return { replay: { key: letter.key, value: letter.value, headers } };
}

export interface ReplayReport {
  dlqTopic: string;
  sourceTopic: string;
  dryRun: boolean;
  read: number;
  replayed: number;
  /** Replayed (or, in a dry run, to replay) by dead-letter reason. */
  byReason: Record<string, number>;
  skipped: Record<string, number>;
  /** Letters selected but not acknowledged by the brokers, and the first errors: replay those again. */
  failed: number;
  errors: string[];
}

/**
 * Reads the dead-letter topic of `topic` (a contract key such as `reviews`, under the deployment's
 * topic prefix) up to its end when the call starts, and sends the letters that pass `filter` back
 * to the source topic. Letters dead-lettered again while the replay runs are not replayed again.
 */
export async function replayDeadLetters(
  kafka: Kafka,
  options: { topic: TopicKey; topicPrefix: string; filter: ReplayFilter; dryRun: boolean },
): Promise<ReplayReport> {
  if (!REPLAYABLE.includes(options.topic))
    throw new Error(`${options.topic} has no dead-letter topic; one of: ${REPLAYABLE.join(', ')}`);
  const sourceTopic = topicCatalog(options.topicPrefix)[options.topic].name;
  const admin = kafka.admin();
  await admin.connect();
  const exists = (await admin.listTopics()).includes(dlqTopicName(sourceTopic));
  await admin.disconnect();
  if (!exists)
    throw new Error(`dead-letter topic ${dlqTopicName(sourceTopic)} does not exist (check KAFKA_TOPIC_PREFIX)`);
  const report: ReplayReport = {
    dlqTopic: dlqTopicName(sourceTopic),
    sourceTopic,
    dryRun: options.dryRun,
    read: 0,
    replayed: 0,
    byReason: {},
    skipped: {},
    failed: 0,
    errors: [],
  };
  const producer = options.dryRun ? null : new BatchingProducer(kafka, { log: silentLog });
  await producer?.connect();
  const sends: Promise<void>[] = [];
  try {
    await readTopicToEnd(kafka, report.dlqTopic, (letter) => {
      report.read++;
      const d = decide(letter, sourceTopic, options.filter, report.replayed);
      if ('skip' in d) {
        report.skipped[d.skip] = (report.skipped[d.skip] ?? 0) + 1;
        return;
      }
      report.replayed++;
      const reason = letter.headers[DLQ_HEADERS.reason]?.toString('utf8') ?? '';
      report.byReason[reason] = (report.byReason[reason] ?? 0) + 1;
      // Handled at once: a failed send is counted in the report, never an unhandled rejection.
      if (producer) {
        sends.push(
          producer.send(sourceTopic, [d.replay]).catch((err: unknown) => {
            report.failed++;
            if (report.errors.length < 5) report.errors.push(err instanceof Error ? err.message : String(err));
          }),
        );
      }
    });
    await Promise.all(sends);
  } finally {
    await producer?.disconnect();
  }
  return report;
}

/** A contract key from a topic name as operators write it (`reviews.v1`) or the key itself. */
export function topicKeyOf(name: string): TopicKey {
  const entry = Object.entries(TOPICS).find(
    ([key, spec]) => key === name || spec.name === name || dlqTopicName(spec.name) === name,
  );
  if (!entry || !REPLAYABLE.includes(entry[0] as TopicKey)) {
    throw new Error(
      `unknown topic "${name}": give one of ${REPLAYABLE.map((k) => TOPICS[k].name).join(', ')} (without the KAFKA_TOPIC_PREFIX)`,
    );
  }
  return entry[0] as TopicKey;
}

/** A time as epoch milliseconds or an ISO 8601 date. */
export function parseTime(flag: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(t)) throw new Error(`${flag}: expected epoch milliseconds or an ISO 8601 date, got "${value}"`);
  return t;
}
