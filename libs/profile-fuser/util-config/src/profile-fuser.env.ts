import { z } from 'zod';
import {
  ARCHIVE_RETENTION_MS,
  ClickActionValues,
  DEFAULT_SENSITIVE_ATTRIBUTES,
  isAttributeName,
  type ClickAction,
  type TopicKey,
} from '@profilestream/contracts';
import { env, type StreamServiceEnv } from '@profilestream/config';

export const SERVICE_NAME = 'profile-fuser';
export const CONSUMER_GROUP = 'profile-fuser';
/** Topics the consumer group reads (keys of the topic catalog); deployment autoscaling follows their lag. */
export const CONSUMED_TOPICS = [
  'textsEmbedded',
  'clicks',
  'users',
  'userDeletions',
] as const satisfies readonly TopicKey[];
/** The fuser's own topics (its state and its item vectors), created with its input topics' partition count. */
export const INTERNAL_TOPICS: readonly TopicKey[] = ['fuserState', 'fuserItems'];

export const HOUR_MS = 3_600_000;

/** `view=0.2,click=0.5,…`: a weight per click action. */
const actionWeights = z
  .string()
  .default('view=0.2,click=0.5,like=1,add_to_cart=2,purchase=3')
  .transform((s, ctx) => {
    const out: Partial<Record<ClickAction, number>> = {};
    for (const pair of s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [name, value] = pair.split('=').map((x) => x.trim());
      const weight = Number(value);
      if (!ClickActionValues.includes(name as ClickAction) || !Number.isFinite(weight) || weight < 0) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `"${pair}" is not action=weight with action one of ${ClickActionValues.join(', ')}`,
        });
        return z.NEVER;
      }
      out[name as ClickAction] = weight;
    }
    const missing = ClickActionValues.filter((a) => out[a] === undefined);
    if (missing.length > 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `missing weights for ${missing.join(', ')}` });
      return z.NEVER;
    }
    return out as Record<ClickAction, number>;
  })
  .describe('Weight of each click action in behaviour vectors and affinities, as action=weight pairs.');

