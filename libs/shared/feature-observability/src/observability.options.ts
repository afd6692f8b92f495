export interface ObservabilityOptions {
  /** Service name: the `service` field of every log line. */
  serviceName: string;
  /** Prefix of every metric name, snake_case (e.g. `text_cleaner`). */
  metricsPrefix: string;
  logLevel: string;
  /** Time each health check may take before it counts as down. */
  healthCheckTimeoutMs: number;
}

export const OBSERVABILITY_OPTIONS = Symbol('OBSERVABILITY_OPTIONS');

/** The service's pino logger, for code outside Nest's logger (Kafka, Redis, workers). */
export const SERVICE_LOGGER = Symbol('SERVICE_LOGGER');
