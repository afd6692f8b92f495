/**
 * Where a pipeline phase's CPU went: cores used by each service process and by everything else on
 * the machine (Kafka, Redis, the driver, other users of a shared machine), and inside the encoder,
 * its main thread against its inference workers, how busy the workers were and how full their runs.
 */
import {
  bucketDelta,
  histogramBuckets,
  histogramQuantile,
  type LocalPipeline,
  type ServiceName,
  type Bucket,
} from '@profilestream/tools-runtime';
import { machineCpuSeconds, pidListeningOn, processCpuSeconds, splitThreadCpu, threadCpuSeconds } from './thread-cpu';

interface Snapshot {
  at: number;
  machine: { busy: number; steal: number };
  services: Record<ServiceName, number>;
  /** The local broker's and Redis' processes (found by their ports), when visible. */
  infra: { kafka: number; redis: number };
  encoderThreads: Map<number, number>;
  encoder: {
    runSeconds: number;
    runs: number;
    runTexts: number;
    paddingSum: number;
    chunks: number;
    chunkMessages: number;
    transactions: number;
    transactionSeconds: number;
    chunkSeconds: Bucket[];
  };
}

/** The local infrastructure's ports, as the bench's environment names them. */
function infraPids(): { kafka: number | null; redis: number | null } {
  const port = (url: string | undefined, fallback: number) => Number(/:(\d+)\/?$/.exec(url ?? '')?.[1] ?? fallback);
  return {
    kafka: pidListeningOn(port(process.env['KAFKA_BROKERS']?.split(',')[0], 9092)),
    redis: pidListeningOn(port(process.env['REDIS_URL'], 6379)),
  };
}

export async function usageSnapshot(pipeline: LocalPipeline): Promise<Snapshot> {
  const { services } = pipeline;
  const cpu = (name: ServiceName) => processCpuSeconds(services[name].pid ?? -1) ?? 0;
  const text = await services.encoder.metricsText();
  const sum = (name: string) => metricSum(text, name);
  const pids = infraPids();
  return {
    at: performance.now(),
    machine: machineCpuSeconds(),
    services: { 'text-cleaner': cpu('text-cleaner'), encoder: cpu('encoder'), 'profile-fuser': cpu('profile-fuser') },
    infra: {
      kafka: pids.kafka === null ? 0 : (processCpuSeconds(pids.kafka) ?? 0),
      redis: pids.redis === null ? 0 : (processCpuSeconds(pids.redis) ?? 0),
    },
    encoderThreads: threadCpuSeconds(services.encoder.pid ?? -1),
    encoder: {
      runSeconds: sum('encoder_run_seconds_sum'),
      runs: sum('encoder_run_texts_count'),
      runTexts: sum('encoder_run_texts_sum'),
      paddingSum: sum('encoder_padding_ratio_sum'),
      chunks: sum('encoder_kafka_batch_messages_count'),
      chunkMessages: sum('encoder_kafka_batch_messages_sum'),
      transactions: sum('encoder_kafka_transaction_seconds_count'),
      transactionSeconds: sum('encoder_kafka_transaction_seconds_sum'),
      chunkSeconds: histogramBuckets(text, 'encoder_kafka_handler_seconds'),
    },
  };
}

/** Cores each process and the rest of the machine used between two snapshots. */
export function describeCores(a: Snapshot, b: Snapshot): string {
  const seconds = (b.at - a.at) / 1000;
  const cores = (s: number) => (s / seconds).toFixed(2);
  const names = Object.keys(a.services) as ServiceName[];
  const services = names.map((n) => `${n} ${cores(b.services[n] - a.services[n])}`);
  const servicesTotal = names.reduce((s, n) => s + b.services[n] - a.services[n], 0);
  const kafka = b.infra.kafka - a.infra.kafka;
  const redis = b.infra.redis - a.infra.redis;
  const rest = b.machine.busy - a.machine.busy - servicesTotal - kafka - redis;
  return `cores used: ${services.join(', ')}, Kafka ${cores(kafka)}, Redis ${cores(redis)}, everything else ${cores(rest)} (the driver, other users of the machine; steal ${cores(b.machine.steal - a.machine.steal)})`;
}

/** One line describing the phase between two snapshots, for the bench notes. */
export function describeUsage(
  what: string,
  a: Snapshot,
  b: Snapshot,
  encoderPid: number,
  workers: number,
  texts: number,
): string {
  const seconds = (b.at - a.at) / 1000;
  const threads = splitThreadCpu(encoderPid, a.encoderThreads, b.encoderThreads, workers);
  const runs = b.encoder.runs - a.encoder.runs;
  const perText = (s: number) => ((1000 * s) / Math.max(1, texts)).toFixed(2);
  const chunks = b.encoder.chunks - a.encoder.chunks;
  const transactions = b.encoder.transactions - a.encoder.transactions;
  const chunkSeconds = bucketDelta(b.encoder.chunkSeconds, a.encoder.chunkSeconds);
  return (
    `${what}: ${describeCores(a, b)}; ` +
    `encoder CPU per text: main thread ${perText(threads.main)} ms, workers ${perText(threads.workers)} ms, other threads ${perText(threads.other)} ms; ` +
    `workers busy ${((b.encoder.runSeconds - a.encoder.runSeconds) / (seconds * workers)).toFixed(2)}, ` +
    `${runs > 0 ? ((b.encoder.runTexts - a.encoder.runTexts) / runs).toFixed(1) : '0'} texts per run, padding ${runs > 0 ? ((b.encoder.paddingSum - a.encoder.paddingSum) / runs).toFixed(3) : '0'}; ` +
    `encoder chunks: ${chunks}, ${chunks > 0 ? ((b.encoder.chunkMessages - a.encoder.chunkMessages) / chunks).toFixed(1) : '0'} texts each, handled and committed in p50 ${histogramQuantile(0.5, chunkSeconds).toFixed(3)} s, p99 ${histogramQuantile(0.99, chunkSeconds).toFixed(3)} s, ` +
    `of which the transaction ${transactions > 0 ? ((b.encoder.transactionSeconds - a.encoder.transactionSeconds) / transactions).toFixed(3) : '0'} s on average`
  );
}

/** A metric's value summed over its series in a Prometheus exposition. */
function metricSum(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z0-9_:]+)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name) sum += Number(m[3]);
  }
  return sum;
}
