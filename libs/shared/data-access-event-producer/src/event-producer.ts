import {
  ContractViolation,
  DEFAULT_INPUT_LIMITS,
  topicCatalog,
  validateClick,
  validateItem,
  validatePost,
  validateReview,
  USER_ATTRIBUTE_DEFAULTS,
  validateUserAttributes,
  validateUserDeletion,
  type ClickInput,
  type InputLimits,
  type ItemInput,
  type PostInput,
  type ReviewInput,
  type SchemaInputTypes,
  type SchemaName,
  type SchemaTypes,
  type TopicSpec,
  type ValueSerde,
  type Violation,
  type UserDeletionInput,
  type UserAttributesInput,
} from '@profilestream/contracts';
import type { KafkaSettings } from '@profilestream/config';
import { BatchingProducer, createKafka, topicSerde, type LogSink } from '@profilestream/kafka';

/** Any event a platform publishes, tagged by kind. */
export type PlatformEvent =
  | { kind: 'review'; value: ReviewInput }
  | { kind: 'post'; value: PostInput }
  | { kind: 'click'; value: ClickInput }
  | { kind: 'item'; value: ItemInput }
  | { kind: 'user'; value: UserAttributesInput }
  | { kind: 'deletion'; value: UserDeletionInput };

type Validator<N extends SchemaName> = (value: SchemaTypes[N], now: number, limits: InputLimits) => Violation[];

interface Channel<N extends SchemaName> {
  spec: TopicSpec & { schema: N };
  serde: ValueSerde<N>;
  validate: Validator<N>;
}

/** Applies schema defaults so semantic validation sees the record as a reader will. */
function withDefaults<T extends object>(value: T, defaults: Partial<Record<string, unknown>>): T {
  const out: Record<string, unknown> = { ...defaults, ...value };
  for (const [k, v] of Object.entries(defaults)) if (out[k] === undefined) out[k] = v;
  return out as T;
}

const INPUT_DEFAULTS: Partial<Record<SchemaName, Partial<Record<string, unknown>>>> = {
  Review: { rating: null, lang: null },
  Post: { tags: [] },
  Click: { dwellMs: null },
  Item: { categories: [] },
  UserAttributes: USER_ATTRIBUTE_DEFAULTS,
};

/**
 * The typed producer platforms use to publish events. Every record is checked against the Avro
 * schema and the contract's rules before it is sent; a bad one throws a ContractViolation (or a
 * SerdeError) naming the fields, and nothing is sent.
 */
export class EventProducer {
  private readonly producer: BatchingProducer;
  private readonly channels: {
    review: Channel<'Review'>;
    post: Channel<'Post'>;
    click: Channel<'Click'>;
    item: Channel<'Item'>;
    user: Channel<'UserAttributes'>;
    deletion: Channel<'UserDeletion'>;
  };

  constructor(
    settings: KafkaSettings,
    log: LogSink,
    private readonly limits: InputLimits = DEFAULT_INPUT_LIMITS,
  ) {
    this.producer = new BatchingProducer(createKafka(settings, log), { log });
    const topics = topicCatalog(settings.topicPrefix);
    this.channels = {
      review: { spec: topics.reviews, serde: topicSerde(topics.reviews, settings), validate: validateReview },
      post: { spec: topics.posts, serde: topicSerde(topics.posts, settings), validate: validatePost },
      click: { spec: topics.clicks, serde: topicSerde(topics.clicks, settings), validate: validateClick },
      item: { spec: topics.items, serde: topicSerde(topics.items, settings), validate: validateItem },
      user: {
        spec: topics.users,
        serde: topicSerde(topics.users, settings),
        validate: (value, now, limits) => validateUserAttributes(value, now, limits.maxFutureSkewMs),
      },
      deletion: {
        spec: topics.userDeletions,
        serde: topicSerde(topics.userDeletions, settings),
        validate: validateUserDeletion,
      },
    };
  }

  async connect(): Promise<void> {
    await Promise.all(Object.values(this.channels).map((c: { serde: { init(): Promise<void> } }) => c.serde.init()));
    await this.producer.connect();
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }

  sendReview(review: ReviewInput): Promise<void> {
    return this.publish(this.channels.review, review, review.userId);
  }

  sendPost(post: PostInput): Promise<void> {
    return this.publish(this.channels.post, post, post.userId);
  }

  sendClick(click: ClickInput): Promise<void> {
    return this.publish(this.channels.click, click, click.userId);
  }

  sendItem(item: ItemInput): Promise<void> {
    return this.publish(this.channels.item, item, item.itemId);
  }

  /**
   * A user's attributes as of `occurredAt`. users.v1 keeps the latest record per user, so send
   * every attribute you know in each record when a rebuild from the topic alone must see them all.
   */
  sendUser(user: UserAttributesInput): Promise<void> {
    return this.publish(this.channels.user, user, user.userId);
  }

  sendDeletion(deletion: UserDeletionInput): Promise<void> {
    return this.publish(this.channels.deletion, deletion, deletion.userId);
  }

  /** Sends any platform event by its kind (replays, feeds). */
  send(event: PlatformEvent): Promise<void> {
    switch (event.kind) {
      case 'review':
        return this.sendReview(event.value);
      case 'post':
        return this.sendPost(event.value);
      case 'click':
        return this.sendClick(event.value);
      case 'item':
        return this.sendItem(event.value);
      case 'user':
        return this.sendUser(event.value);
      case 'deletion':
        return this.sendDeletion(event.value);
    }
  }

  /** Encodes and validates: throws before anything is sent. */
  private encode<N extends SchemaName>(channel: Channel<N>, value: SchemaInputTypes[N]): Buffer {
    const bytes = channel.serde.encode(value);
    const full = withDefaults(value as object, INPUT_DEFAULTS[channel.spec.schema] ?? {}) as SchemaTypes[N];
    const violations = channel.validate(full, Date.now(), this.limits);
    if (violations.length > 0) {
      throw new ContractViolation(
        violations[0]!.reason,
        violations.map((v) => v.detail),
      );
    }
    return bytes;
  }

  private publish<N extends SchemaName>(channel: Channel<N>, value: SchemaInputTypes[N], key: string): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = this.encode(channel, value);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.producer.send(channel.spec.name, [{ key, value: bytes }]);
  }
}
