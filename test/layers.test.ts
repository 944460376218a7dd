import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sequential } from '../ts/models/sequential.ts';
import type { ModelInput, Targets } from '../ts/models/sequential.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import { Dropout } from '../ts/models/layers/dropout.ts';
import { Embedding } from '../ts/models/layers/embedding.ts';
import { Flatten } from '../ts/models/layers/flatten.ts';
import { LSTM } from '../ts/models/layers/lstm.ts';
import { SimpleRNN } from '../ts/models/layers/simple_rnn.ts';
import { tensor } from '../ts/models/tensor.ts';
import { randomF32, randomInts, rng } from './helpers/random.ts';
import { throwsError } from './helpers/errors.ts';
import { gradCheck } from './helpers/gradcheck.ts';

const counts = (m: Sequential) => m.layers.map((l) => l.countParams());

test('parameter counts equal Keras for several stacks', () => {
  const a = new Sequential([new Embedding(64, 32), new LSTM(64), new Dense(1, { activation: 'sigmoid' })]);
  a.build();
  assert.equal(counts(a), [2048, 24832, 65]);
  const b = new Sequential([
    new Embedding(1000, 64), new LSTM(128, { returnSequences: true }), new LSTM(64), new Dense(32, { activation: 'relu' }), new Dense(1),
  ]);
  b.build();
  assert.equal(counts(b), [64000, 98816, 49408, 2080, 33]);
  const c = new Sequential([new Embedding(10001, 50), new SimpleRNN(10, { returnSequences: true }), new SimpleRNN(1)]);
  c.build();
  assert.equal(counts(c), [500050, 610, 12]);
  const d = new Sequential([new Dense(16, { activation: 'relu', inputShape: [20] }), new Dropout(0.5), new Dense(3, { activation: 'softmax' })]);
  d.build();
  assert.equal(counts(d), [336, 0, 51]);
  const e = new Sequential([new LSTM(64, { returnSequences: true, inputShape: [48, 1] }), new Dropout(0.2), new Dense(1)]);
  e.build();
  assert.equal(counts(e), [16896, 0, 65]);
  const f = new Sequential([new Embedding(100, 8, { inputLength: 10 }), new Flatten(), new Dense(4)]);
  f.build();
  assert.equal(counts(f), [800, 0, 324]);
  assert.is(f.layers[1].outputShape[0], 80);
});

test('summary() is a Keras-style table with the parameter counts', () => {
  const m = new Sequential([new Embedding(64, 32), new LSTM(64), new Dense(1, { activation: 'sigmoid' })]);
  const s = m.summary();
  assert.match(s, /embedding \(Embedding\)\s+\(None, None, 32\)\s+2,048/);
  assert.match(s, /lstm \(LSTM\)\s+\(None, 64\)\s+24,832/);
  assert.match(s, /dense \(Dense\)\s+\(None, 1\)\s+65/);
  assert.match(s, /Total params: 26,945/);
  const two = new Sequential([new LSTM(4, { returnSequences: true, inputShape: [null, 3] }), new LSTM(2)]);
  assert.match(two.summary(), /lstm_1 \(LSTM\)\s+\(None, 2\)/);
  throwsError(() => new Sequential([new LSTM(4)]).summary(), TypeError, /not built/);
});

