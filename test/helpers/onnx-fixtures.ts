// The PyTorch-exported ONNX fixtures (test/fixtures/make_onnx_fixtures.py): each model's files, its
// input and PyTorch's output.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../../ts/models/tensor.ts';

export interface TorchOnnxFixture {
  name: string;
  files: string[];
  input: { name: string; dtype: 'int64' | 'float32'; shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
  target: number[];
}

export const ONNX_FIXTURES = fileURLToPath(new URL('../fixtures/onnx/', import.meta.url));

export const torchOnnxFixtures: TorchOnnxFixture[] = JSON.parse(readFileSync(`${ONNX_FIXTURES}torch_onnx.json`, 'utf8')).models;

export function fixture(name: string): TorchOnnxFixture {
  const f = torchOnnxFixtures.find((m) => m.name === name);
  if (!f) throw new Error(`no ONNX fixture '${name}'`);
  return f;
}

/** The fixture's input as vigil's model takes it (token ids as Int32Array). */
export function fixtureInput(f: TorchOnnxFixture): Tensor {
  const data = f.input.dtype === 'int64' ? Int32Array.from(f.input.data) : Float32Array.from(f.input.data);
  return { data, shape: [...f.input.shape] } as Tensor;
}

/** Largest |a - b| over all elements; throws when the lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
