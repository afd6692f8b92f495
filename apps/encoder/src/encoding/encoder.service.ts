import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { topicCatalog } from '@profilestream/contracts';
import { readerGroupPrefix, topicSerde, type BatchConsumer } from '@profilestream/kafka';
import {
  CPU_MAX_PADDING_SHARE,
  EncodingEngine,
  InferencePool,
  TextTokenizer,
  embeddingSpaceOf,
  loadModelBundle,
  loadProjection,
} from '@profilestream/inference';
import { HealthRegistry } from '@profilestream/observability';
import { StreamRuntime } from '@profilestream/stream-service';
import { CONSUMED_TOPICS, CONSUMER_GROUP, type EncoderConfig } from '../config/encoder.config';
import { EmbeddingCache } from './embedding-cache';
import { encoderHandler } from './encoder.handler';
import { ErasureMarks } from './erasure-marks';
import { ThroughputLimiter, chunkMessages } from './throughput-limiter';
import { EncoderMetrics } from './encoder.metrics';

export const ENCODER_CONFIG = Symbol('ENCODER_CONFIG');

/**
 * Loads the model into the worker pool (once, at start-up), then consumes cleaned texts. Pauses
 * consumption while the inference queue is above its high-water mark.
 */
@Injectable()
export class EncoderService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private pool: InferencePool | null = null;
  private consumer: BatchConsumer | null = null;
  private erasures: ErasureMarks | null = null;
  private pressureTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly runtime: StreamRuntime,
    private readonly health: HealthRegistry,
    @Inject(ENCODER_CONFIG) private readonly config: EncoderConfig,
  ) {}

  onApplicationBootstrap(): void {
    // After the HTTP server is up, so readiness can tell what a slow start waits for.
    this.runtime.bootInBackground(() => this.start());
  }

  private async start(): Promise<void> {
    const { runtime, config } = this;
    runtime.startupStep('loading the model');
    const metrics = new EncoderMetrics(runtime.metrics.registry, runtime.metrics.prefix);
    this.health.addReadinessCheck('model', async () => {
      if (!this.pool?.healthy()) throw new Error('model not loaded');
      return { provider: this.pool.provider };
    });
    this.health.addLivenessCheck('inference-pool', async () => {
      if (this.pool && !this.pool.healthy()) throw new Error('an inference worker died');
    });

    const bundle = await loadModelBundle(config.model.dir, config.model.variant);
    const projection = config.model.projectionFile ? loadProjection(config.model.projectionFile, bundle.modelId) : null;
    const pool = new InferencePool(bundle, {
      size: config.inference.workers,
      provider: config.inference.provider,
      intraOpNumThreads: config.inference.intraOpThreads,
      projection,
    });
    await pool.start();
    this.pool = pool;
    if (pool.fellBackFrom) {
      metrics.providerFallbacks.inc();
      runtime.log.warn({ reason: pool.fellBackFrom.slice(0, 300) }, 'CUDA is unavailable; running on CPU');
    }
    metrics.provider.set({ provider: pool.provider, variant: bundle.variant }, 1);
    runtime.log.info(
      { modelId: bundle.modelId, provider: pool.provider, workers: pool.size, projection: projection?.id ?? null },
      'model loaded',
    );

    const engine = new EncodingEngine(
      new TextTokenizer(bundle),
      pool,
      {
        tokenBudget: pool.provider === 'cuda' ? config.inference.gpuTokenBudget : config.inference.cpuTokenBudget,
        maxTexts: config.inference.maxTexts,
        maxWaitMs: config.inference.maxWaitMs,
        ...(pool.provider === 'cpu' ? { maxPaddingShare: CPU_MAX_PADDING_SHARE } : {}),
      },
      metrics.observer,
    );
    metrics.sampleWorkerBusy = () => pool.sampleBusyRatio();

    await runtime.connect();
    const topics = topicCatalog(config.kafka.topicPrefix);
    const serdes = {
      cleaned: topicSerde(topics.textsCleaned, config.kafka),
      embedded: topicSerde(topics.textsEmbedded, config.kafka),
      deletion: topicSerde(topics.userDeletions, config.kafka),
    };
    await runtime.untilDone('reading schemas', () => Promise.all(Object.values(serdes).map((s) => s.init())));
    const erasures = new ErasureMarks(
      runtime.kafka,
      topics.userDeletions.name,
      serdes.deletion,
      runtime.log,
      readerGroupPrefix(`${config.kafka.topicPrefix}${CONSUMER_GROUP}${config.kafka.groupSuffix}`, 'erasures'),
    );
    this.erasures = erasures;
    // Every erasure known before the first text: the archive a migration re-reads holds older texts.
    await runtime.untilDone('reading erasure requests', () => erasures.start());
    await erasures.caughtUp;
    runtime.log.info({ erasedUsers: erasures.size }, 'erasure requests read');
    const limiter = new ThroughputLimiter(config.maxTextsPerSecond);
    if (limiter.limited) runtime.log.info({ textsPerSecond: config.maxTextsPerSecond }, 'embedding rate limited');
    const handler = encoderHandler({
      limiter,
      erasures,
      topics,
      serdes,
      cache: new EmbeddingCache(runtime.redis, config.redis.keyPrefix, config.cacheTtlSeconds),
      engine,
      space: embeddingSpaceOf(bundle, projection),
      metrics,
    });

    this.pressureTimer = setInterval(() => {
      const depth = engine.queueDepth();
      const health = this.consumer?.health();
      if (!this.consumer || !health) return;
      if (!health.paused && depth >= config.queue.highWater) {
        this.consumer.pause();
        metrics.backpressurePauses.inc();
      } else if (health.paused && depth <= config.queue.lowWater) this.consumer.resume();
    }, 20);
    this.pressureTimer.unref();

    void runtime
      .consumeInBackground({
        group: CONSUMER_GROUP,
        topics: CONSUMED_TOPICS,
        transform: handler,
        maxChunkMessages: chunkMessages(config),
        partitionsConsumedConcurrently: config.partitionConcurrency,
        chunksInFlight: config.chunksInFlight,
      })
      .then((c) => (this.consumer = c));
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.pressureTimer) clearInterval(this.pressureTimer);
    await this.erasures?.stop();
    // The runtime stops the consumer (draining in-flight runs) first; the pool closes after.
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool?.close();
  }
}
