/**
 * `npm run ranker:train [-- --out FILE] [--negatives N] [--seed N] [--validation-share X]
 *   [--space MODEL[/PROJECTION]] [--segment-attribute NAME|none]`
 *
 * Trains the reference ranker (libs/shared/util-ranking) on point-in-time joins of
 * profiles.changelog.v1 with the interactions that followed, from the topics of a running
 * pipeline, and writes the versioned artefact a recommender loads. The training itself is in
 * @profilestream/tools-ranker-training (tools/libs/ranker-training).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { KAFKA_ACCESS, topicCatalog } from '@profilestream/contracts';
import { createKafka, silentLog } from '@profilestream/kafka';
import { DEFAULT_SEGMENT_ATTRIBUTE, serializeRanker } from '@profilestream/ranking';
import { commandLine, numberOption, UsageError } from '@profilestream/tools-cli';
import { trainFromTopics } from '@profilestream/tools-ranker-training';

const repoRoot = resolve(__dirname, '../../..');

const USAGE = `Usage: npm run ranker:train [-- OPTIONS]

Trains the reference ranker, the joint model of profile and item features: a logistic regression
over the cosines of the profile's vectors with the item's, the item's popularity, its popularity
among users of the same segment and its co-occurrence with the user's earlier items. Rows are
point-in-time joins: every interaction (click, review) with the newest profile published on
profiles.changelog.v1 before it, against sampled items the user never touched. Item vectors are
the catalogue descriptions' embeddings as the fuser keeps them (profile-fuser.items.v1); erased
users' data up to their deletion request is left out. The L2 penalty is chosen by log loss on
validation users. Writes the versioned artefact (JSON) and prints a report.

Options:
  --out FILE                where to write the artefact (default: reports/ranker/<ranker id>.json)
  --negatives N             sampled negatives per interaction (default 4)
  --seed N                  seed of the negative sampling (default 7)
  --validation-share X      share of users, by a hash of their id, that choose the penalty (default 0.2)
  --space MODEL[/PROJ]      the vector space to train in, as profiles carry it (modelId, and
                            projectionId when there is one); default: that of the newest profile
  --segment-attribute NAME  the profile attribute whose value groups users into segments for
                            segment_popularity (string values; of a list, the first), e.g. country,
                            locale, languages, custom.tier; none: off, the feature equals popularity
                            (default country)
  -h, --help                this text

Environment:
  KAFKA_BROKERS (127.0.0.1:9092), KAFKA_TOPIC_PREFIX and the other KAFKA_* settings (TLS, SASL)

Example:
  npm run ranker:train -- --out ranker.json`;

const args = commandLine(
  {
    command: 'npm run ranker:train',
    usage: USAGE,
    options: {
      out: { type: 'string' },
      negatives: { type: 'string', default: '4' },
      seed: { type: 'string', default: '7' },
      'validation-share': { type: 'string', default: '0.2' },
      space: { type: 'string' },
      'segment-attribute': { type: 'string', default: DEFAULT_SEGMENT_ATTRIBUTE },
    },
  },
  ({ values }) => {
    const share = numberOption('--validation-share', values['validation-share'], { min: 0.01, max: 0.99 });
    const space = values.space === undefined ? undefined : parseSpace(values.space);
    return {
      out: values.out,
      negatives: numberOption('--negatives', values.negatives, { min: 1, whole: true }),
      seed: numberOption('--seed', values.seed, { min: 0, whole: true }),
      validationShare: share,
      space,
      segmentAttribute: parseSegmentAttribute(values['segment-attribute']),
    };
  },
);

function parseSpace(value: string): { modelId: string; projectionId: string | null } {
  const slash = value.indexOf('/');
  const modelId = slash < 0 ? value : value.slice(0, slash);
  const projectionId = slash < 0 ? null : value.slice(slash + 1);
  if (!modelId || projectionId === '')
    throw new UsageError(`--space: expected MODEL or MODEL/PROJECTION, got "${value}"`);
  return { modelId, projectionId };
}

function parseSegmentAttribute(value: string): string | null {
  if (value === 'none') return null;
  if (!value) throw new UsageError('--segment-attribute: expected an attribute name (e.g. country) or none');
  return value;
}

async function main(): Promise<void> {
  const settings = toKafkaSettings(parseEnv(kafkaEnvSchema, process.env), 'ranker-train');
  const topics = topicCatalog(settings.topicPrefix);
  const { artefact, report } = await trainFromTopics(createKafka(settings, silentLog), topics, {
    negatives: args.negatives,
    seed: args.seed,
    validationShare: args.validationShare,
    ...(args.space ? { space: args.space } : {}),
    segmentAttribute: args.segmentAttribute,
    source: `${topics.profilesChangelog.name}, ${topics.clicks.name}, ${topics.textsEmbedded.name}, ${topics.fuserItems.name} on ${settings.brokers.join(',')}`,
    groupPrefix: `${settings.topicPrefix}${KAFKA_ACCESS['ranker-trainer'].groupPrefix}-`,
  });
  const out = resolve(args.out ?? join(repoRoot, 'reports/ranker', `${artefact.id}.json`));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, serializeRanker(artefact));
  console.log(JSON.stringify({ ranker: artefact.id, out, ...report }, null, 2));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`ranker:train: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
