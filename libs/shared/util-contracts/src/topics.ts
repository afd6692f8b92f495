import type { SchemaName } from './generated/schemas.generated';

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * How long cleaned texts and clicks are kept: the archive a model migration re-embeds and re-fuses
 * (docs/operations.md, "Changing the model"). Erasure requests are kept a day longer, so every
 * archived event of an erased user meets its erasure when it is read again.
 */
export const ARCHIVE_RETENTION_MS = 90 * DAY_MS;

/** How a topic is created: the one place partitions, cleanup and retention are decided. */
export interface TopicSpec {
  readonly name: string;
  /** Value schema; null for topics whose values are opaque bytes (dead-letter topics). */
  readonly schema: SchemaName | null;
  /** Which field of the value is the record key. */
  readonly keyField: 'userId' | 'itemId' | null;
  readonly partitions: number;
  readonly cleanupPolicy: 'delete' | 'compact';
  /** -1 keeps records forever (compacted topics keep the latest per key). */
  readonly retentionMs: number;
  /** Extra broker topic configs. */
  readonly config?: Readonly<Record<string, string>>;
  readonly description: string;
}

const DEFAULT_PARTITIONS = 6;

function spec<const S extends Omit<TopicSpec, 'partitions'> & { partitions?: number }>(
  s: S,
): S & { readonly partitions: number } {
  return { partitions: DEFAULT_PARTITIONS, ...s };
}

/** Every topic of the product. Services, provisioning and deployment manifests read it from here. */
export const TOPICS = {
  reviews: spec({
    name: 'reviews.v1',
    schema: 'Review',
    keyField: 'userId',
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
    description: 'Reviews from platforms (input).',
  }),
  posts: spec({
    name: 'posts.v1',
    schema: 'Post',
    keyField: 'userId',
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
    description: 'Posts from platforms (input).',
  }),
  clicks: spec({
    name: 'clicks.v1',
    schema: 'Click',
    keyField: 'userId',
    cleanupPolicy: 'delete',
    retentionMs: ARCHIVE_RETENTION_MS,
    description:
      'Behaviour: view, click, like, add_to_cart, purchase (input; kept as the archive a model migration re-fuses).',
  }),
  items: spec({
    name: 'items.v1',
    schema: 'Item',
    keyField: 'itemId',
    cleanupPolicy: 'compact',
    retentionMs: -1,
    description: 'Catalogue: the latest title, description and categories per item (input, compacted).',
  }),
  users: spec({
    name: 'users.v1',
    schema: 'UserAttributes',
    keyField: 'userId',
    cleanupPolicy: 'compact',
    retentionMs: -1,
    config: { 'min.cleanable.dirty.ratio': '0.1', 'delete.retention.ms': String(DAY_MS) },
    description: 'User attributes: demographics, locale, account (input, compacted: the latest record per user).',
  }),
  userDeletions: spec({
    name: 'user-deletions.v1',
    schema: 'UserDeletion',
    keyField: 'userId',
    cleanupPolicy: 'delete',
    retentionMs: ARCHIVE_RETENTION_MS + DAY_MS,
    description: 'Erasure requests (input; outlive the archive, so a migration re-reads every erasure).',
  }),
  textsCleaned: spec({
    name: 'texts.cleaned.v1',
    schema: 'CleanedText',
    keyField: 'userId',
    cleanupPolicy: 'delete',
    retentionMs: ARCHIVE_RETENTION_MS,
    description:
      'Cleaned, redacted, language-tagged text (text-cleaner to encoder; kept as the archive a model migration re-embeds).',
  }),
  textsEmbedded: spec({
    name: 'texts.embedded.v1',
    schema: 'EmbeddedText',
    keyField: 'userId',
    cleanupPolicy: 'delete',
    retentionMs: 3 * DAY_MS,
    description: 'Sentence embeddings (encoder to profile-fuser).',
  }),
  profiles: spec({
    name: 'profiles.v1',
    schema: 'UserProfile',
    keyField: 'userId',
    cleanupPolicy: 'compact',
    retentionMs: -1,
    config: { 'min.cleanable.dirty.ratio': '0.1', 'delete.retention.ms': String(DAY_MS) },
    description: 'The latest profile per user (output, compacted; a tombstone erases a user).',
  }),
  profilesChangelog: spec({
    name: 'profiles.changelog.v1',
    schema: 'ProfileChange',
    keyField: 'userId',
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY_MS,
    description: 'Every publish with event and publish time, for point-in-time training joins (output).',
  }),
  profilesShadow: spec({
    name: 'profiles.shadow.v1',
    schema: 'UserProfile',
    keyField: 'userId',
    cleanupPolicy: 'compact',
    retentionMs: -1,
    config: { 'min.cleanable.dirty.ratio': '0.1', 'delete.retention.ms': String(DAY_MS) },
    description:
      "The latest profile per user in every vector space not served on profiles.v1 (a model migration's next space, or the previous one until it is dropped; compacted).",
  }),
  fuserServing: spec({
    name: 'profile-fuser.serving.v1',
    schema: null,
    keyField: null,
    partitions: 1,
    cleanupPolicy: 'compact',
    retentionMs: -1,
    description:
      'Which vector space profiles.v1 carries: one control record, written by `npm run migrate -- cutover` (internal, compacted).',
  }),
  fuserState: spec({
    name: 'profile-fuser.state.v1',
    schema: null,
    keyField: null,
    cleanupPolicy: 'compact',
    retentionMs: -1,
    config: { 'min.cleanable.dirty.ratio': '0.1', 'delete.retention.ms': String(DAY_MS) },
    description:
      "profile-fuser's exact state per user and the clicks waiting for their item (internal, compacted; partition p written only by the owner of input partition p, in transactions with the consumed offsets).",
  }),
  fuserItems: spec({
    name: 'profile-fuser.items.v1',
    schema: null,
    keyField: null,
    cleanupPolicy: 'compact',
    retentionMs: -1,
    config: { 'min.cleanable.dirty.ratio': '0.1', 'delete.retention.ms': String(DAY_MS) },
    description:
      'Item description vectors for clicks (internal, compacted; every profile-fuser instance reads all of it).',
  }),
} as const satisfies Record<string, TopicSpec>;

