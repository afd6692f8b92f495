import { availableParallelism } from 'node:os';
import { loadStreamServiceEnv, type StreamServiceSettings } from '@profilestream/config';
import { encoderEnv } from '@profilestream/encoder-config';

export { CONSUMED_TOPICS, CONSUMER_GROUP, SERVICE_NAME } from '@profilestream/encoder-config';

export interface EncoderConfig extends StreamServiceSettings {
  model: { dir: string; variant: 'fp32' | 'int8'; projectionFile: string | null };
  inference: {
    provider: 'cpu' | 'cuda' | 'auto';
    workers: number;
    intraOpThreads: number;
    cpuTokenBudget: number;
    gpuTokenBudget: number;
    maxTexts: number;
    maxWaitMs: number;
  };
  cacheTtlSeconds: number;
  queue: { highWater: number; lowWater: number };
  /** Texts per second on average; 0 for no limit. */
  maxTextsPerSecond: number;
  chunkMessages: number;
  partitionConcurrency: number;
  chunksInFlight: number;
}

export function loadEncoderConfig(source: Record<string, string | undefined> = process.env): EncoderConfig {
  const { env: e, settings } = loadStreamServiceEnv(encoderEnv, source);
  return {
    ...settings,
    model: {
      dir: e.ENCODER_MODEL_DIR,
      variant: e.ENCODER_MODEL_VARIANT,
      projectionFile: e.ENCODER_PROJECTION_FILE ?? null,
    },
    inference: {
      provider: e.ENCODER_EXECUTION_PROVIDER,
      workers: e.ENCODER_WORKERS || availableParallelism(),
      intraOpThreads: e.ENCODER_INTRA_OP_THREADS,
      cpuTokenBudget: e.ENCODER_TOKEN_BUDGET,
      gpuTokenBudget: e.ENCODER_GPU_TOKEN_BUDGET,
      maxTexts: e.ENCODER_MAX_TEXTS_PER_RUN,
      maxWaitMs: e.ENCODER_MAX_WAIT_MS,
    },
    cacheTtlSeconds: e.ENCODER_CACHE_TTL_S,
    queue: { highWater: e.ENCODER_QUEUE_HIGH_WATER, lowWater: e.ENCODER_QUEUE_LOW_WATER },
    maxTextsPerSecond: e.ENCODER_MAX_TEXTS_PER_SECOND,
    chunkMessages: e.ENCODER_CHUNK_MESSAGES,
    partitionConcurrency: e.ENCODER_PARTITION_CONCURRENCY,
    chunksInFlight: e.ENCODER_CHUNKS_IN_FLIGHT,
  };
}
