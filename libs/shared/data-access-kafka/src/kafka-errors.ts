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

type ErrorLike = Error & { code?: unknown; type?: unknown; broker?: unknown; cause?: unknown };

/**
 * One line that names why connecting to Kafka failed and what to set, from the error kafkajs
 * gave (kept in brackets, so its wording stays searchable). Kafka answers a wrong password and an
 * unknown user alike, so the message cannot tell which. A closed connection is read by what the
 * client sent: without TLS, a TLS listener closes it; with TLS but without SASL, a SASL listener.
 */
export function describeKafkaError(err: unknown, settings: KafkaSettings): string {
  const e = rootCause(err);
  const raw = e.message.split('\n')[0]!.trim();
  const code = typeof e.code === 'string' ? e.code : '';
  const type = typeof e.type === 'string' ? e.type : '';
  const where = typeof e.broker === 'string' ? e.broker : settings.brokers.join(',');
  const at = `Kafka at ${where}`;
  const mechanism = settings.sasl?.mechanism.toUpperCase() ?? '';
  const tls = settings.ssl !== null;

  if (e.name === 'KafkaJSSASLAuthenticationError' || type === 'SASL_AUTHENTICATION_FAILED') {
    if (/mechanism is not supported/i.test(raw)) return `${at} does not accept SASL mechanism ${mechanism} (${raw}): set KAFKA_SASL_MECHANISM to one its listener enables`;
    if (/invalid credentials|authentication failed/i.test(raw)) {
      return `Kafka authentication failed: wrong username or password (${mechanism}, user "${settings.sasl?.username ?? ''}" at ${where}); check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (${raw})`;
    }
    return `Kafka authentication failed (${mechanism} at ${where}): ${raw}`;
  }
  if (type === 'UNSUPPORTED_SASL_MECHANISM') return `${at} does not accept SASL mechanism ${mechanism} (${raw}): set KAFKA_SASL_MECHANISM to one its listener enables`;
  if (type === 'ILLEGAL_SASL_STATE' && settings.sasl) return `${at} does not expect SASL on this listener (${raw}): unset KAFKA_SASL_MECHANISM or use the brokers' SASL listener`;
  if (UNTRUSTED.has(code)) {
    const fix = settings.ssl?.caFile ? `it was not signed by the CA in KAFKA_SSL_CA_FILE (${settings.ssl.caFile})` : 'no CA the system trusts signed it; set KAFKA_SSL_CA_FILE to the CA that did';
    return `${at} presented a TLS certificate that is not trusted (${code}: ${raw}): ${fix}`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `${at} presented a TLS certificate outside its validity (${code}: ${raw})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `${at} presented a TLS certificate for other names (${raw}): list the brokers in KAFKA_BROKERS, and have them advertise themselves, by names the certificate holds`;
  if (tls && (code === 'EPROTO' || /wrong version number|before secure TLS connection/i.test(raw))) {
    return `${at} did not complete a TLS handshake (${raw}): is it a plaintext listener? Set KAFKA_SSL=false or use the brokers' TLS listener`;
  }
  const closed = e.name === 'KafkaJSConnectionClosedError' || code === 'ECONNRESET' || code === 'EPIPE' || /Closed connection/i.test(raw);
  if (closed && !tls) return `no TLS handshake: ${at} closed the connection without a reply (${raw}), as a TLS listener does to a client without TLS; is the broker's listener TLS? Set KAFKA_SSL=true`;
  if (closed && !settings.sasl) return `${at} closed the connection after the TLS handshake (${raw}), as a SASL listener does to a client that does not authenticate: set KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`;
  if (code === 'ECONNREFUSED') return `${at} refused the connection (${raw}): is a broker listening there?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${at}: host not found (${raw})`;
  if (/Connection timeout/i.test(raw) || code === 'ETIMEDOUT') return `${at} did not accept a connection in time (${raw})`;
  return `${at}: ${raw}`;
}

/** Errors whose message is already one line naming the cause (see `explainKafkaError`). */
export const KAFKA_CONNECTION_ERROR = 'KafkaConnectionError';

/** `err` as an Error whose message is `describeKafkaError`'s line, the original kept as its cause. */
export function explainKafkaError(err: unknown, settings: KafkaSettings): Error {
  if (isErrorLike(err) && err.name === KAFKA_CONNECTION_ERROR) return err;
  const explained = new Error(describeKafkaError(err, settings), { cause: err });
  explained.name = KAFKA_CONNECTION_ERROR;
  return explained;
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
  const kafka = createKafka(settings, silentLog, { retry: { retries: 0 }, connectionTimeout: half, authenticationTimeout: half, requestTimeout: half });
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

/** kafkajs wraps the last error of its retries (and a connection's socket error) as `cause`. */
function rootCause(err: unknown): ErrorLike {
  let e: ErrorLike = isErrorLike(err) ? err : new Error(String(err));
  while (e.name === 'KafkaJSNumberOfRetriesExceeded' && isErrorLike(e.cause)) e = e.cause;
  return e;
}

/** An Error by shape: socket errors fail `instanceof Error` in another realm (a test runner's vm). */
function isErrorLike(x: unknown): x is ErrorLike {
  return typeof x === 'object' && x !== null && typeof (x as { message?: unknown }).message === 'string';
}
