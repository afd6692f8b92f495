import { Registry } from 'prom-client';
import { ConfigResourceTypes } from 'kafkajs';
import {
  SingleObjectSerde,
  TOPICS,
  allTopicSpecs,
  dlqTopicName,
  type Review,
  type TopicSpec,
} from '@profilestream/contracts';
import {
  BatchConsumer,
  DLQ_HEADERS,
  DeadLetterPublisher,
  KafkaMetrics,
  decodingHandler,
  dlq,
  drop,
  ok,
  provisionTopics,
  silentLog,
  type Outcome,
} from '../src';
import { connectedKafka, createTopic, readTopic, testKafka, uniqueName, waitFor } from '../src/testing';

const serde = new SingleObjectSerde('Review');

function review(n: number): Review {
  return {
    eventId: `ev-${n}`,
    userId: `u-${n % 3}`,
    itemId: `i-${n}`,
    text: `text ${n}`,
    rating: (n % 5) + 1,
    lang: null,
    platform: 'test',
    occurredAt: 1_700_000_000_000 + n,
  };
}

describe('Kafka data access on a real broker', () => {
  const { kafka, admin, producer, started } = connectedKafka(testKafka());

  async function topicWithDlq(prefix: string, partitions = 1): Promise<string> {
    const topic = uniqueName(prefix);
    await createTopic(admin, topic, partitions);
    await createTopic(admin, dlqTopicName(topic));
    return topic;
  }

  function consumerFor(
    topic: string,
    groupId: string,
    handler: Parameters<typeof decodingHandler<Review>>[1],
    registry = new Registry(),
  ): BatchConsumer {
    const metrics = new KafkaMetrics(registry, 'test');
    const consumer = new BatchConsumer(kafka, {
      groupId,
      topics: [topic],
      handler: decodingHandler((b) => serde.decode(b), handler),
      deadLetters: new DeadLetterPublisher(producer, 'test-stage', metrics),
      metrics,
      log: silentLog,
      maxChunkMessages: 4,
    });
    started.push(consumer);
    return consumer;
  }

  it('consumes Avro records, dead-letters a malformed one with its reason and offset, and processes its neighbours', async () => {
    const topic = await topicWithDlq('mixed');
    const good = [1, 2, 3, 4, 5].map(review);
    await producer.send(topic, [
      { key: 'u-1', value: serde.encode(good[0]!) },
      { key: 'u-2', value: serde.encode(good[1]!) },
      { key: 'u-x', value: Buffer.from('{"not":"avro"}'), headers: { 'trace-id': 'abc' } },
      { key: 'u-3', value: serde.encode(good[2]!) },
      { key: 'u-4', value: null },
      { key: 'u-5', value: serde.encode(good[3]!) },
      { key: 'u-6', value: serde.encode(good[4]!) },
    ]);
    const seen: string[] = [];
    const registry = new Registry();
    const consumer = consumerFor(
      topic,
      uniqueName('g'),
      async (records) =>
        records.map(({ value }): Outcome => {
          seen.push(value.eventId);
          return value.eventId === 'ev-5' ? drop('not_interesting') : ok;
        }),
      registry,
    );
    await consumer.start();
    expect(await waitFor(() => seen.length === 5)).toBe(true);

    expect(seen).toEqual(['ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-5']);
    const letters = await readTopic(kafka, dlqTopicName(topic), 2);
    expect(letters).toHaveLength(2);
    const [bad, empty] = letters;
    expect(bad!.value!.toString()).toBe('{"not":"avro"}');
    expect(bad!.key!.toString()).toBe('u-x');
    expect(bad!.headers['trace-id']!.toString()).toBe('abc');
    expect(bad!.headers[DLQ_HEADERS.reason]!.toString()).toBe('unknown_framing');
    expect(bad!.headers[DLQ_HEADERS.sourceTopic]!.toString()).toBe(topic);
    expect(bad!.headers[DLQ_HEADERS.sourceOffset]!.toString()).toBe('2');
    expect(bad!.headers[DLQ_HEADERS.stage]!.toString()).toBe('test-stage');
    expect(empty!.headers[DLQ_HEADERS.reason]!.toString()).toBe('empty_payload');
    expect(empty!.headers[DLQ_HEADERS.sourceOffset]!.toString()).toBe('4');

    // Every consumed message is accounted for in the outcome metric.
    await waitFor(
      async () =>
        (await registry.getSingleMetric('test_kafka_message_outcomes_total')!.get()).values.reduce(
          (s, v) => s + v.value,
          0,
        ) === 7,
    );
    const outcomes = (await registry.getSingleMetric('test_kafka_message_outcomes_total')!.get()).values;
    const count = (outcome: string, reason: string) =>
      outcomes.find((v) => v.labels['outcome'] === outcome && v.labels['reason'] === reason)?.value;
    expect(count('ok', '')).toBe(4);
    expect(count('drop', 'not_interesting')).toBe(1);
    expect(count('dlq', 'unknown_framing')).toBe(1);
    expect(count('dlq', 'empty_payload')).toBe(1);
    const consumed = (await registry.getSingleMetric('test_kafka_consumed_messages_total')!.get()).values[0]!.value;
    expect(consumed).toBe(7);
  });

  it('resumes after the committed offsets: nothing processed twice after success, nothing skipped after a failure', async () => {
    const topic = await topicWithDlq('restart');
    const groupId = uniqueName('g');
    await producer.send(
      topic,
      [1, 2, 3, 4, 5, 6].map((n) => ({ key: `u-${n}`, value: serde.encode(review(n)) })),
    );

    // First run: everything succeeds.
    const firstRun: string[] = [];
    const first = consumerFor(topic, groupId, async (records) =>
      records.map(({ value }) => (firstRun.push(value.eventId), ok)),
    );
    await first.start();
    expect(await waitFor(() => firstRun.length === 6)).toBe(true);
    await first.stop();
    started.splice(started.indexOf(first), 1);

    // More records arrive; the second run fails on ev-8 before resolving it, then stops.
    await producer.send(
      topic,
      [7, 8, 9].map((n) => ({ key: `u-${n}`, value: serde.encode(review(n)) })),
    );
    const secondRun: string[] = [];
    let failures = 0;
    const second = consumerFor(topic, groupId, async (records) => {
      const outcomes: Outcome[] = [];
      for (const { value } of records) {
        if (value.eventId === 'ev-8') {
          failures++;
          throw new Error('dependency down');
        }
        secondRun.push(value.eventId);
        outcomes.push(ok);
      }
      return outcomes;
    });
    await second.start();
    expect(await waitFor(() => failures >= 1)).toBe(true);
    await second.stop();
    started.splice(started.indexOf(second), 1);
    expect(secondRun).not.toContain('ev-1');

    // Third run: resumes at the first unfinished record; nothing before it comes again.
    const thirdRun: string[] = [];
    const third = consumerFor(topic, groupId, async (records) =>
      records.map(({ value }) => (thirdRun.push(value.eventId), ok)),
    );
    await third.start();
    expect(await waitFor(() => thirdRun.includes('ev-9'))).toBe(true);
    // ev-7 shared the failed chunk with ev-8, so it was never resolved: it comes again, as it must.
    expect(firstRun).toEqual(['ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-5', 'ev-6']);
    expect(thirdRun).toEqual(['ev-7', 'ev-8', 'ev-9']);
  });

  it('dead-letters through an explicit dlq outcome with a detail', async () => {
    const topic = await topicWithDlq('explicit');
    await producer.send(topic, [{ key: 'u', value: serde.encode(review(1)) }]);
    const consumer = consumerFor(topic, uniqueName('g'), async (records) =>
      records.map(() => dlq('future_timestamp', 'occurredAt is 1 day ahead')),
    );
    await consumer.start();
    const [letter] = await readTopic(kafka, dlqTopicName(topic), 1);
    expect(letter!.headers[DLQ_HEADERS.reason]!.toString()).toBe('future_timestamp');
    expect(letter!.headers[DLQ_HEADERS.detail]!.toString()).toBe('occurredAt is 1 day ahead');
    expect(await serde.decode(letter!.value!)).toMatchObject({ eventId: 'ev-1' });
  });

  it('pauses and resumes fetching for backpressure', async () => {
    const topic = await topicWithDlq('pause');
    const seen: string[] = [];
    const consumer = consumerFor(topic, uniqueName('g'), async (records) =>
      records.map(({ value }) => (seen.push(value.eventId), ok)),
    );
    await consumer.start();
    await producer.send(topic, [{ key: 'u', value: serde.encode(review(1)) }]);
    expect(await waitFor(() => seen.length === 1)).toBe(true);
    consumer.pause();
    expect(consumer.health().paused).toBe(true);
    await producer.send(topic, [{ key: 'u', value: serde.encode(review(2)) }]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(seen).toEqual(['ev-1']);
    consumer.resume();
    expect(await waitFor(() => seen.length === 2)).toBe(true);
    expect(consumer.health()).toMatchObject({ running: true, joined: true, crashed: null, stalled: false });
  });

  it('provisions topics idempotently with the contract settings', async () => {
    const prefix = uniqueName('prov');
    const specs: TopicSpec[] = allTopicSpecs().map((s) => ({ ...s, name: `${prefix}.${s.name}` }));
    const first = await provisionTopics(admin, specs, { replicationFactor: 1, partitions: 2 });
    expect(first.created).toHaveLength(specs.length);
    const second = await provisionTopics(admin, specs, { replicationFactor: 1, partitions: 2 });
    expect(second).toEqual({ created: [], existing: specs.map((s) => s.name) });

    const profiles = `${prefix}.${TOPICS.profiles.name}`;
    const reviews = `${prefix}.${TOPICS.reviews.name}`;
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [profiles, reviews].map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy', 'retention.ms'],
      })),
    });
    const config = (name: string, key: string) =>
      described.resources.find((r) => r.resourceName === name)!.configEntries.find((e) => e.configName === key)!
        .configValue;
    expect(config(profiles, 'cleanup.policy')).toBe('compact');
    expect(config(reviews, 'cleanup.policy')).toBe('delete');
    expect(config(reviews, 'retention.ms')).toBe(String(TOPICS.reviews.retentionMs));
    const metadata = await admin.fetchTopicMetadata({ topics: [profiles] });
    expect(metadata.topics[0]!.partitions).toHaveLength(2);
  });
});
