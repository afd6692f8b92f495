import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { topicCatalog, type TopicCatalog } from '@profilestream/contracts';
import {
  PartitionTaskConsumer,
  provisionTopics,
  readerGroupPrefix,
  topicSerde,
  type Admin,
} from '@profilestream/kafka';
import { embeddingSpaceOf, loadModelBundle, loadProjection } from '@profilestream/inference';
import { spaceKey } from '@profilestream/embedding';
import { compatibility } from '@profilestream/sentiment';
import { HealthRegistry } from '@profilestream/observability';
import { StreamRuntime } from '@profilestream/stream-service';
import {
  CONSUMED_TOPICS,
  CONSUMER_GROUP,
  INTERNAL_TOPICS,
  type ProfileFuserConfig,
} from '../config/profile-fuser.config';
import { FlushGate } from '../state/flush-gate';
import { InputDecoder } from '../state/fuser-inputs';
import { ItemTable } from '../state/item-table';
import { PartitionStateStore } from '../state/partition-state.store';
import { PartitionTask } from '../state/partition-task';
import { ServingControl, type ServingRole } from '../state/serving-control';
import { TaskManager } from '../state/task-manager';
import { ProfileHistory } from '../api/profile-history';
import { FuserMetrics } from './fuser.metrics';
import { profilePublishing, type ProfileShape, type PublishingOptions } from './profile-publishing';
import { embedTaxonomyInChild } from './taxonomy';

export const FUSER_CONFIG = Symbol('FUSER_CONFIG');

/**
 * After a cut-over record, how long a newly served space waits before it republishes: the space
 * served until then reads the same record within milliseconds and stops writing profiles.v1, but a
 * flush it had already built may still be committing.
 */
const CUTOVER_SETTLE_MS = 3_000;

/** The consumer group (and transactional-id stem) of this deployment: a migration's next space runs under its own. */
export function fuserGroupId(config: Pick<ProfileFuserConfig, 'kafka'>): string {
  return `${config.kafka.topicPrefix}${CONSUMER_GROUP}${config.kafka.groupSuffix}`;
}

/** What the read API needs once the service has started. */
export interface FuserContext {
  modelId: string;
  projectionId: string | null;
  /** The vector space's key: the model id, plus the projection id when there is one. */
  space: string;
  store: PartitionStateStore;
  /** Partitions of the input topics: a user's state lives with partitionForKey(userId, this). */
  partitionCount: number;
  sentimentClassifierId: string;
  /** The taxonomy and how many labels a profile shows, as published. */
  interests: PublishingOptions['interests'];
  /** What the read API shows besides the state, as published. */
  profileShape: ProfileShape;
  /** Users' profiles over time, from the changelog. */
  history: ProfileHistory;
  /** Whether this space is the one on profiles.v1, and the cut-over epoch versions are lifted by. */
  servingRole: () => ServingRole;
}

/**
 * Embeds the interest taxonomy with the profiles' model, checks that its input topics are
 * co-partitioned, follows the item table, then owns input partitions as the group assigns them:
 * one PartitionTask each (state in memory, Kafka transactions, Redis serving copy).
 */
@Injectable()
export class ProfileFuserService implements OnApplicationBootstrap {
  context: FuserContext | null = null;
  private consumer: PartitionTaskConsumer | null = null;
  private stopping = false;

  constructor(
    private readonly runtime: StreamRuntime,
    private readonly health: HealthRegistry,
    @Inject(FUSER_CONFIG) private readonly config: ProfileFuserConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.health.addReadinessCheck('taxonomy', async () => {
      if (!this.context) throw new Error('interest taxonomy not embedded yet');
      return { modelId: this.context.modelId };
    });
    // After the HTTP server is up, so readiness can tell what a slow start waits for.
    this.runtime.bootInBackground(() => this.start());
  }

