import { DEAD_LETTERED_TOPICS, dlqTopicName, topicCatalog, type TopicKey } from './topics';

/**
 * What one Kafka principal does with the product's topics: the single statement from which its
 * ACLs are made, for Strimzi's KafkaUser resources (deploy/k8s/components/strimzi-users) and for
 * the test broker that runs every service under its own user with an authorizer.
 */
export interface KafkaAccess {
  /** Topics it consumes or reads back (Read, Describe). */
  readonly reads: readonly TopicKey[];
  /** Topics it produces to (Write, Describe). */
  readonly writes: readonly TopicKey[];
  /** Topics whose dead-letter topic it writes (Write, Describe on `<topic>.dlq`). */
  readonly deadLetters: readonly TopicKey[];
  /**
   * Topics it creates, with their dead-letter topics, when KAFKA_PROVISION_TOPICS=true (Create);
   * without provisioning (topics owned by Strimzi or a provider) it gets no Create right at all.
   */
  readonly provisions: readonly TopicKey[];
  /** Its consumer groups and transactional ids begin with this (prefixed ACLs); null for none. */
  readonly groupPrefix: string | null;
  readonly transactionalIdPrefix: string | null;
  /** Groups whose offsets it only reads (KEDA reading lag): Describe, prefixed. */
  readonly describesGroups?: readonly string[];
  /** Topics it only describes (KEDA reading end offsets). */
  readonly describes?: readonly TopicKey[];
}

export type KafkaResourceType = 'topic' | 'group' | 'transactionalId';
export type KafkaOperation = 'Read' | 'Write' | 'Describe' | 'Create';

/** One allow rule, in the terms of Strimzi's `simple` authorization (and of Kafka's own ACLs). */
export interface KafkaAclRule {
  readonly type: KafkaResourceType;
  readonly name: string;
  readonly patternType: 'literal' | 'prefix';
  readonly operations: readonly KafkaOperation[];
}

/**
 * The principals of a deployment: one per service, KEDA (lag only), and the clients around the
 * pipeline: platforms producing events, recommenders reading profiles, and the ranker's training. Service
 * entries must match what the service's code touches; the ACL integration test runs every service
 * under exactly these rights on a broker that denies everything else.
 */
export const KAFKA_ACCESS = {
  'text-cleaner': {
    reads: ['reviews', 'posts', 'items', 'userDeletions'],
    writes: ['textsCleaned'],
    deadLetters: ['reviews', 'posts', 'items', 'userDeletions'],
    provisions: ['reviews', 'posts', 'items', 'textsCleaned', 'userDeletions'],
    groupPrefix: 'text-cleaner',
    transactionalIdPrefix: 'text-cleaner',
  },
  encoder: {
    // user-deletions.v1: texts of erased users are not embedded again (a migration re-reads the archive).
    reads: ['textsCleaned', 'userDeletions'],
    writes: ['textsEmbedded'],
    deadLetters: ['textsCleaned'],
    provisions: ['textsCleaned', 'textsEmbedded', 'userDeletions'],
    groupPrefix: 'encoder',
    transactionalIdPrefix: 'encoder',
  },
  'profile-fuser': {
    // profiles.changelog.v1: the read API's history of a user (the explorer's plots).
    // profile-fuser.serving.v1: which vector space profiles.v1 carries (a migration's cut-over).
    reads: [
      'textsEmbedded',
      'clicks',
      'users',
      'userDeletions',
      'fuserState',
      'fuserItems',
      'profilesChangelog',
      'fuserServing',
    ],
    // user-deletions.v1: the erasure API (DELETE /v1/profiles/{id}) queues requests there.
    writes: ['profiles', 'profilesChangelog', 'profilesShadow', 'fuserState', 'fuserItems', 'userDeletions'],
    deadLetters: ['textsEmbedded', 'clicks', 'users', 'userDeletions'],
    provisions: [
      'textsEmbedded',
      'clicks',
      'users',
      'userDeletions',
      'profiles',
      'profilesChangelog',
      'profilesShadow',
      'fuserServing',
      'fuserState',
      'fuserItems',
    ],
    groupPrefix: 'profile-fuser',
    transactionalIdPrefix: 'profile-fuser',
  },
  keda: {
    reads: [],
    writes: [],
    deadLetters: [],
    provisions: [],
    groupPrefix: null,
    transactionalIdPrefix: null,
    describesGroups: ['text-cleaner', 'encoder', 'profile-fuser'],
    describes: ['reviews', 'posts', 'items', 'textsCleaned', 'textsEmbedded', 'clicks', 'users', 'userDeletions'],
  },
  'event-producer': {
    reads: [],
    writes: ['reviews', 'posts', 'clicks', 'items', 'users', 'userDeletions'],
    deadLetters: [],
    provisions: [],
    groupPrefix: null,
    transactionalIdPrefix: null,
  },
  'profile-reader': {
    reads: ['profiles', 'profilesChangelog'],
    writes: [],
    deadLetters: [],
    provisions: [],
    groupPrefix: 'profile-reader',
    transactionalIdPrefix: null,
  },
  // npm run ranker:train: the changelog, the interactions after it, item vectors, erasures.
  'ranker-trainer': {
    reads: ['profilesChangelog', 'clicks', 'textsEmbedded', 'fuserItems', 'userDeletions'],
    writes: [],
    deadLetters: [],
    provisions: [],
    groupPrefix: 'ranker-trainer',
    transactionalIdPrefix: null,
  },
} as const satisfies Record<string, KafkaAccess>;

