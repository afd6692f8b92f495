/**
 * Trains the reference ranker from what the pipeline already keeps on Kafka: every profile as it
 * was published (profiles.changelog.v1), the interactions that followed (clicks.v1, and reviews
 * from texts.embedded.v1, already redacted) and the catalogue's item vectors (the fuser's items
 * topic: each item's newest description vector). Each interaction is joined with the newest profile published before it, so
 * the model learns from features exactly as a recommender would have seen them; the user's segment
 * (for segment_popularity) is read from the same profile's attributes. Erasures are
 * honoured: nothing of a user up to their deletion request is used.
 */
import { createHash } from 'node:crypto';
import { SingleObjectSerde, type TopicCatalog } from '@profilestream/contracts';
import { spaceKey } from '@profilestream/embedding';
import { decodeItem, parseItemKey, type ItemVector } from '@profilestream/fusion';
import { readTopicToEnd, type Kafka } from '@profilestream/kafka';
import {
  DEFAULT_SEGMENT_ATTRIBUTE,
  RANKER_FEATURES,
  normalise,
  pointInTimeRows,
  rankerVectors,
  segmentOf,
  toRankerArtefact,
  trainRanker,
  unitCandidates,
  type Interaction,
  type RankerArtefact,
  type Snapshot,
} from '@profilestream/ranking';

export interface TrainOptions {
  /** Sampled negatives per positive. */
  negatives: number;
  seed: number;
  /** Share of users (by a hash of their id) whose rows choose the L2 penalty. */
  validationShare: number;
  /** The vector space to train in; default: the space of the newest changelog record. */
  space?: { modelId: string; projectionId: string | null };
  /** The profile attribute whose value is the user's segment (segment_popularity); null: none. Default country. */
  segmentAttribute?: string | null;
  /** Names the data in the artefact (e.g. the broker and topic prefix). */
  source: string;
  /** Start of the reading groups' names: under ACLs, the ranker-trainer principal's prefix. */
  groupPrefix: string;
}

export interface TrainReport {
  space: RankerArtefact['space'];
  changelogRecords: number;
  profilesInSpace: number;
  /** Spaces seen on the changelog other than the one trained in, with their record counts. */
  otherSpaces: Record<string, number>;
  /** Clicks and reviews read (once per event id), and how many of them erasure left out. */
  interactions: { clicks: number; reviews: number; erased: number };
  users: number;
  itemsWithVector: number;
  catalogue: number;
  rows: { positives: number; negatives: number; skipped: number };
  /** The segment attribute and how many segments (its values) had interactions. */
  segments: { attribute: string | null; count: number };
  l2: number;
  validationLogLoss: number | null;
  /** Standardised weight per feature: how much a one-standard-deviation change moves the logit. */
  weights: Record<string, number>;
}

export class NothingToTrainError extends Error {
  override readonly name = 'NothingToTrainError';
}

/** How a space is written on the command line (`--space MODEL[/PROJECTION]`) and in messages. */
const spaceLabel = (s: { modelId: string; projectionId: string | null }) =>
  `${s.modelId}${s.projectionId ? `/${s.projectionId}` : ''}`;

/** Whether `userId` is a validation user: a stable hash, so reruns split alike. */
export function isValidationUser(userId: string, share: number): boolean {
  return createHash('sha256').update(userId).digest().readUInt32BE(0) / 2 ** 32 < share;
}

