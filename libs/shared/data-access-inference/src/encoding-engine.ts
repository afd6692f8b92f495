import { planRuns, type PlannedRun } from '@profilestream/embedding';
import type { InferencePool } from './inference-pool';
import type { TextTokenizer } from './text-tokenizer';

export interface EngineOptions {
  /** Most padded tokens (texts × longest) per run. */
  tokenBudget: number;
  /** Most texts per run. */
  maxTexts: number;
  /** How long a text may wait for run-mates before its run goes out anyway. */
  maxWaitMs: number;
  /** Largest share of a run that may be padding (see planRuns); default no limit. */
  maxPaddingShare?: number;
}

/**
 * A good padding limit on CPU, where a run costs its padded tokens and batching saves almost
 * nothing per text (measured: 4 texts of 128 tokens in one run cost 0.97 of four runs of one):
 * dissimilar lengths go to runs of their own. GPUs run wide batches far better than many small
 * ones, so they keep no limit.
 */
export const CPU_MAX_PADDING_SHARE = 0.1;

export interface Embedding {
  vector: Float32Array;
  tokens: number;
  truncated: boolean;
  /** Time from enqueue to the start of its run. */
  queuedMs: number;
  /** Duration of the run that computed it. */
  inferenceMs: number;
}

/** A text whose forward pass fails even alone: it goes to the dead-letter topic, its run-mates do not. */
export class PoisonTextError extends Error {
  override readonly name = 'PoisonTextError';
}

/** Observes the engine for metrics without tying it to a metrics library. */
export interface EngineObserver {
  onRun?(run: { texts: number; realTokens: number; paddedTokens: number; seconds: number; ok: boolean }): void;
  onQueueDepth?(texts: number): void;
}

interface Pending {
  key: string;
  ids: number[];
  truncated: boolean;
  enqueuedAt: number;
  promise: Promise<Embedding>;
  resolve: (e: Embedding) => void;
  reject: (e: Error) => void;
}

/**
 * Micro-batches texts from any number of concurrent callers into inference runs: identical texts
 * (same key) share one computation, runs are packed by length under a token budget, the run of
 * the longest-waiting text goes first, and a run waits at most `maxWaitMs` for company. Runs go
 * to the pool while its workers have free places (the one they compute and those they hold
 * ahead). A failing run is split until the poison text is alone.
 */
export class EncodingEngine {
  private readonly pending = new Map<string, Pending>();
  private readonly inFlight = new Map<string, Pending>();
  private timer: NodeJS.Timeout | null = null;
  /** Tokens of the texts in `pending`. */
  private pendingTokens = 0;

  constructor(
    private readonly tokenizer: TextTokenizer,
    private readonly pool: InferencePool,
    private readonly options: EngineOptions,
    private readonly observer: EngineObserver = {},
  ) {}

  /** Texts waiting for a run (backpressure reads this). */
  queueDepth(): number {
    return this.pending.size;
  }

  /** Embeds each text; the promise of a poison text rejects with PoisonTextError. */
  embed(key: string, text: string): Promise<Embedding> {
    const existing = this.pending.get(key) ?? this.inFlight.get(key);
    if (existing) return existing.promise;
    const { ids, truncated } = this.tokenizer.encode(text);
    let resolve!: (e: Embedding) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<Embedding>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.pending.set(key, { key, ids, truncated, enqueuedAt: performance.now(), promise, resolve, reject });
    this.pendingTokens += ids.length;
    this.observer.onQueueDepth?.(this.pending.size);
    this.pump();
    return promise;
  }

