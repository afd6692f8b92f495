import { FollowedTable, type ConsumedMessage, type Kafka, type LogSink } from '@profilestream/kafka';
import { decodeItem, parseItemKey, type ItemVector } from '@profilestream/fusion';

/**
 * Every item's description vector in one vector space, in memory, followed from the compacted
 * items topic (each instance reads all of it, as Kafka Streams' global tables do: a click on any
 * item can reach any partition). The owner of the item's partition writes the record inside its
 * transaction; every instance sees it once committed and folds the clicks that were waiting for it.
 * Memory: about 4 × dim bytes per item plus its categories.
 */
export class ItemTable extends FollowedTable {
  private readonly items = new Map<string, ItemVector>();
  private readonly listeners: ((itemId: string) => void)[] = [];

  constructor(
    kafka: Kafka,
    topic: string,
    private readonly space: string,
    private readonly log: LogSink,
    /** The follower's group name starts with this (the fuser's group, which its ACL allows). */
    groupPrefix: string,
  ) {
    super(kafka, topic, groupPrefix);
  }

  get size(): number {
    return this.items.size;
  }

  get(itemId: string): ItemVector | undefined {
    return this.items.get(itemId);
  }

  /** Called with each item id whose vector arrived or changed. */
  onArrival(listener: (itemId: string) => void): void {
    this.listeners.push(listener);
  }

  protected apply(messages: ConsumedMessage[]): void {
    for (const m of messages) {
      const key = m.key ? parseItemKey(m.key.toString()) : null;
      if (!key || key.space !== this.space) continue;
      if (m.value === null) {
        this.items.delete(key.itemId);
        continue;
      }
      let item: ItemVector;
      try {
        item = decodeItem(m.value);
      } catch (err) {
        this.log.error({ err, itemId: key.itemId, offset: m.offset }, 'unreadable item record skipped');
        continue;
      }
      const known = this.items.get(key.itemId);
      if (known && known.occurredAt > item.occurredAt) continue;
      this.items.set(key.itemId, item);
      for (const l of this.listeners) l(key.itemId);
    }
  }
}