export async function trainFromTopics(
  kafka: Kafka,
  topics: TopicCatalog,
  o: TrainOptions,
): Promise<{ artefact: RankerArtefact; report: TrainReport }> {
  const reader = { groupPrefix: o.groupPrefix };
  const segmentAttribute = o.segmentAttribute === undefined ? DEFAULT_SEGMENT_ATTRIBUTE : o.segmentAttribute;
  // Erasures first: a user's data up to their latest deletion request is never used.
  const erasedUpTo = new Map<string, number>();
  const deletionSerde = new SingleObjectSerde('UserDeletion');
  await readTopicToEnd(
    kafka,
    topics.userDeletions.name,
    (m) => {
      if (!m.value) return;
      const d = deletionSerde.decodeSync(m.value);
      erasedUpTo.set(d.userId, Math.max(erasedUpTo.get(d.userId) ?? -Infinity, d.requestedAt));
    },
    reader,
  );
  const erased = (userId: string, at: number) => at <= (erasedUpTo.get(userId) ?? -Infinity);

  // Profiles as published, per vector space.
  const changeSerde = new SingleObjectSerde('ProfileChange');
  const histories = new Map<string, Map<string, Snapshot[]>>();
  const spaces = new Map<
    string,
    { modelId: string; projectionId: string | null; dim: number; records: number; newest: number }
  >();
  let changelogRecords = 0;
  await readTopicToEnd(
    kafka,
    topics.profilesChangelog.name,
    (m) => {
      if (!m.value) return;
      changelogRecords++;
      const change = changeSerde.decodeSync(m.value);
      // A profile published before the erasure request, or holding events from before it, is left out.
      if (
        change.kind !== 'update' ||
        !change.profile ||
        erased(change.userId, Math.min(change.eventTime, change.publishedAt))
      )
        return;
      const p = change.profile;
      const key = spaceLabel({ modelId: p.modelId, projectionId: p.projectionId ?? null });
      const space = spaces.get(key) ?? {
        modelId: p.modelId,
        projectionId: p.projectionId,
        dim: p.dim,
        records: 0,
        newest: -Infinity,
      };
      space.records++;
      space.newest = Math.max(space.newest, change.publishedAt);
      spaces.set(key, space);
      const byUser = histories.get(key) ?? new Map<string, Snapshot[]>();
      histories.set(key, byUser);
      const list = byUser.get(change.userId) ?? [];
      list.push({ at: change.eventTime, vectors: rankerVectors(p), segment: segmentOf(p, segmentAttribute) });
      byUser.set(change.userId, list);
    },
    reader,
  );
  const chosenKey = o.space
    ? spaceLabel(o.space)
    : [...spaces.entries()].sort((a, b) => b[1].newest - a[1].newest)[0]?.[0];
  const space = chosenKey === undefined ? undefined : spaces.get(chosenKey);
  if (!space || chosenKey === undefined) {
    const seen = [...spaces.keys()].join(', ') || 'none';
    throw new NothingToTrainError(
      `no published profile ${o.space ? `in space ${spaceLabel(o.space)} ` : ''}on ${topics.profilesChangelog.name} (${changelogRecords} records; spaces seen: ${seen})`,
    );
  }
  const history = histories.get(chosenKey)!;
  for (const list of history.values()) list.sort((a, b) => a.at - b.at);

  // Interactions once per event id: a review is on the topic once per vector space, a click may be sent twice.
  const interactions: Interaction[] = [];
  const seen = new Set<string>();
  let reviews = 0;
  let clicks = 0;
  let erasedInteractions = 0;
  const addInteraction = (eventId: string, x: Interaction) => {
    if (seen.has(eventId)) return false;
    seen.add(eventId);
    if (erased(x.userId, x.at)) erasedInteractions++;
    else interactions.push(x);
    return true;
  };
  const embeddedSerde = new SingleObjectSerde('EmbeddedText');
  await readTopicToEnd(
    kafka,
    topics.textsEmbedded.name,
    (m) => {
      if (!m.value) return;
      const e = embeddedSerde.decodeSync(m.value);
      if (
        e.source === 'review' &&
        e.userId &&
        e.itemId &&
        addInteraction(`review:${e.eventId}`, { userId: e.userId, itemId: e.itemId, at: e.occurredAt })
      )
        reviews++;
    },
    reader,
  );
  // Item vectors as the fuser folds them into clicks: its compacted items topic holds every
  // catalogue item's newest description vector, however old (texts.embedded.v1 keeps 3 days).
  const itemVectors = new Map<string, ItemVector>();
  const wanted = spaceKey(space);
  await readTopicToEnd(
    kafka,
    topics.fuserItems.name,
    (m) => {
      const key = m.key ? parseItemKey(m.key.toString()) : null;
      if (!key || key.space !== wanted || !m.value) return;
      const item = decodeItem(m.value);
      const known = itemVectors.get(key.itemId);
      if (!known || known.occurredAt <= item.occurredAt) itemVectors.set(key.itemId, item);
    },
    reader,
  );
  const clickSerde = new SingleObjectSerde('Click');
  await readTopicToEnd(
    kafka,
    topics.clicks.name,
    (m) => {
      if (!m.value) return;
      const c = clickSerde.decodeSync(m.value);
      if (addInteraction(`click:${c.eventId}`, { userId: c.userId, itemId: c.itemId, at: c.occurredAt })) clicks++;
    },
    reader,
  );
  interactions.sort((a, b) => a.at - b.at);

  // The catalogue: items with a vector and items interacted with (scored on behaviour alone).
  const catalogue = [...new Set([...itemVectors.keys(), ...interactions.map((x) => x.itemId)])];
  const units = catalogue.map((id) => {
    const v = itemVectors.get(id)?.vector;
    return v && v.length === space.dim ? normalise(v) : null;
  });
  const items = unitCandidates(units);
  const index = new Map(catalogue.map((id, i) => [id, i]));
  const counts = new Float64Array(catalogue.length);
  for (const x of interactions) counts[index.get(x.itemId)!]!++;
  const maxInteractions = counts.reduce((a, b) => Math.max(a, b), 0);

  const rows = pointInTimeRows({ catalogue, items, interactions, history, negatives: o.negatives, seed: o.seed });
  if (!rows.labels.includes(1)) {
    throw new NothingToTrainError(
      `none of ${interactions.length} interactions had a profile in ${chosenKey} published before it: nothing to learn from yet`,
    );
  }
  if (!rows.labels.includes(0))
    throw new NothingToTrainError('no negatives could be sampled: the catalogue holds only items every user touched');
  const fit = trainRanker(rows, (userId) => isValidationUser(userId, o.validationShare));
  const users = new Set(rows.users).size;
  const artefact = toRankerArtefact(fit, {
    space: { modelId: space.modelId, projectionId: space.projectionId, dim: space.dim },
    maxInteractions,
    segments: { attribute: segmentAttribute, maxInteractions: rows.segments.maxInteractions() },
    training: { trainedAt: new Date().toISOString(), source: o.source, users, skipped: rows.skipped },
  });
  const report: TrainReport = {
    space: artefact.space,
    changelogRecords,
    profilesInSpace: space.records,
    otherSpaces: Object.fromEntries([...spaces].filter(([k]) => k !== chosenKey).map(([k, s]) => [k, s.records])),
    interactions: { clicks, reviews, erased: erasedInteractions },
    users,
    itemsWithVector: units.filter((u) => u !== null).length,
    catalogue: catalogue.length,
    rows: { positives: fit.trainedOn.positives, negatives: fit.trainedOn.negatives, skipped: rows.skipped },
    segments: { attribute: segmentAttribute, count: Object.keys(artefact.segments.maxInteractions).length },
    l2: fit.l2,
    validationLogLoss: fit.validationLogLoss,
    weights: Object.fromEntries(RANKER_FEATURES.map((f, i) => [f, fit.weights[i]!])),
  };
  return { artefact, report };
}
