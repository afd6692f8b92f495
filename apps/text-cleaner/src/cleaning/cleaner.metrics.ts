import { Counter, Histogram, type Registry } from 'prom-client';

/** What text-cleaner did with texts, beyond the generic consumer outcome counts. */
export class CleanerMetrics {
  readonly cleaned: Counter<'source' | 'lang'>;
  readonly dropped: Counter<'source' | 'reason'>;
  readonly redactions: Counter<'type'>;
  readonly truncated: Counter<'source'>;
  readonly deadLettered: Counter<'source' | 'reason'>;
  readonly cleaningSeconds: Histogram<'source'>;
  readonly erasures: Counter;

  constructor(registry: Registry, prefix: string) {
    const registers = [registry];
    this.cleaned = new Counter({
      name: `${prefix}_texts_cleaned_total`,
      help: 'Texts emitted for encoding, by source and detected language.',
      labelNames: ['source', 'lang'],
      registers,
    });
    this.dropped = new Counter({
      name: `${prefix}_texts_dropped_total`,
      help: 'Texts deliberately not emitted, by reason.',
      labelNames: ['source', 'reason'],
      registers,
    });
    this.redactions = new Counter({
      name: `${prefix}_redactions_total`,
      help: 'Personal data replaced by placeholders, by type.',
      labelNames: ['type'],
      registers,
    });
    this.truncated = new Counter({
      name: `${prefix}_texts_truncated_total`,
      help: 'Texts cut to the maximum length.',
      labelNames: ['source'],
      registers,
    });
    this.deadLettered = new Counter({
      name: `${prefix}_texts_dead_lettered_total`,
      help: 'Input events dead-lettered, by source and reason.',
      labelNames: ['source', 'reason'],
      registers,
    });
    this.erasures = new Counter({
      name: `${prefix}_erasures_total`,
      help: "Erasure requests applied: the user's remembered texts (duplicate window) deleted.",
      registers,
    });
    this.cleaningSeconds = new Histogram({
      name: `${prefix}_processing_seconds`,
      help: 'Time to clean one text (normalise, strip markup, redact, detect language, hash).',
      labelNames: ['source'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
      registers,
    });
  }
}
