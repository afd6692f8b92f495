import type { ValueSerde } from '@profilestream/contracts';
import { FollowedTable, type ConsumedMessage, type Kafka, type LogSink } from '@profilestream/kafka';

/**
 * The erasure requests of user-deletions.v1, followed from its beginning (every instance reads all
 * of it: it outlives the text archive by a day). A text of an erased user written before the
 * erasure is never embedded again: a model migration re-reading the archive (texts.cleaned.v1)
 * skips it, and so does a late text in live traffic. Memory: one entry per erased user.
 */
export class ErasureMarks extends FollowedTable {
  private readonly erasedAt = new Map<string, number>();

  constructor(
    kafka: Kafka,
    topic: string,
    private readonly serde: ValueSerde<'UserDeletion'>,
    private readonly log: LogSink,
    /** The follower's group name starts with this (the encoder's group, which its ACL allows). */
    groupPrefix: string,
  ) {
    super(kafka, topic, groupPrefix);
  }

  get size(): number {
    return this.erasedAt.size;
  }

  /** Whether the user asked to be erased at or after `occurredAt`. */
  erases(userId: string | null, occurredAt: number): boolean {
    if (userId === null) return false;
    const at = this.erasedAt.get(userId);
    return at !== undefined && occurredAt <= at;
  }

  protected async apply(messages: ConsumedMessage[]): Promise<void> {
    for (const m of messages) {
      if (m.value === null) continue;
      try {
        const { userId, requestedAt } = await this.serde.decode(m.value);
        this.erasedAt.set(userId, Math.max(requestedAt, this.erasedAt.get(userId) ?? -Infinity));
      } catch (err) {
        // text-cleaner and profile-fuser dead-letter it; here it only cannot mark anyone.
        this.log.warn({ err, offset: m.offset, partition: m.partition }, 'unreadable erasure request skipped');
      }
    }
  }
}
