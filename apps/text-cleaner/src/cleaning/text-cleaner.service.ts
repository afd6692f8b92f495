import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { topicCatalog } from '@profilestream/contracts';
import { decodingHandler, ok, topicSerde } from '@profilestream/kafka';
import { StreamRuntime } from '@profilestream/stream-service';
import {
  CONSUMED_TOPICS,
  CONSUMER_GROUP,
  ERASURE_CONSUMER_GROUP,
  ERASURE_TOPICS,
  type TextCleanerConfig,
} from '../config/text-cleaner.config';
import { CleanerMetrics } from './cleaner.metrics';
import { DuplicateFilter } from './duplicate-filter';
import { textCleanerHandler } from './text-cleaner.handler';

export const TEXT_CLEANER_CONFIG = Symbol('TEXT_CLEANER_CONFIG');

/** Wires the cleaning handler to Kafka and Redis and starts consuming once dependencies are ready. */
@Injectable()
export class TextCleanerService implements OnApplicationBootstrap {
  constructor(
    private readonly runtime: StreamRuntime,
    @Inject(TEXT_CLEANER_CONFIG) private readonly config: TextCleanerConfig,
  ) {}

  onApplicationBootstrap(): void {
    // After the HTTP server is up, so readiness can tell what a slow start waits for.
    this.runtime.bootInBackground(() => this.start());
  }

  private async start(): Promise<void> {
    const { runtime, config } = this;
    await runtime.connect();
    const topics = topicCatalog(config.kafka.topicPrefix);
    const serdes = {
      review: topicSerde(topics.reviews, config.kafka),
      post: topicSerde(topics.posts, config.kafka),
      item: topicSerde(topics.items, config.kafka),
      cleaned: topicSerde(topics.textsCleaned, config.kafka),
      deletion: topicSerde(topics.userDeletions, config.kafka),
    };
    await runtime.untilDone('reading schemas', () => Promise.all(Object.values(serdes).map((s) => s.init())));
    const duplicates = new DuplicateFilter(runtime.redis, config.redis.keyPrefix, config.dedupWindowMs);
    const metrics = new CleanerMetrics(runtime.metrics.registry, runtime.metrics.prefix);
    const handler = textCleanerHandler({
      topics,
      serdes,
      duplicates,
      metrics,
      options: { cleaning: config.cleaning, limits: config.limits },
    });
    // Not awaited: the consumer's own start is retried and reported under `consumer:<group>`.
    void runtime.consumeInBackground({
      group: CONSUMER_GROUP,
      topics: CONSUMED_TOPICS,
      transform: handler,
      maxChunkMessages: config.chunkMessages,
      partitionsConsumedConcurrently: config.partitionConcurrency,
    });
    // Erasure forgets the user's remembered texts too (at least once: a DEL repeats harmlessly).
    void runtime.consumeInBackground({
      group: ERASURE_CONSUMER_GROUP,
      topics: ERASURE_TOPICS,
      handler: decodingHandler(
        (bytes) => serdes.deletion.decode(bytes),
        async (records) => {
          await Promise.all(records.map((r) => duplicates.forgetUser(r.value.userId)));
          metrics.erasures.inc(records.length);
          return records.map(() => ok);
        },
      ),
    });
  }
}
