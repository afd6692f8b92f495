import { z } from 'zod';
import {
  ConfigError,
  describeEnv,
  env,
  fileErrorReason,
  kafkaCrossChecks,
  kafkaEnvSchema,
  parseEnv,
  redisEnvSchema,
  serviceEnvSchema,
  toKafkaSettings,
  toRedisSettings,
  withoutUrlCredentials,
} from './index';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('applies defaults and treats empty values as unset', () => {
    const cfg = parseEnv(kafkaEnvSchema, { KAFKA_BROKERS: '', KAFKA_SSL: 'yes' });
    expect(cfg.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(cfg.KAFKA_SSL).toBe(true);
    expect(cfg.KAFKA_FRAMING).toBe('single-object');
  });

  it('parses lists and numbers', () => {
    const cfg = parseEnv(kafkaEnvSchema, { KAFKA_BROKERS: 'a:1, b:2', KAFKA_REPLICATION_FACTOR: '3' });
    expect(cfg.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(cfg.KAFKA_REPLICATION_FACTOR).toBe(3);
  });

  it.each([
    [{ KAFKA_BROKERS: 'localhost' }, /^KAFKA_BROKERS\.0: must be host:port/],
    [{ KAFKA_REPLICATION_FACTOR: 'three' }, /^KAFKA_REPLICATION_FACTOR: must be a number \(got "three"\)/],
    [{ KAFKA_REPLICATION_FACTOR: '0' }, /^KAFKA_REPLICATION_FACTOR: must be at least 1/],
    [{ KAFKA_SSL: 'maybe' }, /^KAFKA_SSL: must be true or false/],
    [{ KAFKA_FRAMING: 'json' }, /^KAFKA_FRAMING: must be one of single-object, confluent/],
  ])('names the bad variable for %j', (vars, pattern) => {
    expect(problemsOf(() => parseEnv(kafkaEnvSchema, vars))[0]).toMatch(pattern);
  });

  it('reports every bad variable at once, in a readable error', () => {
    const err = (() => {
      try {
        parseEnv(serviceEnvSchema(8080), { HTTP_PORT: '99999', LOG_LEVEL: 'loud' });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err?.message).toMatch(/Invalid configuration:\n {2}- HTTP_PORT: must be at most 65535/);
    expect(err?.message).toMatch(/LOG_LEVEL: must be one of/);
  });

  it('runs cross-variable checks', () => {
    expect(problemsOf(() => parseEnv(kafkaEnvSchema, { KAFKA_FRAMING: 'confluent' }, kafkaCrossChecks))).toEqual([
      'SCHEMA_REGISTRY_URL is required when KAFKA_FRAMING=confluent',
    ]);
    expect(
      problemsOf(() =>
        parseEnv(kafkaEnvSchema, { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }, kafkaCrossChecks),
      )[0],
    ).toMatch(/KAFKA_SASL_PASSWORD are required/);
  });

  it('bounds the consumer session by what brokers accept, and the heartbeat by a third of it', () => {
    const defaults = toKafkaSettings(parseEnv(kafkaEnvSchema, {}, kafkaCrossChecks), 'svc');
    expect(defaults.consumerGroup).toEqual({ sessionTimeoutMs: 30_000, heartbeatIntervalMs: 3_000 });
    const fast = { KAFKA_SESSION_TIMEOUT_MS: '6000', KAFKA_HEARTBEAT_INTERVAL_MS: '1000' };
    expect(toKafkaSettings(parseEnv(kafkaEnvSchema, fast, kafkaCrossChecks), 'svc').consumerGroup).toEqual({
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
    });
    expect(problemsOf(() => parseEnv(kafkaEnvSchema, { KAFKA_SESSION_TIMEOUT_MS: '5000' }))[0]).toMatch(
      /^KAFKA_SESSION_TIMEOUT_MS: must be at least 6000/,
    );
    expect(problemsOf(() => parseEnv(kafkaEnvSchema, { KAFKA_SESSION_TIMEOUT_MS: '60000' }))[0]).toMatch(
      /^KAFKA_SESSION_TIMEOUT_MS: must be at most 45000/,
    );
    expect(problemsOf(() => parseEnv(kafkaEnvSchema, { KAFKA_HEARTBEAT_INTERVAL_MS: '10000' }))[0]).toMatch(
      /^KAFKA_HEARTBEAT_INTERVAL_MS: must be at most 5000/,
    );
    expect(
      problemsOf(() =>
        parseEnv(
          kafkaEnvSchema,
          { KAFKA_SESSION_TIMEOUT_MS: '6000', KAFKA_HEARTBEAT_INTERVAL_MS: '3000' },
          kafkaCrossChecks,
        ),
      ),
    ).toEqual(['KAFKA_HEARTBEAT_INTERVAL_MS (3000) must be at most a third of KAFKA_SESSION_TIMEOUT_MS (6000)']);
  });

  it('refuses TLS-only Kafka settings without KAFKA_SSL, which would be ignored', () => {
    expect(problemsOf(() => parseEnv(kafkaEnvSchema, { KAFKA_SSL_CA_FILE: '/ca/ca.crt' }, kafkaCrossChecks))).toEqual([
      'KAFKA_SSL_CA_FILE is set but KAFKA_SSL is false: set KAFKA_SSL=true to use it, or unset KAFKA_SSL_CA_FILE',
    ]);
    expect(
      problemsOf(() =>
        parseEnv(
          kafkaEnvSchema,
          { KAFKA_SSL: 'false', KAFKA_SSL_CA_FILE: '/ca/ca.crt', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' },
          kafkaCrossChecks,
        ),
      ),
    ).toEqual([
      'KAFKA_SSL_CA_FILE is set but KAFKA_SSL is false: set KAFKA_SSL=true to use it, or unset KAFKA_SSL_CA_FILE',
      'KAFKA_SSL_REJECT_UNAUTHORIZED is set but KAFKA_SSL is false: set KAFKA_SSL=true to use it, or unset KAFKA_SSL_REJECT_UNAUTHORIZED',
    ]);
    // The default (true) and an empty value say nothing; with KAFKA_SSL=true all of them apply.
    expect(() =>
      parseEnv(kafkaEnvSchema, { KAFKA_SSL_REJECT_UNAUTHORIZED: 'true', KAFKA_SSL_CA_FILE: ' ' }, kafkaCrossChecks),
    ).not.toThrow();
    const tls = parseEnv(
      kafkaEnvSchema,
      { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/ca/ca.crt', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' },
      kafkaCrossChecks,
    );
    expect(toKafkaSettings(tls, 'svc').ssl).toEqual({ caFile: '/ca/ca.crt', rejectUnauthorized: false });
  });

  it('never echoes a secret', () => {
    const schema = z.object({ API_PASSWORD: env.int('x', 1) });
    expect(problemsOf(() => parseEnv(schema, { API_PASSWORD: 'hunter2' }))[0]).toBe(
      'API_PASSWORD: must be a number (got "***")',
    );
  });

  it('never echoes the credentials of a URL', () => {
    const problems = problemsOf(() => parseEnv(redisEnvSchema, { REDIS_URL: 'http://app:hunter2@redis:6379' }));
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(problems.join('\n')).toContain('http://app:***@redis:6379');
    const registry = problemsOf(() =>
      parseEnv(
        kafkaEnvSchema,
        { KAFKA_FRAMING: 'confluent', SCHEMA_REGISTRY_URL: 'ftp://:s3cret@registry' },
        kafkaCrossChecks,
      ),
    );
    expect(registry.join('\n')).toContain('ftp://:***@registry');
    expect(registry.join('\n')).not.toContain('s3cret');
    expect(withoutUrlCredentials('rediss://tok3n@h:1, plain text')).toBe('rediss://***@h:1, plain text');
  });
});

describe('settings', () => {
  it('maps Kafka variables to client-neutral settings', () => {
    const s = toKafkaSettings(
      parseEnv(kafkaEnvSchema, {
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
        KAFKA_SSL: 'true',
      }),
      'encoder',
    );
    expect(s).toMatchObject({
      clientId: 'encoder',
      sasl: { mechanism: 'scram-sha-512', username: 'u' },
      ssl: { caFile: null, rejectUnauthorized: true },
    });
  });

  it('maps Redis cluster seeds and TLS', () => {
    const s = toRedisSettings(
      parseEnv(redisEnvSchema, { REDIS_URL: 'rediss://r:6380', REDIS_CLUSTER_NODES: 'a:7000,b:7001' }),
    );
    expect(s.clusterNodes).toEqual([
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
    ]);
    expect(s.tls).toBe(true);
    expect(problemsOf(() => parseEnv(redisEnvSchema, { REDIS_URL: 'http://x' }))[0]).toMatch(
      /^REDIS_URL: must be a redis/,
    );
  });

  it('maps a Redis ACL user and a CA trusted for Redis alone, and refuses TLS settings without TLS', () => {
    const redis = (vars: Record<string, string>) => toRedisSettings(parseEnv(redisEnvSchema, vars));
    expect(
      redis({
        REDIS_URL: 'rediss://r:6380',
        REDIS_USERNAME: 'encoder',
        REDIS_PASSWORD: 'p',
        REDIS_TLS_CA_FILE: '/ca/ca.crt',
        REDIS_TLS_SERVERNAME: 'redis.example',
      }),
    ).toMatchObject({
      username: 'encoder',
      tls: true,
      tlsCaFile: '/ca/ca.crt',
      tlsServername: 'redis.example',
    });
    expect(redis({})).toMatchObject({
      username: null,
      password: null,
      tls: false,
      tlsCaFile: null,
      tlsServername: null,
    });
    expect(problemsOf(() => redis({ REDIS_TLS_CA_FILE: '/ca/ca.crt' }))).toEqual([
      'REDIS_TLS_CA_FILE is set but TLS is off: set REDIS_TLS=true (or use a rediss:// URL)',
    ]);
    expect(problemsOf(() => redis({ REDIS_URL: 'redis://r:6379', REDIS_TLS_SERVERNAME: 'r' }))[0]).toMatch(
      /^REDIS_TLS_SERVERNAME is set but TLS is off/,
    );
    // A user without a password would silently connect as the default user.
    expect(problemsOf(() => redis({ REDIS_USERNAME: 'encoder' }))).toEqual([
      'REDIS_USERNAME is set without REDIS_PASSWORD',
    ]);
    expect(redis({ REDIS_USERNAME: 'encoder', REDIS_URL: 'redis://encoder:p@r:6379' }).username).toBe('encoder');
  });

  it('documents every variable with its default', () => {
    const rows = describeEnv(serviceEnvSchema(8081));
    expect(rows).toContainEqual({
      name: 'HTTP_PORT',
      description: 'Port of /metrics, /health/live and /health/ready.',
      default: '8081',
    });
    expect(describeEnv(kafkaEnvSchema).find((r) => r.name === 'KAFKA_SASL_PASSWORD')?.default).toBe('(unset)');
    expect(describeEnv(kafkaEnvSchema).every((r) => r.description.length > 0)).toBe(true);
  });
});

describe('fileErrorReason', () => {
  it("keeps Node's code and reason, without the path the caller names", () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/x/ca.crt'"), { code: 'ENOENT' });
    expect(fileErrorReason(enoent)).toBe('ENOENT: no such file or directory');
    expect(
      fileErrorReason(Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR' })),
    ).toBe('EISDIR: illegal operation on a directory');
    expect(fileErrorReason(Object.assign(new Error(''), { code: 'EACCES' }))).toBe('EACCES');
    expect(fileErrorReason('odd')).toBe('odd');
  });
});
