import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What profile-fuser did with events, beyond the generic consumer outcome counts. */
export class FuserMetrics {
  readonly applied: Counter<'kind'>;
  readonly skipped: Counter<'reason'>;
  readonly forwarded: Counter<'topic'>;
  readonly publishes: Counter<'kind'>;
  readonly redisSeconds: Histogram<'operation'>;
  readonly eventToProfileSeconds: Histogram<never>;
  readonly clicksWithoutVector: Counter<'outcome'>;
  readonly pendingClicks: Gauge<never>;
  readonly sentimentScored: Counter<'label'>;
  readonly sentimentUnscored: Counter<'reason'>;
  readonly flushSeconds: Histogram<never>;
  readonly flushUsers: Histogram<never>;
  readonly stateLoads: Counter<'result'>;
  readonly cacheBytes: Gauge<'partition'>;
  readonly rebuilds: Counter<'reason'>;
  readonly ownedPartitions: Gauge<never>;
  readonly attributeChanges: Counter<'outcome'>;
  readonly attributesRedacted: Counter<never>;
  readonly serving: Gauge<'space'>;
  readonly servingEpoch: Gauge<never>;
  readonly cutoverRepublished: Counter<never>;

  constructor(registry: Registry, prefix: string) {
    const registers = [registry];
    this.applied = new Counter({
      name: `${prefix}_events_applied_total`,
      help: 'Events folded into profiles, by kind (text, click, item, attributes, deletion).',
      labelNames: ['kind'],
      registers,
    });
    this.attributeChanges = new Counter({
      name: `${prefix}_attribute_changes_total`,
      help: 'Attribute changes of applied users.v1 records: applied, stale (older than the value kept: a late update lost) or over_limit (a new custom name beyond FUSER_MAX_CUSTOM_ATTRIBUTES, dropped).',
      labelNames: ['outcome'],
      registers,
    });
    this.attributesRedacted = new Counter({
      name: `${prefix}_attribute_values_redacted_total`,
      help: 'Custom attribute values in which personal data (an email, a phone number, an id) was redacted.',
      registers,
    });
    this.skipped = new Counter({
      name: `${prefix}_events_skipped_total`,
      help: "Events deliberately not applied: duplicate (already applied), repeated_text (the user's same text within FUSER_TEXT_DEDUP_WINDOW_MS), deleted_user, other_model, tombstone (a null users.v1 record: it only compacts the topic).",
      labelNames: ['reason'],
      registers,
    });
    this.forwarded = new Counter({
      name: `${prefix}_events_forwarded_total`,
      help: 'Records that arrived on a partition other than the one owning their user (or item) and were forwarded there.',
      labelNames: ['topic'],
      registers,
    });
    this.publishes = new Counter({
      name: `${prefix}_profiles_published_total`,
      help: 'Profiles published, by kind (update, delete).',
      labelNames: ['kind'],
      registers,
    });
    this.redisSeconds = new Histogram({
      name: `${prefix}_redis_seconds`,
      help: 'Time spent in Redis per call, by operation (load, sync).',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.eventToProfileSeconds = new Histogram({
      name: `${prefix}_event_to_profile_seconds`,
      help: 'Per event: publish time of the first profile holding it minus its arrival at the first service.',
      buckets: [
        0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120,
        300,
      ],
      registers,
    });
    this.sentimentScored = new Counter({
      name: `${prefix}_sentiment_scored_total`,
      help: 'Posts scored by the sentiment classifier, by label (positive, negative).',
      labelNames: ['label'],
      registers,
    });
    this.sentimentUnscored = new Counter({
      name: `${prefix}_sentiment_unscored_total`,
      help: 'Posts applied without a sentiment score because the classifier was trained on other embeddings: model_mismatch, projection_mismatch, dimension_mismatch.',
      labelNames: ['reason'],
      registers,
    });
    this.clicksWithoutVector = new Counter({
      name: `${prefix}_clicks_without_item_vector_total`,
      help: 'Clicks on items with no vector yet (counters applied at once), by what became of their vector: pending (waiting), folded (the item arrived), expired (waited longer than FUSER_PENDING_CLICK_TTL_MS), overflow (over the pending bounds).',
      labelNames: ['outcome'],
      registers,
    });
    this.pendingClicks = new Gauge({
      name: `${prefix}_pending_clicks`,
      help: "Clicks waiting for their item's vector.",
      registers,
    });
    this.flushSeconds = new Histogram({
      name: `${prefix}_flush_seconds`,
      help: 'Time of one flush: the transaction writing states, profiles and offsets.',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.flushUsers = new Histogram({
      name: `${prefix}_flush_users`,
      help: 'Users written by one flush.',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
      registers,
    });
    this.stateLoads = new Counter({
      name: `${prefix}_state_loads_total`,
      help: 'Users read from Redis into memory, by result (redis: found, absent: a new user).',
      labelNames: ['result'],
      registers,
    });
    this.cacheBytes = new Gauge({
      name: `${prefix}_state_cache_bytes`,
      help: 'Estimated bytes of user state held in memory, per owned partition.',
      labelNames: ['partition'],
      registers,
    });
    this.rebuilds = new Counter({
      name: `${prefix}_redis_rebuilds_total`,
      help: 'Partitions whose Redis copy was rebuilt from the state topic: missing (Redis lost its data) or behind (caught up on assignment).',
      labelNames: ['reason'],
      registers,
    });
    this.ownedPartitions = new Gauge({
      name: `${prefix}_owned_partitions`,
      help: 'Input partitions this instance owns.',
      registers,
    });
    this.serving = new Gauge({
      name: `${prefix}_serving`,
      help: "1 when this deployment's vector space is the one published on profiles.v1, 0 while it publishes on profiles.shadow.v1 (a model migration).",
      labelNames: ['space'],
      registers,
    });
    this.servingEpoch = new Gauge({
      name: `${prefix}_serving_epoch`,
      help: 'The cut-over epoch this deployment follows (0 before any cut-over); published versions are lifted by epoch × 2^32.',
      registers,
    });
    this.cutoverRepublished = new Counter({
      name: `${prefix}_cutover_republished_users_total`,
      help: "Profiles published again because a cut-over made this deployment's space the served one.",
      registers,
    });
    // Series that exist from the start, so rules and dashboards see zeros rather than nothing.
    for (const outcome of ['pending', 'folded', 'expired', 'overflow']) this.clicksWithoutVector.inc({ outcome }, 0);
    for (const reason of ['missing', 'behind']) this.rebuilds.inc({ reason }, 0);
  }
}
