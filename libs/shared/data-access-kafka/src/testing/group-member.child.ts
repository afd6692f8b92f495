/**
 * Child process of the consumer-group failover spec: one member of a group, configured the way a
 * service is (the KAFKA_* variables of its environment), consuming `argv[2]` in group `argv[3]`
 * and printing `partition N` for every record it handles, until it is killed (or its parent goes:
 * it exits when its stdin closes, so a killed test run leaves no member behind).
 */
import { Registry } from 'prom-client';
import { kafkaCrossChecks, kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { BatchConsumer, ok } from '../batch-consumer';
import { BatchingProducer } from '../batching-producer';
import { DeadLetterPublisher } from '../dead-letter';
import { KafkaMetrics } from '../kafka-metrics';
import { createKafka } from '../kafka.client';
import { silentLog } from '../log-sink';

async function main(): Promise<void> {
  const [topic, groupId] = process.argv.slice(2);
  if (!topic || !groupId) throw new Error('usage: group-member.child.ts TOPIC GROUP');
  const kafka = createKafka(
    toKafkaSettings(parseEnv(kafkaEnvSchema, process.env, kafkaCrossChecks), 'member'),
    silentLog,
  );
  const producer = new BatchingProducer(kafka, { log: silentLog });
  await producer.connect();
  const metrics = new KafkaMetrics(new Registry(), 'member');
  const consumer = new BatchConsumer(kafka, {
    groupId,
    topics: [topic],
    handler: async (messages) =>
      messages.map((m) => {
        process.stdout.write(`partition ${m.partition}\n`);
        return ok;
      }),
    deadLetters: new DeadLetterPublisher(producer, 'member', metrics),
    metrics,
    log: silentLog,
  });
  process.stdin.on('end', () => process.exit(0)).resume();
  await consumer.start();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
