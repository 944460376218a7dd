import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sequential } from '../ts/models/sequential.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import { Dropout } from '../ts/models/layers/dropout.ts';
import { Embedding } from '../ts/models/layers/embedding.ts';
import { LSTM } from '../ts/models/layers/lstm.ts';
import { SimpleRNN } from '../ts/models/layers/simple_rnn.ts';
import { EarlyStopping } from '../ts/models/callbacks.ts';
import { Adam, RMSprop, getOptimizer } from '../ts/models/optimizers.ts';
import { sliceRows, tensor } from '../ts/models/tensor.ts';
import type { Tensor } from '../ts/models/tensor.ts';
import { randomF32, randomInts, rng } from './helpers/random.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';

/** Label 1 iff the marker token V-1 occurs; 'pre'-padded with 0 to T, valid lengths in [3, T]. */
function task(seed: number, n: number, T: number, V: number) {
  const r = rng(seed);
  const tokens = new Int32Array(n * T);
  const lengths = new Int32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const len = 3 + Math.floor(r() * (T - 2));
    lengths[i] = len;
    for (let t = T - len; t < T; t++) tokens[i * T + t] = 1 + Math.floor(r() * (V - 2));
    if (r() < 0.5) {
      tokens[i * T + T - len + Math.floor(r() * len)] = V - 1;
      y[i] = 1;
    }
  }
  return { x: { tokens: tensor(tokens, [n, T]), lengths }, tokens: tensor(tokens, [n, T]), lengths, y };
}

const V = 10, T = 12;
const classifier = (seed = 1) => {
  const m = new Sequential([new Embedding(V, 8), new LSTM(16), new Dense(1, { activation: 'sigmoid' })], { seed });
  m.compile({ loss: 'binary_crossentropy', optimizer: { name: 'adam', learningRate: 0.02 }, metrics: ['accuracy'] });
  return m;
};

test('fit learns a small task (held-out accuracy > 0.9); same seed, same history', async () => {
  const train = task(1, 320, T, V);
  const held = task(2, 200, T, V);
  const run = async () => {
    const m = classifier(3);
    const h = await m.fit(train.x, train.y, { epochs: 8, batchSize: 32, seed: 4 });
    return { m, h };
  };
  const { m, h } = await run();
  assert.is(h.epochs.length, 8);
  assert.ok(h.epochs[7].loss < 0.5 * h.epochs[0].loss, `loss ${h.epochs[0].loss} -> ${h.epochs[7].loss}`);
  const ev = await m.evaluate(held.x, held.y, { batchSize: 64 });
  assert.ok(ev.metrics.accuracy > 0.9, `held-out accuracy ${ev.metrics.accuracy}`);
  const p = await m.predict(held.x, { batchSize: 50 });
  let right = 0;
  p.data.forEach((v, i) => (right += Number((v > 0.5) === (held.y[i] > 0.5))));
  assert.is(right / 200, ev.metrics.accuracy);
  const again = await run();
  const strip = (e: typeof h.epochs) => e.map(({ seconds: _s, ...rest }) => rest);
  assert.equal(strip(again.h.epochs), strip(h.epochs));
  assert.equal(again.m.getWeights(), m.getWeights());
});

test('fit trains stacked LSTMs and SimpleRNN models with dropout (loss falls)', async () => {
  const train = task(3, 128, T, V);
  for (const make of [
    () => [new Embedding(V, 6), new LSTM(8, { returnSequences: true, recurrentDropout: 0.2 }), new LSTM(8), new Dropout(0.2), new Dense(1, { activation: 'sigmoid' })],
    () => [new Embedding(V, 6), new Dropout(0.1), new SimpleRNN(12), new Dense(2, { activation: 'softmax' })],
  ]) {
    const m = new Sequential(make(), { seed: 2 });
    const softmax = m.layers.length === 4;
    m.compile({ loss: softmax ? 'sparse_categorical_crossentropy' : 'binary_crossentropy', optimizer: 'adam', metrics: ['acc'] });
    const y = softmax ? Int32Array.from(train.y) : train.y;
    const h = await m.fit(train.x, y, { epochs: 6, batchSize: 16 });
    assert.ok(h.epochs[5].loss < h.epochs[0].loss, `${m.layers.map((l) => l.name)}: ${h.epochs.map((e) => e.loss)}`);
    assert.ok(h.epochs[5].metrics.acc > 0.5);
  }
});