  private pump(): void {
    if (this.pending.size === 0) return;
    let free = this.pool.freeSlots();
    if (free <= 0) return;
    const now = performance.now();
    // Map order is enqueue order: the first entry has waited longest.
    const waited = now - this.pending.values().next().value!.enqueuedAt;
    if (
      this.pendingTokens < this.options.tokenBudget &&
      this.pending.size < this.options.maxTexts &&
      waited < this.options.maxWaitMs
    ) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.pump();
      }, this.options.maxWaitMs - waited);
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const runs = planRuns(
      [...this.pending.values()].map((p) => ({ key: p.key, tokens: p.ids.length })),
      {
        tokenBudget: this.options.tokenBudget,
        maxTexts: this.options.maxTexts,
        ...(this.options.maxPaddingShare === undefined ? {} : { maxPaddingShare: this.options.maxPaddingShare }),
      },
    ).map((run) => ({ run, since: Math.min(...run.keys.map((k) => this.pending.get(k)!.enqueuedAt)) }));
    // Oldest first: the run holding the text that has waited longest goes first, so texts (and
    // the chunks waiting for them) finish in about the order they came, and a chunk's transaction
    // can commit while later chunks keep the workers busy. Fullest first instead would leave short
    // texts behind every newer long one. Packing by length over everything pending keeps padding low.
    runs.sort((a, b) => a.since - b.since);
    let idle = this.pool.idleWorkers();
    for (const { run, since } of runs) {
      if (free <= 0) break;
      // A part-filled run waits for company unless its texts are due, and even then goes only to
      // a worker with nothing to do: held ahead, it would leave without the company that can
      // still join it before a worker is free.
      const due = now - since >= this.options.maxWaitMs;
      const full =
        run.keys.length * run.paddedLength >= this.options.tokenBudget * 0.5 ||
        run.keys.length >= this.options.maxTexts;
      if (!full && !(due && idle > 0)) continue;
      free--;
      // The pool gives a run to its least loaded worker: an idle one while there is one.
      idle = Math.max(0, idle - 1);
      this.dispatch(run);
    }
    this.observer.onQueueDepth?.(this.pending.size);
    if (this.pending.size > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, this.options.maxWaitMs);
    }
  }

  private dispatch(run: PlannedRun<string>): void {
    const items = run.keys.map((k) => {
      const p = this.pending.get(k)!;
      this.pending.delete(k);
      this.pendingTokens -= p.ids.length;
      this.inFlight.set(k, p);
      return p;
    });
    void this.runIsolating(items).finally(() => {
      for (const p of items) this.inFlight.delete(p.key);
      this.pump();
    });
  }

  /** Runs `items`; on failure splits them in halves, so only a text that fails alone is rejected. */
  private async runIsolating(items: Pending[]): Promise<void> {
    const started = performance.now();
    const texts = items.length;
    const width = Math.max(...items.map((p) => p.ids.length));
    const ids = new BigInt64Array(texts * width);
    const mask = new BigInt64Array(texts * width);
    items.forEach((p, t) => {
      for (let k = 0; k < p.ids.length; k++) {
        ids[t * width + k] = BigInt(p.ids[k]!);
        mask[t * width + k] = 1n;
      }
    });
    const realTokens = items.reduce((s, p) => s + p.ids.length, 0);
    try {
      const { vectors, ms } = await this.pool.run({ ids, mask, texts, tokens: width });
      this.observer.onRun?.({ texts, realTokens, paddedTokens: texts * width, seconds: ms / 1000, ok: true });
      const dim = vectors.length / texts;
      items.forEach((p, t) =>
        p.resolve({
          vector: vectors.slice(t * dim, (t + 1) * dim),
          tokens: p.ids.length,
          truncated: p.truncated,
          queuedMs: started - p.enqueuedAt,
          inferenceMs: ms,
        }),
      );
    } catch (err) {
      this.observer.onRun?.({
        texts,
        realTokens,
        paddedTokens: texts * width,
        seconds: (performance.now() - started) / 1000,
        ok: false,
      });
      if (items.length === 1) {
        items[0]!.reject(new PoisonTextError((err as Error).message));
        return;
      }
      const half = Math.ceil(items.length / 2);
      await Promise.all([this.runIsolating(items.slice(0, half)), this.runIsolating(items.slice(half))]);
    }
  }
}
