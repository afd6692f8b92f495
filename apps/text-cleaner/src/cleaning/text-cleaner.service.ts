import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { topicCatalog } from '@profilestream/contracts';
import { topicSerde } from '@profilestream/kafka';
import { StreamRuntime } from '@profilestream/stream-service';
import { CONSUMED_TOPICS, CONSUMER_GROUP, type TextCleanerConfig } from '../config/text-cleaner.config';
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

  async onApplicationBootstrap(): Promise<void> {
    const { runtime, config } = this;
    await runtime.connect();
    const topics = topicCatalog(config.kafka.topicPrefix);
    const serdes = {
      review: topicSerde(topics.reviews, config.kafka),
      post: topicSerde(topics.posts, config.kafka),
      item: topicSerde(topics.items, config.kafka),
      cleaned: topicSerde(topics.textsCleaned, config.kafka),
    };
    await Promise.all(Object.values(serdes).map((s) => s.init()));
    const handler = textCleanerHandler({
      topics,
      serdes,
      duplicates: new DuplicateFilter(runtime.redis!, config.redis.keyPrefix, config.dedupWindowMs),
      metrics: new CleanerMetrics(runtime.metrics.registry, runtime.metrics.prefix),
      options: { cleaning: config.cleaning, limits: config.limits },
    });
    // Not awaited: consumption starts when dependencies are ready, without holding up the HTTP server.
    void runtime.consumeInBackground({
      group: CONSUMER_GROUP,
      topics: CONSUMED_TOPICS,
      transform: handler,
      maxChunkMessages: config.chunkMessages,
      partitionsConsumedConcurrently: config.partitionConcurrency,
    });
  }
}
