/**
 * Several interests per user, kept incrementally: up to K clusters, each an exponentially decayed
 * vector sum (the profile's longest half-life) of the events assigned to it. An event joins the
 * cluster whose sum it is most similar to (cosine) when that similarity reaches τ; otherwise it
 * starts a cluster, making room when K are in use by dropping a negligible cluster or merging the
 * two closest ones (or, if those are less alike than the event is to its best cluster, it joins
 * that cluster after all).
 *
 * What is order-insensitive and what is not:
 * - Each cluster's vector is the exact decayed sum (up to float32 rounding) of the events assigned
 *   to it, whatever order they were assigned in, with refTime the latest of their times; a merge is
 *   the exact sum of the two (mergeClusters), so merged clusters stay exact sums too. `events`,
 *   `lastActivityAt` and the weights are order-insensitive in the same way.
 * - Which cluster an event joins depends on the clusters present when it arrives, so the partition
 *   of events into clusters (and with it every cluster's sum) depends on the order of events.
 * - Categories are bounded to CLUSTER_CATEGORIES per cluster by decayed weight; a label dropped
 *   while out of the top loses its past weight, so they too depend on order once more labels compete.
 * Everything is deterministic: equal histories give bit-identical clusters, in creation order (a
 * merge keeps the earlier position), with ties going to the lowest index.
 *
 * Nothing derived is kept beside the state: each update computes every cluster's dot product with
 * the event and its squared norm in one fused pass, so a decoded state makes exactly the decisions
 * the live one would have.
 */
import {
  addEvent,
  addScalar,
  cloneDecayedVector,
  decayFactor,
  emptyDecayedScalar,
  emptyDecayedVector,
  normalised,
  type DecayedScalarState,
  type DecayedVectorState,
} from './decayed-vector';
import { compareStrings } from './records';

/** Clusters per user. Beyond a handful the smaller ones are a few stray events each. */
export const DEFAULT_MAX_CLUSTERS = 8;
/**
 * Cosine an event needs with a cluster's sum to join it. Measured on the review dataset with
 * all-MiniLM-L6-v2 (raw vectors, 3,000 reviews of 300 items): a review scores a median 0.68 (10th
 * percentile 0.46) against the sum of ~9 other reviews of its own item, and 0.29 (90th percentile
 * 0.48) against another item's. At 0.5, 13% of reviews fall short of their own item's sum and 8%
 * reach another's; the two error rates meet near 0.47. The value depends on the embedding space
 * (centred vectors: crossing near 0.22, where 0.5 would leave 40% out) and on how broad an interest
 * should be, so it is a parameter, to be chosen on validation users.
 */
export const DEFAULT_JOIN_SIMILARITY = 0.5;
/** A cluster with under this share of the total decayed weight is dropped to make room (before merging). */
export const DEFAULT_EVICT_WEIGHT_SHARE = 1e-3;
/** Category labels kept per cluster, by decayed weight. */
export const CLUSTER_CATEGORIES = 5;
/** Category labels per cluster in a summary. */
export const SUMMARY_CATEGORIES = 3;

export interface ClusterCategory {
  label: string;
  /** Decayed weight of the cluster's events carrying this label (the cluster's half-life). */
  weight: DecayedScalarState;
}

/** One interest. A plain structure (numbers, strings, one Float32Array) for the state codec. */
export interface InterestClusterState {
  /** Decayed sum of the events assigned, with the profile's longest half-life. */
  vector: DecayedVectorState;
  /** Latest event time assigned. */
  lastActivityAt: number;
  /** Events assigned (merges add them). */
  events: number;
  /** At most CLUSTER_CATEGORIES, in label (code-unit) order. */
  categories: ClusterCategory[];
}

