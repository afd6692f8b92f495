import { dlqTopicName } from '@profilestream/contracts';
import type { BatchingProducer } from './batching-producer';
import type { KafkaMetrics } from './kafka-metrics';
import type { ConsumedMessage } from './batch-consumer';
import type { TopicBatch } from './transactional-producer';

/** Headers every dead-letter record carries besides the original record's own headers. */
export const DLQ_HEADERS = {
  reason: 'ps-dlq-reason',
  detail: 'ps-dlq-detail',
  stage: 'ps-dlq-stage',
  sourceTopic: 'ps-dlq-source-topic',
  sourcePartition: 'ps-dlq-source-partition',
  sourceOffset: 'ps-dlq-source-offset',
  sourceTimestamp: 'ps-dlq-source-timestamp',
  failedAt: 'ps-dlq-failed-at',
} as const;

export interface DeadLetter {
  message: ConsumedMessage;
  reason: string;
  detail?: string;
}

/**
 * The records that dead-letter `letters` from `stage`, one batch per `<topic>.dlq`: the original
 * key, value bytes and headers, plus why, where and when it failed, so an operator can inspect and
 * replay them. Pure, so the same records go out acknowledged one by one or inside a transaction.
 */
export function deadLetterBatches(letters: readonly DeadLetter[], stage: string, failedAt = Date.now()): TopicBatch[] {
  const byTopic = new Map<string, DeadLetter[]>();
  for (const l of letters) {
    const list = byTopic.get(l.message.topic) ?? [];
    list.push(l);
    byTopic.set(l.message.topic, list);
  }
  return [...byTopic].map(([topic, list]) => ({
    topic: dlqTopicName(topic),
    messages: list.map(({ message, reason, detail }) => ({
      key: message.key,
      value: message.value,
      headers: {
        ...message.headers,
        [DLQ_HEADERS.reason]: reason,
        // Details may quote input; keep them short so a huge record cannot bloat headers.
        [DLQ_HEADERS.detail]: (detail ?? '').slice(0, 500),
        [DLQ_HEADERS.stage]: stage,
        [DLQ_HEADERS.sourceTopic]: message.topic,
        [DLQ_HEADERS.sourcePartition]: String(message.partition),
        [DLQ_HEADERS.sourceOffset]: message.offset,
        [DLQ_HEADERS.sourceTimestamp]: String(message.timestamp),
        [DLQ_HEADERS.failedAt]: String(failedAt),
      },
    })),
  }));
}

/** Writes dead letters through the shared (non-transactional) producer, acknowledged. */
export class DeadLetterPublisher {
  constructor(
    private readonly producer: BatchingProducer,
    private readonly stage: string,
    private readonly metrics?: KafkaMetrics,
  ) {}

  async publish(letters: readonly DeadLetter[]): Promise<void> {
    await Promise.all(deadLetterBatches(letters, this.stage).map((b) => this.producer.send(b.topic, b.messages)));
    countDeadLetters(letters, this.metrics);
  }
}

export function countDeadLetters(letters: readonly DeadLetter[], metrics: KafkaMetrics | undefined): void {
  for (const l of letters) metrics?.deadLettered.inc({ topic: l.message.topic, reason: l.reason });
}
