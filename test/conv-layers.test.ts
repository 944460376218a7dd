// The convolutional layers in Sequential: gradients of whole models (central differences),
// padded sequences equal their unpadded computation, causality, Keras parameter counts, files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequential } from '../ts/models/sequential.ts';
import { Conv1D } from '../ts/models/layers/conv1d.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import { Embedding } from '../ts/models/layers/embedding.ts';
import { Flatten } from '../ts/models/layers/flatten.ts';
import { LSTM } from '../ts/models/layers/lstm.ts';
import { GlobalMaxPooling1D } from '../ts/models/layers/pooling.ts';
import { MaxPooling1D, RepeatVector, UpSampling1D } from '../ts/models/layers/sampling1d.ts';
import { SpatialDropout1D } from '../ts/models/layers/spatial_dropout.ts';
import { TCN } from '../ts/models/layers/tcn.ts';
import { TimeDistributed } from '../ts/models/layers/time_distributed.ts';
import { tensor } from '../ts/models/tensor.ts';
import { throwsError } from './helpers/errors.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { randomF32, randomInts, rng } from './helpers/random.ts';

test('gradient check: Conv1D causal (dilation 2, relu, L2) -> SpatialDropout1D -> Conv1D same -> Flatten -> Dense(sigmoid)', async () => {
  const r = rng(11);
  const B = 3, T = 7, C = 3;
  const m = new Sequential([
    new Conv1D(4, 3, { dilationRate: 2, padding: 'causal', activation: 'tanh', kernelRegularizer: { l2: 0.01 }, inputShape: [T, C] }),
    new SpatialDropout1D(0.3),
    new Conv1D(5, 2, { padding: 'same' }),
    new Flatten(),
    new Dense(1, { activation: 'sigmoid' }),
  ], { seed: 2 });
  m.compile({ loss: 'binary_crossentropy', optimizer: 'adam' });
  await gradCheck(m, tensor(randomF32(r, B * T * C), [B, T, C]), Float32Array.of(1, 0, 1), 'conv stack');
});

test('gradient check: ED-TCN shape: Conv1D valid -> MaxPooling1D -> UpSampling1D -> TimeDistributed(Dense) + MSE', async () => {
  const r = rng(12);
  const B = 2, T = 9, C = 2;
  const m = new Sequential([
    new Conv1D(4, 2, { padding: 'valid', activation: 'tanh', inputShape: [T, C] }),
    new MaxPooling1D(2),
    new UpSampling1D(2),
    new Conv1D(3, 3, { padding: 'causal', dilationRate: 1, activation: 'sigmoid' }),
    new TimeDistributed(new Dense(1)),
  ], { seed: 3 });
  m.compile({ loss: 'mse', optimizer: 'sgd' });
  m.build();
  const out = m.layers[m.layers.length - 1].outputShape;
  assert.equal(out, [8, 1]);
  await gradCheck(m, tensor(randomF32(r, B * T * C), [B, T, C]), tensor(randomF32(r, B * 8), [B, 8, 1]), 'ed-tcn');
});

for (const skip of [true, false]) {
  test(`gradient check: TCN (skip connections ${skip}, 1x1 match, spatial dropout) -> Dense(softmax)`, async () => {
    const r = rng(skip ? 13 : 14);
    const B = 3, T = 6, C = 2;
    const m = new Sequential([
      new TCN({ nbFilters: 3, kernelSize: 2, dilations: [1, 2], nbStacks: 1, useSkipConnections: skip, dropoutRate: 0.2, kernelRegularizer: { l2: 1e-3 }, inputShape: [T, C] }),
      new Dense(3, { activation: 'softmax' }),
    ], { seed: 4 });
    m.compile({ loss: 'sparse_categorical_crossentropy' });
    await gradCheck(m, tensor(randomF32(r, B * T * C), [B, T, C]), Int32Array.of(0, 2, 1), `tcn skip=${skip}`, 1e-2, 10);
  });
}

