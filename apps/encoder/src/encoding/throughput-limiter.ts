/**
 * Keeps the texts embedded per second at or under a limit on average (a token bucket that may run
 * into debt): a chunk is embedded whole, then consumption pauses until its debt is paid. Set on the
 * encoder that re-embeds the archive during a model migration, so live traffic keeps its cores.
 */
export class ThroughputLimiter {
  private tokens: number;
  private at: number;

  constructor(
    /** Texts per second; 0 for no limit. */
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    // At most one second's worth of burst.
    this.tokens = perSecond;
    this.at = now();
  }

  get limited(): boolean {
    return this.perSecond > 0;
  }

  /** Counts texts just embedded. */
  took(texts: number): void {
    if (!this.limited) return;
    this.refill();
    this.tokens -= texts;
  }

  /** True while the texts embedded so far are ahead of the limit: consumption should wait. */
  blocked(): boolean {
    if (!this.limited) return false;
    this.refill();
    return this.tokens < 0;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((t - this.at) / 1000) * this.perSecond);
    this.at = t;
  }
}
