// The ONNX codec: a built model survives encode/decode with its tensors, attributes and metadata, and
// bytes that are not an ONNX model fail with an error naming the argument.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder, valueInfo, DataType, OPSET } from '../ts/models/onnx/build.ts';
import { decodeModel, encodeModel, floatTensor, int64Tensor, tensorToFloat32 } from '../ts/models/onnx/proto.ts';
import { GraphReader, attrInt, attrFloats, attrString } from '../ts/models/onnx/read.ts';
import { throwsError } from './helpers/errors.ts';
import { random } from '../ts/index.ts';

function sample(): { bytes: Uint8Array; w: Float32Array } {
  const w = new Float32Array(12);
  random.randomUniform(w, 5, 0, -1, 1);
  const g = new GraphBuilder();
  g.reserve('x', 'y');
  const wn = g.constant(floatTensor('W', [4, 3], w));
  const shape = g.constant(int64Tensor('shape', [2], [-1, 3]));
  const [mm] = g.add('MatMul', ['x', wn]);
  const [r] = g.add('Reshape', [mm!, shape]);
  g.add('LeakyRelu', [r!], { alpha: { f: 0.25 } }, ['y']);
  g.nodes[0]!.attribute = [{ name: 'k', type: 2, i: 7 }, { name: 'fs', type: 6, floats: [0.5, 1.5] }, { name: 's', type: 3, s: new TextEncoder().encode('ok') }];
  const bytes = g.toBytes({
    inputs: [valueInfo('x', DataType.FLOAT, ['batch', 4])],
    outputs: [valueInfo('y', DataType.FLOAT, ['batch', 3])],
    metadata: { 'vigil.kind': 'test' },
  });
  return { bytes, w };
}

test('a built model round-trips through the codec', () => {
  const { bytes, w } = sample();
  const m = decodeModel(bytes);
  assert.is(m.opset_import![0]!.version, OPSET);
  const r = new GraphReader(m);
  assert.equal(r.nodes.map((n) => n.op_type), ['MatMul', 'Reshape', 'LeakyRelu']);
  assert.equal(Array.from(r.floats('W')), Array.from(w));
  assert.equal(r.ints('shape'), [-1, 3]);
  assert.equal(r.inputs, ['x']);
  assert.equal(r.outputs, ['y']);
  assert.equal(r.metadata(), { 'vigil.kind': 'test' });
  const mm = r.nodes[0]!;
  assert.is(attrInt(mm, 'k', 0), 7);
  assert.equal(attrFloats(mm, 'fs', []), [0.5, 1.5]);
  assert.is(attrString(mm, 's', ''), 'ok');
  assert.is(attrInt(mm, 'absent', -3), -3);
  assert.throws(() => attrString(mm, 'k', ''), /attribute 'k' has the wrong type/);
  assert.equal(encodeModel(m), bytes);
});

test('tensors: dims must match the data, external data is refused', () => {
  const t = floatTensor('t', [2, 2], [1, 2, 3, 4]);
  assert.equal(Array.from(tensorToFloat32(t)), [1, 2, 3, 4]);
  throwsError(() => tensorToFloat32({ ...t, dims: [2, 3] }), Error, /holds 16 bytes, its dims \[2,3\] need 24/);
  throwsError(() => tensorToFloat32({ ...t, data_location: 1 }), Error, /external data/);
  throwsError(() => tensorToFloat32({ ...t, dims: [-1, 4] }), Error, /invalid dimension/);
  assert.equal(Array.from(tensorToFloat32({ name: 'd', dims: [2], data_type: DataType.DOUBLE, double_data: [0.5, -2] })), [0.5, -2]);
});

test('bytes that are not an ONNX model fail clearly', () => {
  const { bytes } = sample();
  throwsError(() => decodeModel(bytes.subarray(0, bytes.length >> 1), 'file'), Error, /^file: not a valid ONNX file/);
  throwsError(() => decodeModel(new TextEncoder().encode('{"json": "not onnx"}'), 'file'), Error, /^file: not/);
  throwsError(() => decodeModel(new Uint8Array(0), 'file'), Error, /empty file/);
  throwsError(() => decodeModel('abc' as unknown as Uint8Array, 'file'), TypeError, /Uint8Array/);
});

test.run();
