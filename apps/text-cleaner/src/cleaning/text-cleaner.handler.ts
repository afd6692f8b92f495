import { textRepeatKey, type CleanedText, type TopicCatalog, type ValueSerde } from '@profilestream/contracts';
import {
  decodeMessage,
  dlq,
  drop,
  ok,
  type ConsumedMessage,
  type Outcome,
  type TransformHandler,
} from '@profilestream/kafka';
import { cleanSourceRecord, dedupOwner, type CleanRecordOptions, type SourceRecord } from './clean-record';
import type { CleanerMetrics } from './cleaner.metrics';
import type { DuplicateFilter } from './duplicate-filter';

export interface TextCleanerDeps {
  topics: TopicCatalog;
  serdes: {
    review: ValueSerde<'Review'>;
    post: ValueSerde<'Post'>;
    item: ValueSerde<'Item'>;
    cleaned: ValueSerde<'CleanedText'>;
  };
  duplicates: DuplicateFilter;
  metrics: CleanerMetrics;
  options: CleanRecordOptions;
  now?: () => number;
}

type Source = SourceRecord['source'];

/**
 * Cleans one chunk of reviews, posts or catalogue items into records for texts.cleaned.v1, which
 * the consumer writes (with the chunk's dead letters and offsets, in one transaction). Each input
 * ends as exactly one outcome: cleaned (`ok`, its record among the chunk's), dropped with a
 * reason, or dead-lettered with a reason.
 */
export function textCleanerHandler(deps: TextCleanerDeps): TransformHandler {
  const now = deps.now ?? Date.now;
  const sourceByTopic: Record<string, Source> = {
    [deps.topics.reviews.name]: 'review',
    [deps.topics.posts.name]: 'post',
    [deps.topics.items.name]: 'item',
  };
  return async (messages: ConsumedMessage[]) => {
    const outcomes: Outcome[] = new Array(messages.length);
    const pending: { index: number; record: CleanedText }[] = [];
    const clock = now();

    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const source = sourceByTopic[message.topic];
      if (!source) {
        outcomes[i] = dlq('unexpected_topic', message.topic);
        continue;
      }
      const decided = await decide(deps, source, message, clock);
      if (decided.kind === 'ok') pending.push({ index: i, record: decided.record });
      else outcomes[i] = decided.outcome;
    }

    const duplicates = await deps.duplicates.markAndCheck(
      pending.map(({ record }) => ({
        owner: dedupOwner(record),
        repeatKey: textRepeatKey(record.itemId, record.contentHash),
        eventId: record.eventId,
        occurredAt: record.occurredAt,
      })),
    );
    const toSend: { index: number; record: CleanedText }[] = [];
    pending.forEach((p, j) => {
      if (duplicates[j]) {
        deps.metrics.dropped.inc({ source: p.record.source, reason: 'duplicate' });
        outcomes[p.index] = drop('duplicate');
      } else toSend.push(p);
    });

    for (const { index } of toSend) outcomes[index] = ok;
    return {
      outcomes,
      records: [
        {
          topic: deps.topics.textsCleaned.name,
          messages: toSend.map(({ record }) => ({
            key: record.userId ?? record.itemId,
            value: deps.serdes.cleaned.encode(record),
          })),
        },
      ],
      onDurable: () => {
        for (const { record } of toSend) {
          deps.metrics.cleaned.inc({ source: record.source, lang: record.lang });
          if (record.truncated) deps.metrics.truncated.inc({ source: record.source });
        }
      },
    };
  };
}

type Decision = { kind: 'ok'; record: CleanedText } | { kind: 'done'; outcome: Outcome };

async function decide(deps: TextCleanerDeps, source: Source, message: ConsumedMessage, now: number): Promise<Decision> {
  const decoded = await decodeMessage(message, (bytes) => decodeAs(deps, source, bytes));
  if ('outcome' in decoded) {
    const o = decoded.outcome;
    // Undecodable input is dead-lettered; the outcome carries the serde's reason.
    if (o.kind === 'dlq') deps.metrics.deadLettered.inc({ source, reason: o.reason });
    return { kind: 'done', outcome: o };
  }
  const input = decoded.value;
  const stopTimer = deps.metrics.cleaningSeconds.startTimer({ source });
  const decision = cleanSourceRecord(input, message.timestamp, now, deps.options);
  stopTimer();
  if (decision.kind === 'dlq') return dead(deps, source, decision.reason, decision.detail);
  if (decision.kind === 'drop') {
    deps.metrics.dropped.inc({ source, reason: decision.reason });
    return { kind: 'done', outcome: drop(decision.reason) };
  }
  for (const [type, count] of Object.entries(decision.redactions)) {
    if (count) deps.metrics.redactions.inc({ type }, count);
  }
  return { kind: 'ok', record: decision.record };
}

async function decodeAs(deps: TextCleanerDeps, source: Source, bytes: Buffer): Promise<SourceRecord> {
  switch (source) {
    case 'review':
      return { source, value: await deps.serdes.review.decode(bytes) };
    case 'post':
      return { source, value: await deps.serdes.post.decode(bytes) };
    case 'item':
      return { source, value: await deps.serdes.item.decode(bytes) };
  }
}

function dead(deps: TextCleanerDeps, source: Source, reason: string, detail: string): Decision {
  deps.metrics.deadLettered.inc({ source, reason });
  return { kind: 'done', outcome: dlq(reason, detail) };
}
