// Generated from schemas/*.avsc by tools/contracts/generate-types.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable */

export type TextSource = 'review' | 'post' | 'item';
export const TextSourceValues = ['review', 'post', 'item'] as const;

/** Text ready for an encoder: normalised, personal data redacted, language detected. Emitted by text-cleaner onto texts.cleaned.v1 (key: userId, or itemId for catalogue text). */
export interface CleanedText {
  /** The source event's id (for items: item:<itemId>:<occurredAt>). */
  eventId: string;
  source: TextSource;
  /** Author; null for catalogue text. */
  userId: null | string;
  /** Reviewed or described item; null for posts. */
  itemId: null | string;
  /** Cleaned natural text (no stop-word removal or stemming: contextual encoders need natural text). */
  text: string;
  /** Detected language, ISO 639-1 where known, 'und' when unsure. */
  lang: string;
  /** Hex SHA-256 of the cleaned text; the encoder caches embeddings on it. */
  contentHash: string;
  /** Length of the raw text in UTF-16 code units. */
  originalLength: number;
  truncated: boolean;
  /** Placeholder type -> number of redactions (email, phone, url, ip, card, cn_id, handle). */
  redactions: Record<string, number>;
  rating: null | number;
  tags: string[];
  categories: string[];
  platform: null | string;
  occurredAt: number;
  /** Kafka timestamp of the source record: the start of the event-to-profile latency. */
  ingestedAt: number;
  cleanedAt: number;
}

/** CleanedText as a producer may write it: fields with schema defaults may be omitted. */
export type CleanedTextInput = Omit<CleanedText, 'userId' | 'itemId' | 'truncated' | 'redactions' | 'rating' | 'tags' | 'categories' | 'platform'> & Partial<Pick<CleanedText, 'userId' | 'itemId' | 'truncated' | 'redactions' | 'rating' | 'tags' | 'categories' | 'platform'>>;

export type ClickAction = 'view' | 'click' | 'like' | 'add_to_cart' | 'purchase';
export const ClickActionValues = ['view', 'click', 'like', 'add_to_cart', 'purchase'] as const;

/** A behavioural event on an item, produced onto clicks.v1 (key: userId). */
export interface Click {
  eventId: string;
  userId: string;
  itemId: string;
  action: ClickAction;
  dwellMs: null | number;
  platform: string;
  occurredAt: number;
}

/** Click as a producer may write it: fields with schema defaults may be omitted. */
export type ClickInput = Omit<Click, 'dwellMs'> & Partial<Pick<Click, 'dwellMs'>>;

export interface EmbeddingTiming {
  cacheHit: boolean;
  /** Time from consumption to the start of its run. */
  queuedMs: number;
  /** Duration of the run that embedded it (0 for cache hits). */
  inferenceMs: number;
  embeddedAt: number;
}

/** EmbeddingTiming as a producer writes it (no field has a default). */
export type EmbeddingTimingInput = EmbeddingTiming;

/** A sentence embedding of one cleaned text. Emitted by encoder onto texts.embedded.v1 (key: userId, or itemId for catalogue text). */
export interface EmbeddedText {
  eventId: string;
  source: TextSource;
  userId: null | string;
  itemId: null | string;
  lang: string;
  contentHash: string;
  rating: null | number;
  tags: string[];
  categories: string[];
  platform: null | string;
  occurredAt: number;
  ingestedAt: number;
  /** Model name plus a short hash of its weights, e.g. all-MiniLM-L6-v2@3f2a9c1d. */
  modelId: string;
  /** PCA projection applied after pooling, null when none. */
  projectionId: null | string;
  dim: number;
  /** dim little-endian float32 values, L2-normalised. */
  vector: Buffer;
  tokenCount: number;
  /** True when the text exceeded the model's maximum tokens. */
  truncated: boolean;
  timing: EmbeddingTiming;
}

/** EmbeddedText as a producer may write it: fields with schema defaults may be omitted. */
export type EmbeddedTextInput = Omit<EmbeddedText, 'userId' | 'itemId' | 'rating' | 'tags' | 'categories' | 'platform' | 'projectionId' | 'truncated'> & Partial<Pick<EmbeddedText, 'userId' | 'itemId' | 'rating' | 'tags' | 'categories' | 'platform' | 'projectionId' | 'truncated'>>;