export interface InterestClustersConfig {
  /** K: at most this many clusters (≥ 1). */
  maxClusters: number;
  /** τ: cosine, in [-1, 1], an event needs with a cluster's sum to join it. */
  joinSimilarity: number;
  /** Half-life of every cluster (the profile's longest). */
  halfLifeMs: number;
  /** Eviction threshold as a share of the total decayed weight; 0 never evicts. Default DEFAULT_EVICT_WEIGHT_SHARE. */
  evictWeightShare?: number;
}

export function interestClustersConfig(
  halfLifeMs: number,
  overrides: Partial<Omit<InterestClustersConfig, 'halfLifeMs'>> = {},
): InterestClustersConfig {
  const config: InterestClustersConfig = {
    maxClusters: DEFAULT_MAX_CLUSTERS,
    joinSimilarity: DEFAULT_JOIN_SIMILARITY,
    evictWeightShare: DEFAULT_EVICT_WEIGHT_SHARE,
    halfLifeMs,
    ...overrides,
  };
  checkConfig(config);
  return config;
}

function checkConfig(c: InterestClustersConfig): void {
  if (!(Number.isSafeInteger(c.maxClusters) && c.maxClusters >= 1))
    throw new RangeError(`maxClusters must be a positive integer, got ${c.maxClusters}`);
  if (!(c.joinSimilarity >= -1 && c.joinSimilarity <= 1))
    throw new RangeError(`joinSimilarity must be a cosine in [-1, 1], got ${c.joinSimilarity}`);
  if (!(Number.isFinite(c.halfLifeMs) && c.halfLifeMs > 0))
    throw new RangeError(`halfLifeMs must be a positive finite number of ms, got ${c.halfLifeMs}`);
  const share = c.evictWeightShare ?? DEFAULT_EVICT_WEIGHT_SHARE;
  if (!(share >= 0 && share < 1)) throw new RangeError(`evictWeightShare must be in [0, 1), got ${share}`);
}

/** What addToClusters did with an event. */
export type ClusterUpdate =
  /** w ≤ 0 or a zero vector: nothing changed. */
  | 'ignored'
  /** Joined its most similar cluster (similarity ≥ τ). */
  | 'joined'
  /** Started a cluster (fewer than K). */
  | 'created'
  /** Dropped a negligible cluster and started one. */
  | 'evicted'
  /** Merged the two closest clusters and started one. */
  | 'merged'
  /** Joined its most similar cluster although under τ (K in use, no closer pair to merge). */
  | 'folded';

/** Scratch for one call (dot products and squared norms per cluster), reused across calls. */
let scratchDots = new Float64Array(DEFAULT_MAX_CLUSTERS);
let scratchNorms = new Float64Array(DEFAULT_MAX_CLUSTERS);

function ensureScratch(n: number): void {
  if (scratchDots.length < n) {
    scratchDots = new Float64Array(n);
    scratchNorms = new Float64Array(n);
  }
}

/**
 * dots[k] = sums[k]·v and norms[k] = ‖sums[k]‖² (float64 from the stored float32 values) for every
 * k ≥ from, in one pass over the dimensions per four sums (then two, then one): independent
 * accumulators keep the floating-point units busy instead of waiting on one sum's additions, and
 * v[i] is read once per block. Norms are recomputed every time rather than cached, so they depend
 * on the stored state alone and a decoded state makes the same decisions as the live one. Every
 * accumulator adds in index order, so a value does not depend on the block that computed it.
 */
function dotsAndNorms(
  sums: readonly Float32Array[],
  from: number,
  v: Float32Array,
  dots: Float64Array,
  norms: Float64Array,
): void {
  const m = sums.length;
  let k = from;
  for (; k + 4 <= m; k += 4) block4(sums[k]!, sums[k + 1]!, sums[k + 2]!, sums[k + 3]!, v, k, dots, norms);
  if (k + 2 <= m) {
    block2(sums[k]!, sums[k + 1]!, v, k, dots, norms);
    k += 2;
  }
  if (k < m) block1(sums[k]!, v, k, dots, norms);
}

