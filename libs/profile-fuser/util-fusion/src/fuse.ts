import type { AttributeChange, ClickAction } from '@profilestream/contracts';
import { foldAttributeChanges } from './attributes';
import {
  DEFAULT_JOIN_SIMILARITY,
  DEFAULT_MAX_CLUSTERS,
  addToClusters,
  interestClustersConfig,
  type InterestClustersConfig,
} from './interest-clusters';
import { addEvent, addScalar, emptyDecayedScalar, type DecayedVectorState } from './decayed-vector';
import { FusionInputError } from './errors';
import {
  CLICK_ACTIONS,
  DEFAULT_FUSION_CONFIG,
  RECENT_TEXTS,
  cloneState,
  counterKey,
  stateLongestHalfLifeMs,
  type FusionChannel,
  type FusionConfig,
  type ProfileState,
} from './profile-state';
import { compareStrings, getEntry, setEntry } from './records';

/** Where an event sits in Kafka; the fuser deduplicates by it. */
export interface EventPosition {
  topic: string;
  partition: number;
  /** Non-negative decimal integer. */
  offset: string;
}

/** The sentiment classifier's verdict on a text. */
export interface TextSentiment {
  /** P(positive), in [0, 1]. */
  probability: number;
  /** At or above the classifier's threshold. */
  positive: boolean;
}

/** A review or post embedding. */
export interface TextFusionEvent {
  kind: 'text';
  source: 'review' | 'post';
  vector: Float32Array;
  occurredAt: number;
  /** Review star rating (1-5); ignored for posts. */
  rating: number | null;
  /** Set when the text was scored (the fuser scores posts); null otherwise. */
  sentiment: TextSentiment | null;
  categories: string[];
  /** The text's repeat key (`textRepeatKey`: same text, same item), for the repeat check; null skips it. */
  repeatKey?: string | null;
  position: EventPosition;
}

/** A click, carrying the clicked item's vector when the item is known. */
export interface ClickFusionEvent {
  kind: 'click';
  action: ClickAction;
  itemVector: Float32Array | null;
  categories: string[];
  occurredAt: number;
  position: EventPosition;
}

/** A users.v1 record: the attributes it sets or removes, at its event time. */
export interface AttributesFusionEvent {
  kind: 'attributes';
  changes: AttributeChange[];
  occurredAt: number;
  position: EventPosition;
}

export type FusionEvent = TextFusionEvent | ClickFusionEvent | AttributesFusionEvent;

/**
 * `duplicate`: at or below the partition's applied offset, not applied at all.
 * `clickWithoutVector`: a click whose item has no vector; it IS applied (counted in `applied`:
 * counters, affinities, times) but adds nothing to the vectors.
 * `staleAttribute` / `attributeOverLimit`: per attribute change of an applied users.v1 record, one
 * older than the value kept, or a new custom name over the per-user limit (see foldAttributeChanges).
 */
export type SkipReason = 'duplicate' | 'clickWithoutVector' | 'repeatedText' | 'staleAttribute' | 'attributeOverLimit';

export interface ApplyResult {
  /** A new state; the input state is never modified. */
  state: ProfileState;
  /** Events folded in (everything except duplicates). */
  applied: number;
  skipped: Record<SkipReason, number>;
}

/** Reviews rated at or below this go to `negative` only. */
export const NEGATIVE_RATING_MAX = 2;

export function positionKey(p: Pick<EventPosition, 'topic' | 'partition'>): string {
  return `${p.topic}:${p.partition}`;
}

const OFFSET_RE = /^(0|[1-9][0-9]*)$/;

function describe(e: FusionEvent): string {
  const p = e.position as EventPosition | undefined;
  return p ? `${e.kind} event at ${p.topic}:${p.partition}@${p.offset}` : `${e.kind} event`;
}

function parsePosition(e: FusionEvent): bigint {
  const p = e.position as EventPosition | undefined;
  if (!p || typeof p.topic !== 'string' || p.topic.length === 0)
    throw new FusionInputError('invalid_event', `${describe(e)}: position.topic must be a non-empty string`);
  if (!(Number.isSafeInteger(p.partition) && p.partition >= 0))
    throw new FusionInputError('invalid_event', `${describe(e)}: position.partition must be a non-negative integer`);
  if (typeof p.offset !== 'string' || !OFFSET_RE.test(p.offset))
    throw new FusionInputError(
      'invalid_event',
      `${describe(e)}: position.offset must be a non-negative decimal integer string`,
    );
  return BigInt(p.offset);
}

