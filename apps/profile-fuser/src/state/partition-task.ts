import { dlqTopicName, partitionForKey, publishedVersion } from '@profilestream/contracts';
import {
  DLQ_HEADERS,
  ProducerFencedError,
  TransactionalProducer,
  readPartition,
  readerGroupPrefix,
  type ConsumedMessage,
  type Kafka,
  type KafkaMetrics,
  type LogSink,
  type OutgoingMessage,
  type TopicBatch,
} from '@profilestream/kafka';
import {
  emptyState,
  firstEventMemoryBytes,
  foldClickContent,
  stateMemoryBytes,
  foldEvents,
  type ApplyResult,
  type ClickFusionEvent,
  type FusionConfig,
  type FusionEvent,
  type ProfileState,
  decodePending,
  decodeStoredUser,
  encodeItem,
  encodePending,
  encodeStoredUser,
  itemKey,
  parseStateKey,
  pendingStateKey,
  userStateKey,
  type ItemVector,
  type PendingClick,
  type StoredUser,
} from '@profilestream/fusion';
import type { FuserMetrics } from '../fusion/fuser.metrics';
import { DueQueue } from './due-queue';
import type { ServingRole } from './serving-control';
import { FlushBudget, flushBytesOf } from './flush-budget';
import type { FlushGate } from './flush-gate';
import { rebuildPartition } from './partition-rebuild';
import type { FuserInput } from './fuser-inputs';
import type { ItemTable } from './item-table';
import { nextSlice } from './chunk-slice';
import { REDIS_BEHIND, REDIS_LOST, type PartitionStateStore, type SyncOp } from './partition-state.store';

/** Builds what recommenders read from a user's state. */
export interface ProfilePublishing {
  /** profiles.v1 and changelog values for an updated profile. */
  update(state: ProfileState, version: number, now: number): { profile: Buffer; change: Buffer };
  /** The changelog value for an erasure (profiles.v1 gets a tombstone). */
  erasure(userId: string, version: number, requestedAt: number, now: number): Buffer;
}

export interface PartitionTaskOptions {
  partition: number;
  partitionCount: number;
  kafka: Kafka;
  groupId: string;
  transactionalId: string;
  /** `shadow`: where profiles go while another space is served on profiles.v1 (no changelog then). */
  topics: { state: string; items: string; profiles: string; changelog: string; shadow: string };
  /** Whether this deployment's space is the one profiles.v1 carries, and the cut-over epoch. */
  serving: () => ServingRole;
  /** The vector space every state of this deployment lives in (model id, and projection). */
  space: { key: string; modelId: string; dim: number };
  store: PartitionStateStore;
  items: ItemTable;
  fusion: FusionConfig;
  publishing: ProfilePublishing;
  publishIntervalMs: number;
  /** Most bytes of user state this task keeps in memory before evicting (clean users) or flushing. */
  memoryBudgetBytes: () => number;
  pending: { ttlMs: number; maxPerItem: number; maxTotal: number };
  deletionRetentionMs: number;
  /** Most users written in one transaction. */
  maxUsersPerFlush: number;
  /** About the most bytes one flush writes (see FlushBudget). */
  maxFlushBytes: number;
  /** Shared by the instance's tasks: how many flushes run at once. */
  flushGate: FlushGate;
  metrics: FuserMetrics;
  kafkaMetrics: KafkaMetrics;
  log: LogSink;
  /** The task was fenced (another instance owns the partition now): drop it. */
  onFenced: (task: PartitionTask) => void;
  /** The consumed input topics (co-partitioned): their committed offsets are where the task resumes. */
  inputs: readonly string[];
  /** Makes the consumer fetch these partitions from these offsets next. */
  seek: (offsets: { topic: string; partition: number; offset: string }[]) => void;
}

/** A user's working copy. */
interface UserEntry {
  userId: string;
  stored: StoredUser | null;
  /** Changed since its last committed flush. */
  dirty: boolean;
  /** Must go out with the next flush whatever its due time (a late click folded in). */
  urgent: boolean;
  /** Per input topic, the first offset folded in since the last committed flush. */
  first: Map<string, bigint>;
  due: number;
  /** When each event folded in since the last publish entered the pipeline (for the latency histogram). */
  arrivals: Arrivals;
  /** Highest version known to be in Redis: a user may leave memory only once it is. */
  syncedVersion: number;
  bytes: number;
  /** Why the stored state cannot be read (written by a newer release, or damaged); its events are dead-lettered. */
  unreadable: string | null;
}

interface FlushSnapshot {
  users: { entry: UserEntry; first: Map<string, bigint>; arrivals: Arrivals; urgent: boolean }[];
  items: Map<string, ItemVector>;
  pending: Set<string>;
  deadLetters: OutgoingBatch[];
  forwards: OutgoingBatch[];
  /** The flush took as many users as one flush may: more were waiting. */
  full: boolean;
}

interface OutgoingBatch {
  topic: string;
  message: OutgoingMessage;
}

