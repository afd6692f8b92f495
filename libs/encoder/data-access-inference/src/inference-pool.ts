import { extname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ModelBundle } from './model-bundle';
import type { ExecutionProvider, ProjectionData, RunRequest, WorkerInit, WorkerMessage } from './inference-protocol';

export interface InferencePoolOptions {
  size: number;
  provider: ExecutionProvider;
  intraOpNumThreads: number;
  projection: ProjectionData | null;
}

export interface RunResult {
  vectors: Float32Array;
  ms: number;
}

interface Slot {
  worker: Worker;
  busySince: number | null;
  pending: { id: number; resolve: (r: RunResult) => void; reject: (e: Error) => void } | null;
}

/** Where the worker script is: beside this file, compiled (.js) or as source run through tsx (.ts). */
function workerEntry(): { file: string; execArgv: string[] } {
  const ext = extname(__filename);
  return { file: join(__dirname, `inference.worker${ext}`), execArgv: ext === '.ts' ? ['--require', 'tsx/cjs'] : [] };
}

/**
 * A fixed pool of inference workers, one ONNX session each. Runs queue when every worker is busy;
 * each run goes to the first idle worker.
 */
export class InferencePool {
  private readonly slots: Slot[] = [];
  private readonly queue: { req: Omit<RunRequest, 'id' | 'type'>; resolve: (r: RunResult) => void; reject: (e: Error) => void }[] = [];
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
        const worker = new Worker(file, { workerData: init, execArgv, env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig } });
        const slot: Slot = { worker, busySince: null, pending: null };
        await new Promise<void>((ready, fail) => {
          const onFirst = (m: WorkerMessage) => {
            if (m.type === 'ready') {
              this.provider = m.provider;
              this.fellBackFrom ??= m.fellBackFrom;
              ready();
            } else if (m.type === 'failed') fail(new Error(`inference worker could not load ${this.bundle.modelPath}: ${m.error}`));
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

  idleWorkers(): number {
    return this.slots.filter((s) => s.pending === null).length - this.queue.length;
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

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.pending !== null) continue;
      const next = this.queue.shift();
      if (!next) return;
      const id = this.nextId++;
      slot.pending = { id, resolve: next.resolve, reject: next.reject };
      slot.busySince = performance.now();
      const msg: RunRequest = { type: 'run', id, ...next.req };
      slot.worker.postMessage(msg, [msg.ids.buffer as ArrayBuffer, msg.mask.buffer as ArrayBuffer]);
    }
  }

  private finish(slot: Slot): Slot['pending'] {
    const pending = slot.pending;
    if (slot.busySince !== null) this.busyMs += performance.now() - Math.max(slot.busySince, this.lastBusySample);
    slot.busySince = null;
    slot.pending = null;
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

  /** A dead worker leaves the pool; `healthy()` turns false so liveness restarts the process. */
  private onCrash(slot: Slot, err: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    this.finish(slot)?.reject(err);
    this.dispatch();
  }

  healthy(): boolean {
    return this.slots.length === this.options.size;
  }
}
