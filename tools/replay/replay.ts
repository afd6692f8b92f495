/**
 * `npm run replay -- --file EVENTS.jsonl[.gz] [--rate N | --speedup X | --asap] [--limit N] [--platform NAME]`
 *
 * Sends a JSON-lines file of events (one object a line: see ReplayLine) onto the input topics
 * through the typed producer, so every record is validated exactly as a platform's would be.
 * Prints progress every few seconds and, at the end, what was sent and what was rejected, by reason.
 * Kafka settings come from the usual KAFKA_* variables.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { ContractViolation, SerdeError } from '@profilestream/contracts';
import { EventProducer, mapReplayLine, type ReplayLine } from '@profilestream/event-producer';
import { silentLog } from '@profilestream/kafka';
import { Pacer, pacingFrom } from './pacing';

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    rate: { type: 'string', default: '200' },
    speedup: { type: 'string' },
    asap: { type: 'boolean', default: false },
    limit: { type: 'string' },
    platform: { type: 'string', default: 'replay' },
  },
});

async function main(): Promise<void> {
  if (!values.file) throw new Error('--file is required');
  const pacing = pacingFrom(values);
  const limit = values.limit ? Number(values.limit) : Infinity;
  const producer = new EventProducer(toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'replay'), silentLog);
  await producer.connect();

  const input = createReadStream(values.file);
  const lines = createInterface({ input: values.file.endsWith('.gz') ? input.pipe(createGunzip()) : input, crlfDelay: Infinity });
  const sent: Record<string, number> = {};
  const rejected: Record<string, number> = {};
  const reject = (reason: string): void => {
    rejected[reason] = (rejected[reason] ?? 0) + 1;
  };
  const started = Date.now();
  const pacer = new Pacer(pacing, started);
  let index = 0;
  let inFlight: Promise<void>[] = [];
  const progress = setInterval(() => {
    const total = Object.values(sent).reduce((a, b) => a + b, 0);
    console.log(`replay: ${total} sent, ${Object.values(rejected).reduce((a, b) => a + b, 0)} rejected, ${(total / ((Date.now() - started) / 1000)).toFixed(0)} events/s`);
  }, 5000);

  for await (const text of lines) {
    if (!text.trim()) continue;
    if (index >= limit) break;
    const i = index++;
    let line: ReplayLine;
    try {
      line = JSON.parse(text) as ReplayLine;
    } catch {
      reject('invalid_json');
      continue;
    }
    const mapped = mapReplayLine(line, i, values.platform);
    if ('error' in mapped) {
      reject(mapped.error);
      continue;
    }
    await pacer.wait(mapped.kind === 'deletion' ? mapped.value.requestedAt : mapped.value.occurredAt);
    inFlight.push(
      producer.send(mapped).then(
        () => void (sent[mapped.kind] = (sent[mapped.kind] ?? 0) + 1),
        (err: unknown) => {
          reject(err instanceof ContractViolation || err instanceof SerdeError ? err.reason : 'send_failed');
        },
      ),
    );
    if (inFlight.length >= 1000) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  clearInterval(progress);
  await producer.disconnect();
  const seconds = (Date.now() - started) / 1000;
  console.log(JSON.stringify({ sent, rejected, seconds: Number(seconds.toFixed(1)) }));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
