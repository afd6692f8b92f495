import { createConnection } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { RedisSettings } from '@profilestream/config';
import type { RedisClient } from './redis.client';

/** Where a client connects and as whom: what a message about a failure must name. */
export interface RedisTarget {
  /** `host:port`, or the cluster seeds. */
  where: string;
  username: string;
  tls: boolean;
  caFile: string | null;
  /** The node a first connection goes to (the first seed of a cluster). */
  first: { host: string; port: number };
}

export function redisTarget(settings: RedisSettings): RedisTarget {
  let where: string;
  let first: { host: string; port: number };
  if (settings.clusterNodes) {
    where = `cluster ${settings.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
    first = settings.clusterNodes[0]!;
  } else {
    const m = /^rediss?:\/\/(?:[^@/]*@)?([^/?#]+)/.exec(settings.url);
    where = m?.[1] ?? settings.url;
    if (!/:\d+$/.test(where)) where = `${where}:6379`;
    const colon = where.lastIndexOf(':');
    first = { host: where.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(where.slice(colon + 1)) };
  }
  return { where, username: settings.username ?? 'default', tls: settings.tls, caFile: settings.tlsCaFile, first };
}

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

/**
 * One line that names why talking to Redis failed and what to check, from the error the client
 * or the server gave (kept in brackets, so its code stays searchable). Redis answers WRONGPASS
 * alike for a wrong password, an unknown user and a disabled one: the message cannot tell which.
 */
export function describeRedisError(err: unknown, t: RedisTarget): string {
  const e: Error & { code?: string } = asError(err) ?? new Error(String(err));
  const raw = e.message.split('\n')[0]!.trim();
  const code = e.code ?? /^[A-Z]+/.exec(raw)?.[0] ?? '';
  const at = `Redis at ${t.where}`;
  const was = (what: string) => (raw.startsWith(what) ? raw : `${what}: ${raw}`);
  if (code === 'WRONGPASS')
    return `${at} refused user "${t.username}" (${raw}): wrong password, unknown user or disabled user; check REDIS_USERNAME and REDIS_PASSWORD against its ACL`;
  if (code === 'NOAUTH') return `${at} requires authentication (${raw}): set REDIS_USERNAME and REDIS_PASSWORD`;
  if (code === 'NOPERM')
    return `${at} denies user "${t.username}" a command or key the service needs (${raw}): compare the user's ACL with the service's in docs/operations.md`;
  if (UNTRUSTED.has(code)) {
    const fix = t.caFile
      ? `it was not signed by the CA in REDIS_TLS_CA_FILE (${t.caFile})`
      : 'no CA the system trusts signed it; set REDIS_TLS_CA_FILE to the CA that did';
    return `${at} presented a TLS certificate that is not trusted (${was(code)}): ${fix}`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return `${at} presented a TLS certificate outside its validity (${was(code)})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `${at} presented a TLS certificate for other names (${raw}): connect by a name it lists or set REDIS_TLS_SERVERNAME`;
  if (t.tls && (code === 'EPROTO' || /wrong version number|before secure TLS connection/i.test(raw))) {
    return `${at} did not complete a TLS handshake (${raw}): is it a plaintext port? Unset REDIS_TLS (and use redis://) or use its TLS port`;
  }
  if (!t.tls && (code === 'ECONNRESET' || code === 'EPIPE' || /Connection is closed/i.test(raw))) {
    // A TLS port drops a plaintext client without a reply, which reads as a reset connection.
    return `${at} closed the connection without a reply (${raw}), as a TLS port does to a client without TLS: set REDIS_TLS=true (or use rediss://) if it serves TLS`;
  }
  if (code === 'ECONNREFUSED') return `${at} refused the connection (${raw}): is Redis running there, on that port?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${at}: host not found (${raw})`;
  if (code === 'ETIMEDOUT')
    return `${at} did not accept a connection in time (${raw})${t.tls ? ': unreachable, or a plaintext port that never answers a TLS handshake' : ''}`;
  return `${at}: ${raw}`;
}

/** Errors of ioredis that only say a command failed, not why the connection did. */
const GENERIC =
  /Connection is closed|max retries per request|did not answer PING|Failed to refresh slots cache|None of startup nodes is available|Stream isn't writeable/i;

interface Tracked {
  target: RedisTarget;
  lastError: Error | null;
  /** The client's TLS options (CA, server name), for the handshake probe. */
  tls: ConnectionOptions | null;
}

const tracked = new WeakMap<object, Tracked>();

/**
 * Remembers each client's latest connection error until it is ready again, so that a command
 * that fails with a generic error (a closed connection, retries used up, a timeout) can be
 * explained by what broke the connection. Handling the `error` events also keeps ioredis from
 * printing them with stack traces; services log them once per cause instead.
 */
export function trackRedisErrors(
  redis: RedisClient,
  settings: RedisSettings,
  tls: ConnectionOptions | null = null,
): void {
  const state: Tracked = { target: redisTarget(settings), lastError: null, tls };
  tracked.set(redis, state);
  const remember = (err: unknown) => {
    const e = asError(err);
    if (!e) return;
    // A cluster's own errors wrap the node's: keep the node's.
    const cause = asError((e as Error & { lastNodeError?: unknown }).lastNodeError) ?? e;
    if (!GENERIC.test(cause.message) || !state.lastError) state.lastError = cause;
  };
  redis.on('error', remember);
  redis.on('node error', remember);
  redis.on('ready', () => (state.lastError = null));
}

/**
 * `err` as one line naming the cause (see `describeRedisError`); a generic error is replaced by
 * the connection error behind it when the client has one.
 */
export function explainRedisError(redis: RedisClient, err: unknown): Error {
  const state = tracked.get(redis);
  if (!state) return asError(err) ?? new Error(String(err));
  const e = asError(err);
  if (e?.name === 'RedisConnectionError') return e;
  const generic = !e || GENERIC.test(e.message) || Boolean((e as Error & { lastNodeError?: unknown }).lastNodeError);
  const cause = generic && state.lastError ? state.lastError : err;
  if (asError(cause)?.name === 'RedisConnectionError') return cause as Error;
  const explained = new Error(describeRedisError(cause, state.target), { cause });
  explained.name = 'RedisConnectionError';
  return explained;
}

/**
 * With TLS on, checks the first node's TLS before the client connects, and fails at once naming
 * the cause. A plaintext Redis takes a TLS ClientHello for the start of an inline command and
 * waits for its end, so the handshake would only fail at the connect timeout (10 s): a PING in
 * plaintext gets a RESP reply from a plaintext port, none from a TLS port. Then a handshake with
 * the client's CA and server name: a cluster client reports a failed handshake only as
 * "Connection is closed." Anything else (unreachable, refused) is left to the real connection,
 * which names it.
 */
export async function probeRedisTls(redis: RedisClient, timeoutMs = 1500): Promise<void> {
  const state = tracked.get(redis);
  if (!state?.target.tls) return;
  await refusePlaintext(state, timeoutMs);
  const { host, port } = state.target.first;
  const failure = await new Promise<Error | null>((resolve) => {
    const socket = tlsConnect({ host, port, ...(state.tls ?? {}) });
    const done = (err: Error | null) => {
      socket.destroy();
      resolve(err);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.once('secureConnect', () => done(null));
    socket.once('error', (err: Error) =>
      done(/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET/.test(err.message) ? null : err),
    );
  });
  if (!failure) return;
  const err = new Error(describeRedisError(failure, state.target), { cause: failure });
  err.name = 'RedisConnectionError';
  state.lastError = err;
  throw err;
}

async function refusePlaintext(state: Tracked, timeoutMs: number): Promise<void> {
  const { host, port } = state.target.first;
  const reply = await new Promise<string | null>((resolve) => {
    const socket = createConnection({ host, port });
    const done = (r: string | null) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.once('error', () => done(null));
    socket.once('close', () => done(null));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk: Buffer) => done(chunk.toString('latin1')));
  });
  if (reply === null || !/^[+-]/.test(reply)) return;
  const err = new Error(
    `Redis at ${state.target.where} answered in plaintext (${reply.split('\r\n')[0]!.slice(0, 60)}): REDIS_TLS is on but ${host}:${port} is a plaintext port; unset REDIS_TLS (and use redis://) or use its TLS port`,
  );
  err.name = 'RedisConnectionError';
  state.lastError = err;
  throw err;
}

/**
 * An Error by shape rather than by `instanceof`: errors raised by Node's own sockets fail
 * `instanceof Error` in another realm (a vm context, as test runners use).
 */
function asError(x: unknown): (Error & { code?: string }) | null {
  return typeof x === 'object' && x !== null && typeof (x as { message?: unknown }).message === 'string'
    ? (x as Error & { code?: string })
    : null;
}