function block4(
  a0: Float32Array,
  a1: Float32Array,
  a2: Float32Array,
  a3: Float32Array,
  v: Float32Array,
  k: number,
  dots: Float64Array,
  norms: Float64Array,
): void {
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let n0 = 0;
  let n1 = 0;
  let n2 = 0;
  let n3 = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    const y0 = a0[i]!;
    const y1 = a1[i]!;
    const y2 = a2[i]!;
    const y3 = a3[i]!;
    d0 += y0 * x;
    d1 += y1 * x;
    d2 += y2 * x;
    d3 += y3 * x;
    n0 += y0 * y0;
    n1 += y1 * y1;
    n2 += y2 * y2;
    n3 += y3 * y3;
  }
  dots[k] = d0;
  dots[k + 1] = d1;
  dots[k + 2] = d2;
  dots[k + 3] = d3;
  norms[k] = n0;
  norms[k + 1] = n1;
  norms[k + 2] = n2;
  norms[k + 3] = n3;
}

function block2(
  a0: Float32Array,
  a1: Float32Array,
  v: Float32Array,
  k: number,
  dots: Float64Array,
  norms: Float64Array,
) {
  let d0 = 0;
  let d1 = 0;
  let n0 = 0;
  let n1 = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    const y0 = a0[i]!;
    const y1 = a1[i]!;
    d0 += y0 * x;
    d1 += y1 * x;
    n0 += y0 * y0;
    n1 += y1 * y1;
  }
  dots[k] = d0;
  dots[k + 1] = d1;
  norms[k] = n0;
  norms[k + 1] = n1;
}

function block1(a0: Float32Array, v: Float32Array, k: number, dots: Float64Array, norms: Float64Array): void {
  let d0 = 0;
  let n0 = 0;
  for (let i = 0; i < v.length; i++) {
    const y0 = a0[i]!;
    d0 += y0 * v[i]!;
    n0 += y0 * y0;
  }
  dots[k] = d0;
  norms[k] = n0;
}

/** v·v, with four partial sums (a fixed order: the same vector always gives the same value). */
function squaredNorm(v: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 4 <= v.length; i += 4) {
    s0 += v[i]! * v[i]!;
    s1 += v[i + 1]! * v[i + 1]!;
    s2 += v[i + 2]! * v[i + 2]!;
    s3 += v[i + 3]! * v[i + 3]!;
  }
  for (; i < v.length; i++) s0 += v[i]! * v[i]!;
  return s0 + s1 + (s2 + s3);
}

/**
 * Assigns the event (w·v at t, with its category labels) to `clusters`, in place; see the module
 * comment for the rule. w ≤ 0, or a zero vector (no direction to assign), changes nothing. More
 * clusters than K (K was lowered) are first merged, closest pair first, down to K.
 * Throws a RangeError (nothing changed) for a non-finite w, t or vector component, a dimension
 * other than the clusters', or clusters with another half-life than the config's.
 */
