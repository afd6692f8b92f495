import { z } from 'zod';
import { ConfigError, env, hostPort, withoutUrlCredentials } from './env';

/** Kafka connection and framing, shared by every service (`KAFKA_*`, `SCHEMA_REGISTRY_*`). */
export const kafkaEnvSchema = z.object({
  KAFKA_BROKERS: env.list('Bootstrap brokers, comma-separated host:port.', '127.0.0.1:9092', hostPort),
  KAFKA_CLIENT_ID: env.optionalString('Kafka client id; defaults to the service name.'),
  KAFKA_SASL_MECHANISM: z
    .enum(['plain', 'scram-sha-256', 'scram-sha-512'], {
      errorMap: () => ({ message: 'must be plain, scram-sha-256 or scram-sha-512' }),
    })
    .optional()
    .describe('SASL mechanism; unset for no SASL. Needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD.'),
  KAFKA_SASL_USERNAME: env.optionalString('SASL user name.'),
  KAFKA_SASL_PASSWORD: env.optionalString('SASL password (from a Secret).'),
  KAFKA_SSL: env.bool('Connect to the brokers over TLS.', false),
  KAFKA_SSL_CA_FILE: env.optionalString("PEM file of the CA that signed the brokers' certificates (TLS only)."),
  KAFKA_SSL_REJECT_UNAUTHORIZED: env.bool('Verify broker certificates (TLS only).', true),
  KAFKA_REPLICATION_FACTOR: env.int('Replication factor for topics this service creates.', 1, 1, 7),
  KAFKA_PROVISION_TOPICS: env.bool('Create missing topics with the contract settings at start-up.', true),
  KAFKA_TOPIC_PARTITIONS: z.coerce
    .number({ invalid_type_error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .optional()
    .describe("Partitions for topics this service creates; unset uses each topic's contract setting."),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/, 'may only contain letters, digits, dot, underscore and dash')
    .default('')
    .describe('Prefix of every topic and consumer group name (several environments on one cluster).'),
  KAFKA_GROUP_SUFFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/, 'may only contain letters, digits, dot, underscore and dash')
    .default('')
    .describe(
      "Appended to the service's consumer group and transactional ids: a second deployment of a service (a model migration's next vector space, e.g. `.next`) consumes the same topics side by side.",
    ),
  KAFKA_EXACTLY_ONCE: env.bool(
    "text-cleaner and encoder write each chunk's outputs and dead letters in one Kafka transaction with its consumed offsets (exactly once for read_committed readers); false: acknowledged writes, then an offset commit (at least once; for brokers without transactions).",
    true,
  ),
  KAFKA_SESSION_TIMEOUT_MS: env.int(
    "How long the group waits for a consumer that stopped heartbeating (a killed pod) before its partitions go to the others. Consumers heartbeat between chunks, so it must exceed the longest a chunk takes. From 6 s (the brokers' default group.min.session.timeout.ms) to 45 s (kafkajs waits at most 60 s for a rebalance, and a consumer that has not fetched for 60 s fails its liveness check).",
    30_000,
    6_000,
    45_000,
  ),
  KAFKA_HEARTBEAT_INTERVAL_MS: env.int(
    'How often consumers tell the group they are alive, and hear of rebalances; at most a third of KAFKA_SESSION_TIMEOUT_MS, and at most 5 s (a member whose writes were fenced waits 15 s, several heartbeats, to hear that its partition moved).',
    3_000,
    100,
    5_000,
  ),
  KAFKA_FRAMING: env.oneOf(
    'Avro framing: single-object (no registry) or confluent (needs SCHEMA_REGISTRY_URL).',
    ['single-object', 'confluent'],
    'single-object',
  ),
  SCHEMA_REGISTRY_URL: env.optionalString('Confluent-compatible schema registry base URL (confluent framing).'),
  SCHEMA_REGISTRY_USERNAME: env.optionalString('Schema registry basic-auth user.'),
  SCHEMA_REGISTRY_PASSWORD: env.optionalString('Schema registry basic-auth password (from a Secret).'),
});

export type KafkaEnv = z.infer<typeof kafkaEnvSchema>;

/** Plain Kafka settings, free of any client library's types. */
export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  sasl: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | null;
  ssl: { caFile: string | null; rejectUnauthorized: boolean } | null;
  replicationFactor: number;
  provisionTopics: boolean;
  /** Overrides the contract's partition count for topics created here (local runs). */
  topicPartitions: number | null;
  /** Prefix of every topic and consumer group name. */
  topicPrefix: string;
  /** Appended to consumer group (and so transactional) ids: a second deployment of the same service. */
  groupSuffix: string;
  /** Outputs, dead letters and consumed offsets of a chunk in one transaction (consume-transform-produce). */
  exactlyOnce: boolean;
  /** Consumer group liveness: a member silent for `sessionTimeoutMs` is removed and its partitions reassigned. */
  consumerGroup: { sessionTimeoutMs: number; heartbeatIntervalMs: number };
  framing: 'single-object' | 'confluent';
  schemaRegistry: { url: string; username: string | null; password: string | null } | null;
}