test('Keras default initialisers: unit forget bias, zero Dense bias, embeddings in [-0.05, 0.05]', () => {
  const m = new Sequential([new Embedding(20, 4), new LSTM(3), new Dense(2)], { seed: 4 });
  m.build();
  const [emb, , , bias, , db] = m.getWeights();
  assert.equal(Array.from(bias), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  assert.equal(Array.from(db), [0, 0]);
  assert.ok(emb.every((v) => Math.abs(v) <= 0.05) && emb.some((v) => v !== 0));
  const again = new Sequential([new Embedding(20, 4), new LSTM(3), new Dense(2)], { seed: 4 });
  again.build();
  assert.equal(again.getWeights(), m.getWeights());
});

test('gradient check: Embedding -> LSTM -> Dense(sigmoid) + BCE, lengths < time', async () => {
  const r = rng(1);
  const B = 5, T = 6, V = 9;
  const m = new Sequential([new Embedding(V, 5), new LSTM(7), new Dense(1, { activation: 'sigmoid' })], { seed: 3 });
  m.compile({ loss: 'binary_crossentropy', optimizer: 'adam' });
  const x = { tokens: tensor(randomInts(r, B * T, V), [B, T]), lengths: Int32Array.of(6, 3, 1, 0, 5) };
  await gradCheck(m, x, Float32Array.of(1, 0, 1, 0, 1), 'gather LSTM');
});

test('gradient check: stacked LSTM(returnSequences) -> LSTM -> Dense(softmax) + sparse CCE', async () => {
  const r = rng(2);
  const B = 4, T = 5, V = 7;
  const m = new Sequential([
    new Embedding(V, 4), new LSTM(5, { returnSequences: true }), new LSTM(3), new Dense(3, { activation: 'softmax' }),
  ], { seed: 5 });
  m.compile({ loss: 'sparse_categorical_crossentropy' });
  const x = { tokens: tensor(randomInts(r, B * T, V), [B, T]), lengths: Int32Array.of(5, 2, 4, 1) };
  await gradCheck(m, x, Int32Array.of(0, 2, 1, 2), 'stacked LSTM');
});

test('gradient check: float input -> SimpleRNN(returnSequences) -> Dense(tanh) per step + MSE', async () => {
  const r = rng(3);
  const B = 3, T = 4, I = 3;
  const m = new Sequential([new SimpleRNN(5, { returnSequences: true, inputShape: [T, I] }), new Dense(2, { activation: 'tanh' })], { seed: 6 });
  m.compile({ loss: 'mse', optimizer: 'sgd' });
  const x = tensor(randomF32(r, B * T * I), [B, T, I]);
  await gradCheck(m, x, tensor(randomF32(r, B * T * 2, -0.5, 0.5), [B, T, 2]), 'SimpleRNN');
});

test('gradient check: Embedding -> SimpleRNN -> Dense(relu) -> Dense(1, sigmoid)', async () => {
  const r = rng(4);
  const B = 4, T = 5, V = 6;
  const m = new Sequential([new Embedding(V, 3), new SimpleRNN(4), new Dense(5, { activation: 'relu' }), new Dense(1, { activation: 'sigmoid' })], { seed: 7 });
  m.compile({ loss: 'binary_crossentropy' });
  const x = { tokens: tensor(randomInts(r, B * T, V), [B, T]), lengths: Int32Array.of(5, 1, 3, 4) };
  // A smaller step: 1e-2 moves a relu input across its kink here.
  await gradCheck(m, x, Float32Array.of(0, 1, 1, 0), 'gather SimpleRNN', 2e-3);
});

test('gradient check: dropout active (Embedding -> Dropout -> LSTM with recurrent dropout -> Dropout -> Dense)', async () => {
  const r = rng(5);
  const B = 4, T = 5, V = 8;
  const m = new Sequential([
    new Embedding(V, 4), new Dropout(0.3), new LSTM(6, { recurrentDropout: 0.4 }), new Dropout(0.5), new Dense(1, { activation: 'sigmoid' }),
  ], { seed: 8 });
  m.compile({ loss: 'binary_crossentropy' });
  const x = { tokens: tensor(randomInts(r, B * T, V), [B, T]), lengths: Int32Array.of(5, 2, 4, 3) };
  await gradCheck(m, x, Float32Array.of(1, 1, 0, 0), 'dropout');
});

test('gradient check: Embedding(inputLength) -> Flatten -> Dense(1, linear) + categorical-free losses (mae)', async () => {
  const r = rng(6);
  const B = 4, T = 3, V = 5;
  const m = new Sequential([new Embedding(V, 3, { inputLength: T }), new Flatten(), new Dense(2)], { seed: 9 });
  m.compile({ loss: 'mae' });
  await gradCheck(m, tensor(randomInts(r, B * T, V), [B, T]), tensor(randomF32(r, B * 2), [B, 2]), 'flatten');
});

test('dropout is off at inference: predictions are deterministic and equal the model without Dropout', async () => {
  const r = rng(7);
  const B = 6, T = 5, V = 8;
  const mk = (drop: boolean) =>
    new Sequential(
      drop
        ? [new Embedding(V, 4), new LSTM(5, { recurrentDropout: 0.5 }), new Dropout(0.5), new Dense(1, { activation: 'sigmoid' })]
        : [new Embedding(V, 4), new LSTM(5), new Dense(1, { activation: 'sigmoid' })],
      { seed: 2 },
    );
  const a = mk(true), b = mk(false);
  const x = tensor(randomInts(r, B * T, V), [B, T]);
  a.build();
  b.build();
  b.setWeights(a.getWeights());
  const pa = await a.predict(x);
  assert.equal(Array.from((await a.predict(x)).data), Array.from(pa.data));
  assert.equal(Array.from((await b.predict(x)).data), Array.from(pa.data));
  assert.equal(pa.shape, [B, 1]);
});

test('layer options are checked', () => {
  throwsError(() => new LSTM(0), RangeError, /LSTM: units/);
  throwsError(() => new LSTM(4, { recurrentDropout: 1 }), RangeError, /recurrentDropout/);
  throwsError(() => new Dense(2, { activation: 'gelu' as never }), RangeError, /activation/);
  throwsError(() => new Dropout(-0.1), RangeError, /rate/);
  throwsError(() => new Embedding(0, 3), RangeError, /inputDim/);
  throwsError(() => new Embedding(3, '4' as never), TypeError, /outputDim/);
  throwsError(() => new SimpleRNN(3, { returnSequences: 1 as never }), TypeError, /returnSequences/);
});

test('gradient check: Dense stack + categorical CE (softmax logits) and BCE on a relu output (probability form)', async () => {
  const r = rng(8);
  const B = 6, F = 5;
  const x = tensor(randomF32(r, B * F), [B, F]);
  const m = new Sequential([new Dense(7, { activation: 'tanh', inputShape: [F] }), new Dense(3, { activation: 'softmax' })], { seed: 10 });
  m.compile({ loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  const onehot = new Float32Array(B * 3);
  for (let i = 0; i < B; i++) onehot[i * 3 + (i % 3)] = 1;
  await gradCheck(m, x, tensor(onehot, [B, 3]), 'categorical');
  // The seed's "model 1" mistake: binary cross-entropy on a relu output, as Keras computes it.
  const relu = new Sequential([new Dense(4, { activation: 'tanh', inputShape: [F] }), new Dense(1, { activation: 'relu' })], { seed: 11 });
  relu.compile({ loss: 'binary_crossentropy' });
  relu.build();
  const w = relu.getWeights();
  w[3][0] = 0.5; // keep the relu inputs away from 0 and the clipping edges
  relu.setWeights(w);
  const y = Float32Array.of(1, 0, 1, 1, 0, 0);
  const p = await relu.predict(x);
  let want = 0;
  for (let i = 0; i < B; i++) {
    const q = Math.min(Math.max(p.data[i], 1e-7), 1 - 1e-7);
    want -= (y[i] * Math.log(q + 1e-7) + (1 - y[i]) * Math.log(1 - q + 1e-7)) / B;
  }
  assert.ok(Math.abs((await relu.evaluate(x, y)).loss - want) < 1e-6);
  await gradCheck(relu, x, y, 'relu + BCE', 2e-3);
});

test.run();