export function addToClusters(
  clusters: InterestClusterState[],
  v: Float32Array,
  w: number,
  t: number,
  categories: readonly string[],
  config: InterestClustersConfig,
): ClusterUpdate {
  checkConfig(config);
  if (!Number.isFinite(w)) throw new RangeError(`weight must be finite, got ${w}`);
  if (!Number.isFinite(t)) throw new RangeError(`event time must be a finite epoch ms, got ${t}`);
  for (const c of clusters) {
    if (c.vector.sum.length !== v.length)
      throw new RangeError(`vector has dimension ${v.length}, clusters have ${c.vector.sum.length}`);
    if (c.vector.halfLifeMs !== config.halfLifeMs)
      throw new RangeError(
        `cluster half-life ${c.vector.halfLifeMs} ms differs from the config's ${config.halfLifeMs}`,
      );
  }
  const vv = squaredNorm(v);
  if (!Number.isFinite(vv)) throw new RangeError('vector has a non-finite component');
  if (!(w > 0) || !(vv > 0)) return 'ignored';
  // A config with a smaller K than before: merge down to it first.
  while (clusters.length > config.maxClusters) mergeClosestPair(clusters);

  const m = clusters.length;
  ensureScratch(m);
  const sums = clusters.map((c) => c.vector.sum);
  dotsAndNorms(sums, 0, v, scratchDots, scratchNorms);
  let best = -1;
  let bestSimilarity = -Infinity;
  for (let k = 0; k < m; k++) {
    const nn = scratchNorms[k]! * vv;
    const similarity = nn > 0 ? scratchDots[k]! / Math.sqrt(nn) : 0;
    if (similarity > bestSimilarity) {
      best = k;
      bestSimilarity = similarity;
    }
  }
  if (best >= 0 && bestSimilarity >= config.joinSimilarity) {
    foldInto(clusters[best]!, v, w, t, categories);
    return 'joined';
  }
  if (m < config.maxClusters) {
    clusters.push(newCluster(v, w, t, categories, config.halfLifeMs));
    return 'created';
  }

  const negligible = negligibleCluster(clusters, t, config.evictWeightShare ?? DEFAULT_EVICT_WEIGHT_SHARE);
  if (negligible >= 0) {
    clusters.splice(negligible, 1);
    clusters.push(newCluster(v, w, t, categories, config.halfLifeMs));
    return 'evicted';
  }
  // scratchNorms still holds every cluster's squared norm.
  const [i, j, pairSimilarity] = closestPair(sums, scratchNorms);
  if (pairSimilarity > bestSimilarity) {
    mergePair(clusters, i, j);
    clusters.push(newCluster(v, w, t, categories, config.halfLifeMs));
    return 'merged';
  }
  foldInto(clusters[best]!, v, w, t, categories);
  return 'folded';
}

function foldInto(c: InterestClusterState, v: Float32Array, w: number, t: number, categories: readonly string[]): void {
  addEvent(c.vector, v, w, t);
  c.lastActivityAt = c.events === 0 ? t : Math.max(c.lastActivityAt, t);
  c.events += 1;
  addCategories(c.categories, categories, w, t, c.vector.halfLifeMs);
}

function newCluster(
  v: Float32Array,
  w: number,
  t: number,
  categories: readonly string[],
  halfLifeMs: number,
): InterestClusterState {
  const c: InterestClusterState = {
    vector: emptyDecayedVector(v.length, halfLifeMs),
    lastActivityAt: t,
    events: 0,
    categories: [],
  };
  foldInto(c, v, w, t, categories);
  return c;
}

/** The lowest-weight cluster when its decayed weight is under `share` of the total (at the latest time); else -1. */
function negligibleCluster(clusters: readonly InterestClusterState[], t: number, share: number): number {
  if (!(share > 0)) return -1;
  let at = t;
  for (const c of clusters) at = Math.max(at, c.vector.refTime);
  let total = 0;
  let lowest = -1;
  let lowestWeight = Infinity;
  for (let k = 0; k < clusters.length; k++) {
    const v = clusters[k]!.vector;
    const weight = v.weight * decayFactor(at - v.refTime, v.halfLifeMs);
    total += weight;
    if (weight < lowestWeight) {
      lowest = k;
      lowestWeight = weight;
    }
  }
  return lowest >= 0 && lowestWeight < share * total ? lowest : -1;
}

/**
 * The most similar pair i < j (the first in (i, j) order on ties) and its cosine; [-1, -1, -Infinity]
 * under two clusters. `norms` holds each sum's squared norm; scratchDots is overwritten.
 */