test('validationSplit holds out the last rows (before shuffling)', async () => {
  const d = task(4, 80, T, V);
  const m = classifier(5);
  const h = await m.fit(d.x, d.y, { epochs: 1, batchSize: 16, validationSplit: 0.25 });
  const last = { tokens: sliceRows(d.tokens, 60, 80), lengths: d.lengths.subarray(60) };
  const ev = await m.evaluate(last, d.y.subarray(60), { batchSize: 16 });
  assert.is(h.epochs[0].valLoss, ev.loss);
  assert.is(h.epochs[0].valMetrics?.accuracy, ev.metrics.accuracy);
  const viaData = classifier(5);
  const train = { tokens: sliceRows(d.tokens, 0, 60), lengths: d.lengths.subarray(0, 60) };
  const h2 = await viaData.fit(train, d.y.subarray(0, 60), { epochs: 1, batchSize: 16, validationData: [last, d.y.subarray(60)] });
  assert.is(h2.epochs[0].valLoss, h.epochs[0].valLoss);
});

test('classWeight scales the loss; zero weights leave the model unchanged', async () => {
  const d = task(5, 32, T, V);
  const m1 = classifier(6), m2 = classifier(6), m0 = classifier(6);
  const first = async (m: Sequential, classWeight?: Record<number, number>) => {
    const losses: number[] = [];
    await m.fit(d.x, d.y, { epochs: 1, batchSize: 8, shuffle: false, classWeight, callbacks: [{ onBatchEnd: (_b, l) => void losses.push(l.loss) }] });
    return losses[0];
  };
  const l1 = await first(m1);
  const l2 = await first(m2, { 0: 2, 1: 2 });
  assert.ok(Math.abs(l2 - 2 * l1) < 1e-6 * l1, `${l2} vs 2 * ${l1}`);
  m0.build();
  const before = m0.getWeights();
  await first(m0, { 0: 0, 1: 0 });
  assert.equal(m0.getWeights(), before);
});

test('an AbortSignal stops fit between batches; fit resolves with the epochs done and the model stays usable', async () => {
  const d = task(6, 64, T, V);
  const m = classifier(7);
  const ac = new AbortController();
  let batches = 0;
  const h = await m.fit(d.x, d.y, {
    epochs: 3, batchSize: 8, signal: ac.signal,
    callbacks: [{ onBatchEnd: (b) => { batches = b + 1; if (b === 10) ac.abort(); } }],
  });
  assert.is(batches, 11);
  assert.is(h.aborted, true);
  assert.is(h.epochs.length, 1);
  const p = await m.predict(d.x);
  assert.ok(p.data.every(Number.isFinite));
  // An abort from a timer lands between batches too: fit leaves the event loop free.
  const ac2 = new AbortController();
  let n2 = 0;
  setTimeout(() => ac2.abort(), 0);
  const h2 = await m.fit(d.x, d.y, { epochs: 50, batchSize: 1, signal: ac2.signal, callbacks: [{ onBatchEnd: () => void n2++ }] });
  assert.is(h2.aborted, true);
  assert.ok(n2 < 50 * 64, `ran ${n2} batches`);
  const h3 = await m.fit(d.x, d.y, { epochs: 2, signal: AbortSignal.abort() });
  assert.equal([h3.aborted, h3.epochs.length], [true, 0]);
});

test('EarlyStopping stops after patience and restores the best weights', async () => {
  const train = task(7, 96, T, V);
  const val = task(8, 48, T, V);
  const flipped = val.y.map((v) => 1 - v); // the better the model learns, the worse it does here
  const m = classifier(9);
  const snapshots: Float32Array[][] = [];
  const es = new EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
  const h = await m.fit(train.x, train.y, {
    epochs: 20, batchSize: 16, validationData: [val.x, flipped],
    callbacks: [{ onEpochEnd: (_e, _l, model) => void snapshots.push(model.getWeights()) }, es],
  });
  const vl = h.epochs.map((e) => e.valLoss as number);
  const best = vl.indexOf(Math.min(...vl));
  assert.is(h.stoppedEarly, true);
  assert.is(h.epochs.length, best + 3);
  assert.is(es.bestEpoch, best);
  assert.equal(m.getWeights(), snapshots[best]);
  assert.is((await m.evaluate(val.x, flipped, { batchSize: 16 })).loss, vl[best]);
  throwsError(() => new EarlyStopping({ patience: -1 }), RangeError, /patience/);
  await rejectsError(m.fit(train.x, train.y, { callbacks: [new EarlyStopping()] }), RangeError, /val_loss/);
});

