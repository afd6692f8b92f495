/**
 * Packs texts into inference runs. On CPU the cost of a run is its padded size (texts × longest
 * text), not its text count: sorting by length and filling each run up to a token budget keeps
 * padding small, which is most of the speed-up over fixed batches in arrival order.
 */
export interface PlannableText<K> {
  key: K;
  /** Token count including special tokens, already capped at the model's maximum. */
  tokens: number;
}

export interface RunPlanOptions {
  /** Most padded tokens (texts × longest) in one run. */
  tokenBudget: number;
  /** Most texts in one run, whatever their length. */
  maxTexts: number;
  /**
   * Largest share of a run's padded tokens that may be padding (default: no limit). On CPU a run
   * costs its padded tokens and batching saves almost nothing per text, so texts of very
   * different lengths are cheaper (and finish sooner, on parallel workers) as runs of their own.
   */
  maxPaddingShare?: number;
}

export interface PlannedRun<K> {
  keys: K[];
  /** Longest text in the run: every text is padded to it. */
  paddedLength: number;
  realTokens: number;
}

/** Splits `texts` into runs, each within the budget (a single text longer than the budget runs alone). */
export function planRuns<K>(texts: readonly PlannableText<K>[], options: RunPlanOptions): PlannedRun<K>[] {
  const sorted = [...texts].sort((a, b) => a.tokens - b.tokens);
  const runs: PlannedRun<K>[] = [];
  let current: PlannedRun<K> | null = null;
  for (const t of sorted) {
    // Sorted ascending, so the newcomer is the longest: the padded size becomes tokens × (n + 1).
    const padded = current ? t.tokens * (current.keys.length + 1) : 0;
    const fits =
      current &&
      current.keys.length < options.maxTexts &&
      padded <= options.tokenBudget &&
      (options.maxPaddingShare === undefined ||
        1 - (current.realTokens + t.tokens) / padded <= options.maxPaddingShare);
    if (!current || !fits) {
      current = { keys: [], paddedLength: 0, realTokens: 0 };
      runs.push(current);
    }
    current.keys.push(t.key);
    current.paddedLength = Math.max(current.paddedLength, t.tokens);
    current.realTokens += t.tokens;
  }
  return runs;
}

/** Share of a run's computed tokens that are padding (0 = none wasted). */
export function paddingRatio(run: Pick<PlannedRun<unknown>, 'keys' | 'paddedLength' | 'realTokens'>): number {
  const padded = run.keys.length * run.paddedLength;
  return padded === 0 ? 0 : (padded - run.realTokens) / padded;
}