interface SyncJob {
  ops: SyncOp[];
  checkpoint: bigint | null;
  versions: { entry: UserEntry; version: number }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Back-off between attempts to start a task (a broker failing over takes seconds to tens of seconds). */
const INIT_RETRY_FIRST_MS = 500;
const INIT_RETRY_MAX_MS = 5_000;

/**
 * What one instance does for one input partition it owns (partition p of texts.embedded.v1,
 * clicks.v1 and user-deletions.v1, co-partitioned by user): the working state of the partition's
 * users in memory, folded event by event without I/O; flushes that write, in ONE Kafka
 * transaction, the changed users' exact states (state topic), their published profiles
 * (profiles.v1, changelog), new item vectors, pending clicks, dead letters and the consumed offsets;
 * then the same states into Redis, the serving copy, in commit order.
 *
 * Invariants:
 * - The committed offset of an input never passes an event whose effect is not committed: it is
 *   the lowest first-unflushed offset of the users left out of the flush (or the position).
 * - A user's state records which offsets it folded in (per input partition), so events fetched
 *   again after a restart or rebalance are recognised as duplicates.
 * - Redis never gets a state that was not committed, and a stored state only moves to a newer
 *   version. A partition's Redis copy is trusted only while its checkpoint key exists; without it
 *   (Redis lost its data) the partition is rebuilt from the state topic before any user is read.
 */
export class PartitionTask {
  private readonly producer: TransactionalProducer;
  private readonly users = new Map<string, UserEntry>();
  private readonly due = new DueQueue();
  private readonly positions = new Map<string, bigint>();
  /** Users changed since their last flush. */
  private dirtyUsers = 0;
  /** Offsets last committed per input topic (by this task). */
  private readonly committed = new Map<string, bigint>();
  private readonly pending = new Map<string, PendingClick[]>();
  private pendingCount = 0;
  private dirtyPending = new Set<string>();
  /** Dirty users that must go out with the next flush (erasures, folded late clicks). */
  private urgent = new Set<UserEntry>();
  private dirtyItems = new Map<string, ItemVector>();
  private deadLetters: OutgoingBatch[] = [];
  private forwards: OutgoingBatch[] = [];
  private usedBytes = 0;
  private newProfileBytes: number | undefined;
  private closed = false;
  private readyPromise: Promise<void>;
  /** The transactional id is claimed (a start that failed after it need not claim again). */
  private claimed = false;
  private flushChain: Promise<unknown> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushScheduledAt = Infinity;
  private syncQueue: SyncJob[] = [];
  private syncing: Promise<void> | null = null;
  private rebuilding: Promise<void> | null = null;
  /** The newest checkpoint this task saw Redis reach for the partition (see REDIS_BEHIND). */
  private redisSeen: bigint | null = null;
  private folding: Promise<void> = Promise.resolve();

  constructor(private readonly o: PartitionTaskOptions) {
    this.producer = new TransactionalProducer(o.kafka, {
      transactionalId: o.transactionalId,
      log: o.log,
      metrics: o.kafkaMetrics,
      transactionTimeoutMs: 60_000,
    });
    this.readyPromise = this.init();
    this.readyPromise.catch((err: unknown) =>
      o.log.error({ err, partition: o.partition }, 'partition task failed to start'),
    );
  }