export type TopicKey = keyof typeof TOPICS;

/** The product's topics as one deployment names them. */
export type TopicCatalog = { readonly [K in TopicKey]: (typeof TOPICS)[K] };

/**
 * The topics with a deployment's name prefix (for example `staging.`): several environments or
 * tenants can share one cluster, and every test gets topics of its own.
 */
export function topicCatalog(prefix = ''): TopicCatalog {
  if (!prefix) return TOPICS;
  const out: Record<string, TopicSpec> = {};
  for (const [key, spec] of Object.entries(TOPICS)) out[key] = { ...spec, name: `${prefix}${spec.name}` };
  return out as unknown as TopicCatalog;
}

/** Dead-letter topics keep failed records for two weeks: long enough to inspect and replay. */
export const DLQ_RETENTION_MS = 14 * DAY_MS;

/** The dead-letter topic of a source topic: `<topic>.dlq`. */
export function dlqTopicName(topic: string): string {
  return `${topic}.dlq`;
}

/** The dead-letter topic spec for a source topic. */
export function dlqTopicSpec(source: TopicSpec): TopicSpec {
  return {
    name: dlqTopicName(source.name),
    schema: null,
    keyField: source.keyField,
    partitions: 1,
    cleanupPolicy: 'delete',
    retentionMs: DLQ_RETENTION_MS,
    description: `Records of ${source.name} that could not be processed, with the reason in headers.`,
  };
}

/** The topics services consume from the outside: each has a dead-letter topic. */
export const DEAD_LETTERED_TOPICS: readonly TopicKey[] = [
  'reviews',
  'posts',
  'clicks',
  'items',
  'users',
  'userDeletions',
  'textsCleaned',
  'textsEmbedded',
];

/** All topics, with the dead-letter topics of the ones services consume. */
export function allTopicSpecs(topics: TopicCatalog = TOPICS): TopicSpec[] {
  return [...Object.values(topics), ...DEAD_LETTERED_TOPICS.map((k) => dlqTopicSpec(topics[k]))];
}

/** Kafka topic configs for a spec, as the admin API takes them. */
export function topicConfigEntries(spec: TopicSpec): { name: string; value: string }[] {
  return [
    { name: 'cleanup.policy', value: spec.cleanupPolicy },
    { name: 'retention.ms', value: String(spec.retentionMs) },
    ...Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
  ];
}
