// fit grows every layer's buffers once, to the epoch's largest batch (Layer.reserve), and then
// computes each batch in views of them. These tests hold it to three things: the same numbers as
// the lazily growing path (trainOnBatch, which reserves nothing), no buffer allocated during an
// epoch, and nothing left over from a long batch reaching a shorter one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sequential } from '../ts/models/sequential.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import { Dropout } from '../ts/models/layers/dropout.ts';
import { Embedding } from '../ts/models/layers/embedding.ts';
import { Buffers } from '../ts/models/layers/layer.ts';
import { LSTM } from '../ts/models/layers/lstm.ts';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from '../ts/models/layers/pooling.ts';
import { SimpleRNN } from '../ts/models/layers/simple_rnn.ts';
import { tensor } from '../ts/models/tensor.ts';
import type { ModelInput } from '../ts/models/sequential.ts';
import { rng } from './helpers/random.ts';

const V = 12, T = 20;

/** n 'pre'-padded token rows with lengths in [1, T] (a few at T), labels by a marker token. */
function tokenData(seed: number, n: number, maxLen = T) {
  const r = rng(seed);
  const tokens = new Int32Array(n * T), lengths = new Int32Array(n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const len = r() < 0.15 ? maxLen : 1 + Math.floor(r() * maxLen);
    lengths[i] = len;
    for (let t = T - len; t < T; t++) tokens[i * T + t] = 1 + Math.floor(r() * (V - 1));
    y[i] = tokens.subarray(i * T, (i + 1) * T).includes(V - 1) ? 1 : 0;
  }
  return { tokens, lengths, y };
}

/** Rows [a, b) of tokenData as a model input. */
const rowsInput = (d: ReturnType<typeof tokenData>, a: number, b: number): ModelInput => ({
  tokens: tensor(d.tokens.slice(a * T, b * T), [b - a, T]), lengths: d.lengths.slice(a, b),
});

/** Every buffer-using path of the token models: an unfolded Embedding, dropout on sequences and states, stacked recurrent layers. */
function tokenModel(seed: number): Sequential {
  const m = new Sequential([
    new Embedding(V, 6), new Dropout(0.3), new LSTM(10, { returnSequences: true, recurrentDropout: 0.2 }), new Dropout(0.2),
    new SimpleRNN(7, { recurrentDropout: 0.1 }), new Dense(5, { activation: 'tanh' }), new Dense(1, { activation: 'sigmoid' }),
  ], { seed });
  m.compile({ loss: 'binary_crossentropy', optimizer: { name: 'adam', learningRate: 0.01 }, metrics: ['accuracy'] });
  return m;
}

/** A folded Embedding -> LSTM with per-step outputs, a pooling and Dense with an activation on the way back. */
function pooledModel(seed: number): Sequential {
  const m = new Sequential([
    new Embedding(V, 5), new LSTM(9, { returnSequences: true }), new GlobalMaxPooling1D(), new Dense(4, { activation: 'relu' }),
    new Dropout(0.25), new Dense(1, { activation: 'sigmoid' }),
  ], { seed });
  m.compile({ loss: 'mse', optimizer: 'rmsprop' });
  return m;
}

const models = { tokenModel, pooledModel };

for (const [name, make] of Object.entries(models)) {
  test(`${name}: fit on reserved buffers equals trainOnBatch over the same batches, bit for bit`, async () => {
    const d = tokenData(1, 71);
    const batch = 16; // 4 full batches and a short one of 7 rows
    const fitted = make(5), looped = make(5);
    const fitLosses: number[] = [];
    await fitted.fit(rowsInput(d, 0, 71), d.y, {
      epochs: 2, batchSize: batch, shuffle: false, callbacks: [{ onBatchEnd: (_k, logs) => void fitLosses.push(logs.loss) }],
    });
    const loopLosses: number[] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let a = 0; a < 71; a += batch) {
        const b = Math.min(71, a + batch);
        loopLosses.push(await looped.trainOnBatch(rowsInput(d, a, b), d.y.slice(a, b)));
      }
    }
    assert.is(fitLosses.length, 10);
    assert.equal(fitLosses, loopLosses);
    const wf = fitted.getWeights(), wl = looped.getWeights();
    wf.forEach((w, i) => assert.equal(Array.from(w), Array.from(wl[i]), `weight ${i}`));
  });
}