  /**
   * Starts the task, retrying while a broker or Redis is away: a task whose start failed for good
   * would hold its partition's records unread for as long as the assignment lasts (nothing fetches
   * them again when no new records arrive). Stops retrying once closed; a fence ends it.
   */
  private async init(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.initOnce();
      } catch (err) {
        if (this.closed) return;
        if (err instanceof ProducerFencedError) {
          this.o.log.warn(
            { partition: this.o.partition },
            'fenced while starting: another instance owns this partition now',
          );
          this.close();
          this.o.onFenced(this);
          return;
        }
        const delayMs = Math.min(INIT_RETRY_MAX_MS, INIT_RETRY_FIRST_MS * 2 ** (attempt - 1));
        this.o.log.warn(
          { err, partition: this.o.partition, attempt, retryInMs: delayMs },
          'partition task could not start; retrying',
        );
        await sleep(delayMs);
        if (this.closed) return;
      }
    }
  }

  get partition(): number {
    return this.o.partition;
  }

  get ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Claims the partition (fencing its previous owner), brings Redis up to the state topic, loads pending clicks. */
  private async initOnce(): Promise<void> {
    if (!this.claimed) {
      await this.producer.connect();
      this.claimed = true;
    }
    // Claimed: every earlier owner's transaction is committed or aborted now. Resume exactly from
    // the offsets committed with the partition's state.
    await this.rewind();
    await this.bringRedisUpToDate();
    const stored = await this.o.store.loadPending(this.o.partition);
    this.pending.clear();
    this.pendingCount = 0;
    for (const [itemId, bytes] of stored) {
      const clicks = decodePending(bytes);
      this.pending.set(itemId, clicks);
      this.pendingCount += clicks.length;
    }
    this.o.metrics.pendingClicks.inc(this.pendingCount);
    // Items that arrived while nobody owned the partition.
    for (const itemId of [...this.pending.keys()]) if (this.o.items.get(itemId)) this.itemArrived(itemId);
    // A cut-over whose republish the last owner did not finish.
    const role = this.o.serving();
    if (role.serving && role.epoch > 0) void this.republishAll(role.epoch);
  }

  /**
   * Seeks every input to where this partition's committed state ends: its committed offset, or the
   * log's start where nothing was committed yet (a topic whose first records the last task folded
   * but never committed would otherwise resume after them, and they would be lost). A chunk fetched
   * before the seek is stale then (kafkajs' isStale) and refused: folding records past ones still
   * to be read again would make the per-user offsets skip those as duplicates.
   */
  private async rewind(): Promise<void> {
    const admin = this.o.kafka.admin();
    await admin.connect();
    try {
      const committed = await admin.fetchOffsets({ groupId: this.o.groupId, topics: [...this.o.inputs] });
      const offsets = await Promise.all(
        committed.map(async ({ topic, partitions }) => {
          const mine = partitions.find((p) => p.partition === this.o.partition);
          if (mine && Number(mine.offset) >= 0) return { topic, partition: this.o.partition, offset: mine.offset };
          const log = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === this.o.partition);
          return { topic, partition: this.o.partition, offset: log?.low ?? '0' };
        }),
      );
      // A task closed meanwhile must not move the position its successor sought.
      if (!this.closed) this.o.seek(offsets);
    } finally {
      await admin.disconnect();
    }
  }

  /** Waits (heartbeating) until the task can take events. */
  private async whenReady(heartbeat: () => Promise<void>): Promise<void> {
    for (;;) {
      const done = await Promise.race([this.readyPromise.then(() => true), sleep(2_000).then(() => false)]);
      if (done) return;
      await heartbeat();
    }
  }

  /**
   * Folds one chunk of one input topic into the working state; false when the task is gone. The
   * chunk goes in slices whose new users fit half the state budget: each slice's users are loaded,
   * its events applied and its position advanced before the next loads, so memory stays bounded
   * when a backlog brings thousands of users a chunk.
   */
  async process(
    inputs: FuserInput[],
    control: { heartbeat(): Promise<void>; isCurrent(): boolean; through: bigint },
  ): Promise<boolean> {
    await this.whenReady(control.heartbeat);
    const newUser = (i: FuserInput): string | null =>
      (i.kind === 'text' || i.kind === 'click' || i.kind === 'attributes' || i.kind === 'deletion') &&
      !this.users.has(i.userId) &&
      this.owns(i.owner)
        ? i.userId
        : null;
    const maxNewUsers = Math.floor(this.o.memoryBudgetBytes() / 2 / this.bytesPerUser);
    for (let start = 0; start < inputs.length;) {
      if (this.closed || !control.isCurrent()) return false;
      const slice = nextSlice(inputs, start, newUser, maxNewUsers);
      await this.load(slice.users, control.heartbeat);
      if (this.closed || !control.isCurrent()) return false;
      const now = Date.now();
      for (let i = start; i < slice.end; i++) this.apply(inputs[i]!, now);
      const last = inputs[slice.end - 1]!;
      // Within the chunk the position is the next input; the last slice covers the batch's markers too.
      this.advance(
        last.message.topic,
        slice.end === inputs.length ? control.through : BigInt(last.message.offset) + 1n,
      );
      this.scheduleFlush();
      await this.relieveMemory(control.heartbeat);
      start = slice.end;
    }
    return true;
  }

  /** Markers or aborted records up to `nextOffset`: nothing to fold, the position moves on. */
  passed(topic: string, nextOffset: bigint): void {
    if (this.closed || !this.positions.has(topic)) return;
    this.advance(topic, nextOffset);
    this.scheduleFlush();
  }

  private advance(topic: string, next: bigint): void {
    if (next > (this.positions.get(topic) ?? -1n)) this.positions.set(topic, next);
  }

  private owns(key: string): boolean {
    return partitionForKey(key, this.o.partitionCount) === this.o.partition;
  }

  /** Loads users not in memory from Redis; a Redis that lost the partition is rebuilt first. */
  private async load(userIds: string[], heartbeat: () => Promise<void>): Promise<void> {
    if (userIds.length === 0) return;
    for (;;) {
      await this.rebuilding;
      const stop = this.o.metrics.redisSeconds.startTimer({ operation: 'load' });
      const loaded = await this.o.store.loadUsers(this.o.partition, userIds, this.redisSeen);
      stop();
      if (loaded === REDIS_LOST || loaded === REDIS_BEHIND) {
        await this.catchUpRedis(heartbeat);
        continue;
      }
      for (const [userId, bytes] of loaded) {
        if (this.users.has(userId)) continue;
        let stored: StoredUser | null = null;
        let unreadable: string | null = null;
        try {
          stored = bytes ? decodeStoredUser(bytes) : null;
        } catch (err) {
          unreadable = `stored state of ${userId} cannot be read: ${err instanceof Error ? err.message : String(err)}`;
        }
        this.o.metrics.stateLoads.inc({ result: unreadable ? 'unreadable' : stored ? 'redis' : 'absent' });
        this.insert(userId, stored, stored?.version ?? 0).unreadable = unreadable;
      }
      return;
    }
  }

  private insert(userId: string, stored: StoredUser | null, syncedVersion: number): UserEntry {
    const entry: UserEntry = {
      userId,
      stored,
      dirty: false,
      urgent: false,
      first: new Map(),
      due: Infinity,
      arrivals: noArrivals(),
      syncedVersion,
      bytes: this.sizeOf(stored),
      unreadable: null,
    };
    this.users.set(userId, entry);
    this.usedBytes += entry.bytes;
    return entry;
  }

  private sizeOf(stored: StoredUser | null): number {
    return stored?.kind === 'profile' ? stateMemoryBytes(stored.state) : 300;
  }

  /**
   * What a user brought into memory is taken to cost: the average here, never less than a new
   * profile (erasure marks are small, but the users a backlog brings are mostly profiles).
   */
  private get bytesPerUser(): number {
    this.newProfileBytes ??= firstEventMemoryBytes(this.o.space.dim, this.o.fusion);
    const average = this.users.size > 0 ? this.usedBytes / this.users.size : 0;
    return Math.max(this.newProfileBytes, average);
  }

  /** The user's entry, most recently used. */
  private touch(userId: string): UserEntry {
    const entry = this.users.get(userId);
    if (!entry) return this.insert(userId, null, 0);
    this.users.delete(userId);
    this.users.set(userId, entry);
    return entry;
  }

  private apply(input: FuserInput, now: number): void {
    const m = this.o.metrics;
    const topic = input.message.topic;
    // An erasure needs no readable state: it replaces it.
    const folds = input.kind === 'text' || input.kind === 'click' || input.kind === 'attributes';
    const unreadable = folds ? this.users.get(input.userId)?.unreadable : null;
    if (unreadable && folds && this.owns(input.userId)) {
      // Replay them with dlq:replay once a release that reads the state runs; the rest go on.
      this.outcome(topic, 'dlq', 'undecodable_state');
      this.deadLetter(input.message, 'undecodable_state', unreadable);
      return;
    }
    if (input.kind === 'done') {
      this.outcome(topic, input.outcome.kind, input.outcome.kind === 'ok' ? '' : input.outcome.reason);
      if (input.outcome.kind === 'dlq') this.deadLetter(input.message, input.outcome.reason, input.outcome.detail);
      if (input.reason !== 'invalid') m.skipped.inc({ reason: input.reason });
      return;
    }
    if (!this.owns(input.owner)) {
      // Produced with another partitioner: the owner of the key is another partition. Forward it
      // there (inside the next transaction, so exactly once) rather than split a user's state.
      const target = partitionForKey(input.owner, this.o.partitionCount);
      this.forwards.push({
        topic,
        message: {
          key: input.message.key,
          value: input.message.value,
          headers: input.message.headers,
          partition: target,
        },
      });
      m.forwarded.inc({ topic });
      this.outcome(topic, 'drop', 'forwarded');
      return;
    }
    switch (input.kind) {
      case 'item':
        return this.applyItem(input.itemId, input.item, topic);
      case 'text':
        return this.applyEvent(input.userId, input.event, input.ingestedAt, now, () => {
          m.applied.inc({ kind: 'text' });
          if (input.event.sentiment)
            m.sentimentScored.inc({ label: input.event.sentiment.positive ? 'positive' : 'negative' });
          if (input.unscored) m.sentimentUnscored.inc({ reason: input.unscored });
        });
      case 'click': {
        const item = this.o.items.get(input.itemId) ?? this.dirtyItems.get(input.itemId);
        const event: ClickFusionEvent = {
          kind: 'click',
          action: input.action,
          itemVector: item?.vector ?? null,
          categories: item?.categories ?? [],
          occurredAt: input.occurredAt,
          position: { topic, partition: input.message.partition, offset: input.message.offset },
        };
        return this.applyEvent(input.userId, event, input.ingestedAt, now, () => {
          m.applied.inc({ kind: 'click' });
          if (!item)
            this.addPending(input.itemId, {
              userId: input.userId,
              action: input.action,
              occurredAt: input.occurredAt,
              since: now,
            });
        });
      }
      case 'attributes':
        return this.applyEvent(input.userId, input.event, input.message.timestamp, now, (result) => {
          m.applied.inc({ kind: 'attributes' });
          if (input.redacted > 0) m.attributesRedacted.inc(input.redacted);
          if (result.skipped.staleAttribute > 0)
            m.attributeChanges.inc({ outcome: 'stale' }, result.skipped.staleAttribute);
          if (result.skipped.attributeOverLimit > 0)
            m.attributeChanges.inc({ outcome: 'over_limit' }, result.skipped.attributeOverLimit);
          const kept = input.event.changes.length - result.skipped.staleAttribute - result.skipped.attributeOverLimit;
          if (kept > 0) m.attributeChanges.inc({ outcome: 'applied' }, kept);
        });
      case 'deletion':
        return this.applyDeletion(input.userId, input.requestedAt, topic, input.message.offset, now);
    }
  }

  private outcome(topic: string, outcome: string, reason: string): void {
    this.o.kafkaMetrics.outcomes.inc({ topic, outcome, reason });
  }

  private deadLetter(message: ConsumedMessage, reason: string, detail?: string): void {
    this.deadLetters.push({
      topic: dlqTopicName(message.topic),
      message: {
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          [DLQ_HEADERS.reason]: reason,
          [DLQ_HEADERS.detail]: (detail ?? '').slice(0, 500),
          [DLQ_HEADERS.stage]: 'profile-fuser',
          [DLQ_HEADERS.sourceTopic]: message.topic,
          [DLQ_HEADERS.sourcePartition]: String(message.partition),
          [DLQ_HEADERS.sourceOffset]: message.offset,
          [DLQ_HEADERS.sourceTimestamp]: String(message.timestamp),
          [DLQ_HEADERS.failedAt]: String(Date.now()),
        },
      },
    });
    this.o.kafkaMetrics.deadLettered.inc({ topic: message.topic, reason });
  }

  private applyItem(itemId: string, item: ItemVector, topic: string): void {
    const known = this.dirtyItems.get(itemId) ?? this.o.items.get(itemId);
    if (!known || item.occurredAt >= known.occurredAt) this.dirtyItems.set(itemId, item);
    this.o.metrics.applied.inc({ kind: 'item' });
    this.outcome(topic, 'ok', '');
    // Clicks of this partition waiting for the item need not wait for the table.
    if (this.pending.has(itemId)) this.itemArrived(itemId);
  }

  /** Folds one user event; `onApplied` runs when it was not a duplicate. */
  private applyEvent(
    userId: string,
    event: FusionEvent,
    ingestedAt: number,
    now: number,
    onApplied: (result: Omit<ApplyResult, 'state'>) => void,
  ): void {
    const entry = this.touch(userId);
    const topic = event.position.topic;
    let stored = entry.stored;
    if (stored?.kind === 'erased') {
      if (event.occurredAt <= stored.requestedAt && now - stored.requestedAt < this.o.deletionRetentionMs) {
        this.o.metrics.skipped.inc({ reason: 'deleted_user' });
        this.outcome(topic, 'drop', 'deleted_user');
        return;
      }
      // Back after the erasure: a new profile, its versions continuing past the erasure's.
      stored = entry.stored = {
        kind: 'profile',
        version: stored.version,
        publishedAt: 0,
        state: emptyState(userId, this.o.space.modelId, this.o.space.dim, this.o.fusion),
      };
    }
    if (!stored)
      stored = entry.stored = {
        kind: 'profile',
        version: 0,
        publishedAt: 0,
        state: emptyState(userId, this.o.space.modelId, this.o.space.dim, this.o.fusion),
      };
    const result = foldEvents(stored.state, [event], this.o.fusion);
    // A new profile, or one that gained an interest cluster, takes more memory.
    this.resize(entry);
    if (result.skipped.repeatedText > 0) {
      this.o.metrics.skipped.inc({ reason: 'repeated_text' });
      this.outcome(topic, 'drop', 'repeated_text');
      return;
    }
    if (result.applied === 0) {
      this.o.metrics.skipped.inc({ reason: 'duplicate' });
      this.outcome(topic, 'drop', 'duplicate');
      return;
    }
    onApplied(result);
    this.outcome(topic, 'ok', '');
    this.markDirty(entry, now, topic, BigInt(event.position.offset), ingestedAt);
  }

  private applyDeletion(userId: string, requestedAt: number, topic: string, offset: string, now: number): void {
    const entry = this.touch(userId);
    const previous = entry.stored;
    const at = previous?.kind === 'erased' ? Math.max(previous.requestedAt, requestedAt) : requestedAt;
    entry.stored = { kind: 'erased', version: previous?.version ?? 0, requestedAt: at };
    entry.unreadable = null;
    this.resize(entry);
    this.o.metrics.applied.inc({ kind: 'deletion' });
    this.outcome(topic, 'ok', '');
    // An erasure goes out at once, whatever the publish interval.
    this.markUrgent(entry);
    this.markDirty(entry, now, topic, BigInt(offset), now);
  }

  private resize(entry: UserEntry): void {
    const bytes = this.sizeOf(entry.stored);
    this.usedBytes += bytes - entry.bytes;
    entry.bytes = bytes;
  }

  private markUrgent(entry: UserEntry): void {
    entry.urgent = true;
    this.urgent.add(entry);
  }

  private markDirty(
    entry: UserEntry,
    now: number,
    topic: string | null,
    offset: bigint | null,
    ingestedAt: number,
  ): void {
    if (topic !== null && offset !== null && !entry.first.has(topic)) entry.first.set(topic, offset);
    if (ingestedAt > 0) addArrival(entry.arrivals, ingestedAt);
    if (entry.dirty) return;
    entry.dirty = true;
    this.dirtyUsers++;
    const publishedAt = entry.stored?.kind === 'profile' ? entry.stored.publishedAt : 0;
    entry.due = entry.urgent ? now : Math.max(now, publishedAt + this.o.publishIntervalMs);
    this.due.push(entry.userId, entry.due);
  }

  private addPending(itemId: string, click: PendingClick): void {
    const list = this.pending.get(itemId) ?? [];
    if (list.length >= this.o.pending.maxPerItem || this.pendingCount >= this.o.pending.maxTotal) {
      this.o.metrics.clicksWithoutVector.inc({ outcome: 'overflow' });
      return;
    }
    list.push(click);
    this.pending.set(itemId, list);
    this.pendingCount++;
    this.dirtyPending.add(itemId);
    this.o.metrics.pendingClicks.inc();
    this.o.metrics.clicksWithoutVector.inc({ outcome: 'pending' });
  }

  /** An item's vector is known now: fold the clicks that waited for it (serialised per task). */
  itemArrived(itemId: string): void {
    if (!this.pending.has(itemId) || this.closed) return;
    this.folding = this.folding
      .then(() => this.foldPending(itemId))
      .catch((err: unknown) =>
        this.o.log.error(
          { err, itemId, partition: this.o.partition },
          'folding pending clicks failed; they wait for the next arrival',
        ),
      );
  }

  private async foldPending(itemId: string): Promise<void> {
    await this.readyPromise;
    const item = this.dirtyItems.get(itemId) ?? this.o.items.get(itemId);
    const clicks = this.pending.get(itemId);
    if (!item || !clicks || this.closed) return;
    await this.load(
      [...new Set(clicks.map((c) => c.userId))].filter((u) => !this.users.has(u)),
      async () => undefined,
    );
    const current = this.pending.get(itemId);
    if (!current || this.closed) return;
    const now = Date.now();
    for (const c of current) {
      const entry = this.touch(c.userId);
      const stored = entry.stored;
      // Erased since, or never applied (a click dropped as deleted_user is not pending).
      if (stored?.kind !== 'profile' || stored.state.eventCount === 0) continue;
      foldClickContent(
        stored.state,
        { action: c.action, itemVector: item.vector, categories: item.categories, occurredAt: c.occurredAt },
        this.o.fusion,
      );
      this.resize(entry);
      // The folded users and the pending record's removal must commit together.
      this.markUrgent(entry);
      this.markDirty(entry, now, null, null, 0);
      this.o.metrics.clicksWithoutVector.inc({ outcome: 'folded' });
    }
    this.pending.delete(itemId);
    this.pendingCount -= current.length;
    this.o.metrics.pendingClicks.dec(current.length);
    this.dirtyPending.add(itemId);
    this.scheduleFlush();
  }

  private expirePending(now: number): void {
    for (const [itemId, clicks] of this.pending) {
      const kept = clicks.filter((c) => now - c.since < this.o.pending.ttlMs);
      if (kept.length === clicks.length) continue;
      const expired = clicks.length - kept.length;
      this.o.metrics.clicksWithoutVector.inc({ outcome: 'expired' }, expired);
      this.o.metrics.pendingClicks.dec(expired);
      this.pendingCount -= expired;
      if (kept.length > 0) this.pending.set(itemId, kept);
      else this.pending.delete(itemId);
      this.dirtyPending.add(itemId);
    }
  }

  private scheduleFlush(): void {
    if (this.closed) return;
    // Offsets alone are committed when no user waits for its flush (the tail of a stream, or
    // markers passed): while users are dirty their flushes carry the offsets anyway.
    const hasWork =
      this.urgent.size > 0 ||
      this.dirtyItems.size > 0 ||
      this.dirtyPending.size > 0 ||
      this.deadLetters.length > 0 ||
      this.forwards.length > 0 ||
      (this.dirtyUsers === 0 && this.offsetsAhead());
    const at = hasWork ? Date.now() : (this.due.peekAt() ?? Infinity);
    if (at === Infinity || at >= this.flushScheduledAt) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushScheduledAt = at;
    this.flushTimer = setTimeout(
      () => {
        this.flushTimer = null;
        this.flushScheduledAt = Infinity;
        void this.flush('due');
      },
      Math.max(0, at - Date.now()),
    );
  }

  /**
   * Writes what is due (or, with 'all', everything changed) in one transaction; serialised per
   * task. Failures other than fencing put the work back and retry. Resolves whether the flush was
   * full (written, and more users were waiting).
   */
  flush(mode: 'due' | 'all'): Promise<boolean> {
    const run = this.flushChain.then(() => this.o.flushGate.run(() => this.flushOnce(mode)));
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  private async flushOnce(mode: 'due' | 'all'): Promise<boolean> {
    if (this.closed) return false;
    await this.readyPromise;
    const now = Date.now();
    this.expirePending(now);
    const snapshot = this.takeSnapshot(mode, now);
    const offsets = this.committableOffsets();
    const nothingToWrite =
      snapshot.users.length === 0 &&
      snapshot.items.size === 0 &&
      snapshot.pending.size === 0 &&
      snapshot.deadLetters.length === 0 &&
      snapshot.forwards.length === 0;
    if (nothingToWrite && !this.offsetsAhead(offsets)) {
      this.scheduleFlush();
      return false;
    }
    const stop = this.o.metrics.flushSeconds.startTimer();
    const { batches, job, published } = this.buildRecords(snapshot, now);
    try {
      const ends = await this.producer.commit({
        batches,
        offsets: {
          groupId: this.o.groupId,
          partitions: [...offsets].map(([topic, offset]) => ({
            topic,
            partition: this.o.partition,
            offset: offset.toString(),
          })),
        },
      });
      job.checkpoint = ends.get(`${this.o.topics.state}:${this.o.partition}`) ?? null;
      for (const [topic, offset] of offsets) this.committed.set(topic, offset);
    } catch (err) {
      stop();
      if (err instanceof ProducerFencedError) {
        this.o.log.warn({ partition: this.o.partition }, 'fenced: another instance owns this partition now');
        this.close();
        this.o.onFenced(this);
        return false;
      }
      this.putBack(snapshot);
      this.o.log.error({ err, partition: this.o.partition }, 'flush failed; retrying');
      await sleep(500);
      this.scheduleFlush();
      return false;
    }
    stop();
    this.o.metrics.flushUsers.observe(snapshot.users.length);
    const publishedAt = Date.now();
    for (const p of published) {
      if (p.kind === 'update') this.o.metrics.publishes.inc({ kind: 'update' });
      else this.o.metrics.publishes.inc({ kind: 'delete' });
      if (p.arrivals) observeArrivals(p.arrivals, publishedAt, this.o.metrics.eventToProfileSeconds);
    }
    this.syncQueue.push(job);
    this.kickSync();
    this.scheduleFlush();
    if (mode === 'due' && this.due.peekAt() !== null && this.due.peekAt()! <= Date.now()) void this.flush('due');
    return snapshot.full;
  }

  /** Takes the users, items, pending changes and letters this flush writes, leaving the rest. */
  private takeSnapshot(mode: 'due' | 'all', now: number): FlushSnapshot {
    const chosen = new Set<UserEntry>();
    const budget = new FlushBudget(this.o.maxUsersPerFlush, this.o.maxFlushBytes);
    const choose = (entry: UserEntry) => {
      if (chosen.has(entry)) return;
      chosen.add(entry);
      budget.take(flushBytesOf(entry.bytes));
    };
    // Urgent users always (erasures, folded late clicks: they must commit with their pending record).
    for (const entry of this.urgent) if (entry.dirty) choose(entry);
    this.urgent.clear();
    // 'all': dirty users whether due or not, least recently used first, one bounded flush at a time.
    if (mode === 'all') {
      for (const entry of this.users.values()) {
        if (!budget.open) break;
        if (entry.dirty) choose(entry);
      }
    }
    // Check the budget before popping: a popped reminder not taken would leave its user unflushed.
    while (budget.open) {
      const e = this.due.popDue(now);
      if (!e) break;
      const entry = this.users.get(e.id);
      if (entry?.dirty && entry.due === e.at) choose(entry);
    }
    const full = !budget.open;
    const users = [...chosen].map((entry) => {
      const taken = { entry, first: entry.first, arrivals: entry.arrivals, urgent: entry.urgent };
      entry.dirty = false;
      this.dirtyUsers--;
      entry.urgent = false;
      entry.first = new Map();
      entry.due = Infinity;
      entry.arrivals = noArrivals();
      return taken;
    });
    const snapshot: FlushSnapshot = {
      users,
      items: this.dirtyItems,
      pending: this.dirtyPending,
      deadLetters: this.deadLetters,
      forwards: this.forwards,
      full,
    };
    this.dirtyItems = new Map();
    this.dirtyPending = new Set();
    this.deadLetters = [];
    this.forwards = [];
    return snapshot;
  }

  /** A failed flush: everything it took is due again now. */
  private putBack(s: FlushSnapshot): void {
    const now = Date.now();
    for (const u of s.users) {
      for (const [t, o] of u.first) if (!u.entry.first.has(t) || u.entry.first.get(t)! > o) u.entry.first.set(t, o);
      u.entry.arrivals = mergeArrivals(u.arrivals, u.entry.arrivals);
      if (!u.entry.dirty) this.dirtyUsers++;
      u.entry.dirty = true;
      u.entry.due = now;
      if (u.urgent) this.markUrgent(u.entry);
      this.due.push(u.entry.userId, now);
    }
    for (const [k, v] of s.items) if (!this.dirtyItems.has(k)) this.dirtyItems.set(k, v);
    for (const k of s.pending) this.dirtyPending.add(k);
    this.deadLetters = [...s.deadLetters, ...this.deadLetters];
    this.forwards = [...s.forwards, ...this.forwards];
  }

  /** Whether the offsets this task could commit are past those it committed (only markers passed, say). */
  private offsetsAhead(offsets = this.committableOffsets()): boolean {
    for (const [topic, offset] of offsets) if (offset > (this.committed.get(topic) ?? -1n)) return true;
    return false;
  }

  /**
   * Per input topic: the position, held back to the first unflushed offset of any user still
   * dirty (their events must be fetched again if this instance dies before their flush).
   */
  private committableOffsets(): Map<string, bigint> {
    const out = new Map(this.positions);
    for (const entry of this.users.values()) {
      if (!entry.dirty) continue;
      for (const [topic, first] of entry.first) if (first < (out.get(topic) ?? first + 1n)) out.set(topic, first);
    }
    return out;
  }

  private buildRecords(s: FlushSnapshot, now: number) {
    const { topics, space, publishing } = this.o;
    const p = this.o.partition;
    const role = this.o.serving();
    const state: OutgoingMessage[] = [];
    const profiles: OutgoingMessage[] = [];
    const changes: OutgoingMessage[] = [];
    const job: SyncJob = { ops: [], checkpoint: null, versions: [] };
    const published: { kind: 'update' | 'delete'; arrivals: Arrivals | null }[] = [];
    for (const { entry, arrivals } of s.users) {
      const stored = entry.stored;
      if (!stored) continue;
      stored.version += 1;
      let ttlMs = 0;
      if (stored.kind === 'profile') {
        stored.publishedAt = now;
        const { profile, change } = publishing.update(stored.state, publishedVersion(stored.version, role.epoch), now);
        profiles.push({ key: entry.userId, value: profile });
        if (role.serving) changes.push({ key: entry.userId, value: change });
        published.push({ kind: 'update', arrivals });
      } else {
        profiles.push({ key: entry.userId, value: null });
        if (role.serving)
          changes.push({
            key: entry.userId,
            value: publishing.erasure(
              entry.userId,
              publishedVersion(stored.version, role.epoch),
              stored.requestedAt,
              now,
            ),
          });
        published.push({ kind: 'delete', arrivals: null });
        ttlMs = Math.max(1, stored.requestedAt + this.o.deletionRetentionMs - now);
      }
      const bytes = encodeStoredUser(stored);
      state.push({ key: userStateKey(space.key, entry.userId), value: bytes, partition: p });
      job.ops.push({ kind: 'user', userId: entry.userId, version: stored.version, ttlMs, bytes });
      job.versions.push({ entry, version: stored.version });
    }
    for (const itemId of s.pending) {
      const clicks = this.pending.get(itemId);
      const bytes = clicks && clicks.length > 0 ? encodePending(clicks) : null;
      state.push({ key: pendingStateKey(space.key, itemId), value: bytes, partition: p });
      job.ops.push({ kind: 'pending', itemId, bytes });
    }
    const items: OutgoingMessage[] = [...s.items].map(([itemId, item]) => ({
      key: itemKey(space.key, itemId),
      value: encodeItem(item),
      partition: p,
    }));
    const batches: TopicBatch[] = [
      { topic: topics.state, messages: state },
      { topic: topics.items, messages: items },
      { topic: role.serving ? topics.profiles : topics.shadow, messages: profiles },
      { topic: topics.changelog, messages: changes },
      ...group(s.deadLetters),
      ...group(s.forwards),
    ].filter((b) => b.messages.length > 0);
    return { batches, job, published };
  }

  private kickSync(): void {
    this.syncing ??= this.drainSync().finally(() => {
      this.syncing = null;
      if (this.syncQueue.length > 0 && !this.closed) this.kickSync();
    });
  }

  /** Applies committed flushes to Redis in commit order; retries while Redis is down. */
  private async drainSync(): Promise<void> {
    while (this.syncQueue.length > 0 && !this.closed) {
      const job = this.syncQueue[0]!;
      try {
        await this.rebuilding;
        const stop = this.o.metrics.redisSeconds.startTimer({ operation: 'sync' });
        const result = await this.o.store.sync(this.o.partition, job.ops, job.checkpoint, true, this.redisSeen);
        stop();
        if (result === REDIS_LOST || result === REDIS_BEHIND) {
          await this.catchUpRedis(async () => undefined);
          continue;
        }
      } catch (err) {
        this.o.log.warn({ err, partition: this.o.partition }, 'Redis sync failed; retrying');
        await sleep(1_000);
        continue;
      }
      this.syncQueue.shift();
      if (job.checkpoint !== null) this.sawCheckpoint(job.checkpoint);
      for (const { entry, version } of job.versions) entry.syncedVersion = Math.max(entry.syncedVersion, version);
      this.evict();
    }
  }

  /** Leaves memory: clean users already in Redis, least recently used first, down to the budget. */
  private evict(): void {
    const budget = this.o.memoryBudgetBytes();
    if (this.usedBytes <= budget) return;
    for (const entry of this.users.values()) {
      if (this.usedBytes <= budget * 0.9) break;
      if (entry.dirty || entry.syncedVersion < (entry.stored?.version ?? 0)) continue;
      this.users.delete(entry.userId);
      this.usedBytes -= entry.bytes;
    }
    this.o.metrics.cacheBytes.set({ partition: String(this.o.partition) }, this.usedBytes);
  }

  /**
   * Over budget with nothing to evict: flush the least recently used dirty users (bounded flushes,
   * their publish intervals notwithstanding) and wait for Redis before taking more events.
   */
  private async relieveMemory(heartbeat: () => Promise<void>): Promise<void> {
    this.evict();
    const budget = this.o.memoryBudgetBytes();
    // Under a backlog every flush is full and the next follows at once. A flush that was not full,
    // or freed nothing (Redis or Kafka failing), waits a little: the events that come meanwhile
    // go out in fewer, larger transactions than one each.
    for (let paused = 0; this.usedBytes > budget && !this.closed && paused < 600;) {
      const before = this.usedBytes;
      const full = await this.flush('all');
      await this.syncing;
      this.evict();
      await heartbeat();
      if (full && this.usedBytes < before) continue;
      paused++;
      await sleep(100);
    }
  }

  /**
   * Makes the partition's Redis copy reflect its state topic: from the checkpoint when Redis is
   * behind, from the beginning when the checkpoint is missing.
   */
  private async bringRedisUpToDate(): Promise<void> {
    const checkpoint = await this.o.store.checkpoint(this.o.partition);
    if (checkpoint === null) return this.rebuild('missing', async () => undefined);
    this.sawCheckpoint(checkpoint);
    const admin = this.o.kafka.admin();
    await admin.connect();
    const high = await admin
      .fetchTopicOffsets(this.o.topics.state)
      .then((offsets) => BigInt(offsets.find((o) => o.partition === this.o.partition)?.high ?? '0'))
      .finally(() => admin.disconnect());
    // A committed flush ends with its transaction's marker, one past the checkpoint: only a gap of
    // two or more offsets can hold records Redis has not seen.
    if (high > checkpoint + 1n) await this.rebuild('behind', async () => undefined, checkpoint);
  }

  /**
   * Redis refused a read or write: its copy of the partition is gone, or older than one this task
   * saw (it came back from an AOF or a snapshot). Replays the state topic into it, from its
   * checkpoint when it has one.
   */
  private async catchUpRedis(heartbeat: () => Promise<void>): Promise<void> {
    const checkpoint = await this.o.store.checkpoint(this.o.partition);
    if (checkpoint === null) return this.rebuild('missing', heartbeat);
    return this.rebuild('behind', heartbeat, checkpoint);
  }

  /** Remembers the newest checkpoint Redis reached, so a Redis that goes back to an older copy is noticed. */
  private sawCheckpoint(checkpoint: bigint): void {
    if (this.redisSeen === null || checkpoint > this.redisSeen) this.redisSeen = checkpoint;
  }

  private rebuild(reason: 'missing' | 'behind', heartbeat: () => Promise<void>, from = 0n): Promise<void> {
    this.rebuilding ??= this.doRebuild(reason, heartbeat, from).finally(() => {
      this.rebuilding = null;
    });
    return this.rebuilding;
  }

  private async doRebuild(reason: 'missing' | 'behind', heartbeat: () => Promise<void>, from: bigint): Promise<void> {
    const started = Date.now();
    const common = {
      kafka: this.o.kafka,
      stateTopic: this.o.topics.state,
      partition: this.o.partition,
      store: this.o.store,
      space: this.o.space.key,
      deletionRetentionMs: this.o.deletionRetentionMs,
      heartbeat,
      readerGroupPrefix: readerGroupPrefix(this.o.groupId, 'rebuild'),
    };
    let report = await rebuildPartition({ ...common, from });
    if (report === REDIS_LOST) {
      // Lost while catching up: start over from the beginning.
      reason = 'missing';
      report = await rebuildPartition({ ...common, from: 0n });
      if (report === REDIS_LOST)
        throw new Error(`Redis lost partition ${this.o.partition} again while it was being rebuilt`);
    }
    this.sawCheckpoint(report.checkpoint);
    if (reason === 'missing' || report.records > 0) {
      this.o.metrics.rebuilds.inc({ reason });
      this.o.log.info(
        {
          partition: this.o.partition,
          reason,
          records: report.records,
          from: String(from),
          checkpoint: String(report.checkpoint),
          ms: Date.now() - started,
        },
        'Redis brought up to the state topic',
      );
    }
  }

  /**
   * Publishes every profile of the partition again, under `epoch`: a cut-over made this space the
   * one profiles.v1 carries, and each of its users must be there (with a version above the last
   * space's) before consumers can rely on it. Done once per epoch and partition (Redis remembers;
   * a Redis that lost it only makes it run again). Serialised with the folding of late clicks.
   */
  republishAll(epoch: number): Promise<void> {
    const run = this.folding.then(() => this.republishOnce(epoch));
    this.folding = run.catch((err: unknown) =>
      this.o.log.error({ err, partition: this.o.partition, epoch }, 'republishing the partition failed'),
    );
    return run;
  }

  private async republishOnce(epoch: number): Promise<void> {
    await this.readyPromise;
    if (this.closed || this.o.serving().epoch !== epoch || (await this.o.store.servedEpoch(this.o.partition)) >= epoch)
      return;
    // Kafka is the record: the state topic names every user of the partition in this space.
    const userIds = new Set<string>();
    await readPartition(
      this.o.kafka,
      this.o.topics.state,
      this.o.partition,
      0n,
      (m) => {
        const key = m.key ? parseStateKey(m.key.toString()) : null;
        if (key?.kind !== 'user' || key.space !== this.o.space.key) return;
        if (m.value === null) userIds.delete(key.userId);
        else userIds.add(key.userId);
      },
      { groupPrefix: readerGroupPrefix(this.o.groupId, 'republish') },
    );
    const ids = [...userIds];
    let republished = 0;
    for (let i = 0; i < ids.length && !this.closed; i += this.o.maxUsersPerFlush) {
      const part = ids.slice(i, i + this.o.maxUsersPerFlush);
      await this.load(
        part.filter((u) => !this.users.has(u)),
        async () => undefined,
      );
      const now = Date.now();
      for (const userId of part) {
        const entry = this.users.get(userId);
        if (entry?.stored?.kind !== 'profile') continue;
        this.markUrgent(entry);
        this.markDirty(entry, now, null, null, 0);
        republished++;
      }
      // Until this batch is out: live traffic may keep other users dirty all along.
      do await this.flush('all');
      while (!this.closed && part.some((u) => this.users.get(u)?.dirty));
    }
    if (this.closed) return;
    await this.syncing;
    await this.o.store.markServed(this.o.partition, epoch);
    this.o.metrics.cutoverRepublished.inc(republished);
    this.o.log.info(
      { partition: this.o.partition, epoch, users: republished },
      'partition republished for the cut-over',
    );
  }

  /** Writes everything changed (on shutdown, while still owning the partition). */
  async flushAll(): Promise<void> {
    if (this.closed) return;
    await this.folding;
    do await this.flush('all');
    while (this.dirtyUsers > 0 && !this.closed);
    await this.syncing;
  }

  /** Stops without writing: the partition's next owner replays from the committed offsets. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.o.metrics.pendingClicks.dec(this.pendingCount);
    this.o.metrics.cacheBytes.remove({ partition: String(this.o.partition) });
    this.users.clear();
    this.dirtyUsers = 0;
    this.urgent.clear();
    this.due.clear();
    void this.producer.disconnect().catch(() => undefined);
  }

  /** Shuts the producer after a final flush. */
  async stop(): Promise<void> {
    await this.flushAll().catch((err: unknown) =>
      this.o.log.error({ err, partition: this.o.partition }, 'final flush failed'),
    );
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.o.metrics.pendingClicks.dec(this.pendingCount);
    await this.producer.disconnect().catch(() => undefined);
  }
}

