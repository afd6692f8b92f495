/**
 * text-cleaner throughput on the real review texts: the cleaning library alone (one thread), and
 * the service end to end through Kafka and Redis (produce → clean → texts.cleaned.v1).
 */
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { EventProducer } from '@profilestream/event-producer';
import { silentLog } from '@profilestream/kafka';
import { cleanText } from '@profilestream/text-cleaning';
import { findEventsFile, loadEvents } from '@profilestream/tools-events';
import { ServiceProcess, freePortRun } from '@profilestream/tools-runtime';
import { medianSeconds, newResult, type BenchResult } from './bench-harness';

export async function benchCleaner(): Promise<BenchResult | null> {
  const file = findEventsFile();
  if (!file) {
    console.log('cleaner bench skipped: no dataset (set PROFILESTREAM_DATASET_DIR)');
    return null;
  }
  const events = await loadEvents(file);
  const texts = events.map((e) => e.text ?? '');
  const chars = texts.reduce((s, t) => s + t.length, 0);
  const result = newResult('cleaner');
  result.notes.push(
    `${texts.length} review texts, ${(chars / 1e6).toFixed(2)} M characters, from ${file.split('/').slice(-2).join('/')}`,
  );

  const libSeconds = await medianSeconds(() => {
    for (const t of texts) cleanText(t);
  });
  result.rows.push({
    case: 'cleaning library, 1 thread',
    texts: texts.length,
    'texts/s': texts.length / libSeconds,
    'M chars/s': chars / libSeconds / 1e6,
  });

  const dropped = new Map<string, number>();
  const langs = new Map<string, number>();
  for (const t of texts) {
    const r = cleanText(t);
    if (r.dropped) dropped.set(r.dropped, (dropped.get(r.dropped) ?? 0) + 1);
    else langs.set(r.lang, (langs.get(r.lang) ?? 0) + 1);
  }
  result.notes.push(
    `library outcomes: dropped ${JSON.stringify(Object.fromEntries(dropped))}, languages ${JSON.stringify(Object.fromEntries(langs))}`,
  );

  const prefix = `bench-${Date.now().toString(36)}.`;
  const service = new ServiceProcess({
    name: 'text-cleaner',
    port: await freePortRun(1),
    env: {
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: '2',
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      CLEANER_PARTITION_CONCURRENCY: '2',
    },
  });
  service.start();
  try {
    await service.waitReady();
    const producer = new EventProducer(
      { ...toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'bench'), topicPrefix: prefix },
      silentLog,
    );
    await producer.connect();
    const started = performance.now();
    await Promise.all(
      events.map((e, i) =>
        producer.sendReview({
          eventId: `bench-${i}`,
          userId: e.user_id,
          itemId: e.item_id,
          text: e.text ?? '',
          rating: e.rating,
          platform: 'amazon',
          occurredAt: e.ts * 1000,
        }),
      ),
    );
    const produced = performance.now();
    await producer.disconnect();
    while ((await service.metric('text_cleaner_kafka_message_outcomes_total')) < events.length)
      await new Promise((r) => setTimeout(r, 100));
    const seconds = (performance.now() - started) / 1000;
    result.rows.push({
      case: 'text-cleaner service via Kafka',
      texts: events.length,
      'texts/s': events.length / seconds,
      'M chars/s': chars / seconds / 1e6,
      'peak RSS MiB': Math.round(service.peakRssMiB() ?? 0),
    });
    result.notes.push(
      `producing took ${((produced - started) / 1000).toFixed(2)} s of the ${seconds.toFixed(2)} s; the service ran with 2 partitions consumed concurrently`,
    );
    result.notes.push(
      `service/library ratio: ${(events.length / seconds / (texts.length / libSeconds)).toFixed(2)} (Kafka, Avro, Redis dedup and a transaction per chunk on top of cleaning)`,
    );
  } finally {
    await service.stop();
  }
  return result;
}
