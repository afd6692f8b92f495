import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadStreamServiceEnv, type StreamServiceSettings } from '@profilestream/config';
import type { ClickAction } from '@profilestream/contracts';
import { HOUR_MS, explorerStages, fuserEnv } from '@profilestream/profile-fuser-config';
import { parseSentimentModel, type SentimentModel } from '@profilestream/sentiment';

export { CONSUMED_TOPICS, CONSUMER_GROUP, INTERNAL_TOPICS, SERVICE_NAME } from '@profilestream/profile-fuser-config';

export interface ProfileFuserConfig extends StreamServiceSettings {
  /** Other services the explorer's pipeline page reads /metrics from, by name. */
  explorerStages: { name: string; url: string }[];
  halfLivesMs: Record<string, number>;
  actionWeights: Record<ClickAction, number>;
  textDedupWindowMs: number;
  publishIntervalMs: number;
  deletionRetentionMs: number;
  model: { dir: string; variant: 'fp32' | 'int8' };
  /** The encoder's PCA projection, when it applies one. */
  projectionFile: string | null;
  taxonomyFile: string;
  /** The classifier scoring posts, and the file it came from. */
  sentiment: { file: string; model: SentimentModel };
  topInterests: number;
  apiToken: string | null;
  apiReadToken: string | null;
  chunkMessages: number;
  stateMemoryBytes: number;
  maxUsersPerFlush: number;
  maxFlushBytes: number;
  pending: { ttlMs: number; maxPerItem: number; maxTotal: number };
  attributes: { sensitive: string[]; publishSensitive: boolean; maxCustom: number };
  interestClusters: { maxClusters: number; joinSimilarity: number };
}

/** The shipped classifier: trained on the embeddings of the default model and variant. */
export const DEFAULT_SENTIMENT_MODEL_FILE = join(__dirname, '../assets/all-MiniLM-L6-v2.int8.sentiment.json');

/** Reads and checks a classifier artefact; any problem fails the boot naming the variable. */
export function loadSentimentModel(file: string): SentimentModel {
  const problem = (what: string, err: unknown) =>
    new ConfigError([
      `FUSER_SENTIMENT_MODEL_FILE: ${what}: ${(err as { message?: string } | null)?.message ?? String(err)}`,
    ]);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw problem(`cannot read ${file}`, err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw problem(`${file} is not JSON`, err);
  }
  try {
    return parseSentimentModel(json, file);
  } catch (err) {
    throw problem('not a usable sentiment classifier', err);
  }
}

/** `24` → `1d`, `36` → `36h`. */
export function horizonName(hours: number): string {
  return hours % 24 === 0 ? `${hours / 24}d` : `${hours}h`;
}

export function loadProfileFuserConfig(source: Record<string, string | undefined> = process.env): ProfileFuserConfig {
  const { env: e, settings } = loadStreamServiceEnv(fuserEnv, source);
  const sentimentFile = e.FUSER_SENTIMENT_MODEL_FILE ?? DEFAULT_SENTIMENT_MODEL_FILE;
  return {
    ...settings,
    halfLivesMs: Object.fromEntries(e.FUSER_HALF_LIVES_HOURS.map((h) => [horizonName(h), h * HOUR_MS])),
    actionWeights: e.FUSER_ACTION_WEIGHTS,
    textDedupWindowMs: e.FUSER_TEXT_DEDUP_WINDOW_MS,
    publishIntervalMs: e.FUSER_PUBLISH_INTERVAL_MS,
    deletionRetentionMs: e.FUSER_DELETION_RETENTION_MS,
    model: { dir: e.FUSER_MODEL_DIR, variant: e.FUSER_MODEL_VARIANT },
    projectionFile: e.FUSER_PROJECTION_FILE ?? null,
    taxonomyFile: e.FUSER_TAXONOMY_FILE ?? join(__dirname, '../assets/interests.taxonomy.json'),
    sentiment: { file: sentimentFile, model: loadSentimentModel(sentimentFile) },
    topInterests: e.FUSER_TOP_INTERESTS,
    apiToken: e.FUSER_API_TOKEN ?? null,
    apiReadToken: e.FUSER_API_READ_TOKEN ?? null,
    explorerStages: explorerStages(e.FUSER_EXPLORER_STAGES).stages,
    chunkMessages: e.FUSER_CHUNK_MESSAGES,
    stateMemoryBytes: e.FUSER_STATE_MEMORY_MB * 1024 * 1024,
    maxUsersPerFlush: e.FUSER_MAX_USERS_PER_FLUSH,
    maxFlushBytes: e.FUSER_MAX_FLUSH_BYTES,
    pending: {
      ttlMs: e.FUSER_PENDING_CLICK_TTL_MS,
      maxPerItem: e.FUSER_PENDING_CLICKS_PER_ITEM,
      maxTotal: e.FUSER_PENDING_CLICKS_MAX,
    },
    interestClusters: { maxClusters: e.FUSER_INTEREST_CLUSTERS, joinSimilarity: e.FUSER_CLUSTER_JOIN_SIMILARITY },
    attributes: {
      sensitive: e.FUSER_SENSITIVE_ATTRIBUTES,
      publishSensitive: e.FUSER_PUBLISH_SENSITIVE_ATTRIBUTES,
      maxCustom: e.FUSER_MAX_CUSTOM_ATTRIBUTES,
    },
  };
}
