import * as kafkajs from 'kafkajs';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import type { KafkaSettings } from '@profilestream/config';
import {
  describeKafkaAccessError,
  describeKafkaError,
  explainKafkaAccessError,
  explainKafkaError,
  isKafkaAccessError,
  probeKafka,
} from './kafka-errors';
import { ProducerFencedError } from './transactional-producer';
import { kafkaSettings } from './testing';

const plain: KafkaSettings = kafkaSettings({ brokers: ['b1:9093', 'b2:9093'] });
const secured: KafkaSettings = {
  ...plain,
  sasl: { mechanism: 'scram-sha-512', username: 'app', password: 'secret' },
  ssl: { caFile: '/certs/ca.crt', rejectUnauthorized: true },
};

/** What kafkajs throws once its retries are used up: the last error as the cause. */
const afterRetries = (e: Error) => new KafkaJSNumberOfRetriesExceeded(e, { retryCount: 8, retryTime: 10_000 });
// Errors kafkajs throws whose constructors its type declarations leave out or get wrong.
type ErrorClass = new (message: string, details?: object) => Error;
const { KafkaJSConnectionClosedError, KafkaJSSASLAuthenticationError, KafkaJSGroupCoordinatorNotFound } =
  kafkajs as unknown as Record<
    'KafkaJSConnectionClosedError' | 'KafkaJSSASLAuthenticationError' | 'KafkaJSGroupCoordinatorNotFound',
    ErrorClass
  >;
const { KafkaJSCreateTopicError, KafkaJSNonRetriableError } = kafkajs as unknown as {
  KafkaJSCreateTopicError: new (e: object, topic: string) => Error;
  KafkaJSNonRetriableError: new (e: Error, options: { cause: Error }) => Error;
};

/** A protocol error as kafkajs makes it from the broker's error code. */
const protocolError = (type: string, code: number, message: string) =>
  new KafkaJSProtocolError({ type, code, retriable: false, message } as unknown as Error);
const topicDenied = () =>
  protocolError('TOPIC_AUTHORIZATION_FAILED', 29, 'Not authorized to access topics: [Topic authorization failed]');
const groupDenied = () =>
  protocolError('GROUP_AUTHORIZATION_FAILED', 30, 'Not authorized to access group: Group authorization failed');
const transactionalIdDenied = () =>
  protocolError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53, 'Transactional Id authorization failed');
/** What kafkajs's retrier rejects with for an error it does not retry. */
const notRetried = (e: Error) => new KafkaJSNonRetriableError(e, { cause: e });

const socketError = (message: string, code: string) =>
  new KafkaJSConnectionError(`Connection error: ${message}`, { broker: 'b1:9093', code });

