import type { KafkaSettings } from '@profilestream/config';
import { createKafka } from './kafka.client';
import { silentLog } from './log-sink';

/** Node's codes for a certificate chain it cannot verify against the CAs it trusts. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** Certificate failures: a broker's certificate is not one this client may accept. */
const CERTIFICATE = new Set([...UNTRUSTED, 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID']);

/** Kafka's answers to a request its ACLs do not allow, by the kind of resource denied. */
const AUTHORIZATION: Readonly<Record<string, 'topic' | 'group' | 'transactional id' | 'cluster'>> = {
  TOPIC_AUTHORIZATION_FAILED: 'topic',
  GROUP_AUTHORIZATION_FAILED: 'group',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'transactional id',
  CLUSTER_AUTHORIZATION_FAILED: 'cluster',
};

const SASL_TYPES = new Set(['SASL_AUTHENTICATION_FAILED', 'UNSUPPORTED_SASL_MECHANISM', 'ILLEGAL_SASL_STATE']);

/** What a client was using when Kafka refused it, for the explanation to name (names found on the error itself come first). */
export interface KafkaResources {
  topics?: readonly string[];
  groupId?: string;
  transactionalId?: string;
}

type ErrorLike = Error & {
  code?: unknown;
  type?: unknown;
  broker?: unknown;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown;
};

/**
 * One line that names why connecting to Kafka failed and what to set, from the error kafkajs
 * gave (kept in brackets, so its wording stays searchable). Kafka answers a wrong password and an
 * unknown user alike, so the message cannot tell which. A closed connection is read by what the
 * client sent: without TLS, a TLS listener closes it; with TLS but without SASL, a SASL listener.
 * A request the user's ACLs do not allow names the resource (from the error, else `resources`)
 * and the user that needs an ACL for it.
 */
export function describeKafkaError(err: unknown, settings: KafkaSettings, resources: KafkaResources = {}): string {
  const e = rootCause(err);
  const raw = e.message.split('\n')[0]!.trim();
  const code = typeof e.code === 'string' ? e.code : '';
  const type = typeof e.type === 'string' ? e.type : '';
  const where = typeof e.broker === 'string' ? e.broker : settings.brokers.join(',');
  const at = `Kafka at ${where}`;
  const mechanism = settings.sasl?.mechanism.toUpperCase() ?? '';
  const tls = settings.ssl !== null;

  if (e.name === 'KafkaJSSASLAuthenticationError' || type === 'SASL_AUTHENTICATION_FAILED') {
    if (/mechanism is not supported/i.test(raw))
      return `${at} does not accept SASL mechanism ${mechanism} (${raw}): set KAFKA_SASL_MECHANISM to one its listener enables`;
    if (/invalid credentials|authentication failed/i.test(raw)) {
      return `Kafka authentication failed: wrong username or password (${mechanism}, user "${settings.sasl?.username ?? ''}" at ${where}); check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (${raw})`;
    }
    return `Kafka authentication failed (${mechanism} at ${where}): ${raw}`;
  }
  // Kafka names neither the principal nor (mostly) the resource it denied; the settings and the caller do.
  const denied = AUTHORIZATION[type];
  const principal = settings.sasl
    ? `the user KAFKA_SASL_USERNAME=${settings.sasl.username}`
    : 'User:ANONYMOUS (KAFKA_SASL_MECHANISM is unset)';
  if (denied === 'cluster')
    return `Kafka denied a cluster operation (${type}: ${raw}): ${principal} needs an ACL on the cluster for it; see docs/operations.md`;
  if (denied)
    return `Kafka denied access to ${deniedResource(denied, namesIn(err, resources))} (${type}: ${raw}): ${principal} needs an ACL for it; see docs/operations.md`;
  if (e.name === 'KafkaJSGroupCoordinatorNotFound') {
    // A broker answers FindCoordinator for a group its user may not use with GROUP_AUTHORIZATION_FAILED, which kafkajs reports as this.
    const group = namesIn(err, resources).groupId;
    return `Kafka found no coordinator for ${group ? `group ${group}` : 'the consumer group'} (${raw}): if the brokers are up, ${principal} needs an ACL for the group; see docs/operations.md`;
  }
  if (type === 'UNSUPPORTED_SASL_MECHANISM')
    return `${at} does not accept SASL mechanism ${mechanism} (${raw}): set KAFKA_SASL_MECHANISM to one its listener enables`;
  if (type === 'ILLEGAL_SASL_STATE' && settings.sasl)
    return `${at} does not expect SASL on this listener (${raw}): unset KAFKA_SASL_MECHANISM or use the brokers' SASL listener`;
  if (UNTRUSTED.has(code)) {
    const fix = settings.ssl?.caFile
      ? `it was not signed by the CA in KAFKA_SSL_CA_FILE (${settings.ssl.caFile})`
      : 'no CA the system trusts signed it; set KAFKA_SSL_CA_FILE to the CA that did';
    return `${at} presented a TLS certificate that is not trusted (${code}: ${raw}): ${fix}`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return `${at} presented a TLS certificate outside its validity (${code}: ${raw})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `${at} presented a TLS certificate for other names (${raw}): list the brokers in KAFKA_BROKERS, and have them advertise themselves, by names the certificate holds`;
  if (tls && (code === 'EPROTO' || /wrong version number|before secure TLS connection/i.test(raw))) {
    return `${at} did not complete a TLS handshake (${raw}): is it a plaintext listener? Set KAFKA_SSL=false or use the brokers' TLS listener`;
  }
  const closed =
    e.name === 'KafkaJSConnectionClosedError' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    /Closed connection/i.test(raw);
  if (closed && !tls)
    return `no TLS handshake: ${at} closed the connection without a reply (${raw}), as a TLS listener does to a client without TLS; is the broker's listener TLS? Set KAFKA_SSL=true`;
  if (closed && !settings.sasl)
    return `${at} closed the connection after the TLS handshake (${raw}), as a SASL listener does to a client that does not authenticate: set KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`;
  if (code === 'ECONNREFUSED') return `${at} refused the connection (${raw}): is a broker listening there?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${at}: host not found (${raw})`;
  if (/Connection timeout/i.test(raw) || code === 'ETIMEDOUT')
    return `${at} did not accept a connection in time (${raw})`;
  return `${at}: ${raw}`;
}

/** Errors whose message is already one line naming the cause (see `explainKafkaError`). */
export const KAFKA_CONNECTION_ERROR = 'KafkaConnectionError';

/** `err` as an Error whose message is `describeKafkaError`'s line, the original kept as its cause. */
export function explainKafkaError(err: unknown, settings: KafkaSettings, resources: KafkaResources = {}): Error {
  if (isErrorLike(err) && err.name === KAFKA_CONNECTION_ERROR) return err;
  const explained = new Error(describeKafkaError(err, settings, resources), { cause: err });
  explained.name = KAFKA_CONNECTION_ERROR;
  return explained;
}

/**
 * Whether `err`, or an error it wraps, is Kafka refusing the client: a failed authentication, a
 * request its ACLs do not allow (or a group it names no coordinator for), or a broker certificate
 * it may not accept. Retrying does not cure these; an operator has to change a setting or an ACL.
 */
export function isKafkaAccessError(err: unknown): boolean {
  return chainOf(err).some(isRefusal);
}

/**
 * For logs and errors after start-up (a consumer that crashes, a write that fails): the one line
 * of `describeKafkaError` when `err` is a refusal (see `isKafkaAccessError`) or was explained
 * already; null otherwise, or without the client's settings, and the error is logged as it is.
 */
export function describeKafkaAccessError(
  err: unknown,
  settings: KafkaSettings | null,
  resources: KafkaResources = {},
): string | null {
  const explained = chainOf(err).find((e) => e.name === KAFKA_CONNECTION_ERROR);
  if (explained) return explained.message;
  if (!settings || !isKafkaAccessError(err)) return null;
  return describeKafkaError(err, settings, resources);
}

/** `explainKafkaError`'s error for a refusal (see `isKafkaAccessError`); any other error as it is. */
export function explainKafkaAccessError(
  err: unknown,
  settings: KafkaSettings,
  resources: KafkaResources = {},
): unknown {
  return isKafkaAccessError(err) ? explainKafkaError(err, settings, resources) : err;
}

/**
 * Connects once with a client of its own that does not retry, asks for the cluster's brokers,
 * then disconnects; rejects within `timeoutMs` with `explainKafkaError`'s error. kafkajs retries
 * every connection error (an untrusted certificate, a plaintext client on a TLS port) for about
 * 40 s before it reports one, so a service probes first and retries, with its own back-off, the
 * probe rather than the client.
 */
export async function probeKafka(settings: KafkaSettings, timeoutMs = 10_000): Promise<void> {
  const half = Math.max(100, Math.floor(timeoutMs / 2));
  const kafka = createKafka(settings, silentLog, {
    retry: { retries: 0 },
    connectionTimeout: half,
    authenticationTimeout: half,
    requestTimeout: half,
  });
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Connection timeout: no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    // A request past the handshake too: a SASL listener lets a client without SASL connect, then
    // closes the connection on its first request.
    await Promise.race([admin.connect().then(() => admin.describeCluster()), timeout]);
  } catch (err) {
    throw explainKafkaError(err, settings);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * The error to explain: a refusal anywhere in the chain (kafkajs wraps one that its retrier gave
 * up on, consumers and writers wrap it again), else the last error of kafkajs's retries (and a
 * connection's socket error), which it keeps as `cause`.
 */
function rootCause(err: unknown): ErrorLike {
  const refusal = chainOf(err).find(isRefusal);
  if (refusal) return refusal;
  let e: ErrorLike = isErrorLike(err) ? err : new Error(String(err));
  while (e.name === 'KafkaJSNumberOfRetriesExceeded' && isErrorLike(e.cause)) e = e.cause;
  return e;
}

/** `err` and the errors it wraps (`cause`, kafkajs's `originalError`, an aggregate's `errors`), outermost first. */
function chainOf(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 20) {
    const x = queue.shift();
    if (!isErrorLike(x) || out.includes(x)) continue;
    out.push(x);
    queue.push(x.cause, x.originalError, ...(Array.isArray(x.errors) ? (x.errors as unknown[]) : []));
  }
  return out;
}

function isRefusal(e: ErrorLike): boolean {
  const type = typeof e.type === 'string' ? e.type : '';
  const code = typeof e.code === 'string' ? e.code : '';
  return (
    e.name === 'KafkaJSSASLAuthenticationError' ||
    e.name === 'KafkaJSGroupCoordinatorNotFound' ||
    SASL_TYPES.has(type) ||
    AUTHORIZATION[type] !== undefined ||
    CERTIFICATE.has(code)
  );
}

/** The names to give: those an error in the chain carries (kafkajs's topic creation errors, a fenced producer's id), else `resources`. */
function namesIn(err: unknown, resources: KafkaResources): KafkaResources {
  const chain = chainOf(err) as (ErrorLike & { topic?: unknown; groupId?: unknown; transactionalId?: unknown })[];
  // (A topic creation fails with an error per topic, those that exist already too.)
  const topics = chain.flatMap((e) =>
    typeof e.topic === 'string' && e.type === 'TOPIC_AUTHORIZATION_FAILED' ? [e.topic] : [],
  );
  const groupId =
    (chain.find((e) => typeof e.groupId === 'string')?.groupId as string | undefined) ?? resources.groupId;
  const transactionalId =
    (chain.find((e) => typeof e.transactionalId === 'string')?.transactionalId as string | undefined) ??
    resources.transactionalId;
  return {
    ...(topics.length > 0 ? { topics } : resources.topics ? { topics: resources.topics } : {}),
    ...(groupId !== undefined ? { groupId } : {}),
    ...(transactionalId !== undefined ? { transactionalId } : {}),
  };
}

function deniedResource(kind: 'topic' | 'group' | 'transactional id', names: KafkaResources): string {
  if (kind === 'group') return names.groupId ? `group ${names.groupId}` : 'a consumer group';
  if (kind === 'transactional id')
    return names.transactionalId ? `transactional id ${names.transactionalId}` : 'a transactional id';
  const topics = [...new Set(names.topics ?? [])];
  if (topics.length === 0) return 'a topic';
  return topics.length === 1 ? `topic ${topics[0]}` : `one of topics ${topics.join(', ')}`;
}

/** An Error by shape: socket errors fail `instanceof Error` in another realm (a test runner's vm). */
function isErrorLike(x: unknown): x is ErrorLike {
  return typeof x === 'object' && x !== null && typeof (x as { message?: unknown }).message === 'string';
}
