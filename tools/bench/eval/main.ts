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
import { commandLine, numberOption, UsageError } from '@profilestream/tools-cli';
import { findEventsFile, loadEvents } from '@profilestream/tools-events';
import { modelDirOf, modelProblem } from '@profilestream/tools-runtime';
import { HOUR_MS, fuserEnvSchema } from '@profilestream/profile-fuser-config';
import type { FusionConfig } from '@profilestream/fusion';
import { CoOccurrence } from '@profilestream/ranking';
import { seededRandom } from '@profilestream/embedding';
import { formatTable } from '../bench-harness';
import { PUBLISHED, studyClusters, type ClusterStudy } from './cluster-study';
import { activityBuckets, crossFitBlend, rankAll, type Scorer } from './evaluate';
import { clickActionOf, type ReplayClick } from './interest-clusters';
import { jointModel, type JointInputs } from './joint';
import { fitProjection, pipelineRun, replaySettingsKey, type PipelineRun, type RunOptions } from './pipeline-run';
import { centre, popularity, popularityPrior, tfidfScorer } from './recommenders';
import { MethodReports, clusterRows, methodRows } from './report';
import { assertCoverage, describeRun, longestHorizon, scoredRun, type ScoredRun } from './scored-run';
import { coldStartUsers, leaveLastOut, withNewItems } from './split';

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
  const notes = [
    `${split.test.length} users, chronological leave-last-out (≥ ${args['min-interactions']} interactions), full ranking over ${split.catalogue.length} training items minus each user's own, ties by source order; 95% percentile bootstrap over users (${resamples} resamples), paired for differences`,
    `${split.test.filter((t) => !itemIndex.has(t.itemId)).length} held-out items never appear in training (a miss for every method)`,
  ];
  const cold = coldStartUsers(split);
  const coldIndexes = split.test.flatMap((t, i) => (cold.has(t.userId) ? [i] : []));
  const reports = new MethodReports({
    resamples,
    floors: { popularity: popularityRanks, tfidf: tfidfRanks },
    coldIndexes,
  });
  reports.add('most popular', popularityRanks);
  reports.add('TF-IDF profile (review text)', tfidfRanks);
  reports.add('item-to-item (ItemKNN over training interactions)', knnRanks);
  const prior = popularityPrior(pop);
  const blend = (name: string, scorer: Scorer) => {
    const b = crossFitBlend(split, scorer, prior, BLEND_GRID);
    reports.add(name, b.ranks, `cosine + β·log-popularity, β cross-fitted over two user folds: ${b.betas.join(', ')}`);
  };
  reports.addCold('most popular', popularityRanks);
  reports.addCold('TF-IDF profile', tfidfRanks);
  reports.addCold('item-to-item', knnRanks);
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
    for (const m of study.methods) reports.add(`${space} ${m.method}`, m.ranks, m.note);
    reports.addCold(`${space} ${PUBLISHED}`, study.methods[0]!.ranks);
    const a = study.replay?.agreement;
    if (a)
      notes.push(
        `${space} interest clusters, replay check: refolding the training events with the fuser's own K ${shipped.maxClusters} and τ ${shipped.joinSimilarity} gives the published clusters (count, events per cluster, centroids within cosine 0.999) for ${a.same} of ${a.users} evaluated users; NDCG@10 published ${a.ndcgPublished.toFixed(4)}, replayed ${a.ndcgReplayed.toFixed(4)}`,
      );
    clusterStudies.push({ space, study });
  };

  // The joint model, trained on the run's changelog; reported, and returned for the choice of space.
  const jointInputs: JointInputs = { split, interactions, co, prior };
  const joint = (label: string, r: PipelineRun, scored: ScoredRun) => {
    const result = jointModel(jointInputs, r, scored);
    if ('skipped' in result) {
      notes.push(`${label}: skipped, ${result.skipped}`);
      return null;
    }
    reports.add(label, result.ranks, result.note);
    reports.addCold(label, result.ranks);
    return result;
  };

  // Stage 1: the pipeline as configured by default (or, with --reuse-run, its saved output).
  const datasetName = basename(dirname(file));
  // Saved runs are keyed by exactly what was replayed and by the model, so --reuse-run never scores
  // a run whose training data differed (another file, another --min-interactions) or another
  // model's; a projected run is keyed by its projection, fitted on this run.
  const runOptions: RunOptions = { model: args.model, reuse: args['reuse-run'], keep: args.keep };
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
    runOptions,
  );
  const raw = scoredRun(split, run);
  assertCoverage(split, run, raw);
  for (const variant of raw.variants) {
    const ranks = rankAll(split, raw.scorer(variant));
    reports.add(`pipeline ${variant}`, ranks);
    if (variant === 'fused') reports.addCold('pipeline fused', ranks);
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
  reports.add('pipeline fused, centred at scoring', centredRanks);
  reports.addCold('pipeline fused, centred at scoring', centredRanks);
  blend('pipeline fused + popularity', raw.scorer('fused'));
  studyRun('pipeline', run, raw);
  // Each vector space tried (none, then each PCA), with its joint model's validation log loss on
  // training interactions: the projection is chosen on that, never on a held-out item.
  const spaces: { name: string; ranks: number[]; loss: number | null }[] = [];
  const tried = (name: string, result: ReturnType<typeof joint>) =>
    void (result && spaces.push({ name, ranks: result.ranks, loss: result.validationLogLoss }));
  tried('none', joint('joint model (profile + behaviour, logistic regression)', run, raw));
  notes.push(describeRun('pipeline run', split, run, raw));

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
      runOptions,
    );
    const projected = scoredRun(split, projectedRun);
    assertCoverage(split, projectedRun, projected);
    const fusedRanks = rankAll(split, projected.scorer('fused'));
    reports.add(`pipeline + PCA ${pcaDim} whitened, fused`, fusedRanks);
    reports.addCold(`pipeline + PCA ${pcaDim} whitened, fused`, fusedRanks);
    blend(`pipeline + PCA ${pcaDim} whitened, fused + popularity`, projected.scorer('fused'));
    studyRun(`pipeline + PCA ${pcaDim} whitened,`, projectedRun, projected);
    tried(`PCA ${pcaDim} whitened`, joint(`joint model with PCA ${pcaDim} whitened`, projectedRun, projected));
    notes.push(
      `PCA ${pcaDim}: ${fit.id}, fitted on ${fit.rows} training embeddings (reviews and descriptions), keeps ${(fit.kept * 100).toFixed(1)}% of their variance`,
    );
    notes.push(describeRun(`pipeline run with PCA ${pcaDim}`, split, projectedRun, projected));
  }
  const scored = spaces.filter((x): x is { name: string; ranks: number[]; loss: number } => x.loss !== null);
  if (scored.length > 0) {
    const chosen = scored.reduce((a, b) => (b.loss < a.loss ? b : a));
    const label = `joint model, projection chosen on validation users (${chosen.name})`;
    reports.add(label, chosen.ranks);
    reports.addCold(label, chosen.ranks);
    notes.push(
      `projection chosen by the joint model's log loss on validation users' training interactions (no held-out item seen): ${scored.map((x) => `${x.name} ${x.loss.toFixed(4)}`).join(', ')}; chosen: ${chosen.name}`,
    );
  }
  const rows = methodRows(reports.all);
  console.log(`\n${formatTable(rows)}`);
  if (clusterStudies.length > 0) {
    console.log(
      '\ninterest clusters against the single vector: paired ΔNDCG@10 (clusters − single), by training events',
    );
    console.log(formatTable(clusterRows(clusterStudies)));
  }
  for (const n of [...notes, ...reports.all.filter((r) => r.note).map((r) => `${r.method}: ${r.note}`)])
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
        methods: reports.all,
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

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