describe('describeKafkaError', () => {
  it('names a wrong password with the mechanism, the user and the variables to check', () => {
    const err = new KafkaJSSASLAuthenticationError(
      'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    );
    expect(describeKafkaError(err, secured)).toBe(
      'Kafka authentication failed: wrong username or password (SCRAM-SHA-512, user "app" at b1:9093,b2:9093); check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512)',
    );
  });

  it('names a SASL mechanism the listener does not enable', () => {
    const err = new KafkaJSProtocolError({
      type: 'UNSUPPORTED_SASL_MECHANISM',
      code: 33,
      retriable: false,
      message: 'The broker does not support the requested SASL mechanism',
    } as unknown as Error);
    const settings: KafkaSettings = { ...secured, sasl: { ...secured.sasl!, mechanism: 'scram-sha-256' } };
    expect(describeKafkaError(err, settings)).toMatch(
      /^Kafka at b1:9093,b2:9093 does not accept SASL mechanism SCRAM-SHA-256 \(The broker does not support .*\): set KAFKA_SASL_MECHANISM/,
    );
  });

  it('names a SASL client on a listener without SASL', () => {
    const err = new KafkaJSProtocolError({
      type: 'ILLEGAL_SASL_STATE',
      code: 34,
      retriable: false,
      message: 'Request is not valid given the current SASL state',
    } as unknown as Error);
    expect(describeKafkaError(err, secured)).toMatch(
      /does not expect SASL on this listener .*unset KAFKA_SASL_MECHANISM/,
    );
  });

  it('names an untrusted certificate behind the retries, and the CA file that did not sign it', () => {
    const err = afterRetries(socketError('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'));
    expect(describeKafkaError(err, secured)).toBe(
      'Kafka at b1:9093 presented a TLS certificate that is not trusted (SELF_SIGNED_CERT_IN_CHAIN: Connection error: self-signed certificate in certificate chain): it was not signed by the CA in KAFKA_SSL_CA_FILE (/certs/ca.crt)',
    );
    const systemCas: KafkaSettings = { ...secured, ssl: { caFile: null, rejectUnauthorized: true } };
    expect(describeKafkaError(err, systemCas)).toMatch(
      /: no CA the system trusts signed it; set KAFKA_SSL_CA_FILE to the CA that did$/,
    );
  });

  it('reads a closed connection by what the client sent: no TLS, or TLS without SASL', () => {
    const closed = afterRetries(new KafkaJSConnectionClosedError('Closed connection', { host: 'b1', port: 9093 }));
    expect(describeKafkaError(closed, { ...secured, ssl: null })).toBe(
      "no TLS handshake: Kafka at b1:9093 closed the connection without a reply (Closed connection), as a TLS listener does to a client without TLS; is the broker's listener TLS? Set KAFKA_SSL=true",
    );
    expect(describeKafkaError(closed, { ...secured, sasl: null })).toMatch(
      /after the TLS handshake .*as a SASL listener does .*set KAFKA_SASL_MECHANISM/,
    );
    // With both, a closed connection says nothing more than that.
    expect(describeKafkaError(closed, secured)).toBe('Kafka at b1:9093: Closed connection');
  });

  it('names a TLS client on a plaintext listener', () => {
    const err = socketError(
      'Client network socket disconnected before secure TLS connection was established',
      'ECONNRESET',
    );
    expect(describeKafkaError(err, secured)).toMatch(
      /^Kafka at b1:9093 did not complete a TLS handshake \(.*\): is it a plaintext listener\? Set KAFKA_SSL=false/,
    );
  });

  it.each([
    ['ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:9093', /refused the connection .*is a broker listening there\?$/],
    ['ENOTFOUND', 'getaddrinfo ENOTFOUND b1', /^Kafka at b1:9093: host not found/],
    [
      'ERR_TLS_CERT_ALTNAME_INVALID',
      "Hostname/IP does not match certificate's altnames",
      /certificate for other names .*KAFKA_BROKERS/,
    ],
    ['CERT_HAS_EXPIRED', 'certificate has expired', /outside its validity \(CERT_HAS_EXPIRED: /],
  ])('names %s', (code, message, expected) => {
    expect(describeKafkaError(afterRetries(socketError(message, code)), secured)).toMatch(expected);
  });

  it('keeps any other error as it is, on one line, with where it happened', () => {
    expect(describeKafkaError(new Error('something odd\n    at x.js:1:1'), plain)).toBe(
      'Kafka at b1:9093,b2:9093: something odd',
    );
    expect(describeKafkaError('not an error', plain)).toBe('Kafka at b1:9093,b2:9093: not an error');
  });
});

describe('describeKafkaError, for requests the ACLs deny', () => {
  it('names the topic, the user that needs an ACL for it, and where to read on', () => {
    expect(describeKafkaError(notRetried(topicDenied()), secured, { topics: ['texts.cleaned.v1'] })).toBe(
      'Kafka denied access to topic texts.cleaned.v1 (TOPIC_AUTHORIZATION_FAILED: Not authorized to access topics: [Topic authorization failed]): the user KAFKA_SASL_USERNAME=app needs an ACL for it; see docs/operations.md',
    );
    expect(describeKafkaError(topicDenied(), secured, { topics: ['a.v1', 'b.v1'] })).toMatch(
      /^Kafka denied access to one of topics a\.v1, b\.v1 \(TOPIC_AUTHORIZATION_FAILED: /,
    );
    expect(describeKafkaError(topicDenied(), secured)).toMatch(
      /^Kafka denied access to a topic \(TOPIC_AUTHORIZATION_FAILED: /,
    );
  });

  it('names the topics a topic creation was denied, from its errors', () => {
    const created = new KafkaJSCreateTopicError(
      { type: 'TOPIC_ALREADY_EXISTS', code: 36, retriable: false, message: 'Topic with this name already exists' },
      'reviews.v1',
    );
    const denied = new KafkaJSCreateTopicError(
      {
        type: 'TOPIC_AUTHORIZATION_FAILED',
        code: 29,
        retriable: false,
        message: 'Not authorized to access topics: [Topic authorization failed]',
      },
      'reviews.v1.dlq',
    );
    const err = notRetried(new kafkajs.KafkaJSAggregateError('Topic creation errors', [created, denied]));
    expect(describeKafkaError(err, secured, { topics: ['reviews.v1', 'reviews.v1.dlq', 'texts.cleaned.v1'] })).toMatch(
      /^Kafka denied access to topic reviews\.v1\.dlq \(TOPIC_AUTHORIZATION_FAILED: /,
    );
  });

  it('names a consumer group, a transactional id, and the cluster', () => {
    expect(
      describeKafkaError(afterRetries(groupDenied()), secured, { groupId: 'encoder', topics: ['texts.cleaned.v1'] }),
    ).toBe(
      'Kafka denied access to group encoder (GROUP_AUTHORIZATION_FAILED: Not authorized to access group: Group authorization failed): the user KAFKA_SASL_USERNAME=app needs an ACL for it; see docs/operations.md',
    );
    // A producer refused its transactional id is handled as fenced; the error keeps the id and the cause.
    const fenced = new ProducerFencedError('Transactional Id authorization failed', 'encoder-texts.cleaned.v1-3', {
      cause: transactionalIdDenied(),
    });
    expect(describeKafkaError(fenced, secured)).toBe(
      'Kafka denied access to transactional id encoder-texts.cleaned.v1-3 (TRANSACTIONAL_ID_AUTHORIZATION_FAILED: Transactional Id authorization failed): the user KAFKA_SASL_USERNAME=app needs an ACL for it; see docs/operations.md',
    );
    expect(
      describeKafkaError(protocolError('CLUSTER_AUTHORIZATION_FAILED', 31, 'Cluster authorization failed'), secured),
    ).toBe(
      'Kafka denied a cluster operation (CLUSTER_AUTHORIZATION_FAILED: Cluster authorization failed): the user KAFKA_SASL_USERNAME=app needs an ACL on the cluster for it; see docs/operations.md',
    );
  });

  it('names the anonymous user without SASL', () => {
    expect(describeKafkaError(topicDenied(), plain, { topics: ['t'] })).toMatch(
      /: User:ANONYMOUS \(KAFKA_SASL_MECHANISM is unset\) needs an ACL for it; see docs\/operations\.md$/,
    );
  });

  it('reads a group without a coordinator as the group ACL it most often is', () => {
    expect(
      describeKafkaError(new KafkaJSGroupCoordinatorNotFound('Failed to find group coordinator'), secured, {
        groupId: 'text-cleaner',
      }),
    ).toBe(
      'Kafka found no coordinator for group text-cleaner (Failed to find group coordinator): if the brokers are up, the user KAFKA_SASL_USERNAME=app needs an ACL for the group; see docs/operations.md',
    );
  });

  it('finds a wrong password behind the errors that wrap it after start-up', () => {
    const err = new Error('outer', {
      cause: notRetried(
        new KafkaJSSASLAuthenticationError(
          'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
        ),
      ),
    });
    expect(describeKafkaError(err, secured)).toMatch(
      /^Kafka authentication failed: wrong username or password \(SCRAM-SHA-512, user "app" at b1:9093,b2:9093\); check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    );
  });
});

describe('describeKafkaAccessError', () => {
  it('explains refusals only: authentication, ACLs, certificates', () => {
    const refusals = [
      notRetried(topicDenied()),
      new KafkaJSSASLAuthenticationError('SASL SCRAM SHA512 authentication failed: Authentication failed'),
      afterRetries(socketError('certificate has expired', 'CERT_HAS_EXPIRED')),
      new Error('chunk', { cause: new ProducerFencedError('x', 'id', { cause: transactionalIdDenied() }) }),
    ];
    for (const err of refusals) {
      expect(isKafkaAccessError(err)).toBe(true);
      expect(describeKafkaAccessError(err, secured, { topics: ['t'] })).toBe(
        describeKafkaError(err, secured, { topics: ['t'] }),
      );
    }
    const others = [
      afterRetries(socketError('connect ECONNREFUSED 10.0.0.1:9093', 'ECONNREFUSED')),
      protocolError('NOT_LEADER_FOR_PARTITION', 6, 'This server is not the leader for that topic-partition'),
      new ProducerFencedError('fenced', 'id', { cause: protocolError('PRODUCER_FENCED', 90, 'fenced') }),
      new Error('redis is down'),
      'a string',
    ];
    for (const err of others) {
      expect(isKafkaAccessError(err)).toBe(false);
      expect(describeKafkaAccessError(err, secured)).toBeNull();
    }
  });

  it('needs the settings, and keeps an explanation made already', () => {
    expect(describeKafkaAccessError(topicDenied(), null)).toBeNull();
    const explained = explainKafkaError(topicDenied(), secured, { topics: ['x'] });
    expect(describeKafkaAccessError(new Error(explained.message, { cause: explained }), null)).toBe(explained.message);
  });
});

describe('explainKafkaAccessError', () => {
  it('wraps a refusal and leaves any other error as it is', () => {
    const denied = groupDenied();
    const explained = explainKafkaAccessError(denied, secured, { groupId: 'g' }) as Error;
    expect(explained.name).toBe('KafkaConnectionError');
    expect(explained.message).toMatch(/^Kafka denied access to group g /);
    expect(explained.cause).toBe(denied);
    const other = new Error('This server does not host this topic-partition');
    expect(explainKafkaAccessError(other, secured)).toBe(other);
  });
});

describe('explainKafkaError', () => {
  it('wraps the error once, keeping it as the cause', () => {
    const original = new KafkaJSSASLAuthenticationError(
      'SASL SCRAM SHA512 authentication failed: Authentication failed',
    );
    const explained = explainKafkaError(original, secured);
    expect(explained.name).toBe('KafkaConnectionError');
    expect(explained.cause).toBe(original);
    expect(explainKafkaError(explained, secured)).toBe(explained);
  });
});

describe('probeKafka', () => {
  it('fails at once, without retrying, when nothing listens', async () => {
    const started = Date.now();
    // Port 1 on loopback: refused at once, on any machine.
    await expect(probeKafka({ ...plain, brokers: ['127.0.0.1:1'] }, 2000)).rejects.toThrow(
      /^Kafka at 127\.0\.0\.1:1 refused the connection/,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