  private async start(): Promise<void> {
    const { runtime, config } = this;
    runtime.startupStep('loading the model and embedding the interest taxonomy');
    const bundle = await loadModelBundle(config.model.dir, config.model.variant);
    // Fails the boot when the projection was fitted on another model.
    const projection = config.projectionFile ? loadProjection(config.projectionFile, bundle.modelId) : null;
    const space = embeddingSpaceOf(bundle, projection);
    const labels = await embedTaxonomyInChild({
      file: config.taxonomyFile,
      modelDir: config.model.dir,
      variant: config.model.variant,
      projectionFile: config.projectionFile,
    });
    runtime.log.info({ ...space, labels: labels.length }, 'interest taxonomy embedded');
    const classifier = config.sentiment.model;
    const fit = compatibility(classifier, space);
    if (fit === 'ok')
      runtime.log.info({ classifier: classifier.id, file: config.sentiment.file }, 'sentiment classifier loaded');
    else {
      runtime.log.warn(
        {
          classifier: classifier.id,
          trainedOn: classifier.embedding,
          modelId: bundle.modelId,
          reason: fit,
          file: config.sentiment.file,
        },
        'the sentiment classifier was trained on other embeddings: posts will not be scored (profile_fuser_sentiment_unscored_total)',
      );
    }

    await runtime.connect();
    const topics = topicCatalog(config.kafka.topicPrefix);
    // Retried: a fresh broker may not list topics another service has just created.
    const partitionCount = await runtime.untilDone('checking input partitions', () =>
      this.coPartition(runtime.admin, topics),
    );
    const serdes = {
      embedded: topicSerde(topics.textsEmbedded, config.kafka),
      click: topicSerde(topics.clicks, config.kafka),
      users: topicSerde(topics.users, config.kafka),
      deletion: topicSerde(topics.userDeletions, config.kafka),
      profile: topicSerde(topics.profiles, config.kafka),
      change: topicSerde(topics.profilesChangelog, config.kafka),
    };
    await runtime.untilDone('reading schemas', () => Promise.all(Object.values(serdes).map((s) => s.init())));
    const metrics = new FuserMetrics(runtime.metrics.registry, runtime.metrics.prefix);
    const spaceName = spaceKey(space);
    const store = new PartitionStateStore(runtime.redis, config.redis.keyPrefix, spaceName);
    const fusion = {
      halfLivesMs: config.halfLivesMs,
      actionWeights: config.actionWeights,
      textDedupWindowMs: config.textDedupWindowMs,
      attributeLimits: { maxCustom: config.attributes.maxCustom },
      interestClusters: config.interestClusters,
    };
    const decoder = new InputDecoder({
      topics,
      serdes,
      fusion,
      modelId: space.modelId,
      projectionId: space.projectionId,
      dimension: space.dim,
      sentiment: classifier,
    });
    const interests = { labels, top: config.topInterests };
    const profileShape: ProfileShape = {
      interests,
      projectionId: space.projectionId,
      sentimentClassifierId: classifier.id,
      withheldAttributes: new Set(config.attributes.publishSensitive ? [] : config.attributes.sensitive),
    };
    const publishing = profilePublishing({ serdes, ...profileShape });
    const groupId = fuserGroupId(config);
    const items = new ItemTable(
      runtime.kafka,
      topics.fuserItems.name,
      spaceName,
      runtime.log,
      readerGroupPrefix(groupId, 'items'),
    );
    const servingControl = new ServingControl(
      runtime.kafka,
      topics.fuserServing.name,
      spaceName,
      runtime.log,
      readerGroupPrefix(groupId, 'serving'),
      config.kafka.groupSuffix === '',
    );
    // Two flushes at a time: one writes to Kafka while the next builds its records.
    const flushGate = new FlushGate(2);
    let manager: TaskManager | null = null;
    let consumer: PartitionTaskConsumer | null = null;
    const createTask = (partition: number) =>
      new PartitionTask({
        partition,
        partitionCount,
        kafka: runtime.kafka,
        groupId,
        // One transactional id per input partition: the instance that takes it over fences the last.
        transactionalId: `${groupId}-${spaceName}-p${partition}`,
        topics: {
          state: topics.fuserState.name,
          items: topics.fuserItems.name,
          profiles: topics.profiles.name,
          changelog: topics.profilesChangelog.name,
          shadow: topics.profilesShadow.name,
        },
        serving: () => servingControl.role(),
        space: { key: spaceName, modelId: space.modelId, dim: space.dim },
        store,
        items,
        fusion,
        publishing,
        publishIntervalMs: config.publishIntervalMs,
        memoryBudgetBytes: () => config.stateMemoryBytes / Math.max(1, manager?.size ?? 1),
        pending: config.pending,
        deletionRetentionMs: config.deletionRetentionMs,
        maxUsersPerFlush: config.maxUsersPerFlush,
        maxFlushBytes: config.maxFlushBytes,
        flushGate,
        metrics,
        kafkaMetrics: runtime.kafkaMetrics,
        log: runtime.log,
        onFenced: (task) => manager?.fenced(task),
        inputs: CONSUMED_TOPICS.map((k) => topics[k].name),
        seek: (offsets) => consumer?.seek(offsets),
      });
    manager = new TaskManager(createTask, decoder, metrics, runtime.log);
    const tasks = manager;
    items.onArrival((itemId) => tasks.itemArrived(itemId));
    const showRole = () => {
      const role = servingControl.role();
      metrics.serving.set({ space: spaceName }, role.serving ? 1 : 0);
      metrics.servingEpoch.set(role.epoch);
    };
    showRole();
    servingControl.onChange((role, previous) => {
      showRole();
      if (!role.serving || role.epoch === previous.epoch) return;
      // The space served until now stops writing profiles.v1 once it reads the same record: give its
      // flushes in flight time to end, so none lands after this space's republish.
      setTimeout(() => void tasks.republishAll(role.epoch), CUTOVER_SETTLE_MS).unref();
    });
    this.context = {
      modelId: bundle.modelId,
      projectionId: space.projectionId,
      space: spaceName,
      store,
      partitionCount,
      sentimentClassifierId: classifier.id,
      interests,
      profileShape,
      servingRole: () => servingControl.role(),
      history: new ProfileHistory(
        runtime.kafka,
        topics.profilesChangelog.name,
        serdes.change,
        readerGroupPrefix(groupId, 'history'),
      ),
    };

    consumer = new PartitionTaskConsumer(runtime.kafka, {
      groupId,
      topics: CONSUMED_TOPICS.map((k) => topics[k].name),
      listener: tasks,
      log: runtime.log,
      metrics: runtime.kafkaMetrics,
      maxChunkMessages: config.chunkMessages,
    });
    this.consumer = consumer;
    const started = consumer;
    this.health.addReadinessCheck('item-table', async () => {
      const caught = await Promise.race([
        items.caughtUp.then(() => true),
        new Promise<false>((r) => setImmediate(() => r(false))),
      ]);
      if (!caught) throw new Error('item table still catching up');
      return { items: items.size };
    });
    this.health.addLivenessCheck(`consumer:${groupId}`, async () => {
      const h = started.health();
      if (h.crashed) throw new Error(`consumer crashed: ${h.crashed}`);
      if (h.stalled) throw new Error(`consumer has not fetched since ${new Date(h.lastFetchAt).toISOString()}`);
      return { joined: h.joined, partitions: started.partitions() };
    });
    // Stop: pause fetching, flush every owned partition while still its owner, leave the group,
    // then stop following the item table.
    runtime.onDrain(async () => {
      this.stopping = true;
      await started.stop(() => tasks.stop());
      await items.stop();
      await servingControl.stop();
    });
    void this.startConsuming(items, servingControl, started);
  }

