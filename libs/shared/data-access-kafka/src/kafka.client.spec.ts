import type { KafkaSettings } from '@profilestream/config';
import { createKafka } from './kafka.client';
import type { LogSink } from './log-sink';

const base: KafkaSettings = {
  brokers: ['127.0.0.1:9092'],
  clientId: 'spec',
  sasl: null,
  ssl: null,
  replicationFactor: 1,
  provisionTopics: false,
  topicPartitions: null,
  topicPrefix: '',
  exactlyOnce: true,
  framing: 'single-object',
  schemaRegistry: null,
};

function recordingLog(): LogSink & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => undefined, info: () => undefined, error: () => undefined, warn: (_obj, msg) => void warnings.push(msg ?? '') };
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
    kafka.logger().error('Connection error: self-signed certificate in certificate chain', { broker: 'b:9093', stack: 'Error: x\n    at y.js:1:1' });
    expect(lines).toEqual([
      { level: 'debug', obj: expect.objectContaining({ component: 'kafkajs', broker: 'b:9093', stack: expect.any(String) }), msg: 'Connection error: self-signed certificate in certificate chain' },
      { level: 'error', obj: expect.not.objectContaining({ stack: expect.anything() }), msg: 'Connection error: self-signed certificate in certificate chain' },
    ]);
  });
});