/** True when `position` is at or below what `state` has already applied for its partition. */
export function isDuplicate(state: ProfileState, position: EventPosition): boolean {
  const applied = getEntry(state.appliedOffsets, positionKey(position));
  return applied !== undefined && BigInt(position.offset) <= BigInt(applied);
}

function checkVector(e: FusionEvent, v: Float32Array, dim: number, what: string): void {
  if (!(v instanceof Float32Array))
    throw new FusionInputError('invalid_event', `${describe(e)}: ${what} must be a Float32Array`);
  if (v.length !== dim)
    throw new FusionInputError(
      'dimension_mismatch',
      `${describe(e)}: ${what} has dimension ${v.length} but the profile has dimension ${dim}`,
    );
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!))
      throw new FusionInputError('invalid_event', `${describe(e)}: ${what}[${i}] is ${v[i]}`);
  }
}

/**
 * Throws a FusionInputError when `event` can never be applied to a profile of dimension `dim`
 * (the service dead-letters it). applyEvents runs this on every non-duplicate event; call it first
 * to dead-letter single events instead of failing a batch.
 */
export function validateEvent(event: FusionEvent, dim: number, config: FusionConfig = DEFAULT_FUSION_CONFIG): void {
  parsePosition(event);
  if (!(Number.isSafeInteger(event.occurredAt) && event.occurredAt >= 0))
    throw new FusionInputError(
      'invalid_event',
      `${describe(event)}: occurredAt must be a non-negative integer epoch ms, got ${event.occurredAt}`,
    );
  if (event.kind === 'attributes') {
    if (!Array.isArray(event.changes) || event.changes.some((c) => typeof c?.name !== 'string'))
      throw new FusionInputError('invalid_event', `${describe(event)}: changes must be an array of named changes`);
    return;
  }
  if (!Array.isArray(event.categories) || event.categories.some((c) => typeof c !== 'string'))
    throw new FusionInputError('invalid_event', `${describe(event)}: categories must be an array of strings`);
  if (event.kind === 'text') {
    if (event.source !== 'review' && event.source !== 'post')
      throw new FusionInputError(
        'invalid_event',
        `${describe(event)}: source must be review or post, got ${String(event.source)}`,
      );
    if (event.rating !== null && !Number.isFinite(event.rating))
      throw new FusionInputError('invalid_event', `${describe(event)}: rating must be null or finite`);
    const s = event.sentiment as TextSentiment | null | undefined;
    if (
      s !== null &&
      (typeof s !== 'object' || !(s.probability >= 0 && s.probability <= 1) || typeof s.positive !== 'boolean')
    ) {
      throw new FusionInputError(
        'invalid_event',
        `${describe(event)}: sentiment must be null or { probability in [0, 1], positive: boolean }`,
      );
    }
    checkVector(event, event.vector, dim, 'vector');
  } else if (event.kind === 'click') {
    if (!CLICK_ACTIONS.includes(event.action))
      throw new FusionInputError('invalid_event', `${describe(event)}: unknown click action ${String(event.action)}`);
    const w = config.actionWeights[event.action];
    if (!(Number.isFinite(w) && w >= 0))
      throw new FusionInputError(
        'invalid_event',
        `${describe(event)}: no usable weight configured for action ${event.action}`,
      );
    if (event.itemVector !== null) checkVector(event, event.itemVector, dim, 'itemVector');
  } else {
    throw new FusionInputError('invalid_event', `unknown event kind ${String((event as { kind?: unknown }).kind)}`);
  }
}

interface Positioned {
  event: FusionEvent;
  offset: bigint;
}

function comparePositions(a: Positioned, b: Positioned): number {
  const pa = a.event.position;
  const pb = b.event.position;
  return (
    compareStrings(pa.topic, pb.topic) ||
    pa.partition - pb.partition ||
    (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0)
  );
}

function bump(state: ProfileState, channel: FusionChannel, action: ClickAction | null, t: number): void {
  const key = counterKey(channel, action);
  let c = getEntry(state.counters, key);
  if (!c) {
    c = { channel, action, total: 0, decayed: emptyDecayedScalar(stateLongestHalfLifeMs(state)) };
    setEntry(state.counters, key, c);
  }
  c.total += 1;
  addScalar(c.decayed, 1, t);
}

