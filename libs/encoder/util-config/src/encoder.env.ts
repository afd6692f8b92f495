import { z } from 'zod';
import type { TopicKey } from '@profilestream/contracts';
import { env, type StreamServiceEnv } from '@profilestream/config';

export const SERVICE_NAME = 'encoder';
export const CONSUMER_GROUP = 'encoder';
/** Topics the consumer group reads (keys of the topic catalog); deployment autoscaling follows their lag. */
export const CONSUMED_TOPICS = ['textsCleaned'] as const satisfies readonly TopicKey[];

export const encoderEnvSchema = z.object({
  ENCODER_MODEL_DIR: env.string(
    'Model directory (Hugging Face ONNX layout plus profilestream-model.json).',
    '.cache/models/all-MiniLM-L6-v2',
  ),
  ENCODER_MODEL_VARIANT: env.oneOf(
    'Weights to run: fp32 (onnx/model.onnx) or int8 (onnx/model_quantized.onnx).',
    ['fp32', 'int8'],
    'int8',
  ),
  ENCODER_EXECUTION_PROVIDER: env.oneOf(
    'cpu; cuda (fails at start without CUDA); auto (CUDA, else CPU with a warning and a metric).',
    ['cpu', 'cuda', 'auto'],
    'cpu',
  ),
  ENCODER_WORKERS: env.int('Inference worker threads, one ONNX session each (0 = one per core).', 0, 0, 64),
  ENCODER_INTRA_OP_THREADS: env.int('onnxruntime intra-op threads per session.', 1, 1, 64),
  ENCODER_TOKEN_BUDGET: env.int('Most padded tokens per run on CPU.', 512, 16, 1_000_000),
  ENCODER_GPU_TOKEN_BUDGET: env.int('Most padded tokens per run on CUDA.', 16_384, 16, 10_000_000),
  ENCODER_MAX_TEXTS_PER_RUN: env.int('Most texts per run.', 64, 1, 4096),
  ENCODER_MAX_WAIT_MS: env.int('Longest a text waits for run-mates before its run starts.', 10, 0, 10_000),
  ENCODER_CACHE_TTL_S: env.int(
    'Lifetime of cached embeddings (keyed by model, projection and content hash).',
    604_800,
    1,
    31_536_000,
  ),
  ENCODER_QUEUE_HIGH_WATER: env.int('Pause consuming when this many texts wait for inference.', 2000, 1, 1_000_000),
  ENCODER_QUEUE_LOW_WATER: env.int('Resume consuming when the queue is back under this many texts.', 500, 0, 1_000_000),
  ENCODER_PROJECTION_FILE: env.optionalString(
    'PCA projection artefact (from `npm run pca:fit`) applied after pooling; unset for none.',
  ),
  ENCODER_MAX_TEXTS_PER_SECOND: env.int(
    'Most texts embedded per second on average (0 = no limit): set on the encoder that re-embeds the archive during a model migration, so live traffic keeps its cores.',
    0,
    0,
    1_000_000,
  ),
  ENCODER_CHUNK_MESSAGES: env.int('Most messages handled at once per partition.', 256, 1, 10_000),
  ENCODER_PARTITION_CONCURRENCY: env.int('Partitions processed concurrently (their texts share runs).', 3, 1, 64),
  ENCODER_CHUNKS_IN_FLIGHT: env.int(
    "Chunks of one partition handled at once: the next chunk's texts are queued while the one before it is embedded and committed (writes stay in offset order).",
    2,
    1,
    16,
  ),
});

export const encoderEnv: StreamServiceEnv<typeof encoderEnvSchema.shape> = {
  name: SERVICE_NAME,
  summary:
    'turns cleaned texts (texts.cleaned.v1) into sentence embeddings (texts.embedded.v1) with an ONNX encoder, micro-batched.',
  defaultPort: 8082,
  own: encoderEnvSchema,
  checks: (e) =>
    e.ENCODER_QUEUE_LOW_WATER >= e.ENCODER_QUEUE_HIGH_WATER
      ? ['ENCODER_QUEUE_LOW_WATER must be below ENCODER_QUEUE_HIGH_WATER']
      : [],
};
