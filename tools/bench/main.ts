/**
 * `npm run bench [-- NAME…]`: runs the benchmarks (all by default), prints a table for each and
 * writes its JSON to reports/bench/. Expects local infrastructure and a build (the npm script
 * does both). The arguments are checked first, and the benchmarks loaded only then, so --help and
 * a mistyped name answer at once (tools/bench/with-local-stack.sh checks them before its set-up).
 */
import { commandLine, UsageError } from '@profilestream/tools-cli';
import { report, type BenchResult } from './bench-harness';

const benches: Record<string, () => Promise<BenchResult | null>> = {
  cleaner: async () => (await import('./cleaner.bench')).benchCleaner(),
  encoder: async () => (await import('./encoder.bench')).benchEncoder(),
  'encoder-service': async () => (await import('./encoder-service.bench')).benchEncoderService(),
  fuser: async () => (await import('./fuser.bench')).benchFuser(),
  'interest-clusters': async () => (await import('./interest-clusters.bench')).benchInterestClusters(),
  pipeline: async () => (await import('./pipeline.bench')).benchPipeline(),
  migration: async () => (await import('./migration.bench')).benchMigration(),
};

const USAGE = `Usage: npm run bench [-- NAME…]

Runs the benchmarks on this machine (the ones named, or all of them; the fuser benchmark alone
takes about 35 minutes) after set-up, local Kafka and Redis and a build of the services; prints a
table for each and writes its JSON to reports/bench/NAME.json.

Arguments:
  NAME         ${Object.keys(benches).join(', ')} (default: all, in that order)
  -h, --help   this text

Environment:
  PROFILESTREAM_DATASET_DIR   the review dataset (default ../shared/datasets/); benchmarks that need
                              it are skipped without it
  BENCH_FUSER_CASES           fuser cases, comma-separated (default throughput,two-instances,
                              latency,latency-many-users,distinct-users)
  BENCH_FUSER_CLICKS (300000), BENCH_FUSER_LATENCY_CLICKS (300000), BENCH_FUSER_MANY_USERS
  (20000), BENCH_FUSER_DISTINCT_USERS (1000000); BENCH_FUSER_NODE_OPTIONS and
  BENCH_FUSER_NODE_FLAGS replace the deployment's NODE_OPTIONS and its command's Node/V8 flags
  BENCH_ENCODER_TEXTS (2000), BENCH_ENCODER_ROUNDS (2), BENCH_ENCODER_SERVICE_ENV (VAR=value,…),
  BENCH_ENCODER_CPU_PROFILE (a directory: profile the encoder service's main thread)
  BENCH_INTEREST_CLUSTERS_UPDATES (40000): click updates per run of the interest-clusters benchmark
  BENCH_PIPELINE_ENV          extra service settings, service.VAR=value,…
  BENCH_MIGRATION_HISTORY (2000): reviews in the archive the migration benchmark re-embeds;
  BENCH_MIGRATION_BACKLOG_RATE (20): archive texts/s the next encoder may add to the live ones
  KAFKA_PORT (9092), REDIS_PORT (6379) and the rest of tools/infra/up.sh's: the local infrastructure

Example:
  BENCH_FUSER_CASES=throughput,latency npm run bench -- fuser`;

const wanted = commandLine(
  { command: 'npm run bench', usage: USAGE, options: {}, positionals: true },
  ({ positionals }) => {
    const unknown = positionals.filter((w) => !(w in benches));
    if (unknown.length > 0)
      throw new UsageError(`unknown bench ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`);
    return positionals;
  },
);

async function main(): Promise<void> {
  for (const name of wanted.length > 0 ? wanted : Object.keys(benches)) {
    const result = await benches[name]!();
    if (result) report(result);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