/** A catalogue entry, produced onto items.v1 (key: itemId). A newer record replaces an older one. */
export interface Item {
  itemId: string;
  title: string;
  description: string;
  categories: string[];
  occurredAt: number;
}

/** Item as a producer may write it: fields with schema defaults may be omitted. */
export type ItemInput = Omit<Item, 'categories'> & Partial<Pick<Item, 'categories'>>;

/** A user's post (social or community content), produced onto posts.v1 (key: userId). */
export interface Post {
  eventId: string;
  userId: string;
  text: string;
  tags: string[];
  platform: string;
  occurredAt: number;
}

/** Post as a producer may write it: fields with schema defaults may be omitted. */
export type PostInput = Omit<Post, 'tags'> & Partial<Pick<Post, 'tags'>>;

/** A user's review of an item, produced by a platform onto reviews.v1 (key: userId). */
export interface Review {
  /** Producer-assigned unique id; used for idempotence and tracing. */
  eventId: string;
  userId: string;
  itemId: string;
  /** Raw review text as the user wrote it (may contain markup and personal data). */
  text: string;
  /** Star rating 1-5, null when the platform has none. */
  rating: null | number;
  /** Language hint from the platform (BCP 47), null when unknown. */
  lang: null | string;
  platform: string;
  /** When the user wrote it, epoch milliseconds. */
  occurredAt: number;
}

/** Review as a producer may write it: fields with schema defaults may be omitted. */
export type ReviewInput = Omit<Review, 'rating' | 'lang'> & Partial<Pick<Review, 'rating' | 'lang'>>;

/** What a platform knows about a user (demographics, locale, account), produced onto users.v1 (compacted, key: userId). A record names the attributes that changed at occurredAt: a null field is not part of this change, `cleared` lists attributes the user no longer has. The fuser keeps the latest value per attribute by occurredAt, whatever order records arrive in. The topic keeps the latest record per user, so a platform that wants a rebuild from the topic alone sends every known attribute in each record. */
export interface UserAttributes {
  userId: string;
  /** When the platform learned these values (event time). */
  occurredAt: number;
  /** An age band such as 18-24 (sensitive by default). */
  ageBand: null | string;
  /** As the user stated it (sensitive by default). */
  gender: null | string;
  /** ISO 3166-1 alpha-2, e.g. DE. */
  country: null | string;
  /** A region within the country, e.g. an ISO 3166-2 code. */
  region: null | string;
  /** BCP 47 tag of the interface language, e.g. zh-CN. */
  locale: null | string;
  /** Languages the user reads (ISO 639-1), most used first. */
  languages: null | string[];
  signupAt: null | number;
  /** e.g. free, premium, business. */
  accountType: null | string;
  /** Platform-specific attributes; a null value removes one. String values are redacted like texts. */
  custom: Record<string, null | string | number | boolean>;
  /** Attributes removed at occurredAt: standard names (ageBand, gender, …) or custom.<name>. */
  cleared: string[];
}

/** UserAttributes as a producer may write it: fields with schema defaults may be omitted. */
export type UserAttributesInput = Omit<UserAttributes, 'ageBand' | 'gender' | 'country' | 'region' | 'locale' | 'languages' | 'signupAt' | 'accountType' | 'custom' | 'cleared'> & Partial<Pick<UserAttributes, 'ageBand' | 'gender' | 'country' | 'region' | 'locale' | 'languages' | 'signupAt' | 'accountType' | 'custom' | 'cleared'>>;

/** A request to erase everything held about a user, produced onto user-deletions.v1 (key: userId). */
export interface UserDeletion {
  userId: string;
  requestedAt: number;
}

/** UserDeletion as a producer writes it (no field has a default). */
export type UserDeletionInput = UserDeletion;

export interface DecayedVector {
  /** Horizon or channel name, e.g. 1d, 7d, 90d, review, post, click, negative. */
  name: string;
  halfLifeMs: number;
  /** dim little-endian float32, L2-normalised (all zeros when weight is 0). */
  vector: Buffer;
  /** Decayed evidence weight at refTime; decay to now with 2^-(now-refTime)/halfLifeMs. */
  weight: number;
  refTime: number;
}

/** DecayedVector as a producer writes it (no field has a default). */
export type DecayedVectorInput = DecayedVector;

export interface ActivityCounter {
  /** review, post or click. */
  channel: string;
  /** Click action; null for text channels. */
  action: null | string;
  total: number;
  /** Count decayed with the longest horizon's half-life, at refTime. */
  decayed: number;
  refTime: number;
}

