import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { topicCatalog } from '@profilestream/contracts';
import { topicSerde } from '@profilestream/kafka';
import { loadModelBundle, loadProjection } from '@profilestream/inference';
import { compatibility } from '@profilestream/sentiment';
import { HealthRegistry } from '@profilestream/observability';
import { StreamRuntime } from '@profilestream/stream-service';
import { CONSUMED_TOPICS, CONSUMER_GROUP, type ProfileFuserConfig } from '../config/profile-fuser.config';
import { FuserMetrics } from './fuser.metrics';
import { ItemVectorStore } from './item-vector.store';
import { profileFuserHandler } from './profile-fuser.handler';
import { ProfilePublisher } from './profile.publisher';
import { ProfileStore } from './profile.store';
import { embedTaxonomy } from './taxonomy';

export const FUSER_CONFIG = Symbol('FUSER_CONFIG');

/** What the read API needs once the service has started. */
export interface FuserContext {
  modelId: string;
  projectionId: string | null;
  profiles: ProfileStore;
  sentimentClassifierId: string;
}

/**
 * Embeds the interest taxonomy with the profiles' model, then consumes embeddings, clicks and
 * deletions. Publishes what is pending before it stops.
 */
@Injectable()
export class ProfileFuserService implements OnApplicationBootstrap {
  private publisher: ProfilePublisher | null = null;
  context: FuserContext | null = null;

  constructor(
    private readonly runtime: StreamRuntime,
    private readonly health: HealthRegistry,
    @Inject(FUSER_CONFIG) private readonly config: ProfileFuserConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { runtime, config } = this;
    this.health.addReadinessCheck('taxonomy', async () => {
      if (!this.context) throw new Error('interest taxonomy not embedded yet');
      return { modelId: this.context.modelId };
    });
    const bundle = await loadModelBundle(config.model.dir, config.model.variant);
    // Fails the boot when the projection was fitted on another model.
    const projection = config.projectionFile ? loadProjection(config.projectionFile, bundle.modelId) : null;
    const space = { modelId: bundle.modelId, projectionId: projection?.id ?? null, dim: projection?.outputDim ?? bundle.manifest.dimension };
    const labels = await embedTaxonomy(config.taxonomyFile, bundle, projection);
    runtime.log.info({ ...space, labels: labels.length }, 'interest taxonomy embedded');
    const classifier = config.sentiment.model;
    const fit = compatibility(classifier, space);
    if (fit === 'ok') runtime.log.info({ classifier: classifier.id, file: config.sentiment.file }, 'sentiment classifier loaded');
    else {
      runtime.log.warn(
        { classifier: classifier.id, trainedOn: classifier.embedding, modelId: bundle.modelId, reason: fit, file: config.sentiment.file },
        'the sentiment classifier was trained on other embeddings: posts will not be scored (profile_fuser_sentiment_unscored_total)',
      );
    }

    await runtime.connect();
    const topics = topicCatalog(config.kafka.topicPrefix);
    const serdes = {
      embedded: topicSerde(topics.textsEmbedded, config.kafka),
      click: topicSerde(topics.clicks, config.kafka),
      deletion: topicSerde(topics.userDeletions, config.kafka),
      profile: topicSerde(topics.profiles, config.kafka),
      change: topicSerde(topics.profilesChangelog, config.kafka),
    };
    await Promise.all(Object.values(serdes).map((s) => s.init()));
    const metrics = new FuserMetrics(runtime.metrics.registry, runtime.metrics.prefix);
    const redis = runtime.redis!;
    const profiles = new ProfileStore(redis, config.redis.keyPrefix);
    this.publisher = new ProfilePublisher({
      topics,
      serdes: { profile: serdes.profile, change: serdes.change },
      producer: runtime.producer,
      intervalMs: config.publishIntervalMs,
      onPublished: (p, at) => metrics.eventToProfileSeconds.observe(Math.max(0, at - p.ingestedAt) / 1000),
    });
    const handler = profileFuserHandler({
      topics,
      serdes,
      profiles,
      items: new ItemVectorStore(redis, config.redis.keyPrefix),
      publisher: this.publisher,
      metrics,
      fusion: { halfLivesMs: config.halfLivesMs, actionWeights: config.actionWeights },
      modelId: space.modelId,
      projectionId: space.projectionId,
      dimension: space.dim,
      interests: { labels, top: config.topInterests },
      sentiment: classifier,
      casMaxRetries: config.casMaxRetries,
      deletionRetentionMs: config.deletionRetentionMs,
    });
    this.context = { modelId: bundle.modelId, projectionId: space.projectionId, profiles, sentimentClassifierId: classifier.id };
    const publisher = this.publisher;
    runtime.onDrain(() => publisher.flush());
    void runtime.consumeInBackground({
      group: CONSUMER_GROUP,
      topics: CONSUMED_TOPICS,
      handler,
      maxChunkMessages: config.chunkMessages,
      partitionsConsumedConcurrently: config.partitionConcurrency,
    });
  }
}
