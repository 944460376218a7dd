// What the ONNX export tests share: random weights and padded token ids, running exported bytes through
// onnxruntime-node, and the agreement check against vigil's own predict. With VIGIL_ONNX_EXPORT_DIR
// set, every exported model is also written there (test/fixtures/check_onnx.py checks them).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as assert from 'uvu/assert';
import { exportOnnx } from '../../ts/models/onnx/export/index.ts';
import type { OnnxExportOptions } from '../../ts/models/onnx/export/index.ts';
import type { ModelInput, Sequential } from '../../ts/models/sequential.ts';
import { tensor } from '../../ts/models/tensor.ts';
import { randomF32, rng } from './random.ts';

export const TOLERANCE = 1e-5;

/** Replaces every weight with uniform values in [-scale, scale) (biases too: the zeros of the initialisers hide layout bugs). */
export function randomizeWeights(model: Sequential, seed: number, scale = 0.5): void {
  const r = rng(seed);
  model.setWeights(model.getWeights().map((w) => randomF32(r, w.length, -scale, scale)));
}

export interface PaddedIds {
  /** vigil's input: 'pre'-padded ids and each row's valid length. */
  vigil: { tokens: { data: Int32Array; shape: number[] }; lengths: Int32Array };
  ids: Int32Array;
  lengths: Int32Array;
  batch: number;
  time: number;
}

/**
 * `batch` rows of `time` 'pre'-padded ids in [1, vocab) with random lengths: row 0 has length 1,
 * row 1 the full time, row 2 length 0 when `empty`, the others uniform in [1, time].
 */
export function paddedIds(seed: number, batch: number, time: number, vocab: number, empty = false): PaddedIds {
  const r = rng(seed);
  const ids = new Int32Array(batch * time);
  const lengths = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const L = b === 0 ? 1 : b === 1 ? time : b === 2 && empty ? 0 : 1 + Math.floor(r() * time);
    lengths[b] = L;
    for (let t = time - L; t < time; t++) ids[b * time + t] = 1 + Math.floor(r() * (vocab - 1));
  }
  return { vigil: { tokens: tensor(ids, [batch, time]), lengths }, ids, lengths, batch, time };
}

export const int64 = (ids: Int32Array, shape: number[]) => new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), shape);
export const float32 = (x: Float32Array, shape: number[]) => new ort.Tensor('float32', x, shape);

/** Runs the bytes on onnxruntime-node's CPU provider; resolves to the `output` tensor. */
export async function runOrt(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const out = (await session.run(feeds)).output!;
    return { data: out.data as Float32Array, dims: out.dims };
  } finally {
    await session.release();
  }
}

let written = 0;
/**
 * With VIGIL_ONNX_EXPORT_DIR set, writes an exported test model there, numbered in the order written,
 * for test/fixtures/check_onnx.py (onnx.checker) to check; `expect`, when given, goes beside it as
 * FILE.onnx.expect.json (raw inputs and the tensors vigil makes of them, for check_onnx.py to compare
 * with docs/examples/vigil_onnx.py). Returns the file's path, or null when the variable is not set.
 */
export function keepOnnx(name: string, bytes: Uint8Array, expect?: object): string | null {
  const dir = process.env.VIGIL_ONNX_EXPORT_DIR;
  if (!dir) return null;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${String(++written).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '_')}.onnx`);
  writeFileSync(file, bytes);
  if (expect) writeFileSync(`${file}.expect.json`, JSON.stringify(expect));
  return file;
}

/**
 * Exports `model`, runs the file on onnxruntime-node with `feeds` and vigil's predict on `input`, and
 * asserts the same shape and values within TOLERANCE (max abs). Resolves to the largest difference.
 */
export async function expectAgreement(name: string, model: Sequential, input: ModelInput, feeds: Record<string, ort.Tensor>,
  opts: OnnxExportOptions = {}): Promise<number> {
  const bytes = await exportOnnx(model, null, opts);
  keepOnnx(name, bytes);
  const mine = await model.predict(input, { batchSize: 1024 });
  const theirs = await runOrt(bytes, feeds);
  assert.equal([...theirs.dims], mine.shape, `${name}: output shape`);
  assert.ok(mine.data.some((v) => v !== 0 && Number.isFinite(v)), `${name}: a degenerate output (all zero or not finite) proves nothing`);
  let worst = 0;
  for (let i = 0; i < mine.data.length; i++) {
    const d = Math.abs(mine.data[i]! - theirs.data[i]!);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  assert.ok(worst <= TOLERANCE, `${name}: vigil and onnxruntime differ by ${worst} (max abs) > ${TOLERANCE}`);
  return worst;
}
