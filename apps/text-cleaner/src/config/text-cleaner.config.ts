import { loadStreamServiceEnv, type StreamServiceSettings } from '@profilestream/config';
import { textCleanerEnv } from '@profilestream/text-cleaner-config';

export {
  CONSUMED_TOPICS,
  CONSUMER_GROUP,
  ERASURE_CONSUMER_GROUP,
  ERASURE_TOPICS,
  SERVICE_NAME,
} from '@profilestream/text-cleaner-config';

export interface TextCleanerConfig extends StreamServiceSettings {
  cleaning: { maxChars: number; minMeaningfulChars: number };
  limits: { maxTextChars: number; maxFutureSkewMs: number };
  dedupWindowMs: number;
  chunkMessages: number;
  partitionConcurrency: number;
}

/** Reads and validates the environment once, at boot; throws a ConfigError naming bad variables. */
export function loadTextCleanerConfig(source: Record<string, string | undefined> = process.env): TextCleanerConfig {
  const { env: e, settings } = loadStreamServiceEnv(textCleanerEnv, source);
  return {
    ...settings,
    cleaning: { maxChars: e.CLEANER_MAX_CHARS, minMeaningfulChars: e.CLEANER_MIN_MEANINGFUL_CHARS },
    limits: { maxTextChars: e.CLEANER_MAX_INPUT_CHARS, maxFutureSkewMs: e.CLEANER_MAX_FUTURE_SKEW_MS },
    dedupWindowMs: e.CLEANER_DEDUP_WINDOW_MS,
    chunkMessages: e.CLEANER_CHUNK_MESSAGES,
    partitionConcurrency: e.CLEANER_PARTITION_CONCURRENCY,
  };
}
