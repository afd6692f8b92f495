import type { Kafka } from 'kafkajs';
import { partitionForKey, type ProfileChange, type ScoredLabel, type ValueSerde } from '@profilestream/contracts';
import { readPartition } from '@profilestream/kafka';

/** One publish of a user's profile, as the explorer plots it. */
export interface HistoryPoint {
  publishedAt: number;
  /** Newest event folded in. */
  eventTime: number;
  version: number;
  kind: ProfileChange['kind'];
  eventCount: number | null;
  interests: ScoredLabel[];
  categoryAffinities: ScoredLabel[];
  /** Decayed evidence per horizon and channel at publish time. */
  weights: Record<string, number>;
}

/**
 * A user's profile over time, read back from profiles.changelog.v1: only the partition that holds
 * the user's records, from the offset of `since` on, so a request reads one partition's recent
 * past, not the topic.
 */
export class ProfileHistory {
  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly serde: ValueSerde<'ProfileChange'>,
    private readonly groupPrefix: string,
  ) {}

  async read(userId: string, since: number, limit: number): Promise<HistoryPoint[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    let partition: number;
    let from: bigint;
    try {
      const ends = await admin.fetchTopicOffsets(this.topic);
      partition = partitionForKey(userId, ends.length);
      const start = (await admin.fetchTopicOffsetsByTimestamp(this.topic, since)).find(
        (o) => o.partition === partition,
      );
      // kafkajs gives the end offset when nothing was published since: then nothing is read.
      from = BigInt(start?.offset ?? '0');
    } finally {
      await admin.disconnect();
    }
    const points: HistoryPoint[] = [];
    await readPartition(
      this.kafka,
      this.topic,
      partition,
      from,
      async (m) => {
        if (m.key?.toString() !== userId || !m.value) return;
        const change = await this.serde.decode(m.value);
        // An erasure ends the history before it: nothing published earlier is shown again.
        if (change.kind === 'delete') {
          points.length = 0;
          return;
        }
        const p = change.profile;
        const weights: Record<string, number> = {};
        for (const h of p?.horizons ?? []) weights[`horizon:${h.name}`] = h.weight;
        for (const c of p?.channels ?? []) weights[`channel:${c.name}`] = c.weight;
        points.push({
          publishedAt: change.publishedAt,
          eventTime: change.eventTime,
          version: change.version,
          kind: 'update',
          eventCount: p?.eventCount ?? null,
          interests: p?.interests ?? [],
          categoryAffinities: (p?.categoryAffinities ?? []).slice(0, 8),
          weights,
        });
        if (points.length > limit) points.shift();
      },
      { groupPrefix: this.groupPrefix, stallMs: 30_000 },
    );
    return points;
  }
}
