import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Consumer and producer metrics, registered on the service's own registry under its prefix. */
export class KafkaMetrics {
  readonly consumed: Counter<'topic'>;
  readonly outcomes: Counter<'topic' | 'outcome' | 'reason'>;
  readonly batchSize: Histogram<'topic'>;
  readonly handlerSeconds: Histogram<'topic'>;
  readonly handlerErrors: Counter<'topic'>;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly produced: Counter<'topic'>;
  readonly producedBytes: Counter<'topic'>;
  readonly produceSeconds: Histogram<never>;
  readonly deadLettered: Counter<'topic' | 'reason'>;
  readonly transactions: Counter<'outcome'>;
  readonly transactionSeconds: Histogram<never>;

  constructor(registry: Registry, prefix: string) {
    const registers = [registry];
    this.consumed = new Counter({
      name: `${prefix}_kafka_consumed_messages_total`,
      help: 'Messages consumed, by source topic.',
      labelNames: ['topic'],
      registers,
    });
    this.outcomes = new Counter({
      name: `${prefix}_kafka_message_outcomes_total`,
      help: 'What became of each consumed message: ok, dlq or drop, with the reason.',
      labelNames: ['topic', 'outcome', 'reason'],
      registers,
    });
    this.batchSize = new Histogram({
      name: `${prefix}_kafka_batch_messages`,
      help: 'Messages handed to the handler at once.',
      labelNames: ['topic'],
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers,
    });
    this.handlerSeconds = new Histogram({
      name: `${prefix}_kafka_handler_seconds`,
      help: 'Time the handler took for one chunk, side effects included.',
      labelNames: ['topic'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.handlerErrors = new Counter({
      name: `${prefix}_kafka_handler_errors_total`,
      help: 'Chunks whose handler threw; they are retried from the last resolved offset.',
      labelNames: ['topic'],
      registers,
    });
    this.lag = new Gauge({
      name: `${prefix}_kafka_consumer_lag_messages`,
      help: 'Messages between the last processed offset and the high watermark.',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.produced = new Counter({
      name: `${prefix}_kafka_produced_messages_total`,
      help: 'Messages acknowledged by the brokers.',
      labelNames: ['topic'],
      registers,
    });
    this.producedBytes = new Counter({
      name: `${prefix}_kafka_produced_bytes_total`,
      help: 'Key and value bytes of messages acknowledged by the brokers, by topic (transactional writes).',
      labelNames: ['topic'],
      registers,
    });
    this.produceSeconds = new Histogram({
      name: `${prefix}_kafka_produce_seconds`,
      help: "Time from a send request to the brokers' acknowledgement of its batch.",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.deadLettered = new Counter({
      name: `${prefix}_kafka_dead_lettered_total`,
      help: 'Records written to a dead-letter topic, by source topic and reason.',
      labelNames: ['topic', 'reason'],
      registers,
    });
    this.transactions = new Counter({
      name: `${prefix}_kafka_transactions_total`,
      help: 'Kafka transactions (records and consumed offsets written atomically), by outcome: committed, aborted, or fenced (another member took the partition over).',
      labelNames: ['outcome'],
      registers,
    });
    this.transactionSeconds = new Histogram({
      name: `${prefix}_kafka_transaction_seconds`,
      help: 'Time from the start of a transaction to its commit.',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
  }
}