test('gradient check: LSTM autoencoder: LSTM -> RepeatVector -> LSTM(returnSequences) -> TimeDistributed(Dense(1)) + MAE', async () => {
  const r = rng(15);
  const B = 3, T = 5;
  const m = new Sequential([
    new LSTM(4, { inputShape: [T, 1] }), new RepeatVector(T), new LSTM(3, { returnSequences: true }), new TimeDistributed(new Dense(1)),
  ], { seed: 5 });
  m.compile({ loss: 'mse', optimizer: 'adam' });
  const x = tensor(randomF32(r, B * T), [B, T, 1]);
  await gradCheck(m, x, x, 'lstm autoencoder');
});

test('padded sequences through Conv1D/TCN/MaxPooling1D equal each sequence computed alone', async () => {
  const r = rng(16);
  const V = 8, T = 9;
  const lengths = Int32Array.of(9, 5, 3, 6);
  const B = lengths.length;
  const tokens = randomInts(r, B * T, V - 1).map((v) => v + 1);
  for (let b = 0; b < B; b++) tokens.fill(0, b * T, b * T + T - lengths[b]);
  const m = new Sequential([
    new Embedding(V, 3),
    new Conv1D(4, 3, { padding: 'causal', dilationRate: 2, activation: 'relu' }),
    new TCN({ nbFilters: 4, kernelSize: 2, dilations: [1, 2], returnSequences: true }),
    new MaxPooling1D(1),
    new LSTM(3),
    new Dense(1, { activation: 'sigmoid' }),
  ], { seed: 6 });
  const batch = await m.predict({ tokens: tensor(tokens, [B, T]), lengths });
  for (let b = 0; b < B; b++) {
    const L = lengths[b];
    const alone = await m.predict({ tokens: tensor(tokens.slice(b * T + T - L, (b + 1) * T), [1, L]), lengths: Int32Array.of(L) });
    assert.ok(Math.abs(alone.data[0] - batch.data[b]) < 1e-5, `row ${b}: ${alone.data[0]} vs ${batch.data[b]}`);
  }
});

test('padded sequences: the gradients of a ReLU Conv1D stack (mask fused into the backward) are the mean of each sequence alone', async () => {
  const r = rng(18);
  const V = 8, T = 9;
  const lengths = Int32Array.of(9, 4, 6);
  const B = lengths.length;
  const tokens = randomInts(r, B * T, V - 1).map((v) => v + 1);
  for (let b = 0; b < B; b++) tokens.fill(0, b * T, b * T + T - lengths[b]);
  const y = Float32Array.of(1, 0, 1);
  const m = new Sequential([
    new Embedding(V, 3),
    new Conv1D(5, 3, { padding: 'causal', dilationRate: 2, activation: 'relu' }),
    new Conv1D(4, 2, { padding: 'causal', activation: 'relu' }),
    new LSTM(3),
    new Dense(1, { activation: 'sigmoid' }),
  ], { seed: 8 });
  m.compile({ loss: 'binary_crossentropy', optimizer: 'adam' });
  const batch = await m.lossAndGradients({ tokens: tensor(tokens, [B, T]), lengths }, y);
  const sum = batch.grads.map((g) => new Float64Array(g.length));
  for (let b = 0; b < B; b++) {
    const L = lengths[b];
    const alone = await m.lossAndGradients({ tokens: tensor(tokens.slice(b * T + T - L, (b + 1) * T), [1, L]), lengths: Int32Array.of(L) }, y.subarray(b, b + 1));
    alone.grads.forEach((g, k) => g.forEach((v, i) => (sum[k][i] += v / B)));
  }
  batch.grads.forEach((g, k) => g.forEach((v, i) => assert.ok(Math.abs(v - sum[k][i]) < 1e-5, `weight ${k}[${i}]: ${v} vs ${sum[k][i]}`)));
  assert.ok(batch.grads[1].some((v) => v !== 0), 'the first convolution gets a gradient');
});

