import {
  attributeChanges,
  validateUserAttributes,
  textRepeatKey,
  unpackFloat32,
  type ClickAction,
  type TopicCatalog,
  type ValueSerde,
} from '@profilestream/contracts';
import { decodeMessage, dlq, drop, type ConsumedMessage, type Outcome } from '@profilestream/kafka';
import {
  FusionInputError,
  validateEvent,
  type FusionConfig,
  type AttributesFusionEvent,
  type TextFusionEvent,
  type ItemVector,
} from '@profilestream/fusion';
import { redactPersonalData } from '@profilestream/text-cleaning/redaction';
import { compatibility, scoreSentiment, type Compatibility, type SentimentModel } from '@profilestream/sentiment';

/** One consumed record, decoded and checked, with the key that decides which partition owns it. */
export type FuserInput =
  | {
      kind: 'text';
      message: ConsumedMessage;
      owner: string;
      userId: string;
      event: TextFusionEvent;
      ingestedAt: number;
      unscored: Exclude<Compatibility, 'ok'> | null;
    }
  | { kind: 'item'; message: ConsumedMessage; owner: string; itemId: string; item: ItemVector }
  | {
      kind: 'click';
      message: ConsumedMessage;
      owner: string;
      userId: string;
      itemId: string;
      action: ClickAction;
      occurredAt: number;
      ingestedAt: number;
    }
  | {
      kind: 'attributes';
      message: ConsumedMessage;
      owner: string;
      userId: string;
      event: AttributesFusionEvent;
      /** Custom string values in which personal data was redacted. */
      redacted: number;
    }
  | { kind: 'deletion'; message: ConsumedMessage; owner: string; userId: string; requestedAt: number }
  | { kind: 'done'; message: ConsumedMessage; outcome: Outcome; reason: 'other_model' | 'tombstone' | 'invalid' };

export interface InputDecoderDeps {
  topics: TopicCatalog;
  serdes: {
    embedded: ValueSerde<'EmbeddedText'>;
    click: ValueSerde<'Click'>;
    users: ValueSerde<'UserAttributes'>;
    deletion: ValueSerde<'UserDeletion'>;
  };
  fusion: FusionConfig;
  modelId: string;
  projectionId: string | null;
  dimension: number;
  sentiment: SentimentModel;
}

/**
 * Turns consumed records into fuser inputs: undecodable or invalid records become dead letters
 * with their reason, embeddings of another vector space are dropped (`other_model`), and posts are
 * scored by the sentiment classifier when it knows their space.
 */
export class InputDecoder {
  constructor(private readonly deps: InputDecoderDeps) {}

  async decode(message: ConsumedMessage): Promise<FuserInput> {
    const { topics } = this.deps;
    if (message.topic === topics.textsEmbedded.name) return this.embedded(message);
    if (message.topic === topics.clicks.name) return this.click(message);
    if (message.topic === topics.users.name) return this.attributes(message);
    if (message.topic === topics.userDeletions.name) return this.deletion(message);
    return { kind: 'done', message, outcome: dlq('unexpected_topic', message.topic), reason: 'invalid' };
  }

  private async embedded(message: ConsumedMessage): Promise<FuserInput> {
    const d = this.deps;
    const decoded = await decodeMessage(message, (b) => d.serdes.embedded.decode(b));
    if ('outcome' in decoded) return { kind: 'done', message, outcome: decoded.outcome, reason: 'invalid' };
    const value = decoded.value;
    if (value.modelId !== d.modelId || (value.projectionId ?? null) !== d.projectionId || value.dim !== d.dimension) {
      return { kind: 'done', message, outcome: drop('other_model'), reason: 'other_model' };
    }
    if (value.vector.length !== value.dim * 4)
      return invalid(message, 'dimension_mismatch', `vector of ${value.vector.length} bytes for dim ${value.dim}`);
    const vector = unpackFloat32(value.vector);
    if (!vector.every(Number.isFinite)) return invalid(message, 'invalid_event', 'vector has a non-finite value');
    if (value.source === 'item') {
      if (!value.itemId) return invalid(message, 'missing_id', 'catalogue text without itemId');
      return {
        kind: 'item',
        message,
        owner: value.itemId,
        itemId: value.itemId,
        item: { vector, categories: value.categories, occurredAt: value.occurredAt },
      };
    }
    if (!value.userId) return invalid(message, 'missing_id', 'user text without userId');
    // Posts carry no rating: the classifier says how they sound, when it knows their embedding space.
    const fit =
      value.source === 'post'
        ? compatibility(d.sentiment, { modelId: value.modelId, projectionId: value.projectionId, dim: value.dim })
        : null;
    const sentiment = fit === 'ok' ? scoreSentiment(d.sentiment, vector) : null;
    const event: TextFusionEvent = {
      kind: 'text',
      source: value.source,
      vector,
      occurredAt: value.occurredAt,
      rating: value.rating,
      sentiment,
      categories: value.categories,
      repeatKey: textRepeatKey(value.itemId, value.contentHash),
      position: { topic: message.topic, partition: message.partition, offset: message.offset },
    };
    try {
      validateEvent(event, d.dimension, d.fusion);
    } catch (err) {
      if (err instanceof FusionInputError) return invalid(message, 'invalid_event', err.message);
      throw err;
    }
    return {
      kind: 'text',
      message,
      owner: value.userId,
      userId: value.userId,
      event,
      ingestedAt: value.ingestedAt,
      unscored: fit === null || fit === 'ok' ? null : fit,
    };
  }

