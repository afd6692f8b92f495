import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RedisSettings } from '@profilestream/config';
import { createRedis, describeRedisError, explainRedisError, redisTarget } from './index';

const settings: RedisSettings = {
  url: 'redis://:pw@redis.example:6380/0',
  clusterNodes: null,
  username: 'encoder',
  password: 'pw',
  tls: false,
  tlsCaFile: null,
  tlsServername: null,
  keyPrefix: 'ps:',
};
const tls = { ...settings, url: 'rediss://redis.example:6380', tls: true, tlsCaFile: '/etc/ca/ca.crt' };
const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('Redis failures in one line', () => {
  it('names the server without credentials, and the user', () => {
    expect(redisTarget(settings)).toEqual({
      where: 'redis.example:6380',
      username: 'encoder',
      tls: false,
      caFile: null,
      first: { host: 'redis.example', port: 6380 },
    });
    expect(redisTarget({ ...settings, url: 'redis://[::1]:7000' }).first).toEqual({ host: '::1', port: 7000 });
    expect(redisTarget({ ...settings, url: 'redis://r', username: null }).where).toBe('r:6379');
    expect(
      redisTarget({
        ...settings,
        clusterNodes: [
          { host: 'a', port: 1 },
          { host: 'b', port: 2 },
        ],
      }).where,
    ).toBe('cluster a:1,b:2');
  });

  it.each([
    [
      'a refused password or user',
      settings,
      new Error('WRONGPASS invalid username-password pair or user is disabled.'),
      /^Redis at redis\.example:6380 refused user "encoder" \(WRONGPASS .*\): .*REDIS_USERNAME and REDIS_PASSWORD/,
    ],
    [
      'no credentials',
      settings,
      new Error('NOAUTH Authentication required.'),
      /requires authentication \(NOAUTH .*set REDIS_USERNAME and REDIS_PASSWORD$/,
    ],
    [
      'a command the ACL denies',
      settings,
      new Error("NOPERM this user has no permissions to run the 'ping' command"),
      /denies user "encoder" .*\(NOPERM .*'ping'.*\): compare .*docs\/operations\.md$/,
    ],
    [
      'an untrusted certificate',
      tls,
      coded('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'),
      /TLS certificate that is not trusted \(SELF_SIGNED_CERT_IN_CHAIN: self-signed .*\): it was not signed by the CA in REDIS_TLS_CA_FILE \(\/etc\/ca\/ca\.crt\)$/,
    ],
    [
      'an untrusted certificate without a CA file',
      { ...tls, tlsCaFile: null },
      coded('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      /set REDIS_TLS_CA_FILE to the CA that did$/,
    ],
    [
      'a certificate for other names',
      tls,
      coded("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'),
      /for other names .*REDIS_TLS_SERVERNAME$/,
    ],
    [
      'a TLS port reached without TLS',
      settings,
      coded('write ECONNRESET', 'ECONNRESET'),
      /closed the connection without a reply \(write ECONNRESET\), as a TLS port does .*REDIS_TLS=true/,
    ],
    [
      'a plaintext port reached with TLS',
      tls,
      coded('Client network socket disconnected before secure TLS connection was established', 'ECONNRESET'),
      /did not complete a TLS handshake .*plaintext port/,
    ],
    [
      'nothing listening',
      settings,
      coded('connect ECONNREFUSED 127.0.0.1:6380', 'ECONNREFUSED'),
      /refused the connection \(connect ECONNREFUSED 127\.0\.0\.1:6380\)/,
    ],
  ])('%s', (_what, s, err, pattern) => {
    const line = describeRedisError(err, redisTarget(s));
    expect(line).toMatch(pattern);
    expect(line).not.toContain('\n');
    expect(line).not.toContain('pw@');
  });

  it('explains a generic command failure by the connection error behind it, and forgets it once ready', () => {
    const redis = createRedis(settings, 'test');
    redis.emit('error', new Error('WRONGPASS invalid username-password pair or user is disabled.'));
    redis.emit('error', new Error('Connection is closed.'));
    expect(
      explainRedisError(redis, new Error('Reached the max retries per request limit (which is 3).')).message,
    ).toMatch(/refused user "encoder" \(WRONGPASS/);
    redis.emit('ready');
    expect(explainRedisError(redis, new Error('Connection is closed.')).message).toBe(
      'Redis at redis.example:6380 closed the connection without a reply (Connection is closed.), as a TLS port does to a client without TLS: set REDIS_TLS=true (or use rediss://) if it serves TLS',
    );
    redis.disconnect();
  });
});

describe('the CA trusted for Redis', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'redis-ca-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is read when the client is made, with an error naming the variable when it cannot be', () => {
    expect(() => createRedis({ ...tls, tlsCaFile: join(dir, 'missing.crt') }, 'test')).toThrow(
      `REDIS_TLS_CA_FILE: cannot read ${join(dir, 'missing.crt')} (ENOENT: no such file or directory)`,
    );
    writeFileSync(join(dir, 'empty.crt'), 'not a certificate');
    expect(() => createRedis({ ...tls, tlsCaFile: join(dir, 'empty.crt') }, 'test')).toThrow(
      /REDIS_TLS_CA_FILE: .*empty\.crt holds no PEM certificate/,
    );
    writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const redis = createRedis({ ...tls, tlsCaFile: join(dir, 'ca.crt'), tlsServername: 'redis.internal' }, 'test');
    expect((redis as unknown as { options: { tls: { ca: string[]; servername: string } } }).options.tls).toEqual({
      ca: [expect.stringContaining('BEGIN CERTIFICATE')],
      servername: 'redis.internal',
    });
    redis.disconnect();
  });
});
