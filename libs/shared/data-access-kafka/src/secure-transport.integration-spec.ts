import { kafkaEnvSchema, kafkaCrossChecks, parseEnv, toKafkaSettings, type KafkaSettings } from '@profilestream/config';
import { TransactionalProducer, createKafka, probeKafka, silentLog } from './index';
import { createTopic, readTopic, startSecureKafkaBroker, uniqueName, type SecureKafkaBroker } from './testing';

/**
 * The Kafka client on a broker whose only client listener is SASL_SSL with SCRAM-SHA-512, its
 * certificate from a CA made for this run, configured by the variables an operator sets: it
 * connects and writes in transactions; each way of getting the settings wrong fails the probe
 * within 10 s with one line naming the cause.
 */
describe('Kafka over SASL_SSL with SCRAM-SHA-512', () => {
  let broker: SecureKafkaBroker;
  const settings = (vars: Record<string, string>): KafkaSettings =>
    toKafkaSettings(parseEnv(kafkaEnvSchema, vars, kafkaCrossChecks), 'secure-transport-test');

  beforeAll(async () => {
    broker = await startSecureKafkaBroker();
  });
  afterAll(() => broker?.stop());

  it('connects with the CA, user and password from the environment and commits a transaction', async () => {
    const ok = settings(broker.env());
    await probeKafka(ok);
    const kafka = createKafka(ok, silentLog);
    const admin = kafka.admin();
    await admin.connect();
    const producer = new TransactionalProducer(kafka, { transactionalId: uniqueName('sasl-txn'), log: silentLog });
    try {
      const topic = uniqueName('sasl-out');
      await createTopic(admin, topic);
      await producer.connect();
      await producer.commit({ batches: [{ topic, messages: [{ key: 'k', value: Buffer.from('v'), partition: 0 }] }] });
      const read = await readTopic(kafka, topic, 1, 30_000);
      expect(read.map((m) => m.value?.toString())).toEqual(['v']);
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect();
    }
  });

  const failures: [string, () => Record<string, string>, RegExp][] = [
    [
      'a wrong password',
      () => ({ ...broker.env(), KAFKA_SASL_PASSWORD: 'wrong' }),
      /^Kafka authentication failed: wrong username or password \(SCRAM-SHA-512, user "app" /,
    ],
    [
      'an unknown user',
      () => ({ ...broker.env(), KAFKA_SASL_USERNAME: 'nobody' }),
      /^Kafka authentication failed: wrong username or password \(SCRAM-SHA-512, user "nobody" /,
    ],
    [
      'SCRAM-SHA-256 on a SCRAM-SHA-512 listener',
      () => ({ ...broker.env(), KAFKA_SASL_MECHANISM: 'scram-sha-256' }),
      /does not accept SASL mechanism SCRAM-SHA-256 .*set KAFKA_SASL_MECHANISM/,
    ],
    [
      'PLAIN on a SCRAM-SHA-512 listener',
      () => ({ ...broker.env(), KAFKA_SASL_MECHANISM: 'plain' }),
      /does not accept SASL mechanism PLAIN /,
    ],
    [
      'an untrusted CA',
      () => ({ ...broker.env(), KAFKA_SSL_CA_FILE: broker.certs.untrustedCaFile }),
      /TLS certificate that is not trusted \(SELF_SIGNED_CERT_IN_CHAIN: .*\): it was not signed by the CA in KAFKA_SSL_CA_FILE/,
    ],
    [
      'the system CAs only',
      () => {
        const { KAFKA_SSL_CA_FILE: _ca, ...rest } = broker.env();
        return rest;
      },
      /TLS certificate that is not trusted .*: no CA the system trusts signed it; set KAFKA_SSL_CA_FILE/,
    ],
    [
      'plaintext on the TLS port',
      () => {
        const { KAFKA_SSL_CA_FILE: _ca, ...rest } = broker.env();
        return { ...rest, KAFKA_SSL: 'false' };
      },
      /^no TLS handshake: .*Set KAFKA_SSL=true$/,
    ],
    [
      'TLS without SASL',
      () => {
        const { KAFKA_SASL_MECHANISM: _m, KAFKA_SASL_USERNAME: _u, KAFKA_SASL_PASSWORD: _p, ...rest } = broker.env();
        return rest;
      },
      /closed the connection after the TLS handshake .*as a SASL listener does .*set KAFKA_SASL_MECHANISM/,
    ],
  ];

  it.each(failures)('%s: fails within 10 s, naming the cause in one line', async (_what, vars, cause) => {
    const started = Date.now();
    const err = await probeKafka(settings(vars())).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err?.message).toMatch(cause);
    expect(err?.message).not.toContain('\n');
  });
});
