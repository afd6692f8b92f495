/**
 * Where a thread's time went, from a V8 `.cpuprofile`, optionally cut to the windows a benchmark
 * measured: self time by package (kafkajs, avsc, ioredis, the tokenizer, our libraries, GC, idle)
 * and the functions that cost most. `npx tsx tools/bench/cpu-profile-summary.ts FILE [WINDOWS.json]`
 * (windows: `[[fromUs, toUs], …]` in CLOCK_MONOTONIC microseconds, as the encoder bench writes them).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled milliseconds inside the windows. */
  totalMs: number;
  /** Self time by package or kind, largest first. */
  byCategory: { category: string; ms: number; share: number }[];
  /** Self time by function, largest first. */
  byFunction: { fn: string; category: string; ms: number; share: number }[];
}

/** Where a frame's code lives: an npm package, one of our libraries or apps, Node itself, or a V8 pseudo-frame. */
export function categoryOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/(libs\/[^/]+\/[^/]+|apps\/[^/]+)\//.exec(url);
  if (ours) return ours[1]!;
  if (url.startsWith('node:')) return 'node';
  return url;
}

/** Self time per category and function of the samples taken inside `windows` (all samples when none). */
export function summariseProfile(
  profile: CpuProfile,
  windows: readonly (readonly [number, number])[] = [],
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = profile.startTime;
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const span = profile.timeDeltas[i + 1] ?? 0;
    if (windows.length > 0 && !windows.some(([from, to]) => t >= from && t < to)) continue;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + span);
    totalUs += span;
  }
  const categories = new Map<string, number>();
  const functions = new Map<string, { category: string; us: number }>();
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id)!;
    const category = categoryOf(callFrame);
    categories.set(category, (categories.get(category) ?? 0) + us);
    const file = callFrame.url.split('/').slice(-2).join('/');
    const fn = `${callFrame.functionName || '(anonymous)'}${file ? ` ${file}:${callFrame.lineNumber + 1}` : ''}`;
    const entry = functions.get(fn) ?? { category, us: 0 };
    entry.us += us;
    functions.set(fn, entry);
  }
  const share = (us: number) => (totalUs === 0 ? 0 : us / totalUs);
  return {
    totalMs: totalUs / 1000,
    byCategory: [...categories]
      .map(([category, us]) => ({ category, ms: us / 1000, share: share(us) }))
      .sort((a, b) => b.ms - a.ms),
    byFunction: [...functions]
      .map(([fn, e]) => ({ fn, category: e.category, ms: e.us / 1000, share: share(e.us) }))
      .sort((a, b) => b.ms - a.ms),
  };
}

export function formatSummary(s: ProfileSummary, top = 25): string {
  const pct = (x: number) => `${(100 * x).toFixed(1).padStart(5)}%`;
  return [
    `sampled ${(s.totalMs / 1000).toFixed(2)} s`,
    'self time by package:',
    ...s.byCategory.slice(0, top).map((c) => `  ${pct(c.share)}  ${c.category}`),
    'self time by function:',
    ...s.byFunction.slice(0, top).map((f) => `  ${pct(f.share)}  ${f.fn}  [${f.category}]`),
  ].join('\n');
}

if (require.main === module) {
  const [file, windowsFile] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpu-profile-summary.ts FILE.cpuprofile [WINDOWS.json]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const windows = windowsFile ? (JSON.parse(readFileSync(windowsFile, 'utf8')) as [number, number][]) : [];
  console.log(formatSummary(summariseProfile(profile, windows), Number(process.argv[4] ?? 25)));
}
