import { extname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ModelBundle } from './model-bundle';
import type { ExecutionProvider, ProjectionData, RunRequest, WorkerInit, WorkerMessage } from './inference-protocol';

export interface InferencePoolOptions {
  size: number;
  provider: ExecutionProvider;
  intraOpNumThreads: number;
  projection: ProjectionData | null;
  /**
   * Runs each worker holds beyond the one it is computing (default 1). A worker that finishes a
   * run starts the next one from its own queue at once, instead of waiting for this thread to
   * hear of the result and send more: on a busy machine the event loop may not be scheduled for
   * milliseconds, and the worker would sit idle that long after every run.
   */
  runsAhead?: number;
}

export interface RunResult {
  vectors: Float32Array;
  ms: number;
}

interface PendingRun {
  id: number;
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busySince: number | null;
  /** Runs sent to the worker and not answered yet, in the order it computes them. */
  pending: PendingRun[];
}

/** Where the worker script is: beside this file, compiled (.js) or as source run through tsx (.ts). */
function workerEntry(): { file: string; execArgv: string[] } {
  const ext = extname(__filename);
  return { file: join(__dirname, `inference.worker${ext}`), execArgv: ext === '.ts' ? ['--require', 'tsx/cjs'] : [] };
}

/**
 * A fixed pool of inference workers, one ONNX session each. Each worker computes one run and holds
 * up to `runsAhead` more; runs beyond that queue here and go to the least loaded worker.
 */
export class InferencePool {
  private readonly slots: Slot[] = [];
  private readonly queue: {
    req: Omit<RunRequest, 'id' | 'type'>;
    resolve: (r: RunResult) => void;
    reject: (e: Error) => void;
  }[] = [];
  private nextId = 1;
  private busyMs = 0;
  private lastBusySample = performance.now();
  /** The provider the sessions run on, and why it is not the one asked for (if so). */
  provider: 'cpu' | 'cuda' = 'cpu';
  fellBackFrom: string | null = null;

  constructor(
    private readonly bundle: ModelBundle,
    private readonly options: InferencePoolOptions,
  ) {}

  /** Starts the workers and waits until every session is loaded; rejects if any fails. */
  async start(): Promise<void> {
    const { file, execArgv } = workerEntry();
    const init: WorkerInit = {
      modelPath: this.bundle.modelPath,
      manifest: this.bundle.manifest,
      provider: this.options.provider,
      intraOpNumThreads: this.options.intraOpNumThreads,
      projection: this.options.projection,
    };
    const tsconfig = resolve(__dirname, '../../../../tsconfig.base.json');
    await Promise.all(
      Array.from({ length: this.options.size }, async () => {
        const worker = new Worker(file, {
          workerData: init,
          execArgv,
          env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig },
        });
        const slot: Slot = { worker, busySince: null, pending: [] };
        await new Promise<void>((ready, fail) => {
          const onFirst = (m: WorkerMessage) => {
            if (m.type === 'ready') {
              this.provider = m.provider;
              this.fellBackFrom ??= m.fellBackFrom;
              ready();
            } else if (m.type === 'failed')
              fail(new Error(`inference worker could not load ${this.bundle.modelPath}: ${m.error}`));
          };
          worker.once('message', onFirst);
          worker.once('error', fail);
        });
        worker.on('message', (m: WorkerMessage) => this.onMessage(slot, m));
        worker.on('error', (err) => this.onCrash(slot, err));
        worker.on('exit', () => this.onCrash(slot, new Error('inference worker exited')));
        this.slots.push(slot);
      }),
    );
  }

  get size(): number {
    return this.slots.length;
  }

  /** Workers holding no run (none computing, none ahead), less runs queued here for them. */
  idleWorkers(): number {
    return this.slots.filter((s) => s.pending.length === 0).length - this.queue.length;
  }

  /** Runs the workers would take now without queueing here: each worker's free places (running plus held ahead). */
  freeSlots(): number {
    let free = 0;
    for (const s of this.slots) free += this.depth - s.pending.length;
    return free - this.queue.length;
  }

  private get depth(): number {
    return 1 + (this.options.runsAhead ?? 1);
  }

  run(req: Omit<RunRequest, 'id' | 'type'>): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      this.dispatch();
    });
  }

  /** Share of worker time spent in runs since the previous call (0 to 1). */
  sampleBusyRatio(): number {
    const now = performance.now();
    let busy = this.busyMs;
    for (const s of this.slots) if (s.busySince !== null) busy += now - Math.max(s.busySince, this.lastBusySample);
    const ratio = this.slots.length === 0 ? 0 : busy / ((now - this.lastBusySample) * this.slots.length);
    this.busyMs = 0;
    this.lastBusySample = now;
    for (const s of this.slots) if (s.busySince !== null) s.busySince = now;
    return Math.min(1, ratio);
  }

  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** Sends queued runs to the least loaded workers while any has a free place. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot: Slot | null = null;
      for (const s of this.slots)
        if (s.pending.length < this.depth && (slot === null || s.pending.length < slot.pending.length)) slot = s;
      if (slot === null) return;
      const next = this.queue.shift()!;
      const id = this.nextId++;
      slot.pending.push({ id, resolve: next.resolve, reject: next.reject });
      slot.busySince ??= performance.now();
      const msg: RunRequest = { type: 'run', id, ...next.req };
      slot.worker.postMessage(msg, [msg.ids.buffer as ArrayBuffer, msg.mask.buffer as ArrayBuffer]);
    }
  }

  /** The worker answered its oldest run (a worker computes its runs in the order sent); busy time ends when it holds none. */
  private finish(slot: Slot): PendingRun | undefined {
    const pending = slot.pending.shift();
    if (slot.pending.length === 0 && slot.busySince !== null) {
      this.busyMs += performance.now() - Math.max(slot.busySince, this.lastBusySample);
      slot.busySince = null;
    }
    return pending;
  }

  private onMessage(slot: Slot, m: WorkerMessage): void {
    if (m.type !== 'result' && m.type !== 'error') return;
    const pending = this.finish(slot);
    if (pending && pending.id === m.id) {
      if (m.type === 'result') pending.resolve({ vectors: m.vectors, ms: m.ms });
      else pending.reject(new Error(m.error));
    }
    this.dispatch();
  }

  /** A dead worker leaves the pool with every run it held; `healthy()` turns false so liveness restarts the process. */
  private onCrash(slot: Slot, err: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    if (slot.busySince !== null) this.busyMs += performance.now() - Math.max(slot.busySince, this.lastBusySample);
    slot.busySince = null;
    for (const p of slot.pending.splice(0)) p.reject(err);
    this.dispatch();
  }

  healthy(): boolean {
    return this.slots.length === this.options.size;
  }
}
