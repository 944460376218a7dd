// onnxruntime-node CPU peer (inference only) on bench/fixtures/lstm_classifier.onnx, the same model
// exported from PyTorch by bench/fixtures/make_onnx.py.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure } from '../harness.ts';
import type { LstmData } from '../data.ts';

export const ONNX_MODEL = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'lstm_classifier.onnx');

type Ort = typeof import('onnxruntime-node');

/** The module, or why it cannot be used. */
export async function loadOrt(): Promise<{ ort: Ort } | { why: string }> {
  if (!existsSync(ONNX_MODEL)) return { why: `${ONNX_MODEL} is missing (run /usr/bin/python3 bench/fixtures/make_onnx.py)` };
  try {
    return { ort: await import('onnxruntime-node') };
  } catch (e) {
    return { why: `onnxruntime-node cannot be loaded (${(e as Error).message.split('\n')[0]})` };
  }
}

/** Sequences per second for one inference over the whole batch. */
export async function measureOrtLstm(ort: Ort, data: LstmData, threads: number, repeats: number): Promise<number> {
  const session = await ort.InferenceSession.create(ONNX_MODEL, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  try {
    // The export takes int64 ids; converting is input preparation, so it is done once outside the timing.
    const ids = BigInt64Array.from(data.tokens, (v) => BigInt(v));
    const feeds = { tokens: new ort.Tensor('int64', ids, [data.batch, data.T]) };
    const t = await measure(() => session.run(feeds), repeats);
    return data.batch / t.seconds;
  } finally {
    await session.release();
  }
}
