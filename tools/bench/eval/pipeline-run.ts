/**
 * One replay of the training events through the real pipeline (text-cleaner, encoder,
 * profile-fuser on local Kafka and Redis): the profiles it published, its changelog, the
 * embeddings of user texts and catalogue descriptions, and its accounting. A run is saved under
 * .cache/eval/ so scoring can be repeated without the pipeline (`--reuse-run`), keyed by what it
 * depends on.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  SingleObjectSerde,
  packFloat32,
  unpackFloat32,
  type ProfileChange,
  type UserProfile,
} from '@profilestream/contracts';
import { saveFittedProjection } from '@profilestream/inference';
import { readTopicToEnd } from '@profilestream/kafka';
import { DEFAULT_SEGMENT_ATTRIBUTE, rankerVectors, segmentOf, type Snapshot } from '@profilestream/ranking';
import { Pacer, sendReplayLines, total, type DatasetEvent } from '@profilestream/tools-events';
import { LocalPipeline, freePortRun, modelEnv } from '@profilestream/tools-runtime';
import type { EmbeddedUserText } from './interest-clusters';

const repoRoot = resolve(__dirname, '../../..');

/**
 * Fits a whitened PCA on the run's training embeddings (reviews and descriptions) and writes it
 * where the encoder can load it; null when there are too few of them for `dim` components.
 */
export function fitProjection(
  run: PipelineRun,
  dim: number,
  file: string,
): { id: string; kept: number; rows: number } | null {
  const texts = [...run.reviewVectors, ...run.descriptionVectors];
  const inputDim = texts[0]?.vector.length ?? 0;
  if (texts.length <= dim || dim > inputDim) return null;
  const { id, kept, rows } = saveFittedProjection(
    texts.map((t) => t.vector),
    dim,
    { whiten: true, modelId: run.modelId, fileFor: () => file },
  );
  return { id, kept, rows };
}

/** How the pipeline runs: the model, whether a saved run may be reused, whether its data stays. */
export interface RunOptions {
  /** `default`, `multilingual` or a model directory (eval's `--model`). */
  model: string;
  /** Score the saved output of the last run with the same settings, when there is one. */
  reuse: boolean;
  /** Keep the run's topics and Redis keys. */
  keep: boolean;
}

/** A pipeline run, or with `reuse` the saved output of the last one with the same settings. */
export async function pipelineRun(
  cacheFile: string,
  train: DatasetEvent[],
  projectionFile: string | null,
  options: RunOptions,
): Promise<PipelineRun> {
  const saved = options.reuse && existsSync(cacheFile) ? loadRun(cacheFile) : null;
  if (saved) return saved;
  const run = await runPipeline(train, projectionFile, options);
  saveRun(cacheFile, run);
  return run;
}

export interface PipelineRun {
  projectionId: string | null;
  sent: number;
  accounting: string;
  profiles: Map<string, UserProfile>;
  /** Every user text the encoder embedded, in topic order: what the fuser folded (and the cluster replay refolds). */
  userTexts: EmbeddedUserText[];
  /** The embedded reviews' vectors by item (from userTexts). */
  reviewVectors: { itemId: string; vector: Float32Array }[];
  /** Embeddings of catalogue descriptions (item events), by item. */
  descriptionVectors: { itemId: string; vector: Float32Array }[];
  /** The fuser's clicks without an item vector, by outcome (pending, folded, expired, overflow). */
  clicksWithoutVector: Record<string, number>;
  /** Every profile the changelog published, per user in event-time order (not saved with a run). */
  history?: Map<string, Snapshot[]>;
  modelId: string;
  seconds: number;
}

/** What a pipeline run published, kept under .cache so scoring can be re-run without the pipeline. */
function saveRun(file: string, run: PipelineRun): void {
  const serde = new SingleObjectSerde('UserProfile');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify({
      ...run,
      history: undefined,
      reviewVectors: undefined,
      profiles: [...run.profiles.values()].map((p) => serde.encode({ ...p, state: null }).toString('base64')),
      userTexts: run.userTexts.map((t) => ({ ...t, vector: packFloat32(t.vector).toString('base64') })),
      descriptionVectors: run.descriptionVectors.map((v) => [v.itemId, packFloat32(v.vector).toString('base64')]),
    }),
  );
}

