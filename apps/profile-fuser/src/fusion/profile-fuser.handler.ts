import { unpackFloat32, type Click, type EmbeddedText, type TopicCatalog, type UserDeletion, type ValueSerde } from '@profilestream/contracts';
import { decodeMessage, dlq, drop, ok, type BatchHandler, type ConsumedMessage, type Outcome } from '@profilestream/kafka';
import {
  FusionInputError,
  applyEvents,
  decodeState,
  emptyState,
  encodeState,
  isDuplicate,
  normalised,
  toUserProfile,
  topInterests,
  validateEvent,
  type FusionConfig,
  type FusionEvent,
  type InterestLabel,
  type ProfileState,
} from '@profilestream/fusion';
import { compatibility, scoreSentiment, type Compatibility, type SentimentModel } from '@profilestream/sentiment';
import type { FuserMetrics } from './fuser.metrics';
import type { ItemUpdate, ItemVectorStore } from './item-vector.store';
import type { ProfilePublisher, PublishedState } from './profile.publisher';
import { vectorSpace, type ProfileStore } from './profile.store';

export interface FuserDeps {
  topics: TopicCatalog;
  serdes: { embedded: ValueSerde<'EmbeddedText'>; click: ValueSerde<'Click'>; deletion: ValueSerde<'UserDeletion'> };
  profiles: ProfileStore;
  items: ItemVectorStore;
  publisher: ProfilePublisher;
  metrics: FuserMetrics;
  fusion: FusionConfig;
  /** Profiles are built with this model only; embeddings of another model are skipped. */
  modelId: string;
  /** The PCA projection the encoder applies, or null: embeddings projected otherwise are skipped. */
  projectionId: string | null;
  /** The embedding dimension after the projection. */
  dimension: number;
  interests: { labels: InterestLabel[]; top: number };
  /** Scores posts whose embeddings come from the space it was trained on. */
  sentiment: SentimentModel;
  casMaxRetries: number;
  deletionRetentionMs: number;
}

/** One decoded input that targets a user's profile, with where its outcome goes. */
interface UserEvent {
  index: number;
  userId: string;
  event: FusionEvent;
  ingestedAt: number;
  /** Why a post was not scored (its embedding is not the classifier's kind); null otherwise. */
  unscored: Exclude<Compatibility, 'ok'> | null;
}

type Decoded<T> = { index: number; message: ConsumedMessage; value: T };

/**
 * Fuses a chunk of one input topic into profiles. All events of one user in the chunk are applied
 * with one read and one compare-and-set write; the applied offsets travel inside the state, so a
 * redelivered event is recognised and skipped (exactly-once effect).
 */
export function profileFuserHandler(deps: FuserDeps): BatchHandler {
  return async (messages) => {
    const outcomes: Outcome[] = new Array(messages.length);
    const topic = messages[0]?.topic;
    if (topic === deps.topics.userDeletions.name) {
      const decoded = await decodeAll(messages, deps.serdes.deletion, outcomes);
      await handleDeletions(deps, decoded, outcomes);
    } else if (topic === deps.topics.textsEmbedded.name) {
      const decoded = await decodeAll(messages, deps.serdes.embedded, outcomes);
      await fuseUsers(deps, await embeddedEvents(deps, decoded, outcomes), outcomes);
    } else if (topic === deps.topics.clicks.name) {
      const decoded = await decodeAll(messages, deps.serdes.click, outcomes);
      await fuseUsers(deps, await clickEvents(deps, decoded), outcomes);
    } else {
      messages.forEach((m, i) => (outcomes[i] = dlq('unexpected_topic', m.topic)));
    }
    return outcomes;
  };
}

async function decodeAll<T>(messages: ConsumedMessage[], serde: { decode(b: Buffer): Promise<T> }, outcomes: Outcome[]): Promise<Decoded<T>[]> {
  const out: Decoded<T>[] = [];
  for (let i = 0; i < messages.length; i++) {
    const result = await decodeMessage(messages[i]!, (b) => serde.decode(b));
    if ('outcome' in result) outcomes[i] = result.outcome;
    else out.push({ index: i, message: messages[i]!, value: result.value });
  }
  return out;
}

function position(m: ConsumedMessage) {
  return { topic: m.topic, partition: m.partition, offset: m.offset };
}