test('an epoch after reserve allocates no buffer (train, validation, short last batch, growing lengths)', async () => {
  const d = tokenData(2, 90);
  const val = tokenData(3, 37);
  // The hook counts: batches that grow allocate without a hint.
  const lazy = tokenModel(1);
  const before = Buffers.allocations;
  await lazy.trainOnBatch(rowsInput(d, 0, 4), d.y.slice(0, 4));
  assert.ok(Buffers.allocations > before, 'trainOnBatch allocated its buffers');
  for (const make of [tokenModel, pooledModel]) {
    const m = make(1);
    const seen: number[] = [];
    const mark = () => void seen.push(Buffers.allocations);
    await m.fit(rowsInput(d, 0, 90), d.y, {
      epochs: 3, batchSize: 16, validationData: [rowsInput(val, 0, 37), val.y], classWeight: { 0: 1, 1: 2 },
      callbacks: [{ onTrainBegin: mark, onBatchEnd: mark, onEpochEnd: mark }],
    });
    assert.is(seen.length, 1 + 3 * 6 + 3);
    assert.ok(seen.every((n) => n === seen[0]), `allocations during training: ${seen.join(', ')}`);
  }
});

test('a short batch after a long one gives what it gives alone (no stale values in reused buffers)', async () => {
  const long = tokenData(4, 24);
  const short = tokenData(5, 5, 6);
  const shortX = rowsInput(short, 0, 5);
  for (const make of [tokenModel, pooledModel]) {
    // Same seed and no step taken: the same weights and dropout streams.
    const after = make(9), alone = make(9);
    await after.lossAndGradients(rowsInput(long, 0, 24), long.y);
    await after.predict(rowsInput(long, 0, 24), { batchSize: 24 });
    const a = await after.lossAndGradients(shortX, short.y);
    const b = await alone.lossAndGradients(shortX, short.y);
    assert.is(a.loss, b.loss);
    a.grads.forEach((g, i) => assert.equal(Array.from(g), Array.from(b.grads[i]), `gradient ${i}`));
    const pa = await after.predict(shortX), pb = await alone.predict(shortX);
    assert.equal(Array.from(pa.data), Array.from(pb.data));
  }
  // And after fit reserved the buffers for its longest batch: prediction equals a fresh model's with the same weights.
  const m = tokenModel(3);
  await m.fit(rowsInput(long, 0, 24), long.y, { epochs: 1, batchSize: 24 });
  const fresh = tokenModel(4);
  fresh.build();
  fresh.setWeights(m.getWeights());
  assert.equal(Array.from((await m.predict(shortX)).data), Array.from((await fresh.predict(shortX)).data));
});

test('float sequences with lengths: fit with reserve equals trainOnBatch (Dense first-axis input, average pooling)', async () => {
  const r = rng(7);
  const n = 40, F = 3;
  const x = new Float32Array(n * T * F), lengths = new Int32Array(n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    lengths[i] = 1 + Math.floor(r() * T);
    for (let t = T - lengths[i]; t < T; t++) for (let f = 0; f < F; f++) x[(i * T + t) * F + f] = r() * 2 - 1;
    y[i] = r();
  }
  const make = () => {
    const m = new Sequential([
      new LSTM(6, { returnSequences: true, inputShape: [T, F] }), new Dense(4, { activation: 'relu' }), new GlobalAveragePooling1D(), new Dense(1),
    ], { seed: 2 });
    m.compile({ loss: 'mse', optimizer: 'adam' });
    return m;
  };
  const input = (a: number, b: number): ModelInput => ({ tokens: tensor(x.slice(a * T * F, b * T * F), [b - a, T, F]), lengths: lengths.slice(a, b) });
  const fitted = make(), looped = make();
  const losses: number[] = [];
  await fitted.fit(input(0, n), y, { epochs: 1, batchSize: 12, shuffle: false, callbacks: [{ onBatchEnd: (_k, l) => void losses.push(l.loss) }] });
  const loop: number[] = [];
  for (let a = 0; a < n; a += 12) loop.push(await looped.trainOnBatch(input(a, Math.min(n, a + 12)), y.slice(a, Math.min(n, a + 12))));
  assert.equal(losses, loop);
  fitted.getWeights().forEach((w, i) => assert.equal(Array.from(w), Array.from(looped.getWeights()[i])));
});

test.run();