/** ActivityCounter as a producer may write it: fields with schema defaults may be omitted. */
export type ActivityCounterInput = Omit<ActivityCounter, 'action'> & Partial<Pick<ActivityCounter, 'action'>>;

export interface SentimentSummary {
  /** The classifier scoring new posts (weights hash); posts it cannot score (another model) are not counted here. */
  classifierId: string;
  /** Posts scored positive (probability at or above the classifier's threshold). */
  positive: number;
  /** Posts scored negative. */
  negative: number;
  /** Time-decayed mean of the classifier's class-balanced positive score (not a calibrated probability); null when no post was scored. Decay does not change it. */
  meanPositive: null | number;
  /** Decayed number of scored posts at refTime (the mean's evidence); decay to now with 2^-(now-refTime)/halfLifeMs. */
  scored: number;
  halfLifeMs: number;
  refTime: number;
}

/** SentimentSummary as a producer may write it: fields with schema defaults may be omitted. */
export type SentimentSummaryInput = Omit<SentimentSummary, 'meanPositive'> & Partial<Pick<SentimentSummary, 'meanPositive'>>;

export interface ScoredLabel {
  label: string;
  score: number;
}

/** ScoredLabel as a producer writes it (no field has a default). */
export type ScoredLabelInput = ScoredLabel;

export interface UserAttribute {
  name: string;
  /** signupAt is epoch ms as a double; languages an array. */
  value: string | number | boolean | string[];
  /** occurredAt of the users.v1 record that set it. */
  updatedAt: number;
}

/** UserAttribute as a producer writes it (no field has a default). */
export type UserAttributeInput = UserAttribute;

export interface InterestCluster {
  /** dim little-endian float32, L2-normalised. */
  vector: Buffer;
  /** Decayed evidence weight at refTime; decay to now with 2^-(now-refTime)/halfLifeMs. */
  weight: number;
  halfLifeMs: number;
  refTime: number;
  /** Texts and clicks it gathered. */
  events: number;
  /** The nearest interest of the taxonomy, when one is close enough. */
  label: null | string;
  /** Its heaviest catalogue categories. */
  topCategories: string[];
}

/** InterestCluster as a producer may write it: fields with schema defaults may be omitted. */
export type InterestClusterInput = Omit<InterestCluster, 'label' | 'topCategories'> & Partial<Pick<InterestCluster, 'label' | 'topCategories'>>;

/** A user's fused profile, published by profile-fuser onto the compacted profiles.v1 (key: userId; a null value erases the user). */
export interface UserProfile {
  userId: string;
  /** Increases by one with every stored change; consumers keep the highest. */
  version: number;
  /** Every vector below comes from this model; profiles of different models never mix. */
  modelId: string;
  projectionId: null | string;
  dim: number;
  /** Time-decayed text and behaviour vectors, one per configured half-life. */
  horizons: DecayedVector[];
  /** Long-horizon vectors per channel (review, post, click), in that order; a channel nothing was folded into (weight 0) is left out. */
  channels: DecayedVector[];
  /** What the user disliked: reviews rated 1 or 2. Null until there is one. */
  negative: null | DecayedVector;
  counters: ActivityCounter[];
  ratingMean: null | number;
  ratingCount: number;
  /** What the sentiment classifier says about the user's posts (reviews have their rating instead). Null in profiles written before it existed. */
  sentiment: null | SentimentSummary;
  categoryAffinities: ScoredLabel[];
  /** Top interest labels from the taxonomy, with cosine scores: the explainable view of the vectors. */
  interests: ScoredLabel[];
  /** The user's attributes from users.v1 (latest value per attribute by event time), sorted by name: standard ones (ageBand, gender, country, region, locale, languages, signupAt, accountType) and custom.<name>. Sensitive ones (default: ageBand, gender) appear only where the fuser is configured to publish them. */
  attributes: UserAttribute[];
  /** The user's separate interests (at most FUSER_INTEREST_CLUSTERS), each a time-decayed vector of the texts and clicked items it gathered, heaviest first. */
  interestClusters: InterestCluster[];
  firstEventAt: number;
  lastEventAt: number;
  eventCount: number;
  /** When this state was written. */
  updatedAt: number;
  /** The fuser's exact state for this user (versioned binary): a restore rebuilds Redis from the compacted topic with it. Recommenders ignore it. */
  state: null | Buffer;
}

