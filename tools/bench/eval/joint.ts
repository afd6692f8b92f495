/**
 * The joint model (the source document's learned model over user and item features): the
 * reference ranker's logistic regression over profile and behaviour features, trained on
 * point-in-time joins of a run's changelog with the training interactions that followed, then
 * ranking the catalogue from each user's final profile.
 */
import {
  DEFAULT_SEGMENT_ATTRIBUTE,
  RANKER_FEATURES,
  pointInTimeRows,
  rankerFeatures,
  rankerScores,
  rankerVectors,
  segmentOf,
  segmentPopularityFeature,
  trainRanker,
  type CoOccurrence,
} from '@profilestream/ranking';
import { foldOf, rankAll } from './evaluate';
import type { PipelineRun } from './pipeline-run';
import { sign } from './report';
import type { ScoredRun } from './scored-run';
import type { Split } from './split';

/** Negatives sampled per positive when training the joint model. */
const JOINT_NEGATIVES = 4;

export interface JointInputs {
  split: Split;
  /** The training interactions (reviews and clicks) the model learns from, in time order. */
  interactions: readonly { user_id: string; item_id: string; ts: number }[];
  /** Co-occurrence over the training interactions: the behaviour features. */
  co: CoOccurrence;
  /** log-popularity per catalogue item, scaled to [0, 1]. */
  prior: Float64Array;
}

export type JointResult = { ranks: number[]; validationLogLoss: number | null; note: string } | { skipped: string };

/** Trains the joint model on a run's changelog and ranks every evaluated user's catalogue with it. */
export function jointModel(inputs: JointInputs, run: PipelineRun, scored: ScoredRun): JointResult {
  const { split, interactions, co, prior } = inputs;
  if (!run.history) return { skipped: 'a reused run keeps no changelog (run without --reuse-run)' };
  const rows = pointInTimeRows({
    catalogue: split.catalogue,
    items: scored.items,
    interactions: interactions.map((e) => ({ userId: e.user_id, itemId: e.item_id, at: e.ts * 1000 })),
    history: run.history,
    negatives: JOINT_NEGATIVES,
    seed: 7,
  });
  if (!rows.labels.includes(1)) return { skipped: 'no training interaction had a profile published before it' };
  const model = trainRanker(rows, (userId) => foldOf(userId) === 1);
  const finalVectors = new Map([...run.profiles].map(([userId, p]) => [userId, rankerVectors(p)]));
  const everyItem = split.catalogue.map((_, i) => i);
  const ranks = rankAll(split, (userId) => {
    const knn = co.scores(split.trainItems.get(userId) ?? []);
    // Popularity within the user's segment over the training interactions; without attributes
    // there is no segment and this is `prior`, as scoring falls back.
    const segment = segmentOf(run.profiles.get(userId) ?? null, DEFAULT_SEGMENT_ATTRIBUTE);
    const segmentMax = rows.segments.maxOf(segment);
    const segmentPopularity =
      segment === null || segmentMax === 0
        ? prior
        : Float64Array.from(prior, (p, i) => segmentPopularityFeature(rows.segments.count(segment, i), segmentMax, p));
    return rankerScores(
      model,
      rankerFeatures(
        scored.items,
        finalVectors.get(userId) ?? new Map(),
        { popularity: prior, knnSum: knn.sum, knnMax: knn.max, segmentPopularity },
        everyItem,
      ),
    );
  });
  const weights = RANKER_FEATURES.map((f, i) => `${f} ${sign(model.weights[i]!)}`).join(', ');
  return {
    ranks,
    validationLogLoss: model.validationLogLoss,
    note: `logistic regression, λ ${model.l2} chosen by log loss on validation users' training interactions; ${model.trainedOn.positives} point-in-time positives, ${model.trainedOn.negatives} sampled negatives, ${rows.skipped} interactions without an earlier profile; standardised weights: ${weights}`,
  };
}