  private async click(message: ConsumedMessage): Promise<FuserInput> {
    const decoded = await decodeMessage(message, (b) => this.deps.serdes.click.decode(b));
    if ('outcome' in decoded) return { kind: 'done', message, outcome: decoded.outcome, reason: 'invalid' };
    const v = decoded.value;
    if (!v.userId || !v.itemId) return invalid(message, 'missing_id', 'click without userId or itemId');
    if (!(Number.isSafeInteger(v.occurredAt) && v.occurredAt >= 0))
      return invalid(message, 'invalid_event', `occurredAt ${v.occurredAt}`);
    const w = this.deps.fusion.actionWeights[v.action];
    if (!(Number.isFinite(w) && w >= 0))
      return invalid(message, 'invalid_event', `no usable weight configured for action ${v.action}`);
    return {
      kind: 'click',
      message,
      owner: v.userId,
      userId: v.userId,
      itemId: v.itemId,
      action: v.action,
      occurredAt: v.occurredAt,
      ingestedAt: message.timestamp,
    };
  }

  private async attributes(message: ConsumedMessage): Promise<FuserInput> {
    // A tombstone only compacts the topic (the platform forgot the user's record): attributes are
    // removed by `cleared`, and a user is erased through user-deletions.v1.
    if (message.value === null) return { kind: 'done', message, outcome: drop('tombstone'), reason: 'tombstone' };
    const decoded = await decodeMessage(message, (b) => this.deps.serdes.users.decode(b));
    if ('outcome' in decoded) return { kind: 'done', message, outcome: decoded.outcome, reason: 'invalid' };
    const v = decoded.value;
    // Future times are accepted here (the producer checks them); a record from the future would
    // only win until a later one.
    const violation = validateUserAttributes(v, Number.MAX_SAFE_INTEGER)[0];
    if (violation) return invalid(message, violation.reason, violation.detail);
    let redacted = 0;
    // Free-text custom values may carry an email or a phone number: they are redacted like texts.
    const changes = attributeChanges(v).map((c) => {
      if (typeof c.value !== 'string' || !c.name.startsWith('custom.')) return c;
      const r = redactPersonalData(c.value);
      if (r.text !== c.value) redacted++;
      return { name: c.name, value: r.text };
    });
    const event: AttributesFusionEvent = {
      kind: 'attributes',
      changes,
      occurredAt: v.occurredAt,
      position: { topic: message.topic, partition: message.partition, offset: message.offset },
    };
    return { kind: 'attributes', message, owner: v.userId, userId: v.userId, event, redacted };
  }

  private async deletion(message: ConsumedMessage): Promise<FuserInput> {
    const decoded = await decodeMessage(message, (b) => this.deps.serdes.deletion.decode(b));
    if ('outcome' in decoded) return { kind: 'done', message, outcome: decoded.outcome, reason: 'invalid' };
    const v = decoded.value;
    if (!v.userId.trim()) return invalid(message, 'missing_id', 'deletion without userId');
    return { kind: 'deletion', message, owner: v.userId, userId: v.userId, requestedAt: v.requestedAt };
  }
}

function invalid(message: ConsumedMessage, reason: string, detail: string): FuserInput {
  return { kind: 'done', message, outcome: dlq(reason, detail), reason: 'invalid' };
}
