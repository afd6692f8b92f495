/**
 * Keeps the texts embedded per second at or under a limit (a token bucket holding at most one
 * second's worth): each text to embed waits for its token before it is queued on the engine, so
 * the work is spread evenly rather than done in bursts at full speed. Set on the encoder that
 * re-embeds the archive during a model migration, so live traffic keeps its cores.
 */
export class ThroughputLimiter {
  private tokens: number;
  private at: number;

  constructor(
    /** Texts per second; 0 for no limit. */
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.tokens = perSecond;
    this.at = now();
  }

  get limited(): boolean {
    return this.perSecond > 0;
  }

  /** Resolves when one more text may be embedded. */
  async acquire(): Promise<void> {
    if (!this.limited) return;
    const t = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((t - this.at) / 1000) * this.perSecond);
    this.at = t;
    this.tokens -= 1;
    // In debt: wait until this text's token has accrued (later callers queue behind it).
    if (this.tokens < 0) await this.sleep((-this.tokens / this.perSecond) * 1000);
  }
}

/**
 * Most messages per chunk. Rate-limited, the chunks in flight (partitions × chunks each) share the
 * limit and the group hears from the consumer only between chunks: they are kept small enough that
 * every one of them is done within 10 s, well inside the 30 s session.
 */
export function chunkMessages(config: {
  chunkMessages: number;
  maxTextsPerSecond: number;
  partitionConcurrency: number;
  chunksInFlight: number;
}): number {
  if (config.maxTextsPerSecond <= 0) return config.chunkMessages;
  const inFlight = config.partitionConcurrency * config.chunksInFlight;
  return Math.max(1, Math.min(config.chunkMessages, Math.floor((10 * config.maxTextsPerSecond) / inFlight)));
}