export function kafkaCrossChecks(e: KafkaEnv): string[] {
  const problems: string[] = [];
  if (e.KAFKA_SASL_MECHANISM && (!e.KAFKA_SASL_USERNAME || !e.KAFKA_SASL_PASSWORD)) {
    problems.push('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required when KAFKA_SASL_MECHANISM is set');
  }
  // TLS-only settings without TLS would be ignored: the client would connect in plaintext.
  // (KAFKA_SSL_REJECT_UNAUTHORIZED defaults to true, so only false can have been meant.)
  const tlsOnly = {
    KAFKA_SSL_CA_FILE: e.KAFKA_SSL_CA_FILE !== undefined,
    KAFKA_SSL_REJECT_UNAUTHORIZED: !e.KAFKA_SSL_REJECT_UNAUTHORIZED,
  };
  for (const [name, set] of Object.entries(tlsOnly)) {
    if (set && !e.KAFKA_SSL)
      problems.push(`${name} is set but KAFKA_SSL is false: set KAFKA_SSL=true to use it, or unset ${name}`);
  }
  // Kafka's rule of thumb: a member that misses two heartbeats in a row is still within its session.
  if (e.KAFKA_HEARTBEAT_INTERVAL_MS * 3 > e.KAFKA_SESSION_TIMEOUT_MS) {
    problems.push(
      `KAFKA_HEARTBEAT_INTERVAL_MS (${e.KAFKA_HEARTBEAT_INTERVAL_MS}) must be at most a third of KAFKA_SESSION_TIMEOUT_MS (${e.KAFKA_SESSION_TIMEOUT_MS})`,
    );
  }
  if (e.KAFKA_FRAMING === 'confluent' && !e.SCHEMA_REGISTRY_URL) {
    problems.push('SCHEMA_REGISTRY_URL is required when KAFKA_FRAMING=confluent');
  }
  if (e.SCHEMA_REGISTRY_URL && !/^https?:\/\/\S+$/.test(e.SCHEMA_REGISTRY_URL)) {
    problems.push(
      `SCHEMA_REGISTRY_URL: must be an http(s) URL (got "${withoutUrlCredentials(e.SCHEMA_REGISTRY_URL)}")`,
    );
  }
  return problems;
}

export function toKafkaSettings(e: KafkaEnv, serviceName: string): KafkaSettings {
  return {
    brokers: e.KAFKA_BROKERS,
    clientId: e.KAFKA_CLIENT_ID ?? serviceName,
    sasl: e.KAFKA_SASL_MECHANISM
      ? {
          mechanism: e.KAFKA_SASL_MECHANISM,
          username: e.KAFKA_SASL_USERNAME ?? '',
          password: e.KAFKA_SASL_PASSWORD ?? '',
        }
      : null,
    ssl: e.KAFKA_SSL
      ? { caFile: e.KAFKA_SSL_CA_FILE ?? null, rejectUnauthorized: e.KAFKA_SSL_REJECT_UNAUTHORIZED }
      : null,
    replicationFactor: e.KAFKA_REPLICATION_FACTOR,
    provisionTopics: e.KAFKA_PROVISION_TOPICS,
    topicPartitions: e.KAFKA_TOPIC_PARTITIONS ?? null,
    topicPrefix: e.KAFKA_TOPIC_PREFIX,
    groupSuffix: e.KAFKA_GROUP_SUFFIX,
    exactlyOnce: e.KAFKA_EXACTLY_ONCE,
    consumerGroup: { sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS, heartbeatIntervalMs: e.KAFKA_HEARTBEAT_INTERVAL_MS },
    framing: e.KAFKA_FRAMING,
    schemaRegistry: e.SCHEMA_REGISTRY_URL
      ? {
          url: e.SCHEMA_REGISTRY_URL,
          username: e.SCHEMA_REGISTRY_USERNAME ?? null,
          password: e.SCHEMA_REGISTRY_PASSWORD ?? null,
        }
      : null,
  };
}

