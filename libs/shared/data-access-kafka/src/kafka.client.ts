import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import { fileErrorReason, type KafkaSettings } from '@profilestream/config';
import type { LogSink } from './log-sink';
import { installRequestQueueFix } from './request-queue-fix';

/** Client settings a caller may tune for one purpose (a connection probe that must not retry). */
export type KafkaClientOverrides = Pick<
  KafkaConfig,
  'retry' | 'connectionTimeout' | 'authenticationTimeout' | 'requestTimeout'
>;

/** Builds a kafkajs client from validated settings, routing its logs to `log`. */
export function createKafka(settings: KafkaSettings, log: LogSink, overrides: KafkaClientOverrides = {}): Kafka {
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: settings.brokers,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => forwardLog(log, entry),
    ...overrides,
  };
  if (settings.ssl) {
    if (!settings.ssl.rejectUnauthorized) {
      log.warn(
        { clientId: settings.clientId },
        "KAFKA_SSL_REJECT_UNAUTHORIZED=false: the brokers' certificates are not verified, so anyone on the network path can impersonate them; for tests only",
      );
    }
    config.ssl = {
      rejectUnauthorized: settings.ssl.rejectUnauthorized,
      ...(settings.ssl.caFile ? { ca: [readCaFile(settings.ssl.caFile)] } : {}),
    };
  }
  if (settings.sasl) {
    config.sasl = {
      mechanism: settings.sasl.mechanism,
      username: settings.sasl.username,
      password: settings.sasl.password,
    } as SASLOptions;
  }
  installRequestQueueFix();
  const kafka = new Kafka(config);
  settingsByClient.set(kafka, settings);
  return kafka;
}

const settingsByClient = new WeakMap<Kafka, KafkaSettings>();

/**
 * The settings a client was made from by `createKafka` (null for one made otherwise), so that
 * consumers and producers given only the client can explain its errors (`describeKafkaAccessError`).
 */
export function kafkaSettingsOf(kafka: Kafka): KafkaSettings | null {
  return settingsByClient.get(kafka) ?? null;
}

/** A consumer's own session and heartbeat, if it sets them (specs and tools do). */
export interface GroupTimingOptions {
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

/**
 * Session timeout and heartbeat for a consumer of `kafka`: the consumer's own, else the
 * deployment's (KAFKA_SESSION_TIMEOUT_MS, KAFKA_HEARTBEAT_INTERVAL_MS), else 30 s and 3 s.
 */
export function groupTiming(
  kafka: Kafka,
  own: GroupTimingOptions,
): { sessionTimeout: number; heartbeatInterval: number } {
  const deployed = kafkaSettingsOf(kafka)?.consumerGroup;
  return {
    sessionTimeout: own.sessionTimeoutMs ?? deployed?.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: own.heartbeatIntervalMs ?? deployed?.heartbeatIntervalMs ?? 3_000,
  };
}

/**
 * The CA file's PEM, read when the client is made; a file that cannot be read, or holds no
 * certificate (Node would ignore it, and the brokers' certificates would then look untrusted),
 * fails with one line naming the variable, the path and the reason.
 */
function readCaFile(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`KAFKA_SSL_CA_FILE: cannot read ${file} (${fileErrorReason(err)})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`KAFKA_SSL_CA_FILE: ${file} holds no PEM certificate`);
  return pem;
}

function forwardLog(log: LogSink, { level, namespace, log: entry }: LogEntry): void {
  // kafkajs attaches stack traces to its connection errors; they go to debug, apart from the line.
  const { message, stack, ...fields } = entry as LogEntry['log'] & { stack?: unknown };
  const obj = { component: 'kafkajs', namespace, ...fields };
  if (stack !== undefined && level !== logLevel.DEBUG) log.debug({ ...obj, stack }, message);
  if (level === logLevel.ERROR || level === logLevel.NOTHING) log.error(obj, message);
  else if (level === logLevel.WARN) log.warn(obj, message);
  else if (level === logLevel.INFO) log.info(obj, message);
  else log.debug(obj, message);
}
