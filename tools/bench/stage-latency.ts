/**
 * Where a text's latency goes before profile-fuser: for the texts that arrived in a window, the
 * time from arrival at text-cleaner (`ingestedAt`) to text-cleaner's write of its CleanedText, and
 * to the encoder's write of its EmbeddedText (the records' timestamps, set when each service sent
 * them inside its transaction; the transaction's commit comes after). Read back with
 * read_committed once the run has drained.
 */
import { SingleObjectSerde, type TopicCatalog } from '@profilestream/contracts';
import { readTopicToEnd, type Kafka } from '@profilestream/kafka';

export interface StageLatency {
  texts: number;
  /** Seconds from arrival to text-cleaner's write, p50 and p99. */
  cleaned: [number, number];
  /** Seconds from arrival to the encoder's write, p50 and p99. */
  embedded: [number, number];
  /** Seconds from text-cleaner's write to the encoder's, p50 and p99. */
  encoderHop: [number, number];
}

export async function stageLatency(
  kafka: Kafka,
  topics: TopicCatalog,
  from: number,
  to: number,
): Promise<StageLatency> {
  const cleanedSerde = new SingleObjectSerde('CleanedText');
  const embeddedSerde = new SingleObjectSerde('EmbeddedText');
  const cleanedAt = new Map<string, number>();
  await readTopicToEnd(kafka, topics.textsCleaned.name, (m) => {
    if (!m.value) return;
    const t = cleanedSerde.decodeSync(m.value);
    if (t.ingestedAt >= from && t.ingestedAt < to) cleanedAt.set(t.eventId, m.timestamp);
  });
  const cleaned: number[] = [];
  const embedded: number[] = [];
  const hop: number[] = [];
  await readTopicToEnd(kafka, topics.textsEmbedded.name, (m) => {
    if (!m.value) return;
    const t = embeddedSerde.decodeSync(m.value);
    const c = cleanedAt.get(t.eventId);
    if (c === undefined) return;
    cleaned.push((c - t.ingestedAt) / 1000);
    embedded.push((m.timestamp - t.ingestedAt) / 1000);
    hop.push((m.timestamp - c) / 1000);
  });
  return { texts: embedded.length, cleaned: p50p99(cleaned), embedded: p50p99(embedded), encoderHop: p50p99(hop) };
}

function p50p99(values: number[]): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return [at(0.5), at(0.99)];
}

export function describeStageLatency(what: string, s: StageLatency): string {
  const f = ([p50, p99]: [number, number]) => `${p50.toFixed(3)} / ${p99.toFixed(3)} s`;
  return `${what}, per stage (p50 / p99 of ${s.texts} texts, from arrival): text-cleaner's write ${f(s.cleaned)}, encoder's write ${f(s.embedded)}; text-cleaner's write to the encoder's ${f(s.encoderHop)}`;
}