  /**
   * Follows the item table, then consumes once every dependency is ready. A start that fails
   * (services creating their topics together on a fresh broker meet topics without leaders yet) is
   * retried with back-off; readiness is down until it starts, liveness once
   * CONSUMER_START_TIMEOUT_MS has passed (see `startWithRetry`).
   */
  private async startConsuming(
    items: ItemTable,
    servingControl: ServingControl,
    consumer: PartitionTaskConsumer,
  ): Promise<void> {
    let itemsStarted = false;
    let servingStarted = false;
    await this.runtime.startWithRetry(
      CONSUMER_GROUP,
      async () => {
        if (!itemsStarted) {
          await items.start();
          itemsStarted = true;
        }
        await items.caughtUp;
        if (!servingStarted) {
          await servingControl.start();
          servingStarted = true;
        }
        // Tasks must know which topic they publish on before their first flush.
        await servingControl.caughtUp;
        while ((await this.health.dependenciesReady()).status !== 'ok') {
          if (this.stopping) return;
          await new Promise((r) => setTimeout(r, 500));
        }
        await consumer.start();
        this.runtime.log.info({ groupId: fuserGroupId(this.config) }, 'consuming');
      },
      {
        groupId: fuserGroupId(this.config),
        topics: [...CONSUMED_TOPICS, ...INTERNAL_TOPICS].map(
          (k) => topicCatalog(this.config.kafka.topicPrefix)[k].name,
        ),
      },
    );
  }

  /**
   * The fuser owns a user's state with the input partition that owns the user: its three input
   * topics must have one partition count, and its internal topics the same (created so when
   * missing). Returns that count; fails the boot naming the topics otherwise.
   */
  private async coPartition(admin: Admin, topics: TopicCatalog): Promise<number> {
    const inputs = CONSUMED_TOPICS.map((k) => topics[k].name);
    const counts = async (names: string[]) => {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: names });
      return new Map(meta.map((t) => [t.name, t.partitions.length]));
    };
    const inputCounts = await counts(inputs);
    const count = inputCounts.get(inputs[0]!)!;
    if ([...inputCounts.values()].some((c) => c !== count)) {
      throw new Error(
        `profile-fuser's input topics must have equal partition counts (a user's events must meet in one partition): ${[...inputCounts].map(([t, c]) => `${t}=${c}`).join(', ')}`,
      );
    }
    const internal = INTERNAL_TOPICS.map((k) => topics[k]);
    if (this.config.kafka.provisionTopics) {
      await provisionTopics(admin, internal, {
        replicationFactor: this.config.kafka.replicationFactor,
        partitions: count,
      });
    }
    const internalCounts = await counts(internal.map((t) => t.name));
    const wrong = [...internalCounts].filter(([, c]) => c !== count);
    if (wrong.length > 0) {
      throw new Error(
        `profile-fuser's internal topics must have the ${count} partitions of its input topics: ${wrong.map(([t, c]) => `${t}=${c}`).join(', ')}`,
      );
    }
    return count;
  }
}
