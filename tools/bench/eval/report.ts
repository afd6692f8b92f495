/**
 * The eval's rows: each method's HR@10 and NDCG@10 with bootstrap intervals over users, paired
 * against the two floors (most popular, TF-IDF), and the same for the cold-start slice apart.
 */
import type { BenchRow } from '../bench-harness';
import type { ClusterStudy } from './cluster-study';
import { hits, ndcgs } from './evaluate';
import { bootstrapDifference, bootstrapMean, type Interval } from './metrics';

export interface MethodReport {
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

export interface ReportOptions {
  resamples: number;
  /** Each evaluated user's rank of the held-out item under most popular and TF-IDF, in test order. */
  floors: { popularity: number[]; tfidf: number[] };
  /** Positions (in test order) of the users in the cold-start slice. */
  coldIndexes: number[];
}

export class MethodReports {
  private readonly overall: MethodReport[] = [];
  private readonly cold: MethodReport[] = [];

  constructor(private readonly o: ReportOptions) {}

  /** A method's row over every evaluated user. */
  add(method: string, ranks: number[], note?: string): void {
    this.overall.push({ ...this.measure(method, ranks, (r) => r), ...(note ? { note } : {}) });
  }

  /** A method's row over the cold-start slice; none when the slice is empty. */
  addCold(method: string, ranks: number[]): void {
    if (this.o.coldIndexes.length === 0) return;
    const slice = (r: number[]) => this.o.coldIndexes.map((i) => r[i]!);
    this.cold.push(this.measure(`${method} (cold-start slice)`, ranks, slice));
  }

  /** Every row: the overall ones in the order added, then the cold-start slice's. */
  get all(): MethodReport[] {
    return [...this.overall, ...this.cold];
  }

  private measure(method: string, ranks: number[], slice: (r: number[]) => number[]): MethodReport {
    const { resamples, floors } = this.o;
    const own = ndcgs(slice(ranks));
    const versus = (floor: number[]) =>
      ranks === floor ? null : bootstrapDifference(own, ndcgs(slice(floor)), { resamples });
    return {
      method,
      users: own.length,
      hr: bootstrapMean(hits(slice(ranks)), { resamples }),
      ndcg: bootstrapMean(own, { resamples }),
      ndcgVsPopularity: versus(floors.popularity),
      ndcgVsTfidf: versus(floors.tfidf),
    };
  }
}

/** The printed table: a row per method. */
export function methodRows(reports: readonly MethodReport[]): BenchRow[] {
  return reports.map((r) => ({
    case: r.method,
    'HR@10': `${r.hr.mean.toFixed(4)} [${r.hr.low.toFixed(4)}, ${r.hr.high.toFixed(4)}]`,
    'NDCG@10': `${r.ndcg.mean.toFixed(4)} [${r.ndcg.low.toFixed(4)}, ${r.ndcg.high.toFixed(4)}]`,
    'ΔNDCG@10 vs popular': difference(r.ndcgVsPopularity),
    'ΔNDCG@10 vs TF-IDF': difference(r.ndcgVsTfidf),
  }));
}

/** One row per (clusters method, single vector): the difference over all users, then per activity range. */
export function clusterRows(studies: { space: string; study: ClusterStudy }[]): BenchRow[] {
  return studies.flatMap(({ space, study }) =>
    study.comparisons.map((c) => ({
      case: `${space} ${c.method} − ${c.versus}`,
      [`all (${c.users})`]: difference(c.difference),
      ...Object.fromEntries(c.byActivity.map((b) => [`${b.range} (${b.users})`, difference(b.difference)])),
    })),
  );
}

export function difference(d: Interval | null): string {
  return d ? `${sign(d.mean)} [${sign(d.low)}, ${sign(d.high)}]` : '';
}

export function sign(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
}
