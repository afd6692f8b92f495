/**
 * The ranker as a versioned JSON artefact: what `npm run ranker:train` writes and a recommender
 * loads. Everything scoring needs is in it (feature order, standardisation, weights, the
 * popularity scales, the segment attribute and the vector space it was trained in); readers refuse
 * versions they do not know.
 */
import { z } from 'zod';
import { RANKER_FEATURES } from './features';
import { fitId, type RankerFit } from './ranker';

export const RANKER_FORMAT = 'profilestream-ranker';
/** Bump when the artefact's meaning changes (features, their definitions, the scoring formula). */
export const RANKER_VERSION = 2;

/** A ranker artefact that cannot be used: unknown format or version, missing or inconsistent fields. */
export class RankerArtefactError extends Error {
  override readonly name = 'RankerArtefactError';
}

const finite = z.number().finite();
const vectorOf = (n: number) => z.array(finite).length(n);
const F = RANKER_FEATURES.length;

const artefactSchema = z.object({
  format: z.literal(RANKER_FORMAT),
  formatVersion: z.literal(RANKER_VERSION),
  id: z.string().min(1),
  kind: z.literal('logistic-regression'),
  space: z.object({
    modelId: z.string().min(1),
    projectionId: z.string().min(1).nullable(),
    dim: z.number().int().positive(),
  }),
  features: z.array(z.string()).refine((f) => f.length === F && f.every((x, i) => x === RANKER_FEATURES[i]), {
    message: `must be exactly [${RANKER_FEATURES.join(', ')}] in this order`,
  }),
  mean: vectorOf(F),
  scale: z.array(finite.positive()).length(F),
  weights: vectorOf(F),
  bias: finite,
  popularity: z.object({ maxInteractions: z.number().int().nonnegative() }),
  segments: z.object({
    /** The profile attribute whose value is the user's segment; null: segment_popularity is popularity. */
    attribute: z.string().min(1).nullable(),
    /** Each segment's largest item count at the end of training: segment_popularity's scale. */
    maxInteractions: z.record(z.string(), z.number().int().nonnegative()),
  }),
  training: z
    .object({
      trainedAt: z.string(),
      source: z.string(),
      l2: finite.positive(),
      validationLogLoss: finite.nullable(),
      positives: z.number().int().nonnegative(),
      negatives: z.number().int().nonnegative(),
      users: z.number().int().nonnegative(),
      skipped: z.number().int().nonnegative(),
    })
    .nullable(),
});

export type RankerArtefact = z.infer<typeof artefactSchema>;
export type RankerTraining = NonNullable<RankerArtefact['training']>;

/** The artefact of a fit, for embeddings of `space`; its id hashes the numbers scoring uses. */
export function toRankerArtefact(
  fit: RankerFit,
  o: {
    space: RankerArtefact['space'];
    maxInteractions: number;
    segments: RankerArtefact['segments'];
    training: Omit<RankerTraining, 'l2' | 'validationLogLoss' | 'positives' | 'negatives'> | null;
  },
): RankerArtefact {
  return {
    format: RANKER_FORMAT,
    formatVersion: RANKER_VERSION,
    id: `ranker-${fitId(fit)}`,
    kind: 'logistic-regression',
    space: o.space,
    features: [...fit.features],
    mean: fit.mean,
    scale: fit.scale,
    weights: fit.weights,
    bias: fit.bias,
    popularity: { maxInteractions: o.maxInteractions },
    segments: o.segments,
    training: o.training && {
      ...o.training,
      l2: fit.l2,
      validationLogLoss: fit.validationLogLoss,
      positives: fit.trainedOn.positives,
      negatives: fit.trainedOn.negatives,
    },
  };
}

/** Checks a parsed artefact and returns it typed; `source` names it in errors (e.g. its file). */
export function parseRanker(value: unknown, source = 'ranker'): RankerArtefact {
  const format = (value as { format?: unknown; formatVersion?: unknown } | null)?.format;
  const version = (value as { formatVersion?: unknown } | null)?.formatVersion;
  if (format === RANKER_FORMAT && version !== RANKER_VERSION)
    throw new RankerArtefactError(
      `${source}: unknown formatVersion ${JSON.stringify(version)} (this build reads ${RANKER_VERSION})`,
    );
  const parsed = artefactSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RankerArtefactError(`${source}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The artefact as JSON text (numbers round-trip exactly through JSON). */
export function serializeRanker(artefact: RankerArtefact): string {
  return `${JSON.stringify(artefact, null, 2)}\n`;
}
