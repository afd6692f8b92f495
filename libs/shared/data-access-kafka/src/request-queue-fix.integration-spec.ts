import { setTimeout as sleep } from 'node:timers/promises';
import { kafkajsRequestQueue } from './request-queue-fix';
import { connectedPlainKafka, createTopic, testKafka, uniqueName } from './testing';

describe('kafkajs request queue fix on a real broker', () => {
  const { admin, producer } = connectedPlainKafka(testKafka('request-queue-fix'));

  it('leaves idle connections at rest: no queue check a millisecond after the last response', async () => {
    const topic = uniqueName('request-queue');
    await createTopic(admin, topic, 1);
    await producer.send({ topic, messages: [{ key: 'k', value: 'v' }] });

    const prototype = kafkajsRequestQueue().prototype;
    const released = prototype.checkPendingRequests;
    let checks = 0;
    prototype.checkPendingRequests = function (this: typeof prototype) {
      checks++;
      released.call(this);
    };
    try {
      await sleep(1_000);
    } finally {
      prototype.checkPendingRequests = released;
    }
    // With kafkajs 2.2.4's own method, each connection that had a response checks about 1,000 times a second.
    expect(checks).toBeLessThan(20);
    await producer.send({ topic, messages: [{ key: 'k', value: 'after the rest' }] });
  });
});
