import { z } from 'zod';
import type { TopicKey } from '@profilestream/contracts';
import { env, type StreamServiceEnv } from '@profilestream/config';

export const SERVICE_NAME = 'text-cleaner';
/** Fixed per service: every instance of text-cleaner shares the work of one group. */
export const CONSUMER_GROUP = 'text-cleaner';
/** Topics the consumer group reads (keys of the topic catalog); deployment autoscaling follows their lag. */
export const CONSUMED_TOPICS = ['reviews', 'posts', 'items'] as const satisfies readonly TopicKey[];
/** Erasure requests, read by a group of their own so a user's remembered texts go with the user. */
export const ERASURE_CONSUMER_GROUP = 'text-cleaner.erasure';
export const ERASURE_TOPICS = ['userDeletions'] as const satisfies readonly TopicKey[];

export const cleanerEnvSchema = z.object({
  CLEANER_MAX_CHARS: env.int(
    'Cleaned texts are truncated to this many UTF-16 code units (counted).',
    2000,
    16,
    100_000,
  ),
  CLEANER_MIN_MEANINGFUL_CHARS: env.int('Texts with fewer letters or digits are dropped as too_short.', 2, 1, 1000),
  CLEANER_MAX_INPUT_CHARS: env.int(
    'Raw texts longer than this are dead-lettered (text_too_large).',
    100_000,
    100,
    10_000_000,
  ),
  CLEANER_MAX_FUTURE_SKEW_MS: env.int(
    'Events timed further in the future are dead-lettered (future_timestamp).',
    300_000,
    0,
    86_400_000,
  ),
  CLEANER_DEDUP_WINDOW_MS: env.int(
    'The same cleaned text about the same item from the same author within this window of event time is dropped (duplicate); keep it equal to FUSER_TEXT_DEDUP_WINDOW_MS.',
    86_400_000,
    1000,
    30 * 86_400_000,
  ),
  CLEANER_CHUNK_MESSAGES: env.int('Most messages handled at once per partition.', 500, 1, 10_000),
  CLEANER_PARTITION_CONCURRENCY: env.int('Partitions processed concurrently by one instance.', 1, 1, 64),
});

export const textCleanerEnv: StreamServiceEnv<typeof cleanerEnvSchema.shape> = {
  name: SERVICE_NAME,
  summary:
    'normalises, redacts and de-duplicates review, post and item texts, detects their language and emits texts.cleaned.v1.',
  defaultPort: 8081,
  own: cleanerEnvSchema,
};
