import { Inject, Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MetricsService } from './metrics.service';
import { OBSERVABILITY_OPTIONS, type ObservabilityOptions } from './observability.options';

/** A check passes by resolving (optionally with details) and fails by rejecting. */
export type HealthCheck = () => Promise<Record<string, unknown> | void>;

export interface CheckReport {
  status: 'up' | 'down';
  durationMs: number;
  error?: string;
  details?: Record<string, unknown>;
}

export interface HealthReport {
  status: 'ok' | 'error';
  checks: Record<string, CheckReport>;
}

/**
 * Holds the service's health checks. Readiness checks are per dependency (Kafka, Redis, the model)
 * and gate traffic; liveness checks say whether the process should be restarted (a crashed or
 * stalled consume loop), and stay green through dependency outages and rebalances.
 */
@Injectable()
export class HealthRegistry {
  private readonly readiness = new Map<string, HealthCheck>();
  private readonly liveness = new Map<string, HealthCheck>();
  /** Readiness checks of the service's own start (its consumers), not of a dependency. */
  private readonly startup = new Set<string>();
  private readonly upGauge: Gauge<'check'>;

  constructor(
    @Inject(OBSERVABILITY_OPTIONS) private readonly options: ObservabilityOptions,
    metrics: MetricsService,
  ) {
    this.upGauge = new Gauge({
      name: `${options.metricsPrefix}_health_check_up`,
      help: 'Whether each readiness check passed at its last run (1) or not (0).',
      labelNames: ['check'],
      registers: [metrics.registry],
    });
  }

  addReadinessCheck(name: string, check: HealthCheck): void {
    this.readiness.set(name, check);
  }

  /**
   * A readiness check of the service's own start (a consumer that has not joined yet): part of
   * readiness, but not of `dependenciesReady`, which is what a start waits for.
   */
  addStartupCheck(name: string, check: HealthCheck): void {
    this.readiness.set(name, check);
    this.startup.add(name);
  }

  addLivenessCheck(name: string, check: HealthCheck): void {
    this.liveness.set(name, check);
  }

  async ready(): Promise<HealthReport> {
    const report = await this.run(this.readiness);
    for (const [name, r] of Object.entries(report.checks)) this.upGauge.set({ check: name }, r.status === 'up' ? 1 : 0);
    return report;
  }

  /** Readiness of the dependencies alone (Kafka, Redis, the model): when a consumer may start. */
  dependenciesReady(): Promise<HealthReport> {
    return this.run(new Map([...this.readiness].filter(([name]) => !this.startup.has(name))));
  }

  live(): Promise<HealthReport> {
    return this.run(this.liveness);
  }

  private async run(checks: Map<string, HealthCheck>): Promise<HealthReport> {
    const entries = await Promise.all(
      [...checks].map(async ([name, check]) => [name, await this.runOne(check)] as const),
    );
    const result: Record<string, CheckReport> = Object.fromEntries(entries);
    return { status: entries.every(([, r]) => r.status === 'up') ? 'ok' : 'error', checks: result };
  }

  private async runOne(check: HealthCheck): Promise<CheckReport> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const details = await Promise.race([
        check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`timed out after ${this.options.healthCheckTimeoutMs} ms`)),
            this.options.healthCheckTimeoutMs,
          );
        }),
      ]);
      return { status: 'up', durationMs: Math.round(performance.now() - started), ...(details ? { details } : {}) };
    } catch (err) {
      return {
        status: 'down',
        durationMs: Math.round(performance.now() - started),
        error: err instanceof Error ? err.message : String(err),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