function addAffinity(state: ProfileState, categories: readonly string[], w: number, t: number): void {
  for (const label of new Set(categories)) {
    let a = getEntry(state.categoryAffinity, label);
    if (!a) {
      a = emptyDecayedScalar(stateLongestHalfLifeMs(state));
      setEntry(state.categoryAffinity, label, a);
    }
    addScalar(a, w, t);
  }
}

/** Positive evidence: every horizon, its channel, and the interest clusters. */
function addToHorizons(
  state: ProfileState,
  v: Float32Array,
  w: number,
  t: number,
  channel: DecayedVectorState,
  categories: readonly string[],
  config: FusionConfig,
): void {
  for (const h of Object.values(state.horizons)) addEvent(h, v, w, t);
  addEvent(channel, v, w, t);
  const clusters = clustersConfigOf(config, stateLongestHalfLifeMs(state));
  if (clusters) addToClusters(state.interestClusters, v, w, t, categories, clusters);
}

const clusterConfigs = new WeakMap<FusionConfig, InterestClustersConfig | null>();

/** The clusters' settings for a fusion config and half-life (validated once per config, then reused); null when off. */
function clustersConfigOf(config: FusionConfig, halfLifeMs: number): InterestClustersConfig | null {
  const cached = clusterConfigs.get(config);
  if (cached !== undefined && (cached === null || cached.halfLifeMs === halfLifeMs)) return cached;
  const maxClusters = config.interestClusters?.maxClusters ?? DEFAULT_MAX_CLUSTERS;
  const c =
    maxClusters === 0
      ? null
      : interestClustersConfig(halfLifeMs, {
          maxClusters,
          joinSimilarity: config.interestClusters?.joinSimilarity ?? DEFAULT_JOIN_SIMILARITY,
        });
  clusterConfigs.set(config, c);
  return c;
}

/**
 * Folds a batch of events into a copy of `state`. Events at or below their partition's applied
 * offset are skipped as duplicates; the batch is applied in (topic, partition, offset) order
 * whatever order it arrives in, so any permutation of a batch gives a bit-identical state, and
 * splitting events across batches differently changes the state only by float rounding.
 * Throws a FusionInputError (nothing applied) if any non-duplicate event is invalid; see validateEvent.
 * Horizons and half-lives come from the state; `config` supplies the click action weights.
 */
export function applyEvents(
  state: ProfileState,
  events: readonly FusionEvent[],
  config: FusionConfig = DEFAULT_FUSION_CONFIG,
): ApplyResult {
  const next = cloneState(state);
  // Validate every fresh event first, so an invalid one leaves nothing half-applied.
  for (const e of events) {
    const seen = getEntry(next.appliedOffsets, positionKey(e.position));
    if (seen === undefined || parsePosition(e) > BigInt(seen)) validateEvent(e, next.dim, config);
  }
  const { applied, skipped } = foldEvents(next, events, config);
  return { state: next, applied, skipped };
}

/**
 * applyEvents on `state` itself, for callers that own the state (the fuser's working copy): no
 * copy per batch. Events must have passed validateEvent; an invalid one throws midway.
 */