test('causal Conv1D and TCN: step t never sees steps after t', async () => {
  const r = rng(17);
  const T = 12, C = 2;
  const m = new Sequential([
    new Conv1D(3, 3, { padding: 'causal', dilationRate: 2, inputShape: [T, C] }),
    new TCN({ nbFilters: 3, kernelSize: 3, dilations: [1, 2, 4], returnSequences: true }),
  ], { seed: 7 });
  const x = randomF32(r, T * C);
  const base = (await m.predict(tensor(x, [1, T, C]))).data;
  const t0 = 5;
  const y = x.slice();
  for (let i = (t0 + 1) * C; i < y.length; i++) y[i] += 1;
  const changed = (await m.predict(tensor(y, [1, T, C]))).data;
  const F = 3;
  for (let i = 0; i < (t0 + 1) * F; i++) assert.is(changed[i], base[i], `output ${i} moved`);
  assert.ok(changed.slice((t0 + 1) * F).some((v, i) => v !== base[(t0 + 1) * F + i]), 'later steps must depend on the change');
});

test('parameter counts equal Keras / keras-tcn', () => {
  const m = new Sequential([new Conv1D(64, 3, { inputShape: [100, 32] }), new TCN({ nbFilters: 16, kernelSize: 3, dilations: [1, 2] })]);
  m.build();
  assert.is(m.layers[0].countParams(), 64 * 32 * 3 + 64);
  // block 0: conv1 64->16, conv2 16->16, 1x1 match 64->16; block 1: two 16->16 convs.
  const F = 16, k = 3;
  assert.is(m.layers[1].countParams(), (64 * F * k + F) + (F * F * k + F) + (64 * F + F) + 2 * (F * F * k + F));
  assert.is(new TCN({ kernelSize: 3, dilations: [1, 2, 4, 8] }).receptiveField, 1 + 2 * 2 * 15);
});

test('models with the new layers save and load', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-conv-'));
  try {
    const r = rng(18);
    const T = 8, C = 2;
    const m = new Sequential([
      new Conv1D(3, 2, { padding: 'causal', kernelRegularizer: { l2: 0.01 }, inputShape: [T, C] }), new SpatialDropout1D(0.1),
      new MaxPooling1D(2, { padding: 'same' }), new UpSampling1D(2),
      new TCN({ nbFilters: 4, kernelSize: 2, dilations: [1, 2], dropoutRate: 0.1 }), new RepeatVector(2),
      new TimeDistributed(new Dense(2, { activation: 'tanh' })), new GlobalMaxPooling1D(),
    ], { seed: 8 });
    m.compile({ loss: 'mse', optimizer: 'adam' });
    const x = tensor(randomF32(r, 4 * T * C), [4, T, C]);
    await m.fit(x, tensor(randomF32(r, 8), [4, 2]), { epochs: 1, batchSize: 2 });
    const path = join(dir, 'm.vigil');
    await m.save(path);
    const { model } = await Sequential.load(path);
    assert.equal((await model.predict(x)).data, (await m.predict(x)).data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('layer options and shapes are checked', () => {
  throwsError(() => new Conv1D(0, 3), RangeError, /filters/);
  throwsError(() => new Conv1D(4, 3, { padding: 'full' as 'same' }), RangeError, /padding must be one of valid, same, causal/);
  throwsError(() => new Conv1D(4, 3, { activation: 'softmax' as 'relu' }), RangeError, /activation/);
  throwsError(() => new Conv1D(4, 3, { kernelRegularizer: { l2: -1 } }), RangeError, /kernelRegularizer.l2/);
  throwsError(() => new TCN({ dilations: [] }), TypeError, /dilations/);
  throwsError(() => new TCN({ dilations: [1, 0] }), RangeError, /dilations\[1\]/);
  throwsError(() => new TCN({ dropoutRate: 1 }), RangeError, /dropoutRate/);
  throwsError(() => new MaxPooling1D(0), RangeError, /poolSize/);
  throwsError(() => new SpatialDropout1D(-0.1), RangeError, /rate/);
  throwsError(() => new TimeDistributed({} as never), TypeError, /vigil Layer/);
  const m = new Sequential([new Conv1D(2, 4, { dilationRate: 3, padding: 'valid', inputShape: [9, 1] })]);
  throwsError(() => m.build(), RangeError, /needs at least 10 steps/);
});

test.run();
