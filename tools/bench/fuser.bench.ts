/**
 * profile-fuser throughput for click events (no encoding): profile updates per second through
 * Kafka and Redis, and the share of the handler's time spent in Redis.
 */
import { join, resolve } from 'node:path';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { SingleObjectSerde, packFloat32, topicCatalog, type EmbeddedText } from '@profilestream/contracts';
import { BatchingProducer, createKafka, provisionTopics, silentLog } from '@profilestream/kafka';
import { EventProducer } from '@profilestream/event-producer';
import { loadModelBundle } from '@profilestream/inference';
import { ServiceProcess } from '../runtime/service-process';
import { newResult, type BenchResult } from './bench-harness';

const repoRoot = resolve(__dirname, '../..');
const USERS = 2000;
const ITEMS = 200;
const CLICKS = 20_000;

export async function benchFuser(): Promise<BenchResult> {
  const result = newResult('fuser');
  const prefix = `bench-fuser-${Date.now().toString(36)}.`;
  const topics = topicCatalog(prefix);
  const settings = toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'bench');
  const kafka = createKafka(settings, silentLog);
  const admin = kafka.admin();
  await admin.connect();
  await provisionTopics(admin, [topics.textsEmbedded, topics.clicks, topics.userDeletions, topics.profiles, topics.profilesChangelog], { replicationFactor: 1, partitions: 3 });
  await admin.disconnect();

  const bundle = await loadModelBundle(join(repoRoot, '.cache/models/all-MiniLM-L6-v2'), 'int8');
  const service = new ServiceProcess({
    name: 'profile-fuser',
    port: 18183,
    env: { KAFKA_TOPIC_PREFIX: prefix, KAFKA_TOPIC_PARTITIONS: '3', REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn', FUSER_PARTITION_CONCURRENCY: '3' },
  });
  service.start();
  try {
    await service.waitReady(120_000);
    // Item vectors first (catalogue descriptions as the encoder would emit them), so clicks carry vectors.
    const raw = new BatchingProducer(kafka, { log: silentLog });
    await raw.connect();
    const serde = new SingleObjectSerde('EmbeddedText');
    const now = Date.now();
    const items: EmbeddedText[] = Array.from({ length: ITEMS }, (_, i) => ({
      eventId: `item-${i}`,
      source: 'item',
      userId: null,
      itemId: `item-${i}`,
      lang: 'en',
      contentHash: `h${i}`,
      rating: null,
      tags: [],
      categories: [`cat-${i % 12}`],
      platform: null,
      occurredAt: now - 3_600_000,
      ingestedAt: now,
      modelId: bundle.modelId,
      projectionId: null,
      dim: bundle.manifest.dimension,
      vector: packFloat32(Float32Array.from({ length: bundle.manifest.dimension }, (_, d) => Math.sin(i * 1.3 + d * 0.7))),
      tokenCount: 10,
      truncated: false,
      timing: { cacheHit: false, queuedMs: 0, inferenceMs: 0, embeddedAt: now },
    }));
    await raw.send(topics.textsEmbedded.name, items.map((e) => ({ key: e.itemId, value: serde.encode(e) })));
    await raw.disconnect();
    while ((await service.metric('profile_fuser_kafka_message_outcomes_total')) < ITEMS) await new Promise((r) => setTimeout(r, 100));

    const producer = new EventProducer({ ...settings, topicPrefix: prefix }, silentLog);
    await producer.connect();
    const actions = ['view', 'view', 'click', 'like', 'add_to_cart', 'purchase'] as const;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLICKS }, (_, i) =>
        producer.sendClick({
          eventId: `click-${i}`,
          userId: `user-${(i * 7919) % USERS}`,
          itemId: `item-${(i * 31) % ITEMS}`,
          action: actions[i % actions.length]!,
          dwellMs: 1000,
          platform: 'bench',
          occurredAt: now - (CLICKS - i),
        }),
      ),
    );
    await producer.disconnect();
    while ((await service.metric('profile_fuser_kafka_message_outcomes_total')) < ITEMS + CLICKS) await new Promise((r) => setTimeout(r, 100));
    const seconds = (performance.now() - started) / 1000;
    const redisSeconds = await service.metric('profile_fuser_redis_seconds_sum');
    const handlerSeconds = await service.metric('profile_fuser_kafka_handler_seconds_sum');
    const casRetries = await service.metric('profile_fuser_cas_retries_total');
    result.rows.push({
      case: `clicks → profiles (${USERS} users, ${ITEMS} items, 3 partitions)`,
      clicks: CLICKS,
      'updates/s': CLICKS / seconds,
      'share of handler time in Redis': handlerSeconds > 0 ? redisSeconds / handlerSeconds : 0,
      'CAS retries': casRetries,
      'peak RSS MiB': Math.round(service.peakRssMiB() ?? 0),
    });
    result.notes.push(`one fuser process, ${settings.brokers.join(',')}; every click reads and compare-and-sets its user's state (${bundle.manifest.dimension}-d vectors, 3 horizons, 3 channels) and is published at most once a second per user`);
  } finally {
    await service.stop();
  }
  return result;
}