async function embeddedEvents(deps: FuserDeps, decoded: Decoded<EmbeddedText>[], outcomes: Outcome[]): Promise<UserEvent[]> {
  const events: UserEvent[] = [];
  const itemUpdates = new Map<string, ItemUpdate[]>();
  const addItemUpdate = (u: ItemUpdate) => itemUpdates.set(u.itemId, [...(itemUpdates.get(u.itemId) ?? []), u]);
  for (const { index, message, value } of decoded) {
    if (value.modelId !== deps.modelId || (value.projectionId ?? null) !== deps.projectionId || value.dim !== deps.dimension) {
      deps.metrics.skipped.inc({ reason: 'other_model' });
      outcomes[index] = drop('other_model');
      continue;
    }
    const vector = unpackFloat32(value.vector);
    const at = { positionKey: `${message.topic}:${message.partition}`, offset: BigInt(message.offset) };
    if (value.source === 'item') {
      if (value.itemId) addItemUpdate({ itemId: value.itemId, kind: 'description', vector, categories: value.categories, ...at });
      outcomes[index] = value.itemId ? ok : dlq('missing_id', 'catalogue text without itemId');
      continue;
    }
    if (!value.userId) {
      deps.metrics.skipped.inc({ reason: 'no_user' });
      outcomes[index] = dlq('missing_id', 'user text without userId');
      continue;
    }
    if (value.source === 'review' && value.itemId) addItemUpdate({ itemId: value.itemId, kind: 'review', vector, categories: [], ...at });
    // Posts carry no rating: the classifier says how they sound, when it knows their embedding space.
    const fit = value.source === 'post' ? compatibility(deps.sentiment, { modelId: value.modelId, projectionId: value.projectionId, dim: value.dim }) : null;
    const sentiment = fit === 'ok' && value.vector.length === value.dim * 4 ? scoreSentiment(deps.sentiment, vector) : null;
    events.push({
      index,
      userId: value.userId,
      ingestedAt: value.ingestedAt,
      unscored: fit === null || fit === 'ok' ? null : fit,
      event: { kind: 'text', source: value.source, vector, occurredAt: value.occurredAt, rating: value.rating, sentiment, categories: value.categories, position: position(message) },
    });
  }
  const stop = deps.metrics.redisSeconds.startTimer({ operation: 'items' });
  for (const [itemId, updates] of itemUpdates) {
    const fresh = await deps.items.apply(vectorSpace(deps.modelId, deps.projectionId), itemId, updates, deps.casMaxRetries);
    deps.metrics.applied.inc({ kind: 'item' }, fresh);
  }
  stop();
  return events;
}

async function clickEvents(deps: FuserDeps, decoded: Decoded<Click>[]): Promise<UserEvent[]> {
  const stop = deps.metrics.redisSeconds.startTimer({ operation: 'items' });
  const inputs = await deps.items.clickInputs(
    vectorSpace(deps.modelId, deps.projectionId),
    decoded.map((d) => d.value.itemId),
  );
  stop();
  return decoded.map(({ index, message, value }) => {
    const item = inputs.get(value.itemId) ?? { vector: null, categories: [] };
    if (!item.vector) deps.metrics.clicksWithoutVector.inc();
    return {
      index,
      userId: value.userId,
      ingestedAt: message.timestamp,
      unscored: null,
      event: { kind: 'click', action: value.action, itemVector: item.vector, categories: item.categories, occurredAt: value.occurredAt, position: position(message) },
    };
  });
}