/**
 * Arrival times of the events a user's next publish will carry: each event's latency is observed
 * when the first profile holding it is published (not only the newest event's, which would hide
 * how long the older ones waited). Bounded: past MAX_TRACKED_ARRIVALS (a user's backlog), further
 * events are counted and observed with the newest arrival, which understates only their wait.
 */
interface Arrivals {
  times: number[];
  untracked: number;
  newest: number;
}

const MAX_TRACKED_ARRIVALS = 1024;

function noArrivals(): Arrivals {
  return { times: [], untracked: 0, newest: 0 };
}

function addArrival(a: Arrivals, at: number): void {
  if (a.times.length < MAX_TRACKED_ARRIVALS) a.times.push(at);
  else a.untracked++;
  if (at > a.newest) a.newest = at;
}

/** A failed flush's arrivals back in front of those that came since. */
function mergeArrivals(older: Arrivals, newer: Arrivals): Arrivals {
  const merged = noArrivals();
  for (const at of older.times) addArrival(merged, at);
  for (const at of newer.times) addArrival(merged, at);
  merged.untracked += older.untracked + newer.untracked;
  merged.newest = Math.max(merged.newest, older.newest, newer.newest);
  return merged;
}

function observeArrivals(a: Arrivals, publishedAt: number, histogram: { observe(value: number): void }): void {
  for (const at of a.times) histogram.observe(Math.max(0, publishedAt - at) / 1000);
  for (let i = 0; i < a.untracked; i++) histogram.observe(Math.max(0, publishedAt - a.newest) / 1000);
}

function group(batches: OutgoingBatch[]): TopicBatch[] {
  const out = new Map<string, OutgoingMessage[]>();
  for (const b of batches) out.set(b.topic, [...(out.get(b.topic) ?? []), b.message]);
  return [...out].map(([topic, messages]) => ({ topic, messages }));
}
