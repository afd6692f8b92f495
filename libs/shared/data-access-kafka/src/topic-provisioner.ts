import type { Admin } from 'kafkajs';
import { topicConfigEntries, type TopicSpec } from '@profilestream/contracts';

export interface ProvisionOptions {
  replicationFactor: number;
  /** Overrides every spec's partition count (local runs and tests use fewer). */
  partitions?: number;
  /** How long created topics may take to get leaders (default 30 s). */
  leaderTimeoutMs?: number;
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
export async function provisionTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  options: ProvisionOptions,
): Promise<ProvisionResult> {
  const present = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !present.has(s.name));
  if (missing.length > 0) {
    // kafkajs's own wait for leaders gives up on the first UNKNOWN_TOPIC_OR_PARTITION, which a
    // broker answers until its metadata has caught up with the new topics (more so under load).
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((spec) => ({
        topic: spec.name,
        numPartitions: options.partitions ?? spec.partitions,
        replicationFactor: options.replicationFactor,
        configEntries: topicConfigEntries(spec),
      })),
    });
  }
  // Also those another service created a moment ago: on a fresh broker services start together.
  await waitForLeaders(
    admin,
    specs.map((s) => s.name),
    options.leaderTimeoutMs ?? 30_000,
  );
  return {
    created: missing.map((s) => s.name),
    existing: specs.filter((s) => present.has(s.name)).map((s) => s.name),
  };
}

/** Polls the topics' metadata until every partition has a leader, or fails after `timeoutMs` naming why. */
export async function waitForLeaders(admin: Admin, topics: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let why = 'no metadata yet';
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: [...topics] });
      const waiting = meta
        .filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0))
        .map((t) => t.name);
      if (waiting.length === 0 && meta.length === topics.length) return;
      why = `no leader yet for ${waiting.join(', ') || 'some topics'}`;
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) throw new Error(`created topics have no leaders after ${timeoutMs} ms: ${why}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