test('lengths equal the unpadded computation; maskZero derives them from leading zeros', async () => {
  const d = task(9, 16, T, V);
  const m = classifier(10);
  const withLengths = await m.predict(d.x);
  const masked = new Sequential([new Embedding(V, 8, { maskZero: true }), new LSTM(16), new Dense(1, { activation: 'sigmoid' })]);
  masked.build();
  m.build();
  masked.setWeights(m.getWeights());
  assert.equal(Array.from((await masked.predict(d.tokens)).data), Array.from(withLengths.data));
  // Each sequence alone, cut to its valid steps, with no padding at all.
  for (let i = 0; i < 16; i += 5) {
    const L = d.lengths[i];
    const own = tensor(d.tokens.data.slice(i * T + T - L, (i + 1) * T), [1, L]);
    const p = await m.predict(own);
    assert.is(p.data[0], withLengths.data[i], `row ${i}`);
  }
  // Without lengths or a mask, padded steps are computed (as Keras without masking does): a different answer.
  const unmasked = await m.predict(d.tokens);
  assert.ok(unmasked.data.some((v, i) => Math.abs(v - withLengths.data[i]) > 1e-4));
  // Training sees the same: equal lengths padded to T vs. the bare sequences.
  const L = 5, B = 4;
  const bare = randomInts(rng(3), B * L, V);
  const padded = new Int32Array(B * T);
  for (let b = 0; b < B; b++) padded.set(bare.subarray(b * L, (b + 1) * L), b * T + T - L);
  const y = Float32Array.of(1, 0, 0, 1);
  const a = await m.lossAndGradients({ tokens: tensor(padded, [B, T]), lengths: new Int32Array(B).fill(L) }, y);
  const b = await m.lossAndGradients(tensor(bare, [B, L]), y);
  assert.is(a.loss, b.loss);
  assert.equal(a.grads, b.grads);
  // Batches are cut to their longest sequence; a batch padded far beyond it gives the same numbers.
  const wide = new Int32Array(B * 40);
  for (let r = 0; r < B; r++) wide.set(bare.subarray(r * L, (r + 1) * L), r * 40 + 40 - L);
  const c = await m.lossAndGradients({ tokens: tensor(wide, [B, 40]), lengths: Int32Array.of(L, 2, L, 1) }, y);
  const cut = await m.lossAndGradients({ tokens: tensor(padded, [B, T]), lengths: Int32Array.of(L, 2, L, 1) }, y);
  assert.is(c.loss, cut.loss);
  assert.equal(c.grads, cut.grads);
});

test('optimizers by name, with settings, or as objects; each trains', async () => {
  assert.is(getOptimizer('adam').learningRate, 0.001);
  assert.is(getOptimizer('RMSprop').name, 'rmsprop');
  assert.is(getOptimizer({ name: 'sgd', learningRate: 0.1 }).learningRate, 0.1);
  const own = new Adam({ learningRate: 0.005 });
  assert.is(getOptimizer(own), own);
  throwsError(() => getOptimizer('adagrad' as never), RangeError, /optimizer/);
  throwsError(() => new RMSprop({ learningRate: -1 }), RangeError, /learningRate/);
  const d = task(10, 64, T, V);
  for (const optimizer of ['adam', 'rmsprop', 'nadam', { name: 'sgd', learningRate: 0.05, momentum: 0.9 }] as const) {
    const m = new Sequential([new Embedding(V, 6), new LSTM(8), new Dense(1, { activation: 'sigmoid' })], { seed: 1 });
    m.compile({ loss: 'binary_crossentropy', optimizer });
    const before = (await m.evaluate(d.x, d.y)).loss;
    await m.fit(d.x, d.y, { epochs: 4, batchSize: 16 });
    const after = (await m.evaluate(d.x, d.y)).loss;
    assert.ok(after < before, `${JSON.stringify(optimizer)}: ${before} -> ${after}`);
  }
});

test('regression and per-step outputs: LSTM(returnSequences) -> Dense(1) with MAE on float windows', async () => {
  const r = rng(12);
  const n = 32, W = 8;
  const x = tensor(randomF32(r, n * W, 0, 1), [n, W, 1]);
  const m = new Sequential([new LSTM(8, { returnSequences: true, inputShape: [W, 1] }), new Dropout(0.1), new Dense(1)], { seed: 3 });
  m.compile({ loss: 'mae', optimizer: { name: 'adam', learningRate: 0.01 } });
  const h = await m.fit(x, x, { epochs: 5, batchSize: 8 });
  assert.ok(h.epochs[4].loss < h.epochs[0].loss);
  const p = await m.predict(x);
  assert.equal(p.shape, [n, W, 1]);
});

