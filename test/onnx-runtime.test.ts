// OnnxModel: onnxruntime-node on a worker thread. The PyTorch fixtures give PyTorch's outputs, the
// provider falls back to CPU where CUDA's library is missing, and every misuse fails with a clear error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OnnxModel } from '../ts/models/onnx/runtime/model.ts';
import { cudaProviderInstalled } from '../ts/models/onnx/runtime/providers.ts';
import type { OnnxTensor } from '../ts/models/onnx/runtime/tensors.ts';
import { fixture, maxAbsDiff, ONNX_FIXTURES, torchOnnxFixtures, type TorchOnnxFixture } from './helpers/onnx-fixtures.ts';
import { rejectsError } from './helpers/errors.ts';

function feed(f: TorchOnnxFixture): Record<string, OnnxTensor> {
  const data = f.input.dtype === 'int64' ? BigInt64Array.from(f.input.data, (v) => BigInt(v)) : Float32Array.from(f.input.data);
  return { [f.input.name]: { type: f.input.dtype, dims: [...f.input.shape], data } };
}

test('every fixture runs through onnxruntime with PyTorch\'s outputs', async () => {
  for (const f of torchOnnxFixtures) {
    const model = await OnnxModel.load(join(ONNX_FIXTURES, f.files[1]!), { providers: ['cpu'], threads: 1 });
    try {
      assert.is(model.provider, 'cpu');
      assert.equal(model.inputs.map((i) => [i.name, i.type]), [[f.input.name, f.input.dtype]]);
      assert.equal(model.outputs.map((o) => o.name), ['output']);
      const out = await model.run(feed(f));
      assert.equal(out.output!.dims, f.output.shape);
      assert.ok(out.output!.data instanceof Float32Array);
      const err = maxAbsDiff(out.output!.data as Float32Array, f.output.data);
      assert.ok(err <= 1e-5, `${f.name}: max |onnxruntime - torch| = ${err}`);
    } finally {
      await model.close();
    }
  }
});

test('bytes load too; overlapping runs each get their own answer; transfer moves the inputs', async () => {
  const f = fixture('dense_autoencoder');
  const model = await OnnxModel.load(readFileSync(join(ONNX_FIXTURES, f.files[0]!)));
  try {
    assert.ok(['cpu', 'cuda'].includes(model.provider));
    const half = (k: number): Record<string, OnnxTensor> => {
      const rows = 5, width = 30;
      return { input: { type: 'float32', dims: [rows, width], data: Float32Array.from(f.input.data.slice(k * rows * width, (k + 1) * rows * width)) } };
    };
    const [a, b] = await Promise.all([model.run(half(0)), model.run(half(1))]);
    const both = new Float32Array([...(a.output!.data as Float32Array), ...(b.output!.data as Float32Array)]);
    assert.ok(maxAbsDiff(both, f.output.data) <= 1e-5);
    const moved = half(0);
    await model.run(moved, { transfer: true });
    assert.is(moved.input!.data.length, 0, 'the input buffer went to the worker');
  } finally {
    await model.close();
  }
  await model.close();
  await rejectsError(() => model.run(feed(f)), Error, /closed/);
});

test('CUDA: \'auto\' and [cuda, cpu] fall back to CPU without the provider; [cuda] alone says how to add it', async () => {
  if (cudaProviderInstalled()) return; // a GPU machine with the provider: nothing to fall back from
  const file = join(ONNX_FIXTURES, fixture('dense_autoencoder').files[0]!);
  const auto = await OnnxModel.load(file);
  assert.is(auto.provider, 'cpu');
  await auto.close();
  const listed = await OnnxModel.load(file, { providers: ['cuda', 'cpu'] });
  assert.is(listed.provider, 'cpu');
  assert.match(listed.providerFailures[0]!, /^cuda: /);
  await listed.close();
  await rejectsError(OnnxModel.load(file, { providers: ['cuda'] }), Error, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
});

test('bad sources and options fail clearly', async () => {
  await rejectsError(OnnxModel.load(join(ONNX_FIXTURES, 'missing.onnx')), Error, /can't read '.*missing\.onnx': ENOENT/);
  await rejectsError(OnnxModel.load(Uint8Array.from([0x08, 0x07, 0xff, 0xff])), Error, /model bytes: not (a valid )?ONNX/);
  await rejectsError(OnnxModel.load(join(ONNX_FIXTURES, 'torch_onnx.json')), Error, /onnxruntime could not open/);
  await rejectsError(OnnxModel.load(42 as unknown as string), TypeError, /source must be a path or a Uint8Array/);
  await rejectsError(OnnxModel.load('x.onnx', { providers: ['tpu'] as never }), RangeError, /providers must be/);
  await rejectsError(OnnxModel.load('x.onnx', { threads: 0 }), RangeError, /threads must be an integer/);
});

test('feeds of the wrong name, type or shape are refused before they reach the worker', async () => {
  const f = fixture('causal_tcn'); // input float32 [batch, 1, 30]
  const model = await OnnxModel.load(join(ONNX_FIXTURES, f.files[1]!), { providers: ['cpu'] });
  const x = (dims: number[], n = dims.reduce((a, b) => a * b, 1)): OnnxTensor => ({ type: 'float32', dims, data: new Float32Array(n).fill(0.5) });
  try {
    await rejectsError(model.run({ inputs: x([2, 1, 30]) }), RangeError, /no input 'inputs' \(its inputs: input\)/);
    await rejectsError(model.run({}), RangeError, /input 'input' is missing/);
    await rejectsError(model.run({ input: { type: 'int64', dims: [2, 1, 30], data: new BigInt64Array(60) } }), TypeError, /element type "int64", the model takes float32/);
    await rejectsError(model.run({ input: { type: 'float32', dims: [2, 1, 30], data: new Float64Array(60) as never } }), TypeError, /must be a Float32Array, got Float64Array/);
    await rejectsError(model.run({ input: x([2, 30]) }), RangeError, /has 2 dims \[2, 30\], the model takes 3: \[batch, 1, 30\]/);
    await rejectsError(model.run({ input: x([2, 1, 31]) }), RangeError, /axis 2 must be 30/);
    await rejectsError(model.run({ input: x([2, 1, 30], 59) }), RangeError, /need 60 values, data has 59/);
    await rejectsError(model.run({ input: x([-1, 1, 30], 30) }), RangeError, /non-negative integers/);
    const ok = await model.run({ input: x([2, 1, 30]) });
    assert.equal(ok.output!.dims, [2, 2]);
  } finally {
    await model.close();
  }
});

test.run();
