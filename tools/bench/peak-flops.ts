/**
 * The machine's measured peak fp32 FLOP/s: a large square MatMul in onnxruntime (the same
 * kernels the encoder uses), on one thread and on all cores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, writeModel } from '@profilestream/tools-onnx';

export async function measurePeakFlops(n = 1024, repeats = 8): Promise<{ oneThread: number; allCores: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'peak-'));
  try {
    const g = new GraphBuilder(
      'matmul',
      [{ name: 'a', dtype: 'float32', shape: [n, n] }],
      [{ name: 'c', dtype: 'float32', shape: [n, n] }],
    );
    const b = g.float(
      'b',
      Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5),
      [n, n],
    );
    g.opMulti('MatMul', ['a', b], ['c']);
    const file = join(dir, 'matmul.onnx');
    writeModel(file, {
      graph: g.build(),
      irVersion: 8,
      opset: 17,
      producerName: 'profilestream-bench',
      producerVersion: '1',
    });
    const a = new ort.Tensor(
      'float32',
      Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 997) / 997 - 0.5),
      [n, n],
    );
    const flops = 2 * n * n * n;
    const rate = async (threads: number) => {
      const session = await ort.InferenceSession.create(file, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      await session.run({ a });
      let best = Infinity;
      for (let i = 0; i < repeats; i++) {
        const t = performance.now();
        await session.run({ a });
        best = Math.min(best, (performance.now() - t) / 1000);
      }
      await session.release();
      return flops / best;
    };
    return { oneThread: await rate(1), allCores: await rate(availableParallelism()) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