test('overlapping predict calls give the results of sequential calls', async () => {
  const d = task(13, 24, T, V);
  const m = classifier(2);
  const one = await m.predict(d.x, { batchSize: 5 });
  const [a, b] = await Promise.all([m.predict(d.x, { batchSize: 7 }), m.predict(d.x)]);
  assert.equal(Array.from(a.data), Array.from(one.data));
  assert.equal(Array.from(b.data), Array.from(one.data));
});

test('bad inputs throw TypeError / RangeError naming the argument', async () => {
  const d = task(14, 8, T, V);
  const m = new Sequential([new Embedding(V, 4), new LSTM(4), new Dense(1, { activation: 'sigmoid' })]);
  await rejectsError(m.fit(d.x, d.y), TypeError, /compile/);
  m.compile({ loss: 'binary_crossentropy', metrics: ['accuracy'] });
  await rejectsError(m.fit(d.x, d.y.subarray(0, 7)), RangeError, /y has 7 values/);
  await rejectsError(m.fit(d.x, tensor(d.y.subarray(0, 7), [7, 1])), RangeError, /x has 8 rows but y has 7/);
  await rejectsError(m.fit(d.x, d.y.map(() => 2)), RangeError, /y values must be in \[0, 1\]/);
  await rejectsError(m.fit(d.x, d.y.map(() => NaN)), RangeError, /y must be finite/);
  await rejectsError(m.fit(d.x, d.y, { batchSize: 0 }), RangeError, /batchSize/);
  await rejectsError(m.fit(d.x, d.y, { epochs: 1.5 }), RangeError, /epochs/);
  await rejectsError(m.fit(d.x, d.y, { validationSplit: 1 }), RangeError, /validationSplit/);
  await rejectsError(m.fit(d.x, d.y, { signal: {} as never }), TypeError, /signal/);
  await rejectsError(m.predict(d.x, { batchSize: 0 }), RangeError, /batchSize/);
  await rejectsError(m.predict(tensor(Int32Array.of(1, 2, 3), [3])), RangeError, /shape \[n, \.\.\.\]/);
  await rejectsError(m.predict(tensor(Int32Array.of(1, 2, V), [1, 3])), RangeError, /token ids must be in \[0, 9\]/);
  await rejectsError(m.predict(tensor(Int32Array.of(1, -1, 2), [1, 3])), RangeError, /token ids must be in \[0, 9\].*got -1 at index 1/);
  await rejectsError(m.predict(tensor(Float32Array.of(1, 2.5), [1, 2])), TypeError, /integers/);
  // A float id beyond int32 is named as it is, not as the value an Int32Array would wrap it to.
  await rejectsError(m.predict(tensor(Float32Array.of(1, 2 ** 32), [1, 2])), RangeError, /token ids must be in \[0, 9\].*got 4294967296 at index 1/);
  await rejectsError(m.predict({ tokens: d.tokens, lengths: new Int32Array(8).fill(T + 1) }), RangeError, /lengths values/);
  await rejectsError(m.predict({ tokens: d.tokens, lengths: new Int32Array(3) }), RangeError, /lengths must have 8/);
  await rejectsError(m.predict({ data: new Int32Array(4), shape: [2, 3] } as Tensor), RangeError, /shape \[2, 3\] but 4 values/);
  await rejectsError(m.predict(null as never), TypeError, /x must be/);
  const f = new Sequential([new LSTM(3, { inputShape: [4, 2] }), new Dense(3, { activation: 'softmax' })]);
  f.compile({ loss: 'sparse_categorical_crossentropy' });
  const fx = tensor(new Float32Array(2 * 4 * 2).fill(0.5), [2, 4, 2]);
  await rejectsError(f.fit(fx, Int32Array.of(0, 3)), RangeError, /labels must be integers in \[0, 2\]/);
  await rejectsError(f.predict(tensor(new Float32Array(2 * 4 * 3), [2, 4, 3])), RangeError, /rows must have shape \[4, 2\]/);
  throwsError(() => f.compile({ loss: 'hinge' as never }), RangeError, /loss/);
  throwsError(() => f.compile({ loss: 'binary_crossentropy', metrics: ['auc'] }), RangeError, /metrics/);
  throwsError(() => m.compile({ loss: 'categorical_crossentropy' }), TypeError, /softmax/);
  throwsError(() => new Sequential([{} as never]), TypeError, /layer/);
  throwsError(() => new Sequential([new Dense(2), new Embedding(3, 2)]).build([4]), TypeError, /Embedding must be the first layer/);
  throwsError(() => m.setWeights([]), RangeError, /setWeights/);
});

test.run();
