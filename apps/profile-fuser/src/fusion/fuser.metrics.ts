import { Counter, Histogram, type Registry } from 'prom-client';

/** What profile-fuser did with events, beyond the generic consumer outcome counts. */
export class FuserMetrics {
  readonly applied: Counter<'kind'>;
  readonly skipped: Counter<'reason'>;
  readonly casRetries: Counter<never>;
  readonly publishes: Counter<'kind'>;
  readonly redisSeconds: Histogram<'operation'>;
  readonly eventToProfileSeconds: Histogram<never>;
  readonly clicksWithoutVector: Counter<never>;
  readonly sentimentScored: Counter<'label'>;
  readonly sentimentUnscored: Counter<'reason'>;

  constructor(registry: Registry, prefix: string) {
    const registers = [registry];
    this.applied = new Counter({ name: `${prefix}_events_applied_total`, help: 'Events folded into profiles, by kind (text, click, item, deletion).', labelNames: ['kind'], registers });
    this.skipped = new Counter({
      name: `${prefix}_events_skipped_total`,
      help: 'Events deliberately not applied: duplicate (already applied), deleted_user, other_model, no_user.',
      labelNames: ['reason'],
      registers,
    });
    this.casRetries = new Counter({ name: `${prefix}_cas_retries_total`, help: 'Compare-and-set conflicts retried (another instance wrote the same user).', registers });
    this.publishes = new Counter({ name: `${prefix}_profiles_published_total`, help: 'Profiles published, by kind (update, delete).', labelNames: ['kind'], registers });
    this.redisSeconds = new Histogram({
      name: `${prefix}_redis_seconds`,
      help: 'Time spent in Redis per chunk, by operation.',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.eventToProfileSeconds = new Histogram({
      name: `${prefix}_event_to_profile_seconds`,
      help: 'Publish time minus the arrival of the newest event folded into it at the first service.',
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 300],
      registers,
    });
    this.sentimentScored = new Counter({ name: `${prefix}_sentiment_scored_total`, help: 'Posts scored by the sentiment classifier, by label (positive, negative).', labelNames: ['label'], registers });
    this.sentimentUnscored = new Counter({
      name: `${prefix}_sentiment_unscored_total`,
      help: 'Posts applied without a sentiment score because the classifier was trained on other embeddings: model_mismatch, projection_mismatch, dimension_mismatch.',
      labelNames: ['reason'],
      registers,
    });
    this.clicksWithoutVector = new Counter({ name: `${prefix}_clicks_without_item_vector_total`, help: 'Clicks on items with no vector yet: counters updated, vectors not.', registers });
  }
}