function closestPair(sums: readonly Float32Array[], norms: Float64Array): [number, number, number] {
  let pair: [number, number, number] = [-1, -1, -Infinity];
  for (let i = 0; i + 1 < sums.length; i++) {
    dotsAndNorms(sums, i + 1, sums[i]!, scratchDots, norms);
    for (let j = i + 1; j < sums.length; j++) {
      const nn = norms[i]! * norms[j]!;
      const similarity = nn > 0 ? scratchDots[j]! / Math.sqrt(nn) : 0;
      if (similarity > pair[2]) pair = [i, j, similarity];
    }
  }
  return pair;
}

/** Replaces clusters i < j by their merge, at i (the earlier position). */
function mergePair(clusters: InterestClusterState[], i: number, j: number): void {
  clusters[i] = mergeClusters(clusters[i]!, clusters[j]!);
  clusters.splice(j, 1);
}

function mergeClosestPair(clusters: InterestClusterState[]): void {
  ensureScratch(clusters.length);
  const sums = clusters.map((c) => c.vector.sum);
  dotsAndNorms(sums, 0, sums[0]!, scratchDots, scratchNorms); // for the norms
  const [i, j] = closestPair(sums, scratchNorms);
  mergePair(clusters, i, j);
}

/** Exact sum of two decayed vectors with the same half-life, valued at the later refTime. */
function sumVectors(a: DecayedVectorState, b: DecayedVectorState): DecayedVectorState {
  if (a.halfLifeMs !== b.halfLifeMs)
    throw new RangeError(`cannot merge half-lives ${a.halfLifeMs} and ${b.halfLifeMs} ms`);
  if (a.sum.length !== b.sum.length)
    throw new RangeError(`cannot merge dimensions ${a.sum.length} and ${b.sum.length}`);
  const at = Math.max(a.refTime, b.refTime);
  const fa = decayFactor(at - a.refTime, a.halfLifeMs);
  const fb = decayFactor(at - b.refTime, b.halfLifeMs);
  const sum = new Float32Array(a.sum.length);
  for (let i = 0; i < sum.length; i++) sum[i] = a.sum[i]! * fa + b.sum[i]! * fb;
  return { halfLifeMs: a.halfLifeMs, sum, weight: a.weight * fa + b.weight * fb, refTime: at };
}

function sumScalars(a: DecayedScalarState, b: DecayedScalarState): DecayedScalarState {
  const at = Math.max(a.refTime, b.refTime);
  return {
    halfLifeMs: a.halfLifeMs,
    value: a.value * decayFactor(at - a.refTime, a.halfLifeMs) + b.value * decayFactor(at - b.refTime, b.halfLifeMs),
    refTime: at,
  };
}

/**
 * One cluster holding both clusters' events: decayed sums with one half-life add exactly once both
 * are valued at the later refTime, so the result is what folding both event sets into one cluster
 * gives (up to float rounding). Events add, lastActivityAt is the later, categories add per label
 * (then bounded). Symmetric: mergeClusters(a, b) and mergeClusters(b, a) are bit-identical.
 * Returns a new cluster; a and b are not modified.
 */
export function mergeClusters(a: InterestClusterState, b: InterestClusterState): InterestClusterState {
  const vector = sumVectors(a.vector, b.vector);
  const categories = a.categories.map((x) => ({ label: x.label, weight: { ...x.weight } }));
  for (const y of b.categories) {
    const x = categories.find((c) => c.label === y.label);
    if (x) x.weight = sumScalars(x.weight, y.weight);
    else categories.push({ label: y.label, weight: { ...y.weight } });
  }
  boundCategories(categories);
  return {
    vector,
    lastActivityAt: Math.max(a.lastActivityAt, b.lastActivityAt),
    events: a.events + b.events,
    categories,
  };
}

function addCategories(
  categories: ClusterCategory[],
  labels: readonly string[],
  w: number,
  t: number,
  halfLifeMs: number,
): void {
  let added = false;
  for (let n = 0; n < labels.length; n++) {
    const label = labels[n]!;
    if (labels.indexOf(label) < n) continue; // a label listed twice counts once
    const known = categories.find((c) => c.label === label);
    if (known) {
      addScalar(known.weight, w, t);
    } else {
      categories.push({ label, weight: addScalar(emptyDecayedScalar(halfLifeMs), w, t) });
      added = true;
    }
  }
  if (added) boundCategories(categories);
}

