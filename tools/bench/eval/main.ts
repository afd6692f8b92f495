/**
 * `npm run eval [-- --file EVENTS.jsonl.gz] [--min-interactions 3] [--resamples 1000] [--keep]`
 *
 * Does the profile help a recommender? Chronological leave-last-out on a review dataset: the
 * events before each user's last interaction go through the real pipeline (text-cleaner, encoder,
 * profile-fuser on local Kafka and Redis), then the published profiles rank the training catalogue
 * for each user's held-out item, next to most-popular and TF-IDF baselines. Item vectors come from
 * the pipeline's embeddings of catalogue descriptions and training reviews only. HR@10 and NDCG@10
 * with bootstrap intervals over users, a cold-start slice and coverage; results in reports/eval/.
 * The published interest clusters are scored by the max over clusters against the single vector,
 * per activity range too, and K and τ are also chosen on validation users (cluster-study.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  SingleObjectSerde,
  packFloat32,
  unpackFloat32,
  type ProfileChange,
  type UserProfile,
} from '@profilestream/contracts';
import { saveFittedProjection } from '@profilestream/inference';
import { readTopicToEnd } from '@profilestream/kafka';
import { commandLine, numberOption, UsageError } from '@profilestream/tools-cli';
import {
  findEventsFile,
  loadEvents,
  Pacer,
  sendReplayLines,
  total,
  type DatasetEvent,
} from '@profilestream/tools-events';
import { formatTable, type BenchRow } from '../bench-harness';
import { LocalPipeline, freePortRun, modelDirOf, modelEnv, modelProblem } from '@profilestream/tools-runtime';
import { activityBuckets, crossFitBlend, foldOf, hits, ndcgs, rankAll, type Scorer } from './evaluate';
import { HOUR_MS, fuserEnvSchema } from '@profilestream/profile-fuser-config';
import type { FusionConfig } from '@profilestream/fusion';
import { PUBLISHED, studyClusters, type ClusterStudy } from './cluster-study';
import { clickActionOf, type EmbeddedUserText, type ReplayClick } from './interest-clusters';
import { bootstrapDifference, bootstrapMean, type Interval } from './metrics';
import {
  CoOccurrence,
  DEFAULT_SEGMENT_ATTRIBUTE,
  RANKER_FEATURES,
  pointInTimeRows,
  profileVectors,
  rankerFeatures,
  rankerScores,
  rankerVectors,
  segmentOf,
  segmentPopularityFeature,
  trainRanker,
  type Snapshot,
} from '@profilestream/ranking';
import { ItemVectors, centre, popularity, popularityPrior } from './recommenders';
import { coldStartUsers, leaveLastOut, withNewItems, type Split } from './split';
import { seededRandom } from '@profilestream/embedding';
import { SparseIndex, TfIdf } from './tfidf';

const repoRoot = resolve(__dirname, '../../..');
const BLEND_GRID = [0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5];
/** α of the share-weighted max over clusters (0: the plain max), cross-fitted like β. */
const CLUSTER_SHARE_GRID = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];
/** Users per activity range: at least this share of the evaluated users. */
const ACTIVITY_BUCKET_SHARE = 1 / 6;

