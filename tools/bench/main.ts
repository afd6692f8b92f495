/**
 * `npm run bench [-- NAME…]`: runs the benchmarks (all by default), prints a table for each and
 * writes its JSON to reports/bench/. Expects local infrastructure and a build (the npm script
 * does both).
 */
import { report, type BenchResult } from './bench-harness';
import { benchCleaner } from './cleaner.bench';
import { benchEncoder } from './encoder.bench';
import { benchEncoderService } from './encoder-service.bench';
import { benchFuser } from './fuser.bench';
import { benchPipeline } from './pipeline.bench';

const benches: Record<string, () => Promise<BenchResult | null>> = {
  cleaner: benchCleaner,
  encoder: benchEncoder,
  'encoder-service': benchEncoderService,
  fuser: benchFuser,
  pipeline: benchPipeline,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !(w in benches));
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`);
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
