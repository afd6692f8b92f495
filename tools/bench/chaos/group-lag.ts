/**
 * When is a run finished? When every consumer group of the deployment has consumed everything on
 * every topic it reads (see prefixLag), and nothing has been written for a while.
 */
import type { Admin } from '@profilestream/kafka';
import { endOffsetsFingerprint, prefixLag, type LagReport, type PartitionLag } from '@profilestream/tools-runtime';
import { sleep } from './abortable';

export {
  partitionLag,
  prefixLag,
  subscribedTopics,
  type LagReport,
  type PartitionLag,
} from '@profilestream/tools-runtime';

function lagReason(lag: LagReport): string {
  return `lag ${lag.total}: ${Object.entries(lag.byGroup)
    .filter(([, n]) => n > 0)
    .map(([g, n]) => `${g} ${n}`)
    .join(', ')}`;
}

export interface QuietOptions {
  admin: Admin;
  prefix: string;
  /** Groups that must exist before the run can count as drained (the services' own, by contract). */
  expectedGroups: readonly string[];
  /** Whether every service is up and ready. */
  ready: () => Promise<boolean>;
  /** How long end offsets must stay unchanged: longer than the fuser's publish interval. */
  quietMs: number;
  pollMs?: number;
  /** Epoch ms: give up then (drained: false). */
  deadline: number;
  signal?: AbortSignal;
  /**
   * Records a read-committed consumer would still receive from a lagging partition (null: unknown).
   * When given, a quiet run whose remaining lag holds none (transaction markers only) is drained.
   */
  visibleLag?: (p: PartitionLag) => Promise<number | null>;
  onPoll?: (state: { lag: LagReport | null; ready: boolean; quietForMs: number; error: string | null }) => void;
}

export interface QuietResult {
  drained: boolean;
  /** When a topic under the prefix was last written (epoch ms): when the run really finished; null when not drained. */
  drainedAt: number | null;
  lag: LagReport | null;
  /** Why it is not drained (the last poll's view). */
  reason: string | null;
  /** Lagging partitions whose remaining records are all transaction markers (or aborted), when drained. */
  markerOnlyPartitions: number;
}

/** How often the remaining lag of a quiet run is read through (it costs a consumer per partition). */
const VISIBLE_LAG_CHECK_MS = 5000;
/** Beyond this many lagging partitions the run is plainly not drained: no read-through. */
const VISIBLE_LAG_MAX_PARTITIONS = 100;

/**
 * Polls until every group under the prefix has zero lag, the expected groups exist, every service
 * is ready, and no topic under the prefix has been written to for `quietMs`; or until the deadline.
 * A poll that fails (the broker is restarting) just counts as not quiet.
 */
export async function waitQuiet(o: QuietOptions): Promise<QuietResult> {
  let fingerprint = '';
  let changedAt = Date.now();
  let lag: LagReport | null = null;
  let reason = 'not polled yet';
  let checkedVisibleAt = 0;
  let visibleNote = '';
  for (;;) {
    if (o.signal?.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : new Error('aborted');
    const now = Date.now();
    let error: string | null = null;
    let ready = false;
    try {
      lag = await prefixLag(o.admin, o.prefix);
      const next = await endOffsetsFingerprint(o.admin, o.prefix);
      if (next !== fingerprint) {
        fingerprint = next;
        changedAt = now;
      }
      ready = await o.ready();
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      changedAt = now;
    }
    const quietFor = now - changedAt;
    o.onPoll?.({ lag, ready, quietForMs: quietFor, error });
    const missing = o.expectedGroups.filter((g) => !lag?.groups.includes(g));
    if (error) reason = `polling failed: ${error}`;
    else if (!ready) reason = 'a service is not ready';
    else if (missing.length > 0) reason = `no consumer group ${missing.join(', ')} yet`;
    else if (quietFor < o.quietMs) {
      visibleNote = '';
      reason = (lag?.total ?? 1) > 0 ? lagReason(lag!) : 'topics still being written';
    } else if ((lag?.total ?? 1) === 0)
      return { drained: true, drainedAt: changedAt, lag, reason: null, markerOnlyPartitions: 0 };
    else {
      if (
        o.visibleLag &&
        lag!.lagging.length <= VISIBLE_LAG_MAX_PARTITIONS &&
        now - checkedVisibleAt >= VISIBLE_LAG_CHECK_MS
      ) {
        checkedVisibleAt = now;
        const visible = await Promise.all(lag!.lagging.map((p) => o.visibleLag!(p)));
        if (visible.every((n) => n === 0))
          return { drained: true, drainedAt: changedAt, lag, reason: null, markerOnlyPartitions: lag!.lagging.length };
        visibleNote = ` (${visible.filter((n) => n !== 0).length} of ${visible.length} lagging partitions hold records still to consume)`;
      }
      reason = lagReason(lag!) + visibleNote;
    }
    if (now > o.deadline) return { drained: false, drainedAt: null, lag, reason, markerOnlyPartitions: 0 };
    await sleep(o.pollMs ?? 500, o.signal);
  }
}