export type KafkaPrincipal = keyof typeof KAFKA_ACCESS;

/** The Kafka user name of a principal in the manifests and the runbook. */
export function kafkaUserName(principal: KafkaPrincipal): string {
  return `profilestream-${principal}`;
}

/**
 * The allow rules of one principal for a deployment: topic names and group / transactional-id
 * prefixes carry KAFKA_TOPIC_PREFIX, as the services name them. Sorted, one rule per resource.
 */
export function kafkaAclRules(
  access: KafkaAccess,
  options: { topicPrefix: string; provisionTopics: boolean },
): KafkaAclRule[] {
  const topics = topicCatalog(options.topicPrefix);
  const rules = new Map<
    string,
    { type: KafkaResourceType; name: string; patternType: 'literal' | 'prefix'; operations: Set<KafkaOperation> }
  >();
  const allow = (
    type: KafkaResourceType,
    name: string,
    patternType: 'literal' | 'prefix',
    ...operations: KafkaOperation[]
  ) => {
    const id = `${type} ${patternType} ${name}`;
    const rule = rules.get(id) ?? { type, name, patternType, operations: new Set<KafkaOperation>() };
    for (const op of operations) rule.operations.add(op);
    rules.set(id, rule);
  };
  for (const key of access.reads) allow('topic', topics[key].name, 'literal', 'Read', 'Describe');
  for (const key of access.writes) allow('topic', topics[key].name, 'literal', 'Write', 'Describe');
  for (const key of access.deadLetters) allow('topic', dlqTopicName(topics[key].name), 'literal', 'Write', 'Describe');
  for (const key of access.describes ?? []) allow('topic', topics[key].name, 'literal', 'Describe');
  if (options.provisionTopics) {
    for (const key of access.provisions) {
      allow('topic', topics[key].name, 'literal', 'Create', 'Describe');
      if (DEAD_LETTERED_TOPICS.includes(key))
        allow('topic', dlqTopicName(topics[key].name), 'literal', 'Create', 'Describe');
    }
  }
  if (access.groupPrefix) allow('group', `${options.topicPrefix}${access.groupPrefix}`, 'prefix', 'Read', 'Describe');
  for (const group of access.describesGroups ?? [])
    allow('group', `${options.topicPrefix}${group}`, 'prefix', 'Describe');
  if (access.transactionalIdPrefix)
    allow('transactionalId', `${options.topicPrefix}${access.transactionalIdPrefix}`, 'prefix', 'Write', 'Describe');
  const order: KafkaOperation[] = ['Read', 'Write', 'Create', 'Describe'];
  return [...rules.values()]
    .map((r) => ({
      type: r.type,
      name: r.name,
      patternType: r.patternType,
      operations: order.filter((op) => r.operations.has(op)),
    }))
    .sort((a, b) => `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`));
}
