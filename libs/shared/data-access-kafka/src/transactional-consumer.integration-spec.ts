import { Registry } from 'prom-client';
import { dlqTopicName } from '@profilestream/contracts';
import {
  AcknowledgedChunkWriter,
  BatchConsumer,
  DLQ_HEADERS,
  DeadLetterPublisher,
  KafkaMetrics,
  TransactionalChunkWriter,
  TransactionalProducer,
  dlq,
  ok,
  silentLog,
  type ChunkResult,
  type ConsumedMessage,
  type LogSink,
  type TransformHandler,
} from '../src';
import { connectedKafka, createTopic, readTopic, testKafka, uniqueName, waitFor } from '../src/testing';

/** A log that keeps its messages, to wait for what a consumer reports. */
function recordingLog(): LogSink & { messages: string[] } {
  const messages: string[] = [];
  const keep = (_obj: object, msg?: string) => void messages.push(msg ?? '');
  return { messages, debug: keep, info: keep, warn: keep, error: keep };
}

const text = (m: ConsumedMessage) => m.value!.toString();

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = (await registry.getSingleMetric(name)!.get()).values;
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((s, v) => s + v.value, 0);
}

describe('BatchConsumer with transactional chunk writes, on a real broker', () => {
  const { kafka, admin, producer, started } = connectedKafka(testKafka());

  interface Setup {
    input: string;
    output: string;
    groupId: string;
  }

  async function topics(name: string, partitions = 1): Promise<Setup> {
    const input = uniqueName(`${name}-in`);
    const output = uniqueName(`${name}-out`);
    await createTopic(admin, input, partitions);
    await createTopic(admin, dlqTopicName(input));
    await createTopic(admin, output, 2);
    return { input, output, groupId: uniqueName(`${name}-g`) };
  }

  function consumer(
    s: Setup,
    transform: TransformHandler,
    options: {
      registry?: Registry;
      log?: LogSink;
      sessionTimeoutMs?: number;
      writer?: 'transactional' | 'acknowledged';
      chunksInFlight?: number;
      reclaimAfterFenceMs?: number;
    } = {},
  ): BatchConsumer {
    const metrics = new KafkaMetrics(options.registry ?? new Registry(), 'test');
    const log = options.log ?? silentLog;
    const writer =
      options.writer === 'acknowledged'
        ? new AcknowledgedChunkWriter(new DeadLetterPublisher(producer, 'test-stage', metrics), producer)
        : new TransactionalChunkWriter(kafka, { groupId: s.groupId, stage: 'test-stage', log, metrics });
    const c = new BatchConsumer(kafka, {
      groupId: s.groupId,
      topics: [s.input],
      transform,
      writer,
      metrics,
      log,
      maxChunkMessages: 4,
      ...(options.chunksInFlight ? { chunksInFlight: options.chunksInFlight } : {}),
      ...(options.reclaimAfterFenceMs ? { reclaimAfterFenceMs: options.reclaimAfterFenceMs } : {}),
      ...(options.sessionTimeoutMs ? { sessionTimeoutMs: options.sessionTimeoutMs, heartbeatIntervalMs: 500 } : {}),
    });
    started.push(c);
    return c;
  }

  /** Maps every message to one output record, `<tag>:<value>`; a value starting with `bad` is dead-lettered. */
  function echo(s: Setup, tag: string, seen: string[] = []): TransformHandler {
    return async (messages): Promise<ChunkResult> => {
      const out = messages.filter((m) => !text(m).startsWith('bad'));
      seen.push(...messages.map(text));
      return {
        outcomes: messages.map((m) => (text(m).startsWith('bad') ? dlq('bad_input', text(m)) : ok)),
        records: [
          { topic: s.output, messages: out.map((m) => ({ key: m.key, value: Buffer.from(`${tag}:${text(m)}`) })) },
        ],
      };
    };
  }

  /** Echoes as `tag`, but holds each chunk until `release()`; `entered()` says one got there. */
  function heldEcho(s: Setup, tag: string) {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered = false;
    const transform: TransformHandler = async (messages) => {
      entered = true;
      await gate;
      return echo(s, tag)(messages);
    };
    return { transform, release: () => release(), entered: () => entered };
  }

  async function send(topic: string, values: string[], partition?: number): Promise<void> {
    await producer.send(
      topic,
      values.map((v) => ({ key: v, value: Buffer.from(v), ...(partition === undefined ? {} : { partition }) })),
    );
  }

  it("commits each chunk's records, dead letters and consumed offsets together; a restart reprocesses nothing", async () => {
    const s = await topics('txn-commit', 2);
    await send(s.input, ['a0', 'a1', 'bad-a2', 'a3', 'a4', 'a5'], 0);
    await send(s.input, ['b0', 'b1', 'b2'], 1);
    const registry = new Registry();
    const first = consumer(s, echo(s, 'first'), { registry });
    await first.start();

    const out = await readTopic(kafka, s.output, 8);
    expect(out.map(text).sort()).toEqual([
      'first:a0',
      'first:a1',
      'first:a3',
      'first:a4',
      'first:a5',
      'first:b0',
      'first:b1',
      'first:b2',
    ]);
    const [letter] = await readTopic(kafka, dlqTopicName(s.input), 1);
    expect(letter!.value!.toString()).toBe('bad-a2');
    expect(letter!.headers[DLQ_HEADERS.reason]!.toString()).toBe('bad_input');
    expect(letter!.headers[DLQ_HEADERS.stage]!.toString()).toBe('test-stage');
    expect(letter!.headers[DLQ_HEADERS.sourceOffset]!.toString()).toBe('2');

    // The offsets moved with the records, through the transactions only (the consumer never commits them).
    expect(
      await waitFor(async () => {
        const [committed] = await admin.fetchOffsets({ groupId: s.groupId, topics: [s.input] });
        return (
          committed!.partitions
            .map((p) => `${p.partition}=${p.offset}`)
            .sort()
            .join(',') === '0=6,1=3'
        );
      }, 20_000),
    ).toBe(true);
    expect(
      await metricValue(registry, 'test_kafka_transactions_total', { outcome: 'committed' }),
    ).toBeGreaterThanOrEqual(3);
    expect(await metricValue(registry, 'test_kafka_message_outcomes_total')).toBe(9);
    expect(await metricValue(registry, 'test_kafka_dead_lettered_total', { reason: 'bad_input' })).toBe(1);
    await first.stop();
    started.splice(started.indexOf(first), 1);

    const seen: string[] = [];
    const second = consumer(s, echo(s, 'second', seen));
    await second.start();
    await send(s.input, ['a6'], 0);
    expect(await waitFor(() => seen.length > 0)).toBe(true);
    expect(seen).toEqual(['a6']);
  });

  it('aborts a chunk whose write fails: none of its records or dead letters become visible, and it is redelivered', async () => {
    const s = await topics('txn-abort');
    const small = uniqueName('txn-small');
    await createTopic(admin, small, 1, [{ name: 'max.message.bytes', value: '1024' }]);
    await send(s.input, ['x0', 'bad-x1', 'x2']);
    let calls = 0;
    const registry = new Registry();
    const c = consumer(
      s,
      async (messages) => {
        calls++;
        const result = await echo(s, `try${calls}`)(messages);
        // The first attempt also writes a record its topic refuses: the transaction fails after the other records were written.
        if (calls === 1) result.records.push({ topic: small, messages: [{ key: 'k', value: Buffer.alloc(4096) }] });
        return result;
      },
      { registry },
    );
    await c.start();

    const committed = await readTopic(kafka, s.output, 2);
    expect(committed.map(text).sort()).toEqual(['try2:x0', 'try2:x2']);
    expect(calls).toBe(2);
    const letters = await readTopic(kafka, dlqTopicName(s.input), 2, 3_000);
    expect(letters.map((l) => l.headers[DLQ_HEADERS.sourceOffset]!.toString())).toEqual(['1']);
    // The failed attempt's records were written, then aborted: only a read_uncommitted reader sees them.
    const everything = await readTopic(kafka, s.output, 4, 10_000, { readUncommitted: true });
    expect(everything.map(text).sort()).toEqual(['try1:x0', 'try1:x2', 'try2:x0', 'try2:x2']);
    expect(await metricValue(registry, 'test_kafka_transactions_total', { outcome: 'aborted' })).toBe(1);
    expect(await metricValue(registry, 'test_kafka_handler_errors_total')).toBe(1);
    // Each message ended once: two ok and one dlq, though the chunk ran twice.
    expect(await metricValue(registry, 'test_kafka_message_outcomes_total')).toBe(3);
  });

  it('fences a zombie: a member that lost its partition while handling a chunk cannot commit it', async () => {
    const s = await topics('txn-zombie');
    await send(s.input, ['z0', 'z1', 'z2']);
    const { transform, release, entered } = heldEcho(s, 'zombie');
    const zombieRegistry = new Registry();
    const zombieLog = recordingLog();
    // The zombie stalls inside its first chunk, without heartbeats, until its session expires.
    const zombie = consumer(s, transform, { registry: zombieRegistry, log: zombieLog, sessionTimeoutMs: 6_000 });
    await zombie.start();
    expect(await waitFor(entered)).toBe(true);

    const successor = consumer(s, echo(s, 'successor'), { sessionTimeoutMs: 6_000 });
    try {
      await successor.start();
      const byNewOwner = await readTopic(kafka, s.output, 3);
      expect(byNewOwner.map(text).sort()).toEqual(['successor:z0', 'successor:z1', 'successor:z2']);
    } finally {
      // Even when the test fails: a zombie still stuck in its chunk could not stop.
      release();
    }
    expect(await waitFor(() => zombieLog.messages.some((m) => m.startsWith('producer fenced')), 30_000)).toBe(true);
    expect(await metricValue(zombieRegistry, 'test_kafka_transactions_total', { outcome: 'fenced' })).toBe(1);
    expect(await metricValue(zombieRegistry, 'test_kafka_message_outcomes_total')).toBe(0);
    const visible = await readTopic(kafka, s.output, 4, 5_000);
    expect(visible.map(text).sort()).toEqual(['successor:z0', 'successor:z1', 'successor:z2']);
    // Not even a read_uncommitted reader sees the zombie's records: the broker refused them.
    const everything = await readTopic(kafka, s.output, 4, 5_000, { readUncommitted: true });
    expect(everything.map(text).filter((v) => v.startsWith('zombie'))).toEqual([]);

    // The zombie rejoins and the group assigns the partition afresh: whoever owns it now claims it
    // again and goes on, each record once.
    await send(s.input, ['z3', 'z4']);
    expect(await readTopic(kafka, s.output, 5, 60_000)).toHaveLength(5);
    const later = await readTopic(kafka, s.output, 6, 5_000);
    expect(later.map((m) => text(m).split(':')[1]).sort()).toEqual(['z0', 'z1', 'z2', 'z3', 'z4']);
  }, 120_000);

  it('claims a partition again after a fence that no rebalance explains (an expired transaction), and writes each record once', async () => {
    const s = await topics('txn-refence');
    await send(s.input, ['r0', 'r1', 'r2']);
    const { transform, release, entered } = heldEcho(s, 'only');
    const registry = new Registry();
    const log = recordingLog();
    const only = consumer(s, transform, { registry, log, reclaimAfterFenceMs: 1_000 });
    await only.start();
    expect(await waitFor(entered)).toBe(true);
    // The partition's transactional id gets a newer epoch while the chunk is handled, as when the
    // broker expires a transaction left open through an outage; no member joins or leaves.
    const bump = kafka.producer({
      transactionalId: `${s.groupId}-${s.input}-0`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await bump.connect();
    try {
      await (await bump.transaction()).abort();
    } finally {
      await bump.disconnect();
      release();
    }
    expect(await waitFor(() => log.messages.some((m) => m.startsWith('producer fenced')), 30_000)).toBe(true);
    await send(s.input, ['r3']);
    const out = await readTopic(kafka, s.output, 4, 30_000);
    expect(out.map(text).sort()).toEqual(['only:r0', 'only:r1', 'only:r2', 'only:r3']);
    expect(log.messages.some((m) => m.startsWith('partition still assigned here'))).toBe(true);
    expect(await metricValue(registry, 'test_kafka_transactions_total', { outcome: 'fenced' })).toBe(1);
    expect(await readTopic(kafka, s.output, 5, 3_000)).toHaveLength(4);
  }, 120_000);

  it("starts after the committed offset when a previous owner's last transaction landed after the group formed", async () => {
    const s = await topics('txn-late');
    const seen: string[] = [];
    const c = consumer(s, echo(s, 'owner', seen));
    await c.start();
    expect(await waitFor(() => c.health().joined)).toBe(true);
    // The previous owner's producer for partition 0 commits its chunk (offsets 0-2) only now,
    // after this member read the group's offsets (none) and set its position to the beginning.
    const writer = new TransactionalChunkWriter(kafka, { groupId: s.groupId, stage: 'test-stage', log: silentLog });
    const previous = new TransactionalProducer(kafka, {
      transactionalId: writer.transactionalId(s.input, 0),
      log: silentLog,
    });
    await previous.connect();
    await previous.commit({
      batches: [
        { topic: s.output, messages: ['p0', 'p1', 'p2'].map((v) => ({ key: v, value: Buffer.from(`previous:${v}`) })) },
      ],
      offsets: { groupId: s.groupId, partitions: [{ topic: s.input, partition: 0, offset: '3' }] },
    });
    await previous.disconnect();
    // (Sent after that commit: the member would otherwise claim the partition first and fence it.)
    await send(s.input, ['p0', 'p1', 'p2', 'p3', 'p4']);

    const out = await readTopic(kafka, s.output, 5);
    expect(out.map(text).sort()).toEqual(['owner:p3', 'owner:p4', 'previous:p0', 'previous:p1', 'previous:p2']);
    expect(seen).toEqual(['p3', 'p4']);
  });

  /**
   * Echoes each message to partition 0 of the output (so its order is visible) after a delay that
   * shrinks along the partition: later chunks finish their handling first. Counts overlapping calls.
   */
  function overlapping(
    s: Setup,
    tag: string,
    calls: string[],
    active = { now: 0, max: 0 },
    fail?: (first: string, attempt: number) => boolean,
  ): TransformHandler {
    const attempts = new Map<string, number>();
    return async (messages) => {
      const first = text(messages[0]!);
      const attempt = (attempts.get(first) ?? 0) + 1;
      attempts.set(first, attempt);
      calls.push(first);
      active.now++;
      active.max = Math.max(active.max, active.now);
      try {
        await new Promise((r) => setTimeout(r, Math.max(0, 400 - 40 * Number(first.slice(1)))));
        if (fail?.(first, attempt)) throw new Error(`chunk from ${first} failed`);
        return {
          outcomes: messages.map(() => ok),
          records: [
            {
              topic: s.output,
              messages: messages.map((m) => ({ key: m.key, value: Buffer.from(`${tag}:${text(m)}`), partition: 0 })),
            },
          ],
        };
      } finally {
        active.now--;
      }
    };
  }

  it("overlaps the handling of a partition's chunks (chunksInFlight) but writes and commits them in offset order", async () => {
    const s = await topics('txn-overlap');
    const values = Array.from({ length: 12 }, (_, i) => `c${i}`);
    await send(s.input, values, 0);
    const calls: string[] = [];
    const active = { now: 0, max: 0 };
    const c = consumer(s, overlapping(s, 'o', calls, active), { chunksInFlight: 3 });
    await c.start();

    const out = await readTopic(kafka, s.output, 12);
    expect(out.map(text)).toEqual(values.map((v) => `o:${v}`));
    expect(active.max).toBe(3);
    expect(calls).toEqual(['c0', 'c4', 'c8']);
    expect(
      await waitFor(
        async () =>
          (await admin.fetchOffsets({ groupId: s.groupId, topics: [s.input] }))[0]!.partitions[0]!.offset === '12',
        20_000,
      ),
    ).toBe(true);
  });

  it('writes none of the chunks started after one that fails, and handles them all again once', async () => {
    const s = await topics('txn-overlap-fail');
    const values = Array.from({ length: 12 }, (_, i) => `c${i}`);
    await send(s.input, values, 0);
    const calls: string[] = [];
    const registry = new Registry();
    // The middle chunk fails on its first attempt, after the last chunk was handled (it is quicker).
    const c = consumer(
      s,
      overlapping(s, 'f', calls, undefined, (first, attempt) => first === 'c4' && attempt === 1),
      { chunksInFlight: 3, registry },
    );
    await c.start();

    const out = await readTopic(kafka, s.output, 12);
    expect(out.map(text)).toEqual(values.map((v) => `f:${v}`));
    expect(calls).toEqual(['c0', 'c4', 'c8', 'c4', 'c8']);
    // The last chunk's first result was never written, not even in an aborted transaction.
    const everything = await readTopic(kafka, s.output, 13, 5_000, { readUncommitted: true });
    expect(everything).toHaveLength(12);
    expect(await metricValue(registry, 'test_kafka_handler_errors_total')).toBe(1);
    expect(await metricValue(registry, 'test_kafka_message_outcomes_total')).toBe(12);
  });

  it('writes records and dead letters acknowledged, then commits, when not transactional (at least once)', async () => {
    const s = await topics('ack');
    await send(s.input, ['k0', 'bad-k1']);
    const c = consumer(s, echo(s, 'ack'), { writer: 'acknowledged' });
    await c.start();
    expect((await readTopic(kafka, s.output, 1)).map(text)).toEqual(['ack:k0']);
    expect((await readTopic(kafka, dlqTopicName(s.input), 1)).map(text)).toEqual(['bad-k1']);
    expect(
      await waitFor(
        async () =>
          (await admin.fetchOffsets({ groupId: s.groupId, topics: [s.input] }))[0]!.partitions[0]!.offset === '2',
        20_000,
      ),
    ).toBe(true);
  });
});
