/**
 * When has the text path (reviews → text-cleaner → encoder → profile-fuser) caught up? Read from
 * the brokers (committed offsets against end offsets), so polling costs the services nothing.
 *
 * A topic written in transactions ends with a commit marker, which takes an offset. text-cleaner
 * and the encoder commit offsets past the markers behind their last chunk; profile-fuser commits
 * the offset after the last record it folded, one short of the end of each texts.embedded
 * partition the encoder wrote to. Once the encoder has committed everything it consumed, every
 * one of its transactions is complete and the last entry of each texts.embedded partition is a
 * marker: the fuser is caught up when it stands at most that one offset short.
 */
import type { Admin } from '@profilestream/kafka';
import type { TopicCatalog } from '@profilestream/contracts';

interface Stage {
  group: string;
  topic: string;
  /** Offsets a caught-up group may stand short of the end: a trailing commit marker. */
  markerSlack: number;
}

/** Records each stage still has to consume (end offsets minus committed, less the marker slack once upstream is done). */
export async function textPathLag(admin: Admin, prefix: string, topics: TopicCatalog): Promise<number[]> {
  const stages: Stage[] = [
    { group: `${prefix}text-cleaner`, topic: topics.reviews.name, markerSlack: 0 },
    { group: `${prefix}encoder`, topic: topics.textsCleaned.name, markerSlack: 0 },
    { group: `${prefix}profile-fuser`, topic: topics.textsEmbedded.name, markerSlack: 1 },
  ];
  const lags: number[] = [];
  for (const stage of stages) {
    const ends = await admin.fetchTopicOffsets(stage.topic);
    const [committed] = await admin.fetchOffsets({ groupId: stage.group, topics: [stage.topic] });
    const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
    // The slack applies only once the stage before has committed everything: its transactions are then complete.
    const upstreamDone = lags.length > 0 && lags[lags.length - 1] === 0;
    const slack = upstreamDone ? stage.markerSlack : 0;
    lags.push(
      ends.reduce(
        (sum, e) => sum + Math.max(0, Number(e.high) - (done.get(e.partition) ?? 0) - (Number(e.high) > 0 ? slack : 0)),
        0,
      ),
    );
  }
  return lags;
}

/**
 * Resolves once every stage has consumed everything produced so far, twice in a row (a stage may
 * still be writing to the next topic while its own offsets are committed). Returns when the first
 * of the quiet polls was seen (epoch ms): when the text path had caught up.
 */
export async function waitTextPathDrained(
  admin: Admin,
  prefix: string,
  topics: TopicCatalog,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<number> {
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  let quietSince = 0;
  let quiet = 0;
  while (quiet < 2) {
    await new Promise((r) => setTimeout(r, options.pollMs ?? 250));
    const polledAt = Date.now();
    // A coordinator moving (NOT_COORDINATOR_FOR_GROUP on a busy broker) is retriable: poll again.
    const lags = await textPathLag(admin, prefix, topics).catch((err: unknown) => {
      if ((err as { retriable?: boolean }).retriable) return [Infinity];
      throw err;
    });
    if (Date.now() > deadline) throw new Error(`text path not drained in time: lag per stage ${JSON.stringify(lags)}`);
    const idle = lags.every((n) => n === 0);
    if (idle && quiet === 0) quietSince = polledAt;
    quiet = idle ? quiet + 1 : 0;
  }
  return quietSince;
}