export const fuserEnvSchema = z.object({
  FUSER_HALF_LIVES_HOURS: env.numberList(
    'Half-lives of the profile horizons, in hours (24 = 1d, 168 = 7d, 2160 = 90d).',
    '24,168,2160',
  ),
  FUSER_ACTION_WEIGHTS: actionWeights,
  FUSER_PUBLISH_INTERVAL_MS: env.int(
    "A user's changes are committed and published at most once per interval (the first change after a quiet interval goes out at once); the newest state always goes out.",
    1000,
    0,
    3_600_000,
  ),
  FUSER_DELETION_RETENTION_MS: env.int(
    "How long a deletion mark rejects late or replayed events older than the erasure: at least the archive's retention (90 days), so a model migration re-reading the archive never rebuilds an erased user.",
    ARCHIVE_RETENTION_MS + 24 * HOUR_MS,
    60_000,
    365 * 24 * HOUR_MS,
  ),
  FUSER_MODEL_DIR: env.string(
    "Model the profiles are built with (same as the encoder's); used to embed the interest taxonomy.",
    '.cache/models/all-MiniLM-L6-v2',
  ),
  FUSER_MODEL_VARIANT: env.oneOf(
    'Weights the encoder runs (fp32 or int8): embeddings of another model id are skipped.',
    ['fp32', 'int8'],
    'int8',
  ),
  FUSER_PROJECTION_FILE: env.optionalString(
    'PCA projection the encoder applies (its ENCODER_PROJECTION_FILE): set both or neither. Profiles then live in the projected space; embeddings without it are skipped.',
  ),
  FUSER_TAXONOMY_FILE: env.optionalString(
    'Interest labels (JSON) embedded once per model for explainable profiles; unset uses the shipped e-commerce, media and social taxonomy.',
  ),
  FUSER_SENTIMENT_MODEL_FILE: env.optionalString(
    'Post sentiment classifier (JSON artefact from `npm run sentiment:train`), checked at boot; unset uses the shipped one, trained on the default model (int8).',
  ),
  FUSER_TOP_INTERESTS: env.int('Interest labels listed per published profile.', 5, 0, 50),
  FUSER_API_TOKEN: env.optionalString(
    'Bearer token for DELETE /v1/profiles/{userId}; unset disables deletion over HTTP.',
  ),
  FUSER_API_READ_TOKEN: env.optionalString(
    'Bearer token for GET /v1/profiles/{userId} (read scope, separate from deletion); unset leaves reads open to whoever reaches the port (logged as a warning).',
  ),
  FUSER_EXPLORER_STAGES: env.optionalString(
    "The other services the explorer's live pipeline page shows, as name=http://host:port pairs, comma-separated (their /metrics is read by the fuser); unset shows the fuser alone.",
  ),
  FUSER_TEXT_DEDUP_WINDOW_MS: env.int(
    "A user's text repeating one of their last 32 texts (same text, same item) within this window of event time is left out (text-cleaner's duplicate rule, kept in the durable state so it holds after a Redis loss); 0 turns it off.",
    24 * HOUR_MS,
    0,
    365 * 24 * HOUR_MS,
  ),
  FUSER_INTEREST_CLUSTERS: env.int(
    'Separate interests kept per user (interestClusters), each a decayed vector of the texts and clicked items it gathered; 0 turns them off.',
    8,
    0,
    32,
  ),
  FUSER_CLUSTER_JOIN_SIMILARITY: env.number(
    'Cosine an event needs with an interest cluster to join it (below it, it starts one, merging the two closest when all are in use). Depends on the embedding space: choose it on validation users (npm run eval reports the choice).',
    0.5,
    -1,
    1,
  ),
  FUSER_SENSITIVE_ATTRIBUTES: env.list(
    'users.v1 attributes kept for modelling but left out of profiles.v1, the changelog and the read API unless FUSER_PUBLISH_SENSITIVE_ATTRIBUTES is true (standard names or custom.<name>).',
    DEFAULT_SENSITIVE_ATTRIBUTES.join(','),
    z.string().min(1).refine(isAttributeName, { message: 'is not a standard attribute name or custom.<name>' }),
  ),
  FUSER_PUBLISH_SENSITIVE_ATTRIBUTES: env.bool(
    'Publish the sensitive attributes too (only where the platform may share them with every profile reader).',
    false,
  ),
  FUSER_MAX_CUSTOM_ATTRIBUTES: env.int(
    'Most custom attributes kept per user; further names are dropped and counted.',
    32,
    0,
    1_000,
  ),
  FUSER_CHUNK_MESSAGES: env.int('Most messages folded at once per partition.', 2000, 1, 20_000),
  FUSER_STATE_MEMORY_MB: env.int(
    'User state kept in memory across the owned partitions (at 384 dimensions about 10 KB for a user who only clicks, up to 15 KB for one who also reviews, posts and rates low: channels nothing was folded into take no vector; 1.7 KB more for each interest cluster); beyond it, users already in Redis are evicted (least recently used first), and a backlog is folded in slices of new users that fit half of it.',
    64,
    8,
    65_536,
  ),
  FUSER_MAX_USERS_PER_FLUSH: env.int(
    'Most users one flush (one Kafka transaction) writes; bounds the memory a flush holds.',
    500,
    1,
    100_000,
  ),
  FUSER_MAX_FLUSH_BYTES: env.int(
    'About the most bytes one flush writes (states, profiles, changelog): every user in a flush waits for all of it, so smaller flushes publish sooner.',
    1_048_576,
    65_536,
    64 * 1_048_576,
  ),
  FUSER_PENDING_CLICK_TTL_MS: env.int(
    'How long a click on an item with no vector yet waits for the item (its counters count at once); then it stays without a vector.',
    24 * HOUR_MS,
    1_000,
    30 * 24 * HOUR_MS,
  ),
  FUSER_PENDING_CLICKS_PER_ITEM: env.int(
    'Most clicks waiting for one item; more are counted and stay without a vector.',
    10_000,
    1,
    1_000_000,
  ),
  FUSER_PENDING_CLICKS_MAX: env.int(
    'Most clicks waiting per partition; more are counted and stay without a vector.',
    200_000,
    1,
    10_000_000,
  ),
});

export const fuserEnv: StreamServiceEnv<typeof fuserEnvSchema.shape> = {
  name: SERVICE_NAME,
  summary:
    'fuses embeddings and clicks into per-user profiles (Redis, profiles.v1) and serves the read API and the explorer.',
  defaultPort: 8083,
  own: fuserEnvSchema,
  checks: (e) => explorerStages(e.FUSER_EXPLORER_STAGES).problems,
};

/** `text-cleaner=http://…,encoder=http://…`, with a line naming each malformed pair. */
export function explorerStages(value: string | undefined): {
  stages: { name: string; url: string }[];
  problems: string[];
} {
  const stages: { name: string; url: string }[] = [];
  const problems: string[] = [];
  for (const pair of (value ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    const url = pair.slice(at + 1).trim();
    if (at <= 0 || !/^https?:\/\/[^\s/]+/.test(url))
      problems.push(`FUSER_EXPLORER_STAGES: "${pair}" is not name=http://host:port`);
    else stages.push({ name, url: url.replace(/\/+$/, '') });
  }
  return { stages, problems };
}
