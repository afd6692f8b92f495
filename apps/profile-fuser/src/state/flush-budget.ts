/**
 * How much one flush (one Kafka transaction) takes: at most a number of users and about a number
 * of bytes. Every user in a flush waits for all of it to commit, so a flush of megabytes (hundreds
 * of users a few KB each, written as state, profile and changelog) makes each of them wait
 * seconds; bounded by bytes, flushes stay short and follow each other. The first user always
 * fits, however large.
 */
export class FlushBudget {
  private users = 0;
  private bytes = 0;

  constructor(
    private readonly maxUsers: number,
    private readonly maxBytes: number,
  ) {}

  /** Whether another user may still be taken. */
  get open(): boolean {
    return this.users === 0 || (this.users < this.maxUsers && this.bytes < this.maxBytes);
  }

  take(bytes: number): void {
    this.users++;
    this.bytes += bytes;
  }
}

/**
 * Bytes a flush writes for a user, estimated from its state's size in memory: the state record,
 * the published profile and the changelog record each carry its vectors once.
 */
export function flushBytesOf(stateBytes: number): number {
  return 3 * stateBytes;
}