const USAGE = `Usage: npm run eval [-- OPTIONS]

Does the profile help a recommender? Chronological leave-last-out on a dataset of reviews, clicks
and catalogue items: each user's events before their last interaction go through the real pipeline
(text-cleaner, encoder, profile-fuser on local Kafka and Redis, after set-up and a build), then the
published profiles rank the catalogue (items interacted with or described) for each user's
held-out item, next to most-popular and TF-IDF baselines; items are scored from their descriptions
and training reviews, and users whose held-out item is new are reported apart (cold start). More
runs repeat it with whitened PCAs inside the pipeline, and the joint model's projection is chosen
on validation users. The published interest clusters rank by the max over clusters, next to the
single vector, per activity range too, with K and τ also chosen on validation users by an offline
replay. HR@10 and NDCG@10 with bootstrap
intervals over users, and coverage; results in reports/eval/DATASET.json. Exits 1 when coverage is
broken (no item or no user with a vector).

Options:
  --file FILE               events in the events.jsonl.gz form (default: the review dataset)
  --min-interactions N      users with fewer interactions are left out (default 3)
  --resamples N             bootstrap resamples (default 1000)
  --model M                 the encoder model the pipeline runs: default (all-MiniLM-L6-v2, English),
                            multilingual (multilingual-e5-small: Chinese and about 100 more
                            languages), or a model directory (default: default)
  --pca N[,N…]              dimensions of the whitened PCAs to try, one more pipeline run each;
                            0 tries none (default 128,256). The joint model's vector space (no
                            projection or one of these) is chosen by log loss on validation users'
                            training interactions, never on held-out items
  --max-clusters K[,K…]     interest clusters: the cluster counts K an offline replay tries; 0 skips
                            the replay (default 1,2,4,8). Each user's training events are refolded
                            with the fuser's code for every K and τ, and each fold of users is
                            scored with the K and τ best on the other fold, never on its own
                            held-out items; the published clusters are scored as they are
  --join-similarities T[,T…]
                            interest clusters: the join cosines τ the replay tries, from -1 to 1
                            (default 0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8: whitened spaces need low ones)
  --new-items SHARE         simulate newly listed items: this share (0 to 0.5) of the items with a
                            description and training interactions, picked with a fixed seed, lose
                            every training interaction, as if listed after training, and users whose
                            held-out item is one of them join the cold-start slice (default 0: only
                            items really new in the data)
  --reuse-run               score the saved output of the last pipeline runs on the same training
                            events, model and projection (under .cache/eval/) instead of running
                            the pipeline again
  --keep                    keep the runs' topics and Redis keys
  -h, --help                this text

Environment:
  PROFILESTREAM_DATASET_DIR   where the review dataset is found without --file (default ../shared/datasets/)
  KAFKA_PORT (9092), REDIS_PORT (6379) and the rest of tools/infra/up.sh's: the local infrastructure

Example:
  npm run eval -- --pca 0 --resamples 200
  npm run eval -- --file other.events.jsonl.gz --model multilingual --pca 64,128`;

const args = commandLine(
  {
    command: 'npm run eval',
    usage: USAGE,
    options: {
      file: { type: 'string' },
      'min-interactions': { type: 'string', default: '3' },
      resamples: { type: 'string', default: '1000' },
      keep: { type: 'boolean', default: false },
      'reuse-run': { type: 'boolean', default: false },
      pca: { type: 'string', default: '128,256' },
      model: { type: 'string', default: 'default' },
      'join-similarities': { type: 'string', default: '0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8' },
      'max-clusters': { type: 'string', default: '1,2,4,8' },
      'new-items': { type: 'string', default: '0' },
    },
  },
  ({ values }) => {
    const joinSimilarities = values['join-similarities']
      .split(',')
      .map((t) => numberOption('--join-similarities', t, { min: -1, max: 1 }));
    const maxClusters =
      values['max-clusters'] === '0'
        ? []
        : values['max-clusters']
            .split(',')
            .map((k) => numberOption('--max-clusters', k, { min: 1, max: 32, whole: true }));
    numberOption('--min-interactions', values['min-interactions'], { min: 1, whole: true });
    numberOption('--resamples', values.resamples, { min: 1, whole: true });
    const newItems = numberOption('--new-items', values['new-items'], { min: 0, max: 0.5 });
    const pcaDims =
      values.pca === '0' || values.pca === 'none'
        ? []
        : values.pca.split(',').map((d) => numberOption('--pca', d, { min: 1, whole: true }));
    const problem = modelProblem(values.model);
    if (problem) throw new UsageError(`--model ${values.model}: ${problem}`);
    if (values.file !== undefined && !existsSync(values.file))
      throw new UsageError(`--file ${values.file}: no such file`);
    if (values.file === undefined && !findEventsFile())
      throw new UsageError('no dataset: pass --file EVENTS.jsonl.gz or set PROFILESTREAM_DATASET_DIR');
    return { ...values, pcaDims, joinSimilarities, maxClusters, newItems };
  },
);
const pcaDims = args.pcaDims;

interface MethodReport {
  method: string;
  users: number;
  hr: Interval;
  ndcg: Interval;
  /** NDCG@10 minus the popularity baseline's, paired over users. */
  ndcgVsPopularity: Interval | null;
  /** NDCG@10 minus the TF-IDF baseline's, paired over users. */
  ndcgVsTfidf: Interval | null;
  note?: string;
}