function decayedValueAt(s: DecayedScalarState, at: number): number {
  return s.value * decayFactor(at - s.refTime, s.halfLifeMs);
}

/** Keeps the CLUSTER_CATEGORIES heaviest labels (valued at their latest refTime; ties: the lower label), in label order. */
function boundCategories(categories: ClusterCategory[]): void {
  if (categories.length > CLUSTER_CATEGORIES) {
    let at = -Infinity;
    for (const c of categories) at = Math.max(at, c.weight.refTime);
    categories.sort(
      (x, y) => decayedValueAt(y.weight, at) - decayedValueAt(x.weight, at) || compareStrings(x.label, y.label),
    );
    categories.length = CLUSTER_CATEGORIES;
  }
  categories.sort((x, y) => compareStrings(x.label, y.label));
}

/** A deep copy sharing nothing mutable with `c`. */
export function clusterCopy(c: InterestClusterState): InterestClusterState {
  return {
    vector: cloneDecayedVector(c.vector),
    lastActivityAt: c.lastActivityAt,
    events: c.events,
    categories: c.categories.map((x) => ({ label: x.label, weight: { ...x.weight } })),
  };
}

export interface ClusterCategoryShare {
  label: string;
  /** Decayed weight of the cluster's events with this label over the cluster's decayed weight, in [0, 1]. */
  share: number;
}

/** One interest as published. */
export interface InterestClusterSummary {
  /** Position of the cluster in the state's list. */
  index: number;
  /** Unit vector of the cluster's sum (zeros if the sum is zero). */
  centroid: Float32Array;
  /** The cluster's decayed weight over all clusters' (valued at the same time), in [0, 1]. */
  share: number;
  refTime: number;
  /** The cluster's own decayed weight at its refTime, and its half-life (to decay it further). */
  weight: number;
  halfLifeMs: number;
  lastActivityAt: number;
  events: number;
  /** At most SUMMARY_CATEGORIES, heaviest first (ties: the lower label). */
  categories: ClusterCategoryShare[];
}

/**
 * The clusters for publishing, heaviest first (ties: creation order). Weights are valued at `now`,
 * or at the clusters' latest refTime if that is later (or `now` is omitted), so they compare fairly.
 */
export function clusterSummaries(clusters: readonly InterestClusterState[], now?: number): InterestClusterSummary[] {
  if (now !== undefined && !Number.isFinite(now)) throw new RangeError(`now must be a finite epoch ms, got ${now}`);
  let at = now ?? -Infinity;
  for (const c of clusters) at = Math.max(at, c.vector.refTime);
  const weights = clusters.map((c) => c.vector.weight * decayFactor(at - c.vector.refTime, c.vector.halfLifeMs));
  let total = 0;
  for (const w of weights) total += w;
  const summaries = clusters.map((c, k) => {
    const weight = weights[k]!;
    const categories = c.categories
      .map((x) => ({ label: x.label, share: weight > 0 ? Math.min(1, decayedValueAt(x.weight, at) / weight) : 0 }))
      .sort((x, y) => y.share - x.share || compareStrings(x.label, y.label))
      .slice(0, SUMMARY_CATEGORIES);
    return {
      order: k,
      weight,
      summary: {
        index: k,
        centroid: Float32Array.from(normalised(c.vector)),
        share: total > 0 ? weight / total : 0,
        refTime: c.vector.refTime,
        weight: c.vector.weight,
        halfLifeMs: c.vector.halfLifeMs,
        lastActivityAt: c.lastActivityAt,
        events: c.events,
        categories,
      },
    };
  });
  summaries.sort((x, y) => y.weight - x.weight || x.order - y.order);
  return summaries.map((s) => s.summary);
}