/** The saved run, or null when it was saved in an older form (without the user texts the cluster replay needs). */
function loadRun(file: string): PipelineRun | null {
  const serde = new SingleObjectSerde('UserProfile');
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Omit<
    PipelineRun,
    'profiles' | 'userTexts' | 'reviewVectors' | 'descriptionVectors'
  > & {
    profiles: string[];
    userTexts?: (Omit<EmbeddedUserText, 'vector'> & { vector: string })[];
    descriptionVectors?: [string, string][];
  };
  if (!raw.userTexts) {
    console.log(`${file.slice(repoRoot.length + 1)} was saved by an older eval (no user texts): running the pipeline`);
    return null;
  }
  const unpack = (b: string) => unpackFloat32(Buffer.from(b, 'base64'));
  const userTexts = raw.userTexts.map((t) => ({ ...t, vector: unpack(t.vector) }));
  console.log(`reusing the pipeline run saved in ${file.slice(repoRoot.length + 1)}`);
  return {
    ...raw,
    profiles: new Map(raw.profiles.map((b) => serde.decodeSync(Buffer.from(b, 'base64'))).map((p) => [p.userId, p])),
    userTexts,
    reviewVectors: reviewVectorsOf(userTexts),
    descriptionVectors: (raw.descriptionVectors ?? []).map(([itemId, b]) => ({ itemId, vector: unpack(b) })),
    clicksWithoutVector: raw.clicksWithoutVector ?? {},
  };
}

function reviewVectorsOf(texts: readonly EmbeddedUserText[]): { itemId: string; vector: Float32Array }[] {
  return texts.flatMap((t) => (t.source === 'review' && t.itemId ? [{ itemId: t.itemId, vector: t.vector }] : []));
}

/**
 * Replayed at full speed, a user's history arrives in seconds: the fuser publishes at every flush
 * (no per-user interval) so the changelog keeps more of the profiles along the way, and the joint
 * model's point-in-time joins find one before more interactions.
 */
const REPLAY_FUSER_ENV = { FUSER_PUBLISH_INTERVAL_MS: '0' };
/** How a replay is run (bump when it changes): a saved run made another way is not reused. */
const REPLAY_PROTOCOL = 'catalogue embedded first';

/** What a saved run depends on besides its events and model: the replay and the services' settings. */
export function replaySettingsKey(): string {
  const serviceEnv = Object.entries(process.env)
    .filter(([k]) => /^(FUSER|ENCODER|CLEANER)_/.test(k))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([REPLAY_PROTOCOL, REPLAY_FUSER_ENV, serviceEnv]);
}