/** Redis connection, shared by every service that keeps state (`REDIS_*`). */
export const redisEnvSchema = z.object({
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379')
    .describe('Redis URL for a single node (rediss:// for TLS).'),
  REDIS_CLUSTER_NODES: z
    .string()
    .optional()
    .transform((s) =>
      s
        ? s
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean)
        : undefined,
    )
    .pipe(z.array(hostPort).min(1).optional())
    .describe('Comma-separated host:port seeds of a Redis Cluster; when set, REDIS_URL is ignored.'),
  REDIS_USERNAME: env.optionalString(
    'Redis ACL user (from a Secret): one per service, allowed only its own keys and commands (docs/operations.md); unset: the default user. Needs REDIS_PASSWORD.',
  ),
  REDIS_PASSWORD: env.optionalString('Redis password (from a Secret); overrides one in REDIS_URL.'),
  REDIS_TLS: env.bool('Use TLS to Redis (implied by rediss://).', false),
  REDIS_TLS_CA_FILE: env.optionalString(
    "PEM file of the CA that signed Redis's certificate (TLS only), read at start-up and trusted for Redis alone; unset: the system CAs.",
  ),
  REDIS_TLS_SERVERNAME: env.optionalString(
    "Name Redis's certificate is checked against (and sent as SNI) instead of the host connected to (TLS only); for cluster nodes announced by IP address.",
  ),
  REDIS_KEY_PREFIX: env.string('Prefix of every key this deployment writes.', 'ps:'),
});

export type RedisEnv = z.infer<typeof redisEnvSchema>;

export interface RedisSettings {
  url: string;
  clusterNodes: { host: string; port: number }[] | null;
  /** ACL user; null: the default user (or one in the URL). */
  username: string | null;
  password: string | null;
  tls: boolean;
  /** CA the client trusts for Redis alone (TLS only); null: the system CAs. */
  tlsCaFile: string | null;
  /** Name checked against the certificate instead of the host connected to (TLS only). */
  tlsServername: string | null;
  keyPrefix: string;
}

/** Settings that would be silently ignored, or would connect as another user than meant. */
export function redisCrossChecks(e: RedisEnv): string[] {
  const problems: string[] = [];
  const tls = e.REDIS_TLS || e.REDIS_URL.startsWith('rediss://');
  for (const name of ['REDIS_TLS_CA_FILE', 'REDIS_TLS_SERVERNAME'] as const) {
    if (e[name] && !tls) problems.push(`${name} is set but TLS is off: set REDIS_TLS=true (or use a rediss:// URL)`);
  }
  // Without a password the client sends no AUTH at all and would run as the default user.
  const urlHasPassword = !e.REDIS_CLUSTER_NODES && /^rediss?:\/\/[^@/]*:[^@/]+@/.test(e.REDIS_URL);
  if (e.REDIS_USERNAME && !e.REDIS_PASSWORD && !urlHasPassword)
    problems.push('REDIS_USERNAME is set without REDIS_PASSWORD');
  return problems;
}

/** Throws a ConfigError when `redisCrossChecks` finds a problem. */
export function toRedisSettings(e: RedisEnv): RedisSettings {
  const problems = redisCrossChecks(e);
  if (problems.length > 0) throw new ConfigError(problems);
  const tls = e.REDIS_TLS || e.REDIS_URL.startsWith('rediss://');
  return {
    url: e.REDIS_URL,
    clusterNodes:
      e.REDIS_CLUSTER_NODES?.map((hp) => {
        const i = hp.lastIndexOf(':');
        return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
      }) ?? null,
    username: e.REDIS_USERNAME ?? null,
    password: e.REDIS_PASSWORD ?? null,
    tls,
    tlsCaFile: tls ? (e.REDIS_TLS_CA_FILE ?? null) : null,
    tlsServername: tls ? (e.REDIS_TLS_SERVERNAME ?? null) : null,
    keyPrefix: e.REDIS_KEY_PREFIX,
  };
}

/** HTTP endpoints (metrics, health), logging and shutdown (`HTTP_*`, `LOG_*`, `SHUTDOWN_*`). */
export function serviceEnvSchema(defaultPort: number) {
  return z.object({
    HTTP_HOST: env.string('Address the metrics and health server binds to.', '0.0.0.0'),
    HTTP_PORT: env.int('Port of /metrics, /health/live and /health/ready.', defaultPort, 1, 65535),
    LOG_LEVEL: env.oneOf('Log level.', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'info'),
    HEALTH_CHECK_TIMEOUT_MS: env.int('Time each readiness check may take before it counts as down.', 2000, 50, 60_000),
    SHUTDOWN_DRAIN_TIMEOUT_MS: env.int(
      'Time to finish in-flight work and commit offsets on SIGTERM.',
      15_000,
      0,
      300_000,
    ),
    CONSUMER_START_TIMEOUT_MS: env.int(
      'How long a consumer that fails to start (topics not there yet, broker unreachable) is retried before liveness fails with the cause; it is still retried after. Readiness stays false until it has started.',
      300_000,
      1000,
      3_600_000,
    ),
  });
}

export type ServiceEnv = z.infer<ReturnType<typeof serviceEnvSchema>>;
