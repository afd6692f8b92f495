import type { z } from 'zod';
import { ConfigError, describeEnv, parseEnv, type EnvVarDoc } from './env';
import {
  kafkaCrossChecks,
  kafkaEnvSchema,
  redisEnvSchema,
  serviceEnvSchema,
  toKafkaSettings,
  toRedisSettings,
  type KafkaSettings,
  type RedisSettings,
  type ServiceEnv,
} from './shared-env';

/** The settings every stream service shares: HTTP and logging, Kafka, Redis. */
export interface StreamServiceSettings {
  service: ServiceEnv;
  kafka: KafkaSettings;
  redis: RedisSettings;
}

/** What a stream service adds to the shared environment. */
export interface StreamServiceEnv<T extends z.ZodRawShape> {
  /** The service's name: its Kafka client id and log name. */
  name: string;
  /** One line on what the service does (its --help). */
  summary: string;
  /** HTTP_PORT's default. */
  defaultPort: number;
  /** The service's own variables. */
  own: z.ZodObject<T>;
  /** Rules across its own variables, as lines naming them. */
  checks?: (e: z.infer<z.ZodObject<T>>) => string[];
}

/** The variables every stream service reads (HTTP_PORT defaulting to `defaultPort`). */
export function sharedStreamEnvSchema(defaultPort: number) {
  return serviceEnvSchema(defaultPort).merge(kafkaEnvSchema).merge(redisEnvSchema);
}

/** A service's whole environment schema, shared variables included (for documentation checks). */
export function streamServiceEnvSchema<T extends z.ZodRawShape>(def: StreamServiceEnv<T>) {
  return sharedStreamEnvSchema(def.defaultPort).merge(def.own);
}

/**
 * Reads and validates a stream service's environment once, at boot: the shared variables with
 * their cross-checks and the service's own with its checks. Throws one ConfigError naming every
 * bad variable of both; the service maps `env` to the rest of its configuration.
 */
export function loadStreamServiceEnv<T extends z.ZodRawShape>(
  def: StreamServiceEnv<T>,
  source: Record<string, string | undefined>,
): { env: z.infer<z.ZodObject<T>>; settings: StreamServiceSettings } {
  const problems: string[] = [];
  const part = <R>(read: () => R): R | null => {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return null;
    }
  };
  const settings = part((): StreamServiceSettings => {
    const e = parseEnv(sharedStreamEnvSchema(def.defaultPort), source, kafkaCrossChecks);
    return { service: e, kafka: toKafkaSettings(e, def.name), redis: toRedisSettings(e) };
  });
  const own = part(() => parseEnv(def.own, source, def.checks));
  if (!settings || !own) throw new ConfigError(problems);
  return { env: own, settings };
}

/** What `--help` prints for a service: its name, what it does and every variable it reads. */
export function streamServiceUsage<T extends z.ZodRawShape>(
  def: StreamServiceEnv<T>,
): { name: string; summary: string; variables: EnvVarDoc[] } {
  return { name: def.name, summary: def.summary, variables: describeEnv(streamServiceEnvSchema(def)) };
}