export function foldEvents(
  state: ProfileState,
  events: readonly FusionEvent[],
  config: FusionConfig = DEFAULT_FUSION_CONFIG,
): Omit<ApplyResult, 'state'> {
  const skipped: Record<SkipReason, number> = {
    duplicate: 0,
    clickWithoutVector: 0,
    repeatedText: 0,
    staleAttribute: 0,
    attributeOverLimit: 0,
  };
  let applied = 0;
  const ordered: Positioned[] = events.map((event) => ({ event, offset: parsePosition(event) }));
  if (ordered.length > 1) ordered.sort(comparePositions);

  for (const { event: e, offset } of ordered) {
    const key = positionKey(e.position);
    const seen = getEntry(state.appliedOffsets, key);
    if (seen !== undefined && offset <= BigInt(seen)) {
      skipped.duplicate++;
      continue;
    }
    validateEvent(e, state.dim, config);
    const t = e.occurredAt;

    if (e.kind === 'attributes') {
      // Not activity: attributes leave the event count and times alone.
      const r = foldAttributeChanges(state.attributes, e.changes, t, config.attributeLimits);
      skipped.staleAttribute += r.stale;
      skipped.attributeOverLimit += r.overLimit;
      setEntry(state.appliedOffsets, key, e.position.offset);
      applied++;
      continue;
    }
    if (e.kind === 'text' && isRepeatedText(state, e, config)) {
      // Recorded as seen (a redelivery stays a duplicate), nothing folded: as if never written.
      setEntry(state.appliedOffsets, key, e.position.offset);
      skipped.repeatedText++;
      continue;
    }
    if (e.kind === 'text') {
      rememberText(state, e);
      const isReview = e.source === 'review';
      if (isReview && e.rating !== null && e.rating <= NEGATIVE_RATING_MAX) {
        addEvent(state.negative, e.vector, 1, t);
      } else {
        addToHorizons(state, e.vector, 1, t, state.channels[e.source], e.categories, config);
      }
      if (isReview && e.rating !== null) {
        state.ratingSum += e.rating;
        state.ratingCount += 1;
      }
      if (e.sentiment !== null) {
        addScalar(state.sentiment.probability, e.sentiment.probability, t);
        addScalar(state.sentiment.scored, 1, t);
        if (e.sentiment.positive) state.sentiment.positive += 1;
        else state.sentiment.negative += 1;
      }
      bump(state, e.source, null, t);
      addAffinity(state, e.categories, 1, t);
    } else {
      bump(state, 'click', e.action, t);
      if (e.itemVector !== null)
        foldClickContent(
          state,
          { action: e.action, itemVector: e.itemVector, categories: e.categories, occurredAt: t },
          config,
        );
      else skipped.clickWithoutVector++;
    }

    if (state.eventCount === 0) {
      state.firstEventAt = t;
      state.lastEventAt = t;
    } else {
      state.firstEventAt = Math.min(state.firstEventAt, t);
      state.lastEventAt = Math.max(state.lastEventAt, t);
    }
    state.eventCount += 1;
    setEntry(state.appliedOffsets, key, e.position.offset);
    applied++;
  }
  return { applied, skipped };
}

const HASH_PREFIX = 16;

function isRepeatedText(state: ProfileState, e: TextFusionEvent, config: FusionConfig): boolean {
  const window = config.textDedupWindowMs ?? 0;
  if (!(window > 0) || !e.repeatKey) return false;
  const hash = e.repeatKey.slice(0, HASH_PREFIX);
  return state.recentTexts.some((r) => r.hash === hash && Math.abs(r.at - e.occurredAt) <= window);
}

/** Keeps the user's RECENT_TEXTS latest texts by event time (ties: the earlier hash first). */
function rememberText(state: ProfileState, e: TextFusionEvent): void {
  if (!e.repeatKey) return;
  state.recentTexts.push({ hash: e.repeatKey.slice(0, HASH_PREFIX), at: e.occurredAt });
  state.recentTexts.sort((a, b) => b.at - a.at || (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  if (state.recentTexts.length > RECENT_TEXTS) state.recentTexts.length = RECENT_TEXTS;
}

/** What a click adds once its item's vector is known. */
export interface ClickContent {
  action: ClickAction;
  itemVector: Float32Array;
  categories: readonly string[];
  occurredAt: number;
}

/**
 * Adds a click's item vector (to the horizons and the click channel) and its item's categories
 * (to the affinities), weighted by the action, at the click's own time, in place. A click applied
 * before its item was known (counters only) gets its content this way when the item arrives: the
 * decayed sums are order-insensitive, so the profile is the one in-order application gives (up to
 * float rounding). The click's activity (counters, event times, count) is not touched here.
 */
export function foldClickContent(
  state: ProfileState,
  content: ClickContent,
  config: FusionConfig = DEFAULT_FUSION_CONFIG,
): void {
  const w = config.actionWeights[content.action];
  if (!(Number.isFinite(w) && w >= 0))
    throw new FusionInputError('invalid_event', `no usable weight configured for action ${content.action}`);
  if (content.itemVector.length !== state.dim)
    throw new FusionInputError(
      'dimension_mismatch',
      `item vector has dimension ${content.itemVector.length} but the profile has dimension ${state.dim}`,
    );
  addToHorizons(state, content.itemVector, w, content.occurredAt, state.channels.click, content.categories, config);
  addAffinity(state, content.categories, w, content.occurredAt);
}
