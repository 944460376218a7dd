import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequential } from '../ts/models/sequential.ts';
import { Concatenate } from '../ts/models/layers/concatenate.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import { Dropout } from '../ts/models/layers/dropout.ts';
import { Embedding } from '../ts/models/layers/embedding.ts';
import { LSTM } from '../ts/models/layers/lstm.ts';
import { SimpleRNN } from '../ts/models/layers/simple_rnn.ts';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from '../ts/models/layers/pooling.ts';
import type { Layer } from '../ts/models/layers/layer.ts';
import { layerFromConfig } from '../ts/models/layers/registry.ts';
import { tensor } from '../ts/models/tensor.ts';
import { allWritten, gradRelErr, numericGrad, randomF32, randomInts, rng } from './helpers/random.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { gradCheck } from './helpers/gradcheck.ts';

const TRAIN = { training: true, seed: 0, stream: 0 };

// Float64 reference: the mean of each row's last L steps (0 for an empty row).
function averageRef(x: ArrayLike<number>, B: number, T: number, F: number, lengths: Int32Array): Float64Array {
  const out = new Float64Array(B * F);
  for (let b = 0; b < B; b++) {
    for (let f = 0; f < F; f++) {
      let s = 0;
      for (let t = T - lengths[b]; t < T; t++) s += x[(b * T + t) * F + f];
      out[b * F + f] = lengths[b] ? s / lengths[b] : 0;
    }
  }
  return out;
}

test('GlobalAveragePooling1D: mean over the valid steps only, 0 for an empty row, input gradient', async () => {
  const r = rng(11);
  const B = 4, T = 7, F = 5;
  const lengths = Int32Array.of(7, 3, 0, 1);
  const x = randomF32(r, B * T * F);
  const pool = new GlobalAveragePooling1D();
  pool.build([null, F], 0, 1);
  const out = await pool.forward({ data: x, shape: [B, T, F], lengths }, TRAIN);
  assert.equal(out.shape, [B, F]);
  assert.is(out.lengths, null);
  const want = averageRef(x, B, T, F, lengths);
  assert.ok(allWritten(out.data as Float32Array));
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(out.data[i] - want[i]) < 1e-6, `output ${i}`);
  // Padding never counts: changing it changes nothing.
  const noisy = x.slice();
  for (let b = 0; b < B; b++) for (let t = 0; t < T - lengths[b]; t++) for (let f = 0; f < F; f++) noisy[(b * T + t) * F + f] = 99;
  const again = await new GlobalAveragePooling1D().forward({ data: noisy, shape: [B, T, F], lengths }, { ...TRAIN, training: false });
  assert.equal(again.data, out.data);

  const g = randomF32(r, B * F);
  const dX = (await pool.backward(g, true)) as Float32Array;
  assert.is(dX.length, B * T * F);
  const fd = numericGrad((v) => averageRef(v, B, T, F, lengths).reduce((a, y, i) => a + y * g[i], 0), Float64Array.from(x));
  assert.ok(gradRelErr(dX, fd) < 1e-4, `gradient error ${gradRelErr(dX, fd)}`);
  // Without lengths every step counts.
  const full = await pool.forward({ data: x, shape: [B, T, F], lengths: null }, TRAIN);
  const fullWant = averageRef(x, B, T, F, Int32Array.from({ length: B }, () => T));
  for (let i = 0; i < fullWant.length; i++) assert.ok(Math.abs(full.data[i] - fullWant[i]) < 1e-6);
  await pool.backward(g, false);
  await rejectsError(() => pool.backward(g, true), Error, /without a training forward/);
  throwsError(() => new Sequential([new Dense(2, { inputShape: [3] }), new GlobalAveragePooling1D()]).build(), RangeError, /GlobalAveragePooling1D: input must be \[batch, time, features\]/);
});

