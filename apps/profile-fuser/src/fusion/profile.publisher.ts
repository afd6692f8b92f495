import type { ProfileChange, TopicCatalog, UserProfile, ValueSerde } from '@profilestream/contracts';
import type { BatchingProducer } from '@profilestream/kafka';

export interface PublishedState {
  profile: UserProfile;
  /** Latest event time folded into it (for the changelog's point-in-time joins). */
  eventTime: number;
  /** When its newest event entered the pipeline: the start of event-to-profile latency. */
  ingestedAt: number;
}

export interface PublisherOptions {
  topics: TopicCatalog;
  serdes: { profile: ValueSerde<'UserProfile'>; change: ValueSerde<'ProfileChange'> };
  producer: BatchingProducer;
  intervalMs: number;
  onPublished?: (p: PublishedState, publishedAt: number) => void;
}

/**
 * Publishes profiles onto profiles.v1 (compacted, keyed by user) and profiles.changelog.v1, at
 * most once per user per interval, always with the newest state: an update inside the interval
 * replaces the pending one and goes out when the interval ends.
 */
export class ProfilePublisher {
  private readonly lastPublishedAt = new Map<string, number>();
  private readonly pending = new Map<string, PublishedState>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: PublisherOptions) {}

  /** Publishes now if the user's interval has passed (awaited), else schedules the newest state. */
  async offer(states: readonly PublishedState[], now = Date.now()): Promise<void> {
    if (this.lastPublishedAt.size > 50_000) this.forgetOlderThan(now - this.options.intervalMs);
    const due: PublishedState[] = [];
    for (const s of states) {
      const last = this.lastPublishedAt.get(s.profile.userId) ?? -Infinity;
      if (now - last >= this.options.intervalMs) {
        this.pending.delete(s.profile.userId);
        due.push(s);
      } else this.pending.set(s.profile.userId, s);
    }
    if (due.length > 0) await this.publish(due, now);
    this.schedule();
  }

  /** A tombstone on profiles.v1 and a delete record on the changelog; cancels a pending publish. */
  async publishDeletion(userId: string, requestedAt: number): Promise<void> {
    this.pending.delete(userId);
    const now = Date.now();
    const change: ProfileChange = { userId, kind: 'delete', version: 0, eventTime: requestedAt, publishedAt: now, profile: null };
    await Promise.all([
      this.options.producer.send(this.options.topics.profiles.name, [{ key: userId, value: null }]),
      this.options.producer.send(this.options.topics.profilesChangelog.name, [{ key: userId, value: this.options.serdes.change.encode(change) }]),
    ]);
    this.lastPublishedAt.set(userId, now);
  }

  /** Sends everything pending (on shutdown), whatever the interval. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const all = [...this.pending.values()];
    this.pending.clear();
    if (all.length > 0) await this.publish(all, Date.now());
  }

  /** Publish times older than one interval no longer matter; dropping them bounds memory. */
  private forgetOlderThan(cutoff: number): void {
    for (const [user, at] of this.lastPublishedAt) if (at < cutoff) this.lastPublishedAt.delete(user);
  }

  private schedule(): void {
    if (this.timer || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = Date.now();
      const due = [...this.pending.values()].filter((s) => now - (this.lastPublishedAt.get(s.profile.userId) ?? -Infinity) >= this.options.intervalMs);
      for (const s of due) this.pending.delete(s.profile.userId);
      void this.publish(due, now)
        .catch(() => {
          // Put them back: the next offer or flush retries with the newest state.
          for (const s of due) if (!this.pending.has(s.profile.userId)) this.pending.set(s.profile.userId, s);
        })
        .finally(() => this.schedule());
    }, Math.max(10, this.options.intervalMs / 4));
    this.timer.unref();
  }

  private async publish(states: readonly PublishedState[], now: number): Promise<void> {
    if (states.length === 0) return;
    const { topics, serdes, producer } = this.options;
    await Promise.all([
      producer.send(
        topics.profiles.name,
        states.map((s) => ({ key: s.profile.userId, value: serdes.profile.encode(s.profile) })),
      ),
      producer.send(
        topics.profilesChangelog.name,
        states.map((s) => {
          // Without the exact state: profiles.v1 already carries it (restore reads that), and it is
          // most of a record's bytes; training joins want the published view, not the fuser's sums.
          const profile = { ...s.profile, state: null };
          const change: ProfileChange = { userId: s.profile.userId, kind: 'update', version: s.profile.version, eventTime: s.eventTime, publishedAt: now, profile };
          return { key: s.profile.userId, value: serdes.change.encode(change) };
        }),
      ),
    ]);
    for (const s of states) {
      this.lastPublishedAt.set(s.profile.userId, now);
      this.options.onPublished?.(s, now);
    }
  }
}
