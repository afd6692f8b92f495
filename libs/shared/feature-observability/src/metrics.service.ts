import { Inject, Injectable } from '@nestjs/common';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { OBSERVABILITY_OPTIONS, type ObservabilityOptions } from './observability.options';

/** Owns the service's own prom-client registry (never the global one, so tests can build many). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor(@Inject(OBSERVABILITY_OPTIONS) readonly options: ObservabilityOptions) {
    collectDefaultMetrics({ register: this.registry, prefix: `${options.metricsPrefix}_` });
  }

  /** Prefix of this service's metric names, e.g. `encoder`. */
  get prefix(): string {
    return this.options.metricsPrefix;
  }
}
