// Bad ONNX input: truncated, corrupted or foreign files, unsupported opsets and operators, tensors
// whose shapes contradict the graph, external data. Each fails with an Error that names the problem
// (and, for a graph vigil can't map, the node and the onnxruntime alternative).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeModel, encodeModel, floatTensor, type ModelProto, type NodeProto } from '../ts/models/onnx/proto.ts';
import { importOnnx, OnnxImportError } from '../ts/models/onnx/import/index.ts';
import { fixture, ONNX_FIXTURES } from './helpers/onnx-fixtures.ts';
import { rejectsError } from './helpers/errors.ts';

const bytesOf = (name: string, opset = 1) => readFileSync(join(ONNX_FIXTURES, fixture(name).files[opset]!));
const load = (name: string, opset = 1): ModelProto => decodeModel(bytesOf(name, opset));
const nodeOf = (m: ModelProto, op: string, k = 0): NodeProto => m.graph!.node!.filter((n) => n.op_type === op)[k]!;
const HINT = /run it with OnnxModel \(onnxruntime\) instead/;

async function importFails(m: ModelProto, pattern: RegExp, type: new (...a: never[]) => Error = OnnxImportError): Promise<Error> {
  try {
    await importOnnx(encodeModel(m));
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${(err as Error).name}: ${(err as Error).message}`);
    assert.match((err as Error).message, pattern);
    return err as Error;
  }
  return assert.unreachable('the import should fail') as never;
}

test('files that are not (whole) ONNX models', async () => {
  const whole = bytesOf('text_lstm_last');
  await rejectsError(importOnnx(whole.subarray(0, whole.length - 100)), Error, /ONNX model: not (a valid ONNX file|an ONNX model)/);
  await rejectsError(importOnnx(new Uint8Array(0)), Error, /empty file, not an ONNX model/);
  await rejectsError(importOnnx(join(ONNX_FIXTURES, 'torch_onnx.json')), Error, /ONNX file '.*torch_onnx\.json': not (a valid ONNX file|an ONNX model)/);
  await rejectsError(importOnnx(join(ONNX_FIXTURES, 'text_lstm_last_input.npy')), Error, /not (a valid ONNX file|an ONNX model)/);
  await rejectsError(importOnnx(join(ONNX_FIXTURES, 'no-such.onnx')), Error, /can't read '.*no-such\.onnx': ENOENT/);
  await rejectsError(importOnnx(7 as unknown as string), TypeError, /path or a Uint8Array/);
});

test('opsets outside 11-17 and operators vigil has no layer for', async () => {
  const m = load('dense_autoencoder');
  m.opset_import = [{ domain: '', version: 7 }];
  await importFails(m, /opset 7 is not supported \(vigil reads opsets 11 to 17\).*onnxruntime/);
  m.opset_import = [{ domain: '', version: 21 }];
  await importFails(m, /opset 21 is not supported/);

  const leaky = load('dense_autoencoder');
  nodeOf(leaky, 'Relu').op_type = 'LeakyRelu';
  const err = await importFails(leaky, /LeakyRelu node '\/net\/net\.1\/Relu': operator LeakyRelu is not supported by vigil's importer/) as OnnxImportError;
  assert.match(err.message, HINT);
  assert.is(err.opType, 'LeakyRelu');
  assert.is(err.nodeName, '/net/net.1/Relu');

  const gru = load('two_lstms');
  nodeOf(gru, 'LSTM').op_type = 'GRU';
  await importFails(gru, /GRU node '\/lstm1\/LSTM': vigil has no GRU layer/);
  const ml = load('dense_autoencoder');
  nodeOf(ml, 'Tanh').domain = 'ai.onnx.ml';
  await importFails(ml, /operator ai\.onnx\.ml\.Tanh is not supported/);
  const res = load('dense_autoencoder');
  const relu = nodeOf(res, 'Relu');
  res.graph!.node!.splice(res.graph!.node!.indexOf(relu) + 1, 0, { op_type: 'Add', name: 'skip', input: [relu.output![0]!, relu.output![0]!], output: ['sum'] });
  nodeOf(res, 'Gemm', 1).input![0] = 'sum';
  await importFails(res, /Add node 'skip': adding two data tensors \(a residual or skip connection\) is not supported/);
});

test('recurrent layers vigil does not have: reverse/bidirectional, lengths, initial states, other activations', async () => {
  const m = load('two_lstms');
  const lstm = nodeOf(m, 'LSTM');
  lstm.attribute!.push({ name: 'direction', type: 3, s: new TextEncoder().encode('reverse') });
  await importFails(m, /LSTM node '\/lstm1\/LSTM': direction 'reverse' is not supported/);
  const lens = load('two_lstms');
  lens.graph!.initializer!.push({ name: 'lens', dims: [10], data_type: 6, int32_data: new Array(10).fill(24) });
  nodeOf(lens, 'LSTM').input![4] = 'lens';
  await importFails(lens, /sequence_lens \(per-row lengths\) is not supported/);
  const h0 = load('two_lstms');
  h0.graph!.initializer!.push(floatTensor('h0', [1, 1, 16], new Float32Array(16).fill(0.5)));
  nodeOf(h0, 'LSTM').input![5] = 'h0';
  await importFails(h0, /initial_h must be absent or zeros/);
  const acts = load('two_lstms');
  nodeOf(acts, 'LSTM').attribute!.push({ name: 'activations', type: 8, strings: ['Relu', 'Tanh', 'Tanh'].map((s) => new TextEncoder().encode(s)) });
  await importFails(acts, /activations \[Relu, Tanh, Tanh\] are not supported/);
});

test('tensors whose shapes contradict the graph', async () => {
  const hidden = load('two_lstms');
  nodeOf(hidden, 'LSTM').attribute!.find((a) => a.name === 'hidden_size')!.i = 8;
  await importFails(hidden, /LSTM node '\/lstm1\/LSTM': W has shape \[1, 64, 1\], expected \[1, 32, 1\] for hidden_size 8/);
  const r = load('two_lstms');
  const rName = nodeOf(r, 'LSTM').input![2]!;
  const rInit = r.graph!.initializer!.find((t) => t.name === rName)!;
  Object.assign(rInit, floatTensor(rName, [1, 64, 15], new Float32Array(64 * 15).fill(0.1)));
  await importFails(r, /R has shape \[1, 64, 15\], expected \[1, 64, 16\]/);
  const stacked = load('two_lstms');
  const w2 = stacked.graph!.initializer!.find((t) => t.name === nodeOf(stacked, 'LSTM', 1).input![1])!;
  Object.assign(w2, floatTensor(w2.name!, [1, 32, 12], new Float32Array(32 * 12).fill(0.1)));
  await importFails(stacked, /LSTM node '\/lstm2\/LSTM': W expects 12 input features, the input has 16/);
  const gemm = load('dense_autoencoder');
  const wg = gemm.graph!.initializer!.find((t) => t.name === 'net.2.weight')!;
  Object.assign(wg, floatTensor('net.2.weight', [4, 15], new Float32Array(60).fill(0.1)));
  await importFails(gemm, /Gemm node '\/net\/net\.2\/Gemm': the weights of shape \[4, 15\] take 15 inputs, the data has 16/);
  const conv = load('causal_tcn');
  const wc = conv.graph!.initializer!.find((t) => t.name === 'c2.weight')!;
  Object.assign(wc, floatTensor('c2.weight', [8, 7, 2], new Float32Array(112).fill(0.1)));
  await importFails(conv, /Conv node '\/c2\/Conv': W expects 7 input channels, the input has 8/);
  const bytes = load('dense_autoencoder');
  bytes.graph!.initializer!.find((t) => t.name === 'net.0.bias')!.dims = [17];
  await importFails(bytes, /tensor 'net\.0\.bias' holds 64 bytes, its dims \[17\] need 68/, Error);
  const emb = load('text_lstm_last');
  emb.graph!.initializer!.find((t) => t.name === 'emb.weight')!.dims = [87 * 16];
  await importFails(emb, /the embedding table must be \[vocab, dims\]/);
  const pads = load('conv_seq');
  nodeOf(pads, 'Conv').attribute!.find((a) => a.name === 'pads')!.ints = [2, 1];
  await importFails(pads, /Conv node '\/c1\/Conv': padding \(2 left, 1 right\) for a kernel span of 2 is none of vigil's Conv1D paddings/);
  // With a fixed length the changed padding shows up as a length the next layer did not expect.
  const fixed = load('causal_tcn');
  nodeOf(fixed, 'Conv', 2).attribute!.find((a) => a.name === 'pads')!.ints = [4, 1];
  await importFails(fixed, /Gemm node '\/fc\/Gemm': the weights of shape \[2, 240\] take 240 inputs, the data has 216/);
});

test('external data and dangling references are refused', async () => {
  const ext = load('dense_autoencoder');
  Object.assign(ext.graph!.initializer![0]!, { data_location: 1, external_data: [{ key: 'location', value: 'weights.bin' }] });
  await importFails(ext, /tensor 'net\.0\.weight' uses external data, which vigil does not read/, Error);
  const dangling = load('dense_autoencoder');
  nodeOf(dangling, 'Gemm', 1).input![0] = 'nowhere';
  await importFails(dangling, /Gemm node '\/net\/net\.2\/Gemm': input 'nowhere' is not produced by any earlier node/);
  const twoIn = load('dense_autoencoder');
  twoIn.graph!.input!.push({ ...twoIn.graph!.input![0]!, name: 'other' });
  await importFails(twoIn, /the graph has 2 inputs; vigil's models take one/);
  const noShape = load('dense_autoencoder');
  delete noShape.graph!.input![0]!.type;
  await importFails(noShape, /input 'input' has element type/);
});

test.run();
