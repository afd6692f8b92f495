import { ContractViolation, SerdeError } from '@profilestream/contracts';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { silentLog } from '@profilestream/kafka';
import { EventProducer } from './index';

describe('EventProducer validation', () => {
  // Not connected: a valid record fails only at the transport, an invalid one before it.
  const producer = new EventProducer(toKafkaSettings(parseEnv(kafkaEnvSchema, {}), 'unit'), silentLog);
  const review = { eventId: 'e1', userId: 'u1', itemId: 'i1', text: 'Nice', platform: 'shop', occurredAt: Date.now() };

  it('rejects schema-invalid records naming the field', async () => {
    await expect(producer.sendReview({ ...review, rating: 2.5 })).rejects.toThrow(SerdeError);
    await expect(
      producer.sendClick({
        eventId: 'c',
        userId: 'u',
        itemId: 'i',
        action: 'hover' as never,
        platform: 'p',
        occurredAt: 1,
      }),
    ).rejects.toThrow(/action/);
  });

  it('rejects contract violations Avro cannot express', async () => {
    await expect(producer.sendReview({ ...review, rating: 6 })).rejects.toThrow(ContractViolation);
    await expect(producer.sendReview({ ...review, userId: '' })).rejects.toMatchObject({ reason: 'missing_id' });
    await expect(
      producer.sendItem({ itemId: 'i', title: 't', description: 'd', occurredAt: Date.now() + 86_400_000 }),
    ).rejects.toMatchObject({
      reason: 'future_timestamp',
    });
  });

  it('sends any platform event by its kind, with the same checks', async () => {
    await expect(producer.send({ kind: 'review', value: { ...review, rating: 6 } })).rejects.toMatchObject({
      reason: 'rating_out_of_range',
    });
    await expect(
      producer.send({ kind: 'deletion', value: { userId: '', requestedAt: Date.now() } }),
    ).rejects.toMatchObject({ reason: 'missing_id' });
    await expect(
      producer.send({
        kind: 'click',
        value: { eventId: 'c', userId: 'u', itemId: 'i', action: 'like', platform: 'p', occurredAt: Date.now() },
      }),
    ).rejects.toThrow('producer is not connected');
  });

  it('passes valid records on to the transport', async () => {
    await expect(producer.sendReview(review)).rejects.toThrow('producer is not connected');
    await expect(producer.sendDeletion({ userId: 'u1', requestedAt: Date.now() })).rejects.toThrow(
      'producer is not connected',
    );
  });
});
