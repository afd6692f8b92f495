/**
 * When to send each event of a replay: at a fixed rate, at the original timing compressed by a
 * speed-up factor, or as fast as possible. Shared by the replay command, the demo and the
 * benchmarks so the three pace a stream the same way.
 */
export type Pacing = { kind: 'asap' } | { kind: 'rate'; perSecond: number } | { kind: 'speedup'; factor: number };

/** Pacing from command-line values: --asap wins, then --speedup, then --rate (0 means as fast as possible). */
export function pacingFrom(options: {
  asap?: boolean;
  speedup?: string | undefined;
  rate?: string | undefined;
}): Pacing {
  if (options.asap) return { kind: 'asap' };
  if (options.speedup !== undefined) {
    const factor = Number(options.speedup);
    if (!Number.isFinite(factor) || factor <= 0)
      throw new Error(`--speedup must be a positive number, got "${options.speedup}"`);
    return { kind: 'speedup', factor };
  }
  const perSecond = Number(options.rate ?? '0');
  if (!Number.isFinite(perSecond) || perSecond < 0)
    throw new Error(`--rate must be a number of events per second ≥ 0, got "${options.rate}"`);
  return perSecond === 0 ? { kind: 'asap' } : { kind: 'rate', perSecond };
}

export class Pacer {
  private firstEventAt: number | null = null;
  private sent = 0;

  constructor(
    readonly pacing: Pacing,
    private readonly startedAt: number,
  ) {}

  /** Wall-clock time (ms) at which the next event, with event time `eventAt`, is due. */
  dueAt(eventAt: number): number {
    const i = this.sent++;
    switch (this.pacing.kind) {
      case 'asap':
        return this.startedAt;
      case 'rate':
        return this.startedAt + (i / this.pacing.perSecond) * 1000;
      case 'speedup':
        this.firstEventAt ??= eventAt;
        // Out-of-order events are sent at once rather than holding back the stream.
        return this.startedAt + Math.max(0, eventAt - this.firstEventAt) / this.pacing.factor;
    }
  }

  /** Resolves when the next event is due. */
  async wait(eventAt: number, now: () => number = Date.now): Promise<void> {
    const delay = this.dueAt(eventAt) - now();
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
