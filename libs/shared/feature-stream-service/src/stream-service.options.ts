import type { KafkaSettings, RedisSettings } from '@profilestream/config';
import type { TopicSpec } from '@profilestream/contracts';

export interface StreamServiceOptions {
  serviceName: string;
  kafka: KafkaSettings;
  redis: RedisSettings;
  /** Topics created at start-up when KAFKA_PROVISION_TOPICS is on: what the service reads and writes. */
  topics: readonly TopicSpec[];
  /** CONSUMER_START_TIMEOUT_MS: a consumer not started after this long fails liveness. */
  consumerStartTimeoutMs: number;
}

export const STREAM_SERVICE_OPTIONS = Symbol('STREAM_SERVICE_OPTIONS');
