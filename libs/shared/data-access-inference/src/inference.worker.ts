/**
 * One onnxruntime session in a worker thread: a forward pass blocks its thread for milliseconds to
 * seconds, which must never be the service's event loop (Kafka heartbeats, Redis I/O).
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { clsPool, l2NormaliseRows, meanPool, project } from '@profilestream/embedding';
import type { RunRequest, WorkerInit, WorkerMessage } from './inference-protocol';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

async function createSession(): Promise<{
  session: ort.InferenceSession;
  provider: 'cpu' | 'cuda';
  fellBackFrom: string | null;
}> {
  // Run failures are reported (and counted) by the pool; onnxruntime's own error lines would only repeat them.
  const common: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    interOpNumThreads: 1,
    intraOpNumThreads: init.intraOpNumThreads,
    logSeverityLevel: 4,
  };
  if (init.provider !== 'cpu') {
    try {
      return {
        session: await ort.InferenceSession.create(init.modelPath, { ...common, executionProviders: ['cuda'] }),
        provider: 'cuda',
        fellBackFrom: null,
      };
    } catch (err) {
      if (init.provider === 'cuda') throw err;
      return {
        session: await ort.InferenceSession.create(init.modelPath, { ...common, executionProviders: ['cpu'] }),
        provider: 'cpu',
        fellBackFrom: (err as Error).message,
      };
    }
  }
  return {
    session: await ort.InferenceSession.create(init.modelPath, { ...common, executionProviders: ['cpu'] }),
    provider: 'cpu',
    fellBackFrom: null,
  };
}

async function main(): Promise<void> {
  let session: ort.InferenceSession;
  try {
    const created = await createSession();
    session = created.session;
    post({ type: 'ready', provider: created.provider, fellBackFrom: created.fellBackFrom });
  } catch (err) {
    post({ type: 'failed', error: (err as Error).message });
    return;
  }
  const { manifest, projection } = init;
  const wantsTypeIds = manifest.inputs.includes('token_type_ids');

  const run = async (req: RunRequest): Promise<void> => {
    const started = performance.now();
    try {
      const dims = [req.texts, req.tokens];
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', req.ids, dims),
        attention_mask: new ort.Tensor('int64', req.mask, dims),
      };
      if (wantsTypeIds) feeds['token_type_ids'] = new ort.Tensor('int64', new BigInt64Array(req.ids.length), dims);
      const out = await session.run(feeds, [manifest.outputName]);
      const hidden = out[manifest.outputName]!.data as Float32Array;
      const dim = manifest.dimension;
      let vectors =
        manifest.pooling === 'mean'
          ? meanPool(hidden, req.mask, req.texts, req.tokens, dim)
          : manifest.pooling === 'cls'
            ? clsPool(hidden, req.texts, req.tokens, dim)
            : hidden.slice(0, req.texts * dim);
      if (manifest.normalize) l2NormaliseRows(vectors, dim);
      if (projection) vectors = project(vectors, projection);
      post({ type: 'result', id: req.id, vectors, ms: performance.now() - started }, [vectors.buffer as ArrayBuffer]);
    } catch (err) {
      post({ type: 'error', id: req.id, error: (err as Error).message });
    }
  };

  // The pool sends runs ahead of time: they are computed one at a time, in the order received
  // (the pool matches answers to its oldest run), and each run's time starts when it does.
  const queue: RunRequest[] = [];
  let running = false;
  const drain = async (): Promise<void> => {
    running = true;
    for (let req = queue.shift(); req; req = queue.shift()) await run(req);
    running = false;
  };
  port.on('message', (req: RunRequest) => {
    queue.push(req);
    if (!running) void drain();
  });
}

void main();