async function runPipeline(
  train: DatasetEvent[],
  projectionFile: string | null,
  options: RunOptions,
): Promise<PipelineRun> {
  // The encoder projects; the fuser must know the projection to accept its vectors.
  const pipeline = new LocalPipeline({
    prefix: `eval-${Date.now().toString(36)}.`,
    basePort: await freePortRun(3),
    env: {
      encoder: {
        ...modelEnv(options.model).encoder,
        ...(projectionFile ? { ENCODER_PROJECTION_FILE: projectionFile } : {}),
      },
      'profile-fuser': {
        ...modelEnv(options.model)['profile-fuser'],
        ...REPLAY_FUSER_ENV,
        ...(projectionFile ? { FUSER_PROJECTION_FILE: projectionFile } : {}),
      },
    },
  });
  const started = Date.now();
  console.log('starting the pipeline (text-cleaner, encoder, profile-fuser)…');
  await pipeline.start();
  try {
    const producer = pipeline.producer();
    await producer.connect();
    // The catalogue first, embedded before any interaction is sent: a platform lists an item before
    // users click it, while a replay at full speed would let clicks outrun their items' vectors (the
    // fuser keeps such clicks and folds them in later, but as one late change instead of the
    // profiles a live platform publishes along the way, which the changelog's joins need).
    const send = async (lines: DatasetEvent[]) => {
      const tally = await sendReplayLines(producer, lines, {
        pacer: new Pacer({ kind: 'asap' }, Date.now()),
        platform: 'eval',
      });
      if (Object.keys(tally.rejected).length > 0) console.log(`rejected: ${JSON.stringify(tally.rejected)}`);
      return total(tally.sent);
    };
    const catalogue = train.filter((e) => e.type === 'item');
    let sent = 0;
    if (catalogue.length > 0) {
      sent += await send(catalogue);
      console.log(`sent ${catalogue.length} catalogue items; waiting until they are embedded…`);
      await pipeline.waitDrained();
    }
    sent += await send(train.filter((e) => e.type !== 'item'));
    await producer.disconnect();
    console.log(`sent ${sent} training events; waiting for every stage to catch up…`);
    let lastLog = 0;
    await pipeline.waitDrained({
      onPoll: (lag) => {
        if (Date.now() - lastLog < 10_000) return;
        lastLog = Date.now();
        console.log(
          `  lag: ${Object.entries(lag)
            .map(([s, n]) => `${s} ${n}`)
            .join(', ')}`,
        );
      },
    });
    const { 'text-cleaner': cleaner, 'profile-fuser': fuser } = pipeline.services;
    const accounting = [
      `${await cleaner.metric('text_cleaner_texts_cleaned_total')} cleaned`,
      `${await cleaner.metric('text_cleaner_texts_dropped_total')} dropped by the cleaner`,
      `${await cleaner.metric('text_cleaner_texts_dead_lettered_total')} dead-lettered`,
      `${await fuser.metric('profile_fuser_events_applied_total', (l) => l.includes('kind="text"'))} texts applied to profiles`,
      `${await fuser.metric('profile_fuser_events_applied_total', (l) => l.includes('kind="item"'))} to item vectors`,
      `${await fuser.metric('profile_fuser_events_skipped_total')} skipped by the fuser`,
    ].join(', ');
    const profiles = await pipeline.profiles();
    // The changelog: every profile as published, for the joint model's point-in-time joins.
    const history = new Map<string, Snapshot[]>();
    const changeSerde = new SingleObjectSerde('ProfileChange');
    await readTopicToEnd(pipeline.kafka, pipeline.topics.profilesChangelog.name, (m) => {
      if (!m.value) return;
      const change: ProfileChange = changeSerde.decodeSync(m.value);
      if (change.kind !== 'update' || !change.profile) return;
      const list = history.get(change.userId) ?? [];
      list.push({
        at: change.eventTime,
        vectors: rankerVectors(change.profile),
        segment: segmentOf(change.profile, DEFAULT_SEGMENT_ATTRIBUTE),
      });
      history.set(change.userId, list);
    });
    for (const list of history.values()) list.sort((a, b) => a.at - b.at);
    const userTexts: EmbeddedUserText[] = [];
    const descriptionVectors: { itemId: string; vector: Float32Array }[] = [];
    const serde = new SingleObjectSerde('EmbeddedText');
    let modelId = '';
    let projectionId: string | null = null;
    await readTopicToEnd(pipeline.kafka, pipeline.topics.textsEmbedded.name, (m) => {
      if (!m.value) return;
      const e = serde.decodeSync(m.value);
      modelId = e.modelId;
      projectionId = e.projectionId;
      if (e.source === 'item' && e.itemId)
        descriptionVectors.push({ itemId: e.itemId, vector: unpackFloat32(e.vector) });
      else if (e.source !== 'item' && e.userId)
        userTexts.push({
          userId: e.userId,
          itemId: e.itemId,
          source: e.source,
          occurredAt: e.occurredAt,
          rating: e.rating,
          contentHash: e.contentHash,
          categories: e.categories,
          vector: unpackFloat32(e.vector),
        });
    });
    const clicksWithoutVector: Record<string, number> = {};
    for (const outcome of ['pending', 'folded', 'expired', 'overflow']) {
      clicksWithoutVector[outcome] = await fuser.metric('profile_fuser_clicks_without_item_vector_total', (l) =>
        l.includes(`outcome="${outcome}"`),
      );
    }
    return {
      projectionId,
      sent,
      accounting,
      profiles,
      userTexts,
      reviewVectors: reviewVectorsOf(userTexts),
      descriptionVectors,
      clicksWithoutVector,
      history,
      modelId,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await pipeline.stop({ keepData: options.keep });
  }
}
