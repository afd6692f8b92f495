import type { ValueSerde } from '@profilestream/contracts';
import { readTopicToEnd, type Kafka } from '@profilestream/kafka';
import { vectorSpace, type ProfileStore } from '../fusion/profile.store';

export interface RestoreReport {
  restored: number;
  erased: number;
  withoutState: number;
  recordsRead: number;
}

/**
 * Rebuilds profiles in Redis from the compacted profiles topic: the latest record per user carries
 * the fuser's exact state (vectors, counters, applied offsets), so the restored profile continues
 * exactly where it was; a tombstone means the user was erased and nothing is written.
 */
export async function restoreProfiles(kafka: Kafka, topic: string, serde: ValueSerde<'UserProfile'>, store: ProfileStore): Promise<RestoreReport> {
  const latest = new Map<string, Buffer | null>();
  const recordsRead = await readTopicToEnd(kafka, topic, (m) => {
    if (m.key) latest.set(m.key.toString(), m.value);
  });
  const report: RestoreReport = { restored: 0, erased: 0, withoutState: 0, recordsRead };
  for (const [userId, value] of latest) {
    if (value === null) {
      report.erased++;
      continue;
    }
    const profile = await serde.decode(value);
    if (!profile.state) {
      report.withoutState++;
      continue;
    }
    await store.restore(userId, vectorSpace(profile.modelId, profile.projectionId), profile.version, profile.state);
    report.restored++;
  }
  return report;
}
