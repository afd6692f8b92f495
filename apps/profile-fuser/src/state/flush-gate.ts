/**
 * Lets a bounded number of flushes build and write their records at once. A flush holds every
 * record it writes (states, profiles, changelog) and kafkajs copies them while encoding; letting
 * every owned partition flush at the same moment would multiply that by the partition count.
 */
export class FlushGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly permits: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.permits) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
