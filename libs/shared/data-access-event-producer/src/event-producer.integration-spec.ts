import { Registry } from 'prom-client';
import { SingleObjectSerde, TOPICS, dlqTopicSpec, type Review } from '@profilestream/contracts';
import {
  BatchConsumer,
  BatchingProducer,
  DeadLetterPublisher,
  KafkaMetrics,
  decodingHandler,
  ok,
  provisionTopics,
  silentLog,
} from '@profilestream/kafka';
import { testKafka, testKafkaSettings, uniqueName, waitFor } from '@profilestream/kafka/testing';
import { EventProducer } from './index';

describe('EventProducer on a real broker', () => {
  it('publishes a typed review that the batch consumer reads back, keyed by user', async () => {
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await provisionTopics(admin, [TOPICS.reviews, dlqTopicSpec(TOPICS.reviews)], { replicationFactor: 1 });
    await admin.disconnect();

    const producer = new EventProducer(testKafkaSettings('platform'), silentLog);
    await producer.connect();
    const eventId = uniqueName('review');
    const userId = uniqueName('user');
    await producer.sendReview({
      eventId,
      userId,
      itemId: 'item-1',
      text: 'Lovely guitar strap 很好',
      rating: 5,
      platform: 'shop',
      occurredAt: Date.now(),
    });
    await producer.disconnect();

    const serde = new SingleObjectSerde('Review');
    const received: { key: string; review: Review }[] = [];
    const dlqProducer = new BatchingProducer(kafka, { log: silentLog });
    await dlqProducer.connect();
    const metrics = new KafkaMetrics(new Registry(), 'test');
    const consumer = new BatchConsumer(kafka, {
      groupId: uniqueName('g'),
      topics: [TOPICS.reviews.name],
      deadLetters: new DeadLetterPublisher(dlqProducer, 'test', metrics),
      metrics,
      log: silentLog,
      handler: decodingHandler(
        (b) => serde.decode(b),
        async (records) =>
          records.map((r) => {
            if (r.value.eventId === eventId) received.push({ key: r.message.key!.toString(), review: r.value });
            return ok;
          }),
      ),
    });
    await consumer.start();
    try {
      expect(await waitFor(() => received.length === 1, 30_000)).toBe(true);
      expect(received[0]).toMatchObject({
        key: userId,
        review: { eventId, userId, rating: 5, lang: null, text: 'Lovely guitar strap 很好' },
      });
    } finally {
      await consumer.stop();
      await dlqProducer.disconnect();
    }
  });
});
