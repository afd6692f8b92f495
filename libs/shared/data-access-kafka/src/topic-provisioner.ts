import type { Admin } from 'kafkajs';
import { topicConfigEntries, type TopicSpec } from '@profilestream/contracts';

export interface ProvisionOptions {
  replicationFactor: number;
  /** Overrides every spec's partition count (local runs and tests use fewer). */
  partitions?: number;
}

export interface ProvisionResult {
  created: string[];
  existing: string[];
}

/**
 * Creates the topics that do not exist yet, with the contract's settings. Idempotent: existing
 * topics are left as they are (their settings are an operator's to change), and a concurrent
 * creation by another instance is not an error.
 */
export async function provisionTopics(admin: Admin, specs: readonly TopicSpec[], options: ProvisionOptions): Promise<ProvisionResult> {
  const present = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !present.has(s.name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({
        topic: spec.name,
        numPartitions: options.partitions ?? spec.partitions,
        replicationFactor: options.replicationFactor,
        configEntries: topicConfigEntries(spec),
      })),
    });
  }
  return {
    created: missing.map((s) => s.name),
    existing: specs.filter((s) => present.has(s.name)).map((s) => s.name),
  };
}
