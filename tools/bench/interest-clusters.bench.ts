/**
 * Cost of keeping several interests per user (interest clusters) next to the single decayed vector:
 * CPU ns per click update of foldEvents alone (one click with its item vector, as profile-fuser
 * folds it) with interest clusters off and on (FUSER_INTEREST_CLUSTERS 0 and 8), dim 384. One thread, no
 * infrastructure; process CPU time rather than wall time, so other load on the machine matters
 * less. The target is a ratio of at most 2.
 *
 * Data: 6 topic directions shared by everyone; each user leans towards a few of them; an item is
 * its topic's direction plus noise (cosine ≈ 0.8 with it). The "with strays" workload adds 5% of
 * items in random directions: once K clusters are in use each of them takes the make-room path
 * (eviction check, closest pair over all K² / 2 pairs, merge), the worst case per update.
 * Users are visited round-robin: 1 user (everything in cache, a long history) and 2,000 (state from
 * memory, 20 clicks each: young profiles, still creating clusters).
 */
import { seededRandom } from '@profilestream/embedding';
import {
  DEFAULT_FUSION_CONFIG,
  emptyState,
  foldEvents,
  stateLongestHalfLifeMs,
  type ClickFusionEvent,
  type FusionConfig,
  type ProfileState,
  DEFAULT_JOIN_SIMILARITY,
} from '@profilestream/fusion';
import { newResult, type BenchResult } from './bench-harness';

const DIM = 384;
const MAX_CLUSTERS = 8;
const TOPICS = 6;
const STRAY_SHARE = 0.05;
const USER_COUNTS = [1, 2000];
const UPDATES = Number(process.env['BENCH_INTEREST_CLUSTERS_UPDATES'] ?? 40_000);
const ROUNDS = 9;
const T0 = 1_700_000_000_000;
const ACTIONS = ['view', 'view', 'click', 'like', 'add_to_cart', 'purchase'] as const;

interface Workload {
  name: string;
  users: number;
  events: ClickFusionEvent[];
  /** Index of each event's user. */
  userOf: Int32Array;
}

function unit(x: Float64Array): Float64Array {
  let n = 0;
  for (const xi of x) n += xi * xi;
  const inv = 1 / Math.sqrt(n);
  return x.map((xi) => xi * inv);
}

function workload(users: number, strayShare: number, seed: number): Workload {
  const r = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const randomUnit = () => unit(Float64Array.from({ length: DIM }, gauss));
  const topics = Array.from({ length: TOPICS }, randomUnit);
  // Each user favours a few topics: weights ∝ u³ concentrate on one to three of them.
  const leanings = Array.from({ length: users }, () => Array.from({ length: TOPICS }, () => r() ** 3));
  const pickTopic = (lean: number[]) => {
    let x = r() * lean.reduce((s, l) => s + l, 0);
    for (let k = 0; k < TOPICS; k++) if ((x -= lean[k]!) < 0) return k;
    return TOPICS - 1;
  };
  // Noise of norm 0.75 (a random direction): cosine ≈ 0.8 between an item and its topic.
  const noiseScale = 0.75 / Math.sqrt(DIM);
  const events: ClickFusionEvent[] = [];
  const userOf = new Int32Array(UPDATES);
  for (let n = 0; n < UPDATES; n++) {
    const u = n % users;
    const stray = r() < strayShare;
    const k = pickTopic(leanings[u]!);
    const base = stray ? randomUnit() : topics[k]!;
    const v = unit(base.map((x) => x + noiseScale * gauss()));
    userOf[n] = u;
    events.push({
      kind: 'click',
      action: ACTIONS[Math.floor(r() * ACTIONS.length)]!,
      itemVector: Float32Array.from(v),
      categories: stray ? ['misc'] : [`topic-${k}`],
      occurredAt: T0 + n * 1000,
      position: { topic: 'clicks.v1', partition: 0, offset: String(n + 1) },
    });
  }
  const strays = strayShare > 0 ? `, ${Math.round(strayShare * 100)}% strays` : '';
  return { name: `${users} user${users > 1 ? 's' : ''}, ${TOPICS} topics${strays}`, users, events, userOf };
}

function freshUsers(n: number): ProfileState[] {
  return Array.from({ length: n }, (_, u) => emptyState(`u${u}`, 'bench@1', DIM));
}

/** CPU seconds to fold every event of `w` into fresh users under `config` (what the fuser does per click). */
function run(w: Workload, config: FusionConfig) {
  const users = freshUsers(w.users);
  const batch: ClickFusionEvent[] = [w.events[0]!];
  const start = process.cpuUsage();
  for (let n = 0; n < w.events.length; n++) {
    batch[0] = w.events[n]!;
    foldEvents(users[w.userOf[n]!]!, batch, config);
  }
  const used = process.cpuUsage(start);
  return { seconds: (used.user + used.system) / 1e6, users };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchInterestClusters(): Promise<BenchResult> {
  const result = newResult('interest-clusters');
  const halfLifeMs = stateLongestHalfLifeMs(emptyState('u', 'bench@1', DIM));
  const off: FusionConfig = { ...DEFAULT_FUSION_CONFIG, interestClusters: { maxClusters: 0, joinSimilarity: 0.5 } };
  const on: FusionConfig = {
    ...DEFAULT_FUSION_CONFIG,
    interestClusters: { maxClusters: MAX_CLUSTERS, joinSimilarity: DEFAULT_JOIN_SIMILARITY },
  };
  for (const users of USER_COUNTS) {
    for (const strayShare of [0, STRAY_SHARE]) {
      const w = workload(users, strayShare, 42 + users);
      const check = run(w, on);
      const clusters = check.users.reduce((s, u) => s + u.interestClusters.length, 0) / users;
      // Alternate the two variants every round so drift (JIT, frequency, GC) hits both alike.
      const fold: number[] = [];
      const both: number[] = [];
      for (let round = 0; round <= ROUNDS; round++) {
        const a = run(w, off).seconds;
        const b = run(w, on).seconds;
        if (round === 0) continue; // warm-up
        fold.push(a);
        both.push(b);
      }
      const foldNs = (median(fold) / w.events.length) * 1e9;
      const bothNs = (median(both) / w.events.length) * 1e9;
      result.rows.push({
        case: w.name,
        'single vector ns/update': foldNs,
        'with clusters ns/update': bothNs,
        'clusters ns/update': bothNs - foldNs,
        ratio: bothNs / foldNs,
        'clusters/user': clusters,
      });
      console.log(`  interest-clusters bench: ${w.name}: ratio ${(bothNs / foldNs).toFixed(2)}`);
    }
  }
  result.notes.push(
    `dim ${DIM}, K ${MAX_CLUSTERS}, τ ${DEFAULT_JOIN_SIMILARITY}, half-life ${halfLifeMs / 86_400_000} d; ` +
      `${UPDATES} click updates per run (foldEvents, as the fuser folds a click), median of ${ROUNDS} runs after a warm-up, the two variants alternating`,
    'ratio = foldEvents with interest clusters / foldEvents without (FUSER_INTEREST_CLUSTERS=0); target ≤ 2',
  );
  return result;
}
