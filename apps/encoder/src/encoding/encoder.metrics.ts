import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EngineObserver } from '@profilestream/inference';

/** The encoder's own metrics; the engine reports runs and queue depth through `observer`. */
export class EncoderMetrics {
  readonly texts: Counter<'source' | 'cache'>;
  readonly tokens: Counter<never>;
  readonly truncated: Counter<never>;
  readonly poison: Counter<never>;
  readonly cacheHits: Counter<never>;
  readonly cacheMisses: Counter<never>;
  readonly runTexts: Histogram<never>;
  readonly runTokens: Histogram<never>;
  readonly paddingRatio: Histogram<never>;
  readonly runSeconds: Histogram<'outcome'>;
  readonly queueDepth: Gauge<never>;
  readonly workerBusy: Gauge<never>;
  readonly provider: Gauge<'provider' | 'variant'>;
  readonly providerFallbacks: Counter<never>;
  readonly backpressurePauses: Counter<never>;
  readonly observer: EngineObserver;
  /** Sampled at each scrape: the worker pool's busy share since the previous scrape. */
  sampleWorkerBusy: () => number = () => 0;

  constructor(registry: Registry, prefix: string) {
    const registers = [registry];
    this.texts = new Counter({
      name: `${prefix}_texts_embedded_total`,
      help: 'Texts embedded, by source and whether the cache served them.',
      labelNames: ['source', 'cache'],
      registers,
    });
    this.tokens = new Counter({
      name: `${prefix}_tokens_total`,
      help: 'Real (unpadded) tokens run through the model.',
      registers,
    });
    this.truncated = new Counter({
      name: `${prefix}_texts_truncated_total`,
      help: 'Texts longer than the model maximum, truncated.',
      registers,
    });
    this.poison = new Counter({
      name: `${prefix}_poison_texts_total`,
      help: 'Texts whose forward pass failed alone (dead-lettered).',
      registers,
    });
    this.cacheHits = new Counter({
      name: `${prefix}_cache_hits_total`,
      help: 'Embeddings served from the Redis cache.',
      registers,
    });
    this.cacheMisses = new Counter({
      name: `${prefix}_cache_misses_total`,
      help: 'Embeddings the cache did not have.',
      registers,
    });
    this.runTexts = new Histogram({
      name: `${prefix}_run_texts`,
      help: 'Texts per inference run.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.runTokens = new Histogram({
      name: `${prefix}_run_tokens`,
      help: 'Padded tokens per inference run.',
      buckets: [16, 64, 128, 256, 512, 1024, 2048, 4096, 16384],
      registers,
    });
    this.paddingRatio = new Histogram({
      name: `${prefix}_padding_ratio`,
      help: "Share of a run's tokens that are padding.",
      buckets: [0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75],
      registers,
    });
    this.runSeconds = new Histogram({
      name: `${prefix}_run_seconds`,
      help: 'Duration of one inference run in its worker.',
      labelNames: ['outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.queueDepth = new Gauge({
      name: `${prefix}_queue_depth_texts`,
      help: 'Texts waiting for an inference run.',
      registers,
    });
    const sample = () => this.sampleWorkerBusy();
    this.workerBusy = new Gauge({
      name: `${prefix}_worker_busy_ratio`,
      help: 'Share of worker time spent in runs since the previous scrape.',
      registers,
      collect() {
        this.set(sample());
      },
    });
    this.provider = new Gauge({
      name: `${prefix}_execution_provider_info`,
      help: 'Execution provider and weights in use (value 1).',
      labelNames: ['provider', 'variant'],
      registers,
    });
    this.providerFallbacks = new Counter({
      name: `${prefix}_provider_fallbacks_total`,
      help: 'Times CUDA was asked for (auto) and CPU was used instead.',
      registers,
    });
    this.backpressurePauses = new Counter({
      name: `${prefix}_backpressure_pauses_total`,
      help: 'Times consumption paused because the inference queue passed its high-water mark.',
      registers,
    });
    this.observer = {
      onRun: ({ texts, realTokens, paddedTokens, seconds, ok }) => {
        this.runSeconds.observe({ outcome: ok ? 'ok' : 'error' }, seconds);
        if (!ok) return;
        this.runTexts.observe(texts);
        this.runTokens.observe(paddedTokens);
        this.paddingRatio.observe(paddedTokens === 0 ? 0 : (paddedTokens - realTokens) / paddedTokens);
        this.tokens.inc(realTokens);
      },
      onQueueDepth: (n) => this.queueDepth.set(n),
    };
  }
}