async function main(): Promise<void> {
  const file = args.file ?? findEventsFile();
  if (!file) throw new Error('no dataset: pass --file EVENTS.jsonl.gz or set PROFILESTREAM_DATASET_DIR');
  const resamples = Number(args.resamples);
  const events = await loadEvents(file);
  const listed = withNewItems(leaveLastOut(events, Number(args['min-interactions'])), args.newItems, seededRandom(7));
  const split = listed.split;
  const itemIndex = new Map(split.catalogue.map((id, i) => [id, i]));
  console.log(
    `${basename(dirname(file))}: ${events.length} events, ${split.test.length} users evaluated, ${split.train.length} training events, ${split.catalogue.length} candidate items`,
  );
  if (listed.newItems.size > 0)
    console.log(
      `new items simulated: ${listed.newItems.size} described items (share ${args.newItems}) lost their training interactions`,
    );
  else if (args.newItems > 0)
    console.log(
      `new items: none simulated (share ${args.newItems} of the items with a description and training interactions rounds to 0)`,
    );

  // Baselines, from the training events alone.
  const interactions = split.train.filter((e) => e.type === 'review' || e.type === 'click');
  const pop = popularity(
    split.catalogue,
    interactions.map((e) => e.item_id),
  );
  const byPopularity: Scorer = () => pop;
  const tfidf = tfidfScorer(split.catalogue, itemIndex, split.train);

  const popularityRanks = rankAll(split, byPopularity);
  const tfidfRanks = rankAll(split, tfidf);
  const versus = (ranks: number[], baseline: number[]) =>
    ranks === baseline ? null : bootstrapDifference(ndcgs(ranks), ndcgs(baseline), { resamples });
  const report = (method: string, ranks: number[], note?: string): MethodReport => ({
    method,
    users: ranks.length,
    hr: bootstrapMean(hits(ranks), { resamples }),
    ndcg: bootstrapMean(ndcgs(ranks), { resamples }),
    ndcgVsPopularity: versus(ranks, popularityRanks),
    ndcgVsTfidf: versus(ranks, tfidfRanks),
    ...(note ? { note } : {}),
  });
  // What the crowd does next, no text: items scored by co-occurrence with the user's own.
  // One co-occurrence table for this baseline and the joint model's behaviour features.
  const itemsByUser = new Map<string, string[]>();
  for (const e of interactions) {
    const list = itemsByUser.get(e.user_id);
    if (list) list.push(e.item_id);
    else itemsByUser.set(e.user_id, [e.item_id]);
  }
  const co = new CoOccurrence(split.catalogue, itemsByUser.values());
  const knnRanks = rankAll(split, (userId) => {
    const own = split.trainItems.get(userId);
    return own && own.size > 0 ? co.scores(own).sum : null;
  });
  const reports: MethodReport[] = [
    report('most popular', popularityRanks),
    report('TF-IDF profile (review text)', tfidfRanks),
    report('item-to-item (ItemKNN over training interactions)', knnRanks),
  ];
  const prior = popularityPrior(pop);
  const blend = (name: string, scorer: Scorer) => {
    const b = crossFitBlend(split, scorer, prior, BLEND_GRID);
    reports.push(
      report(name, b.ranks, `cosine + β·log-popularity, β cross-fitted over two user folds: ${b.betas.join(', ')}`),
    );
  };
  const notes = [
    `${split.test.length} users, chronological leave-last-out (≥ ${args['min-interactions']} interactions), full ranking over ${split.catalogue.length} training items minus each user's own, ties by source order; 95% percentile bootstrap over users (${resamples} resamples), paired for differences`,
    `${split.test.filter((t) => !itemIndex.has(t.itemId)).length} held-out items never appear in training (a miss for every method)`,
  ];
  const describe = (label: string, run: PipelineRun, scored: ScoredRun) => {
    const c = coverage(split, run, scored);
    const clicks =
      Object.entries(run.clicksWithoutVector)
        .filter(([, n]) => n > 0)
        .map(([o, n]) => `${o} ${n}`)
        .join(', ') || 'none';
    return (
      `${label}: ${run.seconds.toFixed(0)} s, ${run.sent} training events sent, ${run.accounting}; ${run.profiles.size} profiles published, ` +
      `${c.usersWithoutVector} of ${split.test.length} evaluated users without a profile vector; ${c.itemsWithVector} of ${split.catalogue.length} candidate items with a vector ` +
      `(${run.descriptionVectors.length} descriptions, ${run.reviewVectors.length} training reviews embedded), ${c.heldOutScorable} of ${split.test.length} held-out items scorable; ` +
      `clicks that came before their item's vector: ${clicks}; model ${run.modelId}${run.projectionId ? `, projection ${run.projectionId}` : ''}`
    );
  };
  const cold = coldStartUsers(split);
  const coldIndexes = split.test.flatMap((t, i) => (cold.has(t.userId) ? [i] : []));
  const slice = (ranks: number[]) => coldIndexes.map((i) => ranks[i]!);
  const coldReports: MethodReport[] = [];
  const coldReport = (method: string, ranks: number[]) => {
    if (coldIndexes.length === 0) return;
    coldReports.push({
      method: `${method} (cold-start slice)`,
      users: coldIndexes.length,
      hr: bootstrapMean(hits(slice(ranks)), { resamples }),
      ndcg: bootstrapMean(ndcgs(slice(ranks)), { resamples }),
      ndcgVsPopularity:
        ranks === popularityRanks
          ? null
          : bootstrapDifference(ndcgs(slice(ranks)), ndcgs(slice(popularityRanks)), { resamples }),
      ndcgVsTfidf:
        ranks === tfidfRanks ? null : bootstrapDifference(ndcgs(slice(ranks)), ndcgs(slice(tfidfRanks)), { resamples }),
    });
  };
  coldReport('most popular', popularityRanks);
  coldReport('TF-IDF profile', tfidfRanks);
  coldReport('item-to-item', knnRanks);
  notes.push(
    `cold-start slice: ${coldIndexes.length} users whose held-out item no training interaction touched but the catalogue describes (popularity cannot rank it)`,
  );

  // Interest clusters against the single vector, overall and per activity range (cluster-study.ts).
  const activity = new Map<string, number>();
  for (const e of split.train)
    if (e.type === 'review' || e.type === 'post' || e.type === 'click')
      activity.set(e.user_id, (activity.get(e.user_id) ?? 0) + 1);
  const buckets = activityBuckets(
    split.test.map((t) => activity.get(t.userId) ?? 0),
    Math.max(1, Math.ceil(split.test.length * ACTIVITY_BUCKET_SHARE)),
  );
  notes.push(
    `activity ranges (training reviews, posts and clicks per evaluated user; each range at least a sixth of the users, set before any scoring): ${buckets.map((b) => `${b.label}: ${b.users.length} users`).join(', ')}`,
  );
  const replayClicks: ReplayClick[] = split.train.flatMap((e) => {
    const action = e.type === 'click' ? clickActionOf((e as { action?: unknown }).action) : null;
    return action ? [{ userId: e.user_id, itemId: e.item_id, action, occurredAt: Math.round(e.ts * 1000) }] : [];
  });
  // The settings the pipeline's fuser runs with (it inherits this environment): the replay folds
  // with the same half-lives, action weights and repeat window, and checks itself against its K and τ.
  const fuser = fuserEnvSchema.parse(
    Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('FUSER_'))),
  );
  const replayFusion: FusionConfig = {
    halfLivesMs: Object.fromEntries(fuser.FUSER_HALF_LIVES_HOURS.map((h) => [`${h}h`, h * HOUR_MS])),
    actionWeights: fuser.FUSER_ACTION_WEIGHTS,
    textDedupWindowMs: fuser.FUSER_TEXT_DEDUP_WINDOW_MS,
  };
  const shipped = { maxClusters: fuser.FUSER_INTEREST_CLUSTERS, joinSimilarity: fuser.FUSER_CLUSTER_JOIN_SIMILARITY };
  const clusterStudies: { space: string; study: ClusterStudy }[] = [];
  const studyRun = (space: string, r: PipelineRun, scored: ScoredRun) => {
    const longest = longestHorizon(r);
    const study = studyClusters({
      split,
      items: scored.items,
      singles: [
        { name: 'fused', ranks: rankAll(split, scored.scorer('fused')) },
        ...(longest ? [{ name: longest, ranks: rankAll(split, scored.scorer(longest)) }] : []),
      ],
      profiles: r.profiles,
      texts: r.userTexts,
      clicks: replayClicks,
      // The fuser keeps an item's latest description vector.
      itemVectors: new Map(r.descriptionVectors.map((d) => [d.itemId, d.vector])),
      fusion: replayFusion,
      shipped,
      maxClusters: args.maxClusters,
      joinSimilarities: args.joinSimilarities,
      shareWeights: CLUSTER_SHARE_GRID,
      buckets,
      resamples,
    });
    for (const m of study.methods) reports.push(report(`${space} ${m.method}`, m.ranks, m.note));
    coldReport(`${space} ${PUBLISHED}`, study.methods[0]!.ranks);
    const a = study.replay?.agreement;
    if (a)
      notes.push(
        `${space} interest clusters, replay check: refolding the training events with the fuser's own K ${shipped.maxClusters} and τ ${shipped.joinSimilarity} gives the published clusters (count, events per cluster, centroids within cosine 0.999) for ${a.same} of ${a.users} evaluated users; NDCG@10 published ${a.ndcgPublished.toFixed(4)}, replayed ${a.ndcgReplayed.toFixed(4)}`,
      );
    clusterStudies.push({ space, study });
  };

  // The joint model: profile features and behaviour features in one logistic regression, trained
  // on point-in-time joins of the changelog with the training interactions that followed.
  const everyItem = split.catalogue.map((_, i) => i);
  const joint = (
    label: string,
    r: PipelineRun,
    scored: ScoredRun,
  ): { ranks: number[]; validationLogLoss: number | null } | null => {
    if (!r.history) {
      notes.push(`${label}: skipped, a reused run keeps no changelog (run without --reuse-run)`);
      return null;
    }
    const rows = pointInTimeRows({
      catalogue: split.catalogue,
      items: scored.items,
      interactions: interactions.map((e) => ({ userId: e.user_id, itemId: e.item_id, at: e.ts * 1000 })),
      history: r.history,
      negatives: JOINT_NEGATIVES,
      seed: 7,
    });
    if (!rows.labels.includes(1)) {
      notes.push(`${label}: skipped, no training interaction had a profile published before it`);
      return null;
    }
    const model = trainRanker(rows, (userId) => foldOf(userId) === 1);
    const finalVectors = new Map([...r.profiles].map(([userId, p]) => [userId, rankerVectors(p)]));
    const ranks = rankAll(split, (userId) => {
      const knn = co.scores(split.trainItems.get(userId) ?? []);
      // Popularity within the user's segment over the training interactions; the dataset has no
      // attributes, so there is no segment and this is `prior`, as scoring falls back.
      const segment = segmentOf(r.profiles.get(userId) ?? null, DEFAULT_SEGMENT_ATTRIBUTE);
      const segmentMax = rows.segments.maxOf(segment);
      const segmentPopularity =
        segment === null || segmentMax === 0
          ? prior
          : Float64Array.from(prior, (p, i) =>
              segmentPopularityFeature(rows.segments.count(segment, i), segmentMax, p),
            );
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
    reports.push(
      report(
        label,
        ranks,
        `logistic regression, λ ${model.l2} chosen by log loss on validation users' training interactions; ${model.trainedOn.positives} point-in-time positives, ${model.trainedOn.negatives} sampled negatives, ${rows.skipped} interactions without an earlier profile; standardised weights: ${weights}`,
      ),
    );
    coldReport(label, ranks);
    return { ranks, validationLogLoss: model.validationLogLoss };
  };

  // Stage 1: the pipeline as configured by default (or, with --reuse-run, its saved output).
  const datasetName = basename(dirname(file));
  // Saved runs are keyed by exactly what was replayed and by the model, so --reuse-run never scores
  // a run whose training data differed (another file, another --min-interactions) or another
  // model's; a projected run is keyed by its projection, fitted on this run.
  const model = modelDirOf(args.model);
  const modelKey = createHash('sha256')
    .update(readFileSync(join(model, 'profilestream-model.json')))
    .update(model)
    .digest('hex')
    .slice(0, 8);
  const trainingKey = `${createHash('sha256')
    .update(split.train.map((e) => `${e.seq}:${e.user_id}:${e.item_id}`).join('\n'))
    .update(replaySettingsKey())
    .digest('hex')
    .slice(0, 12)}-${modelKey}`;
  const run = await pipelineRun(
    join(repoRoot, '.cache/eval', `${datasetName}-${trainingKey}.run.json`),
    split.train,
    null,
  );
  const raw = scoredRun(split, run);
  assertCoverage(split, run, raw);
  for (const variant of raw.variants) {
    const ranks = rankAll(split, raw.scorer(variant));
    reports.push(report(`pipeline ${variant}`, ranks));
    if (variant === 'fused') coldReport('pipeline fused', ranks);
  }
  // The same vectors with the catalogue's shared direction taken out of items and profiles alike.
  const mean = raw.items.centroid();
  const centredItems = raw.items.centred(mean);
  const centred: Scorer = (userId) => {
    const v = raw.vectors.get(userId)?.get('fused');
    const c = v ? centre(v, mean) : null;
    return c ? centredItems.scores(c) : null;
  };
  const centredRanks = rankAll(split, centred);
  reports.push(report('pipeline fused, centred at scoring', centredRanks));
  coldReport('pipeline fused, centred at scoring', centredRanks);
  blend('pipeline fused + popularity', raw.scorer('fused'));
  studyRun('pipeline', run, raw);
  // Each vector space tried (none, then each PCA), with its joint model's validation log loss on
  // training interactions: the projection is chosen on that, never on a held-out item.
  const spaces: { name: string; ranks: number[]; loss: number | null }[] = [];
  const tried = (name: string, result: ReturnType<typeof joint>) =>
    void (result && spaces.push({ name, ranks: result.ranks, loss: result.validationLogLoss }));
  tried('none', joint('joint model (profile + behaviour, logistic regression)', run, raw));
  notes.push(describe('pipeline run', run, raw));

  // Stage 2: the source document's dimension reduction, inside the pipeline: a whitened PCA fitted
  // on the stage-1 embeddings of training texts (reviews, descriptions) only, applied by the encoder.
  for (const pcaDim of pcaDims) {
    const projectionFile = join(repoRoot, '.cache/eval', `${datasetName}-${trainingKey}.pca${pcaDim}w.json`);
    const fit = fitProjection(run, pcaDim, projectionFile);
    if (!fit) {
      notes.push(
        `PCA ${pcaDim} skipped: ${run.reviewVectors.length + run.descriptionVectors.length} training embeddings of ${run.reviewVectors[0]?.vector.length ?? run.descriptionVectors[0]?.vector.length ?? 0} dimensions, a fit needs more rows than ${pcaDim} and at least ${pcaDim} dimensions`,
      );
      continue;
    }
    const projectedRun = await pipelineRun(
      join(repoRoot, '.cache/eval', `${datasetName}-${trainingKey}.run.${fit.id}.json`),
      split.train,
      projectionFile,
    );
    const projected = scoredRun(split, projectedRun);
    assertCoverage(split, projectedRun, projected);
    const fusedRanks = rankAll(split, projected.scorer('fused'));
    reports.push(report(`pipeline + PCA ${pcaDim} whitened, fused`, fusedRanks));
    coldReport(`pipeline + PCA ${pcaDim} whitened, fused`, fusedRanks);
    blend(`pipeline + PCA ${pcaDim} whitened, fused + popularity`, projected.scorer('fused'));
    studyRun(`pipeline + PCA ${pcaDim} whitened,`, projectedRun, projected);
    tried(`PCA ${pcaDim} whitened`, joint(`joint model with PCA ${pcaDim} whitened`, projectedRun, projected));
    notes.push(
      `PCA ${pcaDim}: ${fit.id}, fitted on ${fit.rows} training embeddings (reviews and descriptions), keeps ${(fit.kept * 100).toFixed(1)}% of their variance`,
    );
    notes.push(describe(`pipeline run with PCA ${pcaDim}`, projectedRun, projected));
  }
  const scored = spaces.filter((x): x is { name: string; ranks: number[]; loss: number } => x.loss !== null);
  if (scored.length > 0) {
    const chosen = scored.reduce((a, b) => (b.loss < a.loss ? b : a));
    const label = `joint model, projection chosen on validation users (${chosen.name})`;
    reports.push(report(label, chosen.ranks));
    coldReport(label, chosen.ranks);
    notes.push(
      `projection chosen by the joint model's log loss on validation users' training interactions (no held-out item seen): ${scored.map((x) => `${x.name} ${x.loss.toFixed(4)}`).join(', ')}; chosen: ${chosen.name}`,
    );
  }
  reports.push(...coldReports);

  const rows: BenchRow[] = reports.map((r) => ({
    case: r.method,
    'HR@10': `${r.hr.mean.toFixed(4)} [${r.hr.low.toFixed(4)}, ${r.hr.high.toFixed(4)}]`,
    'NDCG@10': `${r.ndcg.mean.toFixed(4)} [${r.ndcg.low.toFixed(4)}, ${r.ndcg.high.toFixed(4)}]`,
    'ΔNDCG@10 vs popular': difference(r.ndcgVsPopularity),
    'ΔNDCG@10 vs TF-IDF': difference(r.ndcgVsTfidf),
  }));
  console.log(`\n${formatTable(rows)}`);
  if (clusterStudies.length > 0) {
    console.log(
      '\ninterest clusters against the single vector: paired ΔNDCG@10 (clusters − single), by training events',
    );
    console.log(formatTable(clusterRows(clusterStudies)));
  }
  for (const n of [...notes, ...reports.filter((r) => r.note).map((r) => `${r.method}: ${r.note}`)])
    console.log(`  note: ${n}`);
  const dir = join(repoRoot, 'reports/eval');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${basename(dirname(file))}.json`);
  writeFileSync(
    out,
    JSON.stringify(
      {
        dataset: basename(dirname(file)),
        startedAt: new Date().toISOString(),
        newItems: { share: args.newItems, items: listed.newItems.size },
        notes,
        methods: reports,
        activityRanges: buckets.map((b) => ({ range: b.label, low: b.low, high: b.high, users: b.users.length })),
        interestClusters: clusterStudies.map(({ space, study }) => ({
          space,
          publishedPerUser: study.publishedPerUser,
          publishedAlpha: study.publishedAlpha,
          replay: study.replay,
          comparisons: study.comparisons,
        })),
      },
      null,
      2,
    ),
  );
  console.log(`  results: ${out.slice(repoRoot.length + 1)}`);
}

/** One row per (clusters method, single vector): the difference over all users, then per activity range. */
function clusterRows(studies: { space: string; study: ClusterStudy }[]): BenchRow[] {
  return studies.flatMap(({ space, study }) =>
    study.comparisons.map((c) => ({
      case: `${space} ${c.method} − ${c.versus}`,
      [`all (${c.users})`]: difference(c.difference),
      ...Object.fromEntries(c.byActivity.map((b) => [`${b.range} (${b.users})`, difference(b.difference)])),
    })),
  );
}

/** The profile's longest horizon as a variant name (`horizon:90d`): the clusters' half-life. */
function longestHorizon(run: PipelineRun): string | null {
  let best: { name: string; halfLifeMs: number } | null = null;
  for (const p of run.profiles.values())
    for (const h of p.horizons) if (!best || h.halfLifeMs > best.halfLifeMs) best = h;
  return best ? `horizon:${best.name}` : null;
}

function difference(d: Interval | null): string {
  return d ? `${sign(d.mean)} [${sign(d.low)}, ${sign(d.high)}]` : '';
}

function sign(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
}

/** fused first, then horizons from short to long, then channels. */
function variantOrder(a: string, b: string): number {
  const rank = (v: string) =>
    v === 'fused'
      ? [0, 0]
      : v.startsWith('horizon:')
        ? [1, parseFloat(v.slice(8)) * (v.endsWith('d') ? 24 : 1)]
        : [2, 0];
  const [ra, rb] = [rank(a), rank(b)];
  return ra[0]! - rb[0]! || ra[1]! - rb[1]! || a.localeCompare(b);
}

/** An item event's text as text-cleaner sees it: title and description. */
function itemText(e: DatasetEvent): string {
  const line = e as DatasetEvent & { title?: string; description?: string };
  return [line.title ?? '', line.description ?? e.text ?? ''].filter((t) => t.length > 0).join('\n');
}

function tfidfScorer(catalogue: readonly string[], itemIndex: Map<string, number>, train: DatasetEvent[]): Scorer {
  const itemDocs = catalogue.map(() => [] as string[]);
  const userDocs = new Map<string, string[]>();
  for (const e of train) {
    if (e.type === 'item') {
      // The catalogue's own words about an item: all a new item has.
      const i = itemIndex.get(e.item_id);
      if (i !== undefined) itemDocs[i]!.push(itemText(e));
      continue;
    }
    if (e.type !== 'review' && e.type !== 'post') continue;
    const i = itemIndex.get(e.item_id);
    if (e.type === 'review' && i !== undefined) itemDocs[i]!.push(e.text);
    const docs = userDocs.get(e.user_id) ?? [];
    docs.push(e.text);
    userDocs.set(e.user_id, docs);
  }
  const model = new TfIdf().fit(itemDocs.map((d) => d.join('\n')));
  const index = new SparseIndex(catalogue.length);
  itemDocs.forEach((d, i) => index.add(i, model.transform(d.join('\n'))));
  return (userId) => {
    const docs = userDocs.get(userId);
    return docs ? index.scores(model.transform(docs.join('\n'))) : null;
  };
}

/** Negatives sampled per positive when training the joint model. */
const JOINT_NEGATIVES = 4;

interface Coverage {
  itemsWithVector: number;
  usersWithoutVector: number;
  heldOutScorable: number;
}

function coverage(split: Split, run: PipelineRun, scored: ScoredRun): Coverage {
  const index = new Map(split.catalogue.map((id, i) => [id, i]));
  return {
    itemsWithVector: scored.items.withVectors,
    usersWithoutVector: split.test.filter((t) => !scored.vectors.get(t.userId)?.has('fused')).length,
    heldOutScorable: split.test.filter((t) => scored.items.has(index.get(t.itemId) ?? -1)).length,
  };
}

/**
 * A run whose vectors cannot rank anything measures nothing: it fails here, loudly, rather than
 * print rows of zeros (a model or projection mismatch, an encoder that dropped everything).
 */
function assertCoverage(split: Split, run: PipelineRun, scored: ScoredRun): void {
  const c = coverage(split, run, scored);
  const problems = [
    c.itemsWithVector === 0
      ? `no candidate item has a vector (${run.descriptionVectors.length} descriptions and ${run.reviewVectors.length} reviews embedded)`
      : null,
    c.usersWithoutVector === split.test.length
      ? `no evaluated user has a profile vector (${run.profiles.size} profiles published)`
      : null,
    c.heldOutScorable === 0 ? 'no held-out item has a vector' : null,
  ].filter((p): p is string => p !== null);
  if (problems.length > 0)
    throw new Error(
      `coverage is broken, nothing to measure: ${problems.join('; ')}; pipeline accounting: ${run.accounting}`,
    );
}

interface ScoredRun {
  items: ItemVectors;
  vectors: Map<string, Map<string, Float32Array>>;
  variants: string[];
  scorer: (variant: string) => Scorer;
}

/**
 * Item vectors from the run's embeddings of the catalogue's descriptions (what the fuser folds into
 * click vectors) and of training reviews, each text counted once in the item's mean direction; a
 * scorer per profile vector.
 */
function scoredRun(split: Split, run: PipelineRun): ScoredRun {
  const dim =
    run.profiles.values().next().value?.dim ??
    run.reviewVectors[0]?.vector.length ??
    run.descriptionVectors[0]?.vector.length ??
    0;
  const items = ItemVectors.fromMeans(split.catalogue, dim, [...run.descriptionVectors, ...run.reviewVectors]);
  const vectors = new Map([...run.profiles].map(([userId, p]) => [userId, profileVectors(p)]));
  const variants = [...new Set([...vectors.values()].flatMap((vs) => [...vs.keys()]))].sort(variantOrder);
  const scorer =
    (variant: string): Scorer =>
    (userId) => {
      const v = vectors.get(userId)?.get(variant);
      return v ? items.scores(v) : null;
    };
  return { items, vectors, variants, scorer };
}

/**
 * Fits a whitened PCA on the run's training embeddings (reviews and descriptions) and writes it
 * where the encoder can load it; null when there are too few of them for `dim` components.
 */
function fitProjection(run: PipelineRun, dim: number, file: string): { id: string; kept: number; rows: number } | null {
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

/** A pipeline run, or with --reuse-run the saved output of the last one with the same settings. */
async function pipelineRun(
  cacheFile: string,
  train: DatasetEvent[],
  projectionFile: string | null,
): Promise<PipelineRun> {
  const saved = args['reuse-run'] && existsSync(cacheFile) ? loadRun(cacheFile) : null;
  if (saved) return saved;
  const run = await runPipeline(train, projectionFile);
  saveRun(cacheFile, run);
  return run;
}

interface PipelineRun {
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
function replaySettingsKey(): string {
  const serviceEnv = Object.entries(process.env)
    .filter(([k]) => /^(FUSER|ENCODER|CLEANER)_/.test(k))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([REPLAY_PROTOCOL, REPLAY_FUSER_ENV, serviceEnv]);
}

async function runPipeline(train: DatasetEvent[], projectionFile: string | null): Promise<PipelineRun> {
  // The encoder projects; the fuser must know the projection to accept its vectors.
  const pipeline = new LocalPipeline({
    prefix: `eval-${Date.now().toString(36)}.`,
    basePort: await freePortRun(3),
    env: {
      encoder: {
        ...modelEnv(args.model).encoder,
        ...(projectionFile ? { ENCODER_PROJECTION_FILE: projectionFile } : {}),
      },
      'profile-fuser': {
        ...modelEnv(args.model)['profile-fuser'],
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
    await pipeline.stop({ keepData: args.keep });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