async function fuseUsers(deps: FuserDeps, events: UserEvent[], outcomes: Outcome[]): Promise<void> {
  const byUser = new Map<string, UserEvent[]>();
  for (const e of events) {
    try {
      validateEvent(e.event, deps.dimension, deps.fusion);
    } catch (err) {
      if (!(err instanceof FusionInputError)) throw err;
      outcomes[e.index] = dlq('invalid_event', err.message);
      continue;
    }
    byUser.set(e.userId, [...(byUser.get(e.userId) ?? []), e]);
  }
  const stopMarks = deps.metrics.redisSeconds.startTimer({ operation: 'read' });
  const deleted = await deps.profiles.deletedAt([...byUser.keys()]);
  stopMarks();
  let pending: [string, UserEvent[]][] = [];
  for (const [userId, userEvents] of byUser) {
    const erasedAt = deleted.get(userId) ?? null;
    const live = userEvents.filter((e) => {
      if (erasedAt === null || e.event.occurredAt > erasedAt) return true;
      deps.metrics.skipped.inc({ reason: 'deleted_user' });
      outcomes[e.index] = drop('deleted_user');
      return false;
    });
    if (live.length > 0) pending.push([userId, live]);
  }

  // One read and one compare-and-set write per user; users whose write lost a race go round again
  // (re-read, re-apply: events already applied by the winner are recognised by their offsets).
  const published: PublishedState[] = [];
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= deps.casMaxRetries) throw new Error(`compare-and-set failed ${deps.casMaxRetries} times for ${pending.length} users; the chunk will be retried`);
    const stopRead = deps.metrics.redisSeconds.startTimer({ operation: 'read' });
    const space = vectorSpace(deps.modelId, deps.projectionId);
    const stored = await Promise.all(pending.map(([userId]) => deps.profiles.read(userId, space)));
    stopRead();
    const planned = pending.map(([userId, userEvents], i) => planUser(deps, userId, userEvents, stored[i]!, outcomes));
    const stopWrite = deps.metrics.redisSeconds.startTimer({ operation: 'write' });
    const written = await Promise.all(planned.map((p) => (p ? deps.profiles.write(p.userId, space, p.expectedVersion, p.bytes) : null)));
    stopWrite();
    const retry: [string, UserEvent[]][] = [];
    planned.forEach((p, i) => {
      const w = written[i];
      if (!p || !w) return;
      if (!w.ok) {
        deps.metrics.casRetries.inc();
        retry.push(pending[i]!);
        return;
      }
      deps.metrics.skipped.inc({ reason: 'duplicate' }, p.duplicates.length);
      for (const e of p.fresh) {
        outcomes[e.index] = ok;
        deps.metrics.applied.inc({ kind: e.event.kind });
        if (e.event.kind === 'text' && e.event.sentiment) deps.metrics.sentimentScored.inc({ label: e.event.sentiment.positive ? 'positive' : 'negative' });
        if (e.unscored) deps.metrics.sentimentUnscored.inc({ reason: e.unscored });
      }
      const interests = deps.interests.top > 0 ? topInterests(normalised(longestHorizon(p.next)), deps.interests.labels, deps.interests.top) : [];
      published.push({
        profile: toUserProfile(p.next, { version: w.version, interests, updatedAt: Date.now(), stateBytes: p.bytes, sentimentClassifierId: deps.sentiment.id, projectionId: deps.projectionId }),
        eventTime: p.next.lastEventAt,
        ingestedAt: Math.max(...p.fresh.map((e) => e.ingestedAt)),
      });
    });
    pending = retry;
  }
  await deps.publisher.offer(published);
  deps.metrics.publishes.inc({ kind: 'update' }, published.length);
}

interface UserPlan {
  userId: string;
  expectedVersion: number;
  next: ProfileState;
  bytes: Buffer;
  fresh: UserEvent[];
  duplicates: UserEvent[];
}

/**
 * The user's next state, or null when there is nothing to write: every event was already applied,
 * or the stored state cannot be read (a state written by a newer release, or damaged). Then that
 * user's events are dead-lettered with the reason, and the rest of the chunk goes on: replay them
 * with `npm run dlq:replay` once a release that reads the state runs.
 */
function planUser(deps: FuserDeps, userId: string, events: UserEvent[], stored: { version: number; state: Buffer | null }, outcomes: Outcome[]): UserPlan | null {
  let state: ProfileState;
  try {
    state = stored.state ? decodeState(stored.state) : emptyState(userId, deps.modelId, deps.dimension, deps.fusion);
  } catch (err) {
    const detail = `stored state of ${userId} cannot be read: ${err instanceof Error ? err.message : String(err)}`;
    for (const e of events) outcomes[e.index] = dlq('undecodable_state', detail);
    return null;
  }
  const fresh = events.filter((e) => !isDuplicate(state, e.event.position));
  const duplicates = events.filter((e) => !fresh.includes(e));
  for (const e of duplicates) outcomes[e.index] = drop('duplicate');
  if (fresh.length === 0) {
    deps.metrics.skipped.inc({ reason: 'duplicate' }, duplicates.length);
    return null;
  }
  const next = applyEvents(state, fresh.map((e) => e.event), deps.fusion).state;
  return { userId, expectedVersion: stored.version, next, bytes: encodeState(next), fresh, duplicates };
}

function longestHorizon(state: ProfileState) {
  const all = Object.values(state.horizons);
  return all.reduce((a, b) => (b.halfLifeMs > a.halfLifeMs ? b : a));
}

async function handleDeletions(deps: FuserDeps, decoded: Decoded<UserDeletion>[], outcomes: Outcome[]): Promise<void> {
  for (const { index, value } of decoded) {
    if (!value.userId.trim()) {
      outcomes[index] = dlq('missing_id', 'deletion without userId');
      continue;
    }
    const stop = deps.metrics.redisSeconds.startTimer({ operation: 'erase' });
    await deps.profiles.erase(value.userId, value.requestedAt, deps.deletionRetentionMs);
    stop();
    await deps.publisher.publishDeletion(value.userId, value.requestedAt);
    deps.metrics.applied.inc({ kind: 'deletion' });
    deps.metrics.publishes.inc({ kind: 'delete' });
    outcomes[index] = ok;
  }
}