/** UserProfile as a producer may write it: fields with schema defaults may be omitted. */
export type UserProfileInput = Omit<UserProfile, 'projectionId' | 'channels' | 'negative' | 'counters' | 'ratingMean' | 'ratingCount' | 'sentiment' | 'categoryAffinities' | 'interests' | 'attributes' | 'interestClusters' | 'state'> & Partial<Pick<UserProfile, 'projectionId' | 'channels' | 'negative' | 'counters' | 'ratingMean' | 'ratingCount' | 'sentiment' | 'categoryAffinities' | 'interests' | 'attributes' | 'interestClusters' | 'state'>>;

export type ProfileChangeKind = 'update' | 'delete';
export const ProfileChangeKindValues = ['update', 'delete'] as const;

/** One record per publish on profiles.changelog.v1 (key: userId): what was published and when, for leak-free point-in-time training joins. */
export interface ProfileChange {
  userId: string;
  kind: ProfileChangeKind;
  version: number;
  /** Latest event time folded into this state. */
  eventTime: number;
  publishedAt: number;
  /** The published profile without its exact state (state is null: profiles.v1 carries it); null for a deletion. */
  profile: null | UserProfile;
}

/** ProfileChange as a producer may write it: fields with schema defaults may be omitted. */
export type ProfileChangeInput = Omit<ProfileChange, 'profile'> & Partial<Pick<ProfileChange, 'profile'>>;

/** Names of the top-level contract schemas. */
export type SchemaName = 'CleanedText' | 'Click' | 'EmbeddedText' | 'Item' | 'Post' | 'Review' | 'UserAttributes' | 'UserDeletion' | 'UserProfile' | 'ProfileChange';