test('Concatenate([average, max]): outputs side by side, gradients through both, save/load', async () => {
  const r = rng(12);
  const B = 4, T = 6, V = 9, H = 5;
  const ids = randomInts(r, B * T, V);
  const lengths = Int32Array.of(6, 2, 0, 4);
  const x = { tokens: tensor(ids, [B, T]), lengths };
  const seqOf = (head: () => Layer) =>
    new Sequential([new Embedding(V, 3), new LSTM(H, { returnSequences: true }), head()], { seed: 3 });
  const avg = await seqOf(() => new GlobalAveragePooling1D()).predict(x);
  const max = await seqOf(() => new GlobalMaxPooling1D()).predict(x);
  const both = seqOf(() => new Concatenate([new GlobalAveragePooling1D(), new GlobalMaxPooling1D()]));
  const got = await both.predict(x);
  assert.equal(got.shape, [B, 2 * H]);
  for (let b = 0; b < B; b++) {
    assert.equal(got.data.subarray(b * 2 * H, b * 2 * H + H), avg.data.subarray(b * H, (b + 1) * H), `row ${b} average`);
    assert.equal(got.data.subarray(b * 2 * H + H, (b + 1) * 2 * H), max.data.subarray(b * H, (b + 1) * H), `row ${b} max`);
  }

  // Weighted branches: each keeps its own weights, and the input gradients of both add up.
  const m = new Sequential([
    new Embedding(V, 3), new LSTM(4, { returnSequences: true }),
    new Concatenate([new GlobalAveragePooling1D(), new LSTM(2), new GlobalMaxPooling1D()]),
    new Dropout(0.2), new Dense(1, { activation: 'sigmoid' }),
  ], { seed: 7 });
  m.compile({ loss: 'binary_crossentropy' });
  await gradCheck(m, x, Float32Array.of(1, 0, 1, 1), 'concatenate(average, max)', 5e-4);
  assert.ok(m.summary().includes('Concatenate'));

  const dir = mkdtempSync(join(tmpdir(), 'vigil-concat-'));
  try {
    await m.save(join(dir, 'm.vgm'));
    const { model } = await Sequential.load(join(dir, 'm.vgm'));
    assert.equal((await model.predict(x)).data, (await m.predict(x)).data);
    assert.is(model.countParams(), m.countParams());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  throwsError(() => new Concatenate([new GlobalMaxPooling1D()]), TypeError, /at least 2 layers/);
  const p = new GlobalMaxPooling1D();
  throwsError(() => new Concatenate([p, p]), TypeError, /same layer/);
  throwsError(() => new Concatenate([new GlobalMaxPooling1D(), 'x' as never]), TypeError, /branches\[1\] must be a layer/);
  throwsError(() => new Sequential([new Embedding(V, 3), new LSTM(4, { returnSequences: true }),
    new Concatenate([new GlobalMaxPooling1D(), new LSTM(2, { returnSequences: true })])]).build(), RangeError, /differ only in their last axis/);
  throwsError(() => layerFromConfig('Concatenate', { branches: 3 }), TypeError, /branches must be/);
  throwsError(() => layerFromConfig('Concatenate', { branches: [{ className: 'Nope', config: {} }, { className: 'Flatten', config: {} }] }), RangeError, /unknown layer class/);
});

test('predict fuses a returnSequences recurrent layer with the GlobalMaxPooling1D after it: same bits as the layers one by one', async () => {
  const r = rng(13);
  const B = 9, T = 7, V = 6, I = 3;
  const ids = randomInts(r, B * T, V);
  const lengths = Int32Array.of(7, 0, 3, 1, 7, 5, 2, 6, 4);
  const feats = randomF32(r, B * T * I);
  const models: Array<[string, Sequential, { tokens: ReturnType<typeof tensor>; lengths: Int32Array } | ReturnType<typeof tensor>]> = [
    ['embedding lstm', new Sequential([new Embedding(V, 4), new LSTM(19, { returnSequences: true }), new GlobalMaxPooling1D(),
      new Dense(2)], { seed: 4 }), { tokens: tensor(ids, [B, T]), lengths }],
    ['embedding simple rnn', new Sequential([new Embedding(V, 4), new SimpleRNN(17, { returnSequences: true }), new GlobalMaxPooling1D()],
      { seed: 5 }), { tokens: tensor(ids, [B, T]), lengths }],
    ['dense lstm', new Sequential([new LSTM(21, { returnSequences: true, inputShape: [T, I] }), new GlobalMaxPooling1D()], { seed: 6 }),
      tensor(feats, [B, T, I])],
  ];
  for (const [name, m, x] of models) {
    const got = await m.predict(x, { batchSize: 4 });
    // The same batches through each layer's own forward (the pooling scans the [B, T, H] output).
    const eval0 = { training: false, seed: 0, stream: 0 };
    for (let b0 = 0; b0 < B; b0 += 4) {
      const n = Math.min(4, B - b0);
      const tokens = 'tokens' in x;
      const data = tokens ? ids.slice(b0 * T, (b0 + n) * T) : feats.slice(b0 * T * I, (b0 + n) * T * I);
      let f = { data, shape: tokens ? [n, T] : [n, T, I], lengths: tokens ? lengths.slice(b0, b0 + n) : null } as Parameters<Layer['forward']>[0];
      for (const l of m.layers) f = await l.forward(f, eval0);
      const want = f.data as Float32Array;
      assert.ok(allWritten(got.data.subarray(b0 * want.length / n, (b0 + n) * want.length / n)), `${name}: written`);
      assert.equal(got.data.subarray(b0 * want.length / n, (b0 + n) * want.length / n), want, `${name}: rows ${b0}..${b0 + n}`);
    }
  }
});

test('GlobalMaxPooling1D: the first maximum wins ties, NaN sticks, the gradient goes to the winning step', async () => {
  const B = 2, T = 4, F = 3;
  // Row 0: feature 0 ties at steps 1 and 3, feature 1 has a NaN at step 2, feature 2 rises.
  // Row 1 (length 2, 'pre' padding): the padded steps hold larger values that must not count.
  const x = Float32Array.of(
    0, 1, 1, /**/ 5, 2, 2, /**/ 1, Number.NaN, 3, /**/ 5, 9, 4,
    99, 99, 99, /**/ 99, 99, 99, /**/ -1, -2, -3, /**/ -4, -1, -5);
  const pool = new GlobalMaxPooling1D();
  pool.build([null, F], 0, 1);
  const out = await pool.forward({ data: x, shape: [B, T, F], lengths: Int32Array.of(4, 2) }, TRAIN);
  assert.equal(Array.from(out.data), [5, Number.NaN, 4, -1, -1, -3]);
  const dX = (await pool.backward(Float32Array.of(1, 2, 3, 4, 5, 6), true)) as Float32Array;
  const want = new Float32Array(B * T * F);
  want[1 * F + 0] = 1; // the first 5
  want[2 * F + 1] = 2; // the NaN
  want[3 * F + 2] = 3;
  want[(T + 2) * F + 0] = 4;
  want[(T + 3) * F + 1] = 5;
  want[(T + 2) * F + 2] = 6;
  assert.equal(dX, want);
});

test.run();
