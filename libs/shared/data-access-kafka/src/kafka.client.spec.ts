import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka } from 'kafkajs';
import type { KafkaSettings } from '@profilestream/config';
import { createKafka, groupTiming, kafkaSettingsOf } from './kafka.client';
import { silentLog, type LogSink } from './log-sink';
import { kafkaSettings } from './testing';

const base: KafkaSettings = kafkaSettings();

function recordingLog(): LogSink & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    debug: () => undefined,
    info: () => undefined,
    error: () => undefined,
    warn: (_obj, msg) => void warnings.push(msg ?? ''),
  };
}

describe('createKafka', () => {
  it('warns when TLS certificates are not verified, and only then', () => {
    const unverified = recordingLog();
    createKafka({ ...base, ssl: { caFile: null, rejectUnauthorized: false } }, unverified);
    expect(unverified.warnings).toEqual([expect.stringContaining('KAFKA_SSL_REJECT_UNAUTHORIZED=false')]);

    const verified = recordingLog();
    createKafka({ ...base, ssl: { caFile: null, rejectUnauthorized: true } }, verified);
    createKafka(base, verified);
    expect(verified.warnings).toEqual([]);
  });
});

describe('kafkajs logs', () => {
  it('keep stack traces out of lines above debug', () => {
    const lines: { level: string; obj: object; msg?: string }[] = [];
    const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
    const kafka = createKafka(base, { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') });
    kafka.logger().error('Connection error: self-signed certificate in certificate chain', {
      broker: 'b:9093',
      stack: 'Error: x\n    at y.js:1:1',
    });
    expect(lines).toEqual([
      {
        level: 'debug',
        obj: expect.objectContaining({ component: 'kafkajs', broker: 'b:9093', stack: expect.any(String) }),
        msg: 'Connection error: self-signed certificate in certificate chain',
      },
      {
        level: 'error',
        obj: expect.not.objectContaining({ stack: expect.anything() }),
        msg: 'Connection error: self-signed certificate in certificate chain',
      },
    ]);
  });
});

describe('KAFKA_SSL_CA_FILE', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'kafka-ca-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const withCa = (caFile: string): KafkaSettings => ({ ...base, ssl: { caFile, rejectUnauthorized: true } });

  it('is read when the client is made, failing in one line with the variable, the path and the reason', () => {
    const missing = join(dir, 'missing.crt');
    expect(() => createKafka(withCa(missing), silentLog)).toThrow(
      new Error(`KAFKA_SSL_CA_FILE: cannot read ${missing} (ENOENT: no such file or directory)`),
    );
    expect(() => createKafka(withCa(dir), silentLog)).toThrow(
      new Error(`KAFKA_SSL_CA_FILE: cannot read ${dir} (EISDIR: illegal operation on a directory)`),
    );
  });

  it('must hold a PEM certificate (Node would ignore anything else, and every broker would look untrusted)', () => {
    writeFileSync(join(dir, 'empty.crt'), 'not a certificate');
    expect(() => createKafka(withCa(join(dir, 'empty.crt')), silentLog)).toThrow(
      new Error(`KAFKA_SSL_CA_FILE: ${join(dir, 'empty.crt')} holds no PEM certificate`),
    );
    writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(() => createKafka(withCa(join(dir, 'ca.crt')), silentLog)).not.toThrow();
  });
});

describe('kafkaSettingsOf', () => {
  it('gives the settings a client was made from, for explaining its errors later', () => {
    expect(kafkaSettingsOf(createKafka(base, silentLog))).toBe(base);
    expect(kafkaSettingsOf(new Kafka({ brokers: base.brokers }))).toBeNull();
  });
});

describe('groupTiming', () => {
  const deployed = createKafka(
    kafkaSettings({ consumerGroup: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 } }),
    silentLog,
  );

  it("takes the deployment's session and heartbeat (KAFKA_SESSION_TIMEOUT_MS, KAFKA_HEARTBEAT_INTERVAL_MS)", () => {
    expect(groupTiming(deployed, {})).toEqual({ sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  });

  it("lets a consumer's own setting win, and falls back to 30 s and 3 s for a client made otherwise", () => {
    expect(groupTiming(deployed, { sessionTimeoutMs: 45_000 })).toEqual({
      sessionTimeout: 45_000,
      heartbeatInterval: 1_000,
    });
    expect(groupTiming(new Kafka({ brokers: base.brokers }), {})).toEqual({
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    });
  });
});