/** Every top-level schema, keyed by record name, in dependency order (a schema only references names defined above it). */
export const AVRO_SCHEMAS: Readonly<Record<SchemaName, object>> = {
  "CleanedText": {"type":"record","name":"CleanedText","namespace":"profilestream.v1","doc":"Text ready for an encoder: normalised, personal data redacted, language detected. Emitted by text-cleaner onto texts.cleaned.v1 (key: userId, or itemId for catalogue text).","fields":[{"name":"eventId","type":"string","doc":"The source event's id (for items: item:<itemId>:<occurredAt>)."},{"name":"source","type":{"type":"enum","name":"TextSource","symbols":["review","post","item"]}},{"name":"userId","type":["null","string"],"default":null,"doc":"Author; null for catalogue text."},{"name":"itemId","type":["null","string"],"default":null,"doc":"Reviewed or described item; null for posts."},{"name":"text","type":"string","doc":"Cleaned natural text (no stop-word removal or stemming: contextual encoders need natural text)."},{"name":"lang","type":"string","doc":"Detected language, ISO 639-1 where known, 'und' when unsure."},{"name":"contentHash","type":"string","doc":"Hex SHA-256 of the cleaned text; the encoder caches embeddings on it."},{"name":"originalLength","type":"int","doc":"Length of the raw text in UTF-16 code units."},{"name":"truncated","type":"boolean","default":false},{"name":"redactions","type":{"type":"map","values":"int"},"default":{},"doc":"Placeholder type -> number of redactions (email, phone, url, ip, card, cn_id, handle)."},{"name":"rating","type":["null","int"],"default":null},{"name":"tags","type":{"type":"array","items":"string"},"default":[]},{"name":"categories","type":{"type":"array","items":"string"},"default":[]},{"name":"platform","type":["null","string"],"default":null},{"name":"occurredAt","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"ingestedAt","type":{"type":"long","logicalType":"timestamp-millis"},"doc":"Kafka timestamp of the source record: the start of the event-to-profile latency."},{"name":"cleanedAt","type":{"type":"long","logicalType":"timestamp-millis"}}]},
  "Click": {"type":"record","name":"Click","namespace":"profilestream.v1","doc":"A behavioural event on an item, produced onto clicks.v1 (key: userId).","fields":[{"name":"eventId","type":"string"},{"name":"userId","type":"string"},{"name":"itemId","type":"string"},{"name":"action","type":{"type":"enum","name":"ClickAction","symbols":["view","click","like","add_to_cart","purchase"],"default":"click"}},{"name":"dwellMs","type":["null","long"],"default":null},{"name":"platform","type":"string"},{"name":"occurredAt","type":{"type":"long","logicalType":"timestamp-millis"}}]},
  "EmbeddedText": {"type":"record","name":"EmbeddedText","namespace":"profilestream.v1","doc":"A sentence embedding of one cleaned text. Emitted by encoder onto texts.embedded.v1 (key: userId, or itemId for catalogue text).","fields":[{"name":"eventId","type":"string"},{"name":"source","type":"TextSource"},{"name":"userId","type":["null","string"],"default":null},{"name":"itemId","type":["null","string"],"default":null},{"name":"lang","type":"string"},{"name":"contentHash","type":"string"},{"name":"rating","type":["null","int"],"default":null},{"name":"tags","type":{"type":"array","items":"string"},"default":[]},{"name":"categories","type":{"type":"array","items":"string"},"default":[]},{"name":"platform","type":["null","string"],"default":null},{"name":"occurredAt","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"ingestedAt","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"modelId","type":"string","doc":"Model name plus a short hash of its weights, e.g. all-MiniLM-L6-v2@3f2a9c1d."},{"name":"projectionId","type":["null","string"],"default":null,"doc":"PCA projection applied after pooling, null when none."},{"name":"dim","type":"int"},{"name":"vector","type":"bytes","doc":"dim little-endian float32 values, L2-normalised."},{"name":"tokenCount","type":"int"},{"name":"truncated","type":"boolean","default":false,"doc":"True when the text exceeded the model's maximum tokens."},{"name":"timing","type":{"type":"record","name":"EmbeddingTiming","fields":[{"name":"cacheHit","type":"boolean"},{"name":"queuedMs","type":"double","doc":"Time from consumption to the start of its run."},{"name":"inferenceMs","type":"double","doc":"Duration of the run that embedded it (0 for cache hits)."},{"name":"embeddedAt","type":{"type":"long","logicalType":"timestamp-millis"}}]}}]},
  "Item": {"type":"record","name":"Item","namespace":"profilestream.v1","doc":"A catalogue entry, produced onto items.v1 (key: itemId). A newer record replaces an older one.","fields":[{"name":"itemId","type":"string"},{"name":"title","type":"string"},{"name":"description","type":"string"},{"name":"categories","type":{"type":"array","items":"string"},"default":[]},{"name":"occurredAt","type":{"type":"long","logicalType":"timestamp-millis"}}]},
  "Post": {"type":"record","name":"Post","namespace":"profilestream.v1","doc":"A user's post (social or community content), produced onto posts.v1 (key: userId).","fields":[{"name":"eventId","type":"string"},{"name":"userId","type":"string"},{"name":"text","type":"string"},{"name":"tags","type":{"type":"array","items":"string"},"default":[]},{"name":"platform","type":"string"},{"name":"occurredAt","type":{"type":"long","logicalType":"timestamp-millis"}}]},
  "Review": {"type":"record","name":"Review","namespace":"profilestream.v1","doc":"A user's review of an item, produced by a platform onto reviews.v1 (key: userId).","fields":[{"name":"eventId","type":"string","doc":"Producer-assigned unique id; used for idempotence and tracing."},{"name":"userId","type":"string"},{"name":"itemId","type":"string"},{"name":"text","type":"string","doc":"Raw review text as the user wrote it (may contain markup and personal data)."},{"name":"rating","type":["null","int"],"default":null,"doc":"Star rating 1-5, null when the platform has none."},{"name":"lang","type":["null","string"],"default":null,"doc":"Language hint from the platform (BCP 47), null when unknown."},{"name":"platform","type":"string"},{"name":"occurredAt","type":{"type":"long","logicalType":"timestamp-millis"},"doc":"When the user wrote it, epoch milliseconds."}]},
  "UserAttributes": {"type":"record","name":"UserAttributes","namespace":"profilestream.v1","doc":"What a platform knows about a user (demographics, locale, account), produced onto users.v1 (compacted, key: userId). A record names the attributes that changed at occurredAt: a null field is not part of this change, `cleared` lists attributes the user no longer has. The fuser keeps the latest value per attribute by occurredAt, whatever order records arrive in. The topic keeps the latest record per user, so a platform that wants a rebuild from the topic alone sends every known attribute in each record.","fields":[{"name":"userId","type":"string"},{"name":"occurredAt","type":{"type":"long","logicalType":"timestamp-millis"},"doc":"When the platform learned these values (event time)."},{"name":"ageBand","type":["null","string"],"default":null,"doc":"An age band such as 18-24 (sensitive by default)."},{"name":"gender","type":["null","string"],"default":null,"doc":"As the user stated it (sensitive by default)."},{"name":"country","type":["null","string"],"default":null,"doc":"ISO 3166-1 alpha-2, e.g. DE."},{"name":"region","type":["null","string"],"default":null,"doc":"A region within the country, e.g. an ISO 3166-2 code."},{"name":"locale","type":["null","string"],"default":null,"doc":"BCP 47 tag of the interface language, e.g. zh-CN."},{"name":"languages","type":["null",{"type":"array","items":"string"}],"default":null,"doc":"Languages the user reads (ISO 639-1), most used first."},{"name":"signupAt","type":["null",{"type":"long","logicalType":"timestamp-millis"}],"default":null},{"name":"accountType","type":["null","string"],"default":null,"doc":"e.g. free, premium, business."},{"name":"custom","type":{"type":"map","values":["null","string","double","boolean"]},"default":{},"doc":"Platform-specific attributes; a null value removes one. String values are redacted like texts."},{"name":"cleared","type":{"type":"array","items":"string"},"default":[],"doc":"Attributes removed at occurredAt: standard names (ageBand, gender, …) or custom.<name>."}]},
  "UserDeletion": {"type":"record","name":"UserDeletion","namespace":"profilestream.v1","doc":"A request to erase everything held about a user, produced onto user-deletions.v1 (key: userId).","fields":[{"name":"userId","type":"string"},{"name":"requestedAt","type":{"type":"long","logicalType":"timestamp-millis"}}]},
  "UserProfile": {"type":"record","name":"UserProfile","namespace":"profilestream.v1","doc":"A user's fused profile, published by profile-fuser onto the compacted profiles.v1 (key: userId; a null value erases the user).","fields":[{"name":"userId","type":"string"},{"name":"version","type":"long","doc":"Increases by one with every stored change; consumers keep the highest."},{"name":"modelId","type":"string","doc":"Every vector below comes from this model; profiles of different models never mix."},{"name":"projectionId","type":["null","string"],"default":null},{"name":"dim","type":"int"},{"name":"horizons","doc":"Time-decayed text and behaviour vectors, one per configured half-life.","type":{"type":"array","items":{"type":"record","name":"DecayedVector","fields":[{"name":"name","type":"string","doc":"Horizon or channel name, e.g. 1d, 7d, 90d, review, post, click, negative."},{"name":"halfLifeMs","type":"long"},{"name":"vector","type":"bytes","doc":"dim little-endian float32, L2-normalised (all zeros when weight is 0)."},{"name":"weight","type":"double","doc":"Decayed evidence weight at refTime; decay to now with 2^-(now-refTime)/halfLifeMs."},{"name":"refTime","type":{"type":"long","logicalType":"timestamp-millis"}}]}}},{"name":"channels","type":{"type":"array","items":"DecayedVector"},"default":[],"doc":"Long-horizon vectors per channel (review, post, click), in that order; a channel nothing was folded into (weight 0) is left out."},{"name":"negative","type":["null","DecayedVector"],"default":null,"doc":"What the user disliked: reviews rated 1 or 2. Null until there is one."},{"name":"counters","type":{"type":"array","items":{"type":"record","name":"ActivityCounter","fields":[{"name":"channel","type":"string","doc":"review, post or click."},{"name":"action","type":["null","string"],"default":null,"doc":"Click action; null for text channels."},{"name":"total","type":"long"},{"name":"decayed","type":"double","doc":"Count decayed with the longest horizon's half-life, at refTime."},{"name":"refTime","type":{"type":"long","logicalType":"timestamp-millis"}}]}},"default":[]},{"name":"ratingMean","type":["null","double"],"default":null},{"name":"ratingCount","type":"long","default":0},{"name":"sentiment","doc":"What the sentiment classifier says about the user's posts (reviews have their rating instead). Null in profiles written before it existed.","type":["null",{"type":"record","name":"SentimentSummary","fields":[{"name":"classifierId","type":"string","doc":"The classifier scoring new posts (weights hash); posts it cannot score (another model) are not counted here."},{"name":"positive","type":"long","doc":"Posts scored positive (probability at or above the classifier's threshold)."},{"name":"negative","type":"long","doc":"Posts scored negative."},{"name":"meanPositive","type":["null","double"],"default":null,"doc":"Time-decayed mean of the classifier's class-balanced positive score (not a calibrated probability); null when no post was scored. Decay does not change it."},{"name":"scored","type":"double","doc":"Decayed number of scored posts at refTime (the mean's evidence); decay to now with 2^-(now-refTime)/halfLifeMs."},{"name":"halfLifeMs","type":"long"},{"name":"refTime","type":{"type":"long","logicalType":"timestamp-millis"}}]}],"default":null},{"name":"categoryAffinities","type":{"type":"array","items":{"type":"record","name":"ScoredLabel","fields":[{"name":"label","type":"string"},{"name":"score","type":"double"}]}},"default":[]},{"name":"interests","type":{"type":"array","items":"ScoredLabel"},"default":[],"doc":"Top interest labels from the taxonomy, with cosine scores: the explainable view of the vectors."},{"name":"attributes","doc":"The user's attributes from users.v1 (latest value per attribute by event time), sorted by name: standard ones (ageBand, gender, country, region, locale, languages, signupAt, accountType) and custom.<name>. Sensitive ones (default: ageBand, gender) appear only where the fuser is configured to publish them.","type":{"type":"array","items":{"type":"record","name":"UserAttribute","fields":[{"name":"name","type":"string"},{"name":"value","type":["string","double","boolean",{"type":"array","items":"string"}],"doc":"signupAt is epoch ms as a double; languages an array."},{"name":"updatedAt","type":{"type":"long","logicalType":"timestamp-millis"},"doc":"occurredAt of the users.v1 record that set it."}]}},"default":[]},{"name":"interestClusters","doc":"The user's separate interests (at most FUSER_INTEREST_CLUSTERS), each a time-decayed vector of the texts and clicked items it gathered, heaviest first.","type":{"type":"array","items":{"type":"record","name":"InterestCluster","fields":[{"name":"vector","type":"bytes","doc":"dim little-endian float32, L2-normalised."},{"name":"weight","type":"double","doc":"Decayed evidence weight at refTime; decay to now with 2^-(now-refTime)/halfLifeMs."},{"name":"halfLifeMs","type":"long"},{"name":"refTime","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"events","type":"long","doc":"Texts and clicks it gathered."},{"name":"label","type":["null","string"],"default":null,"doc":"The nearest interest of the taxonomy, when one is close enough."},{"name":"topCategories","type":{"type":"array","items":"string"},"default":[],"doc":"Its heaviest catalogue categories."}]}},"default":[]},{"name":"firstEventAt","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"lastEventAt","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"eventCount","type":"long"},{"name":"updatedAt","type":{"type":"long","logicalType":"timestamp-millis"},"doc":"When this state was written."},{"name":"state","type":["null","bytes"],"default":null,"doc":"The fuser's exact state for this user (versioned binary): a restore rebuilds Redis from the compacted topic with it. Recommenders ignore it."}]},
  "ProfileChange": {"type":"record","name":"ProfileChange","namespace":"profilestream.v1","doc":"One record per publish on profiles.changelog.v1 (key: userId): what was published and when, for leak-free point-in-time training joins.","fields":[{"name":"userId","type":"string"},{"name":"kind","type":{"type":"enum","name":"ProfileChangeKind","symbols":["update","delete"]}},{"name":"version","type":"long"},{"name":"eventTime","type":{"type":"long","logicalType":"timestamp-millis"},"doc":"Latest event time folded into this state."},{"name":"publishedAt","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"profile","type":["null","UserProfile"],"default":null,"doc":"The published profile without its exact state (state is null: profiles.v1 carries it); null for a deletion."}]},
};

/** Maps each top-level schema name to its TypeScript record type. */
export interface SchemaTypes {
  CleanedText: CleanedText;
  Click: Click;
  EmbeddedText: EmbeddedText;
  Item: Item;
  Post: Post;
  Review: Review;
  UserAttributes: UserAttributes;
  UserDeletion: UserDeletion;
  UserProfile: UserProfile;
  ProfileChange: ProfileChange;
}

/** Maps each top-level schema name to the record type a producer may write (defaults optional). */
export interface SchemaInputTypes {
  CleanedText: CleanedTextInput;
  Click: ClickInput;
  EmbeddedText: EmbeddedTextInput;
  Item: ItemInput;
  Post: PostInput;
  Review: ReviewInput;
  UserAttributes: UserAttributesInput;
  UserDeletion: UserDeletionInput;
  UserProfile: UserProfileInput;
  ProfileChange: ProfileChangeInput;
}
