import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequential } from '../ts/models/sequential.ts';
import type { ModelInput, Targets } from '../ts/models/sequential.ts';
import { Bidirectional } from '../ts/models/layers/bidirectional.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import { Embedding } from '../ts/models/layers/embedding.ts';
import { LSTM } from '../ts/models/layers/lstm.ts';
import { SimpleRNN } from '../ts/models/layers/simple_rnn.ts';
import { GlobalMaxPooling1D } from '../ts/models/layers/pooling.ts';
import { layerFromConfig } from '../ts/models/layers/registry.ts';
import { tensor } from '../ts/models/tensor.ts';
import { maxRelErr, randomInts, rng } from './helpers/random.ts';
import { throwsError } from './helpers/errors.ts';

// Same central-difference check as layers.test.ts: a sample of every weight against the backward.
async function gradCheck(m: Sequential, x: ModelInput, y: Targets, label: string, eps = 1e-2, perWeight = 6): Promise<void> {
  const r = rng(77);
  const { loss, grads } = await m.lossAndGradients(x, y);
  assert.ok(Number.isFinite(loss), `${label}: loss ${loss}`);
  const weights = m.layers.flatMap((l) => l.weights);
  let worst = 0, where = '';
  for (let k = 0; k < weights.length; k++) {
    const w = weights[k].value;
    for (let s = 0; s < Math.min(perWeight, w.length); s++) {
      const i = Math.floor(r() * w.length);
      const keep = w[i];
      const at = async (v: number) => {
        w[i] = v;
        for (const l of m.layers) l.weightsChanged();
        return (await m.lossAndGradients(x, y)).loss;
      };
      const fd = ((await at(keep + eps)) - (await at(keep - eps))) / (2 * eps);
      await at(keep);
      const g = grads[k][i];
      const err = Math.abs(fd - g) / Math.max(Math.abs(fd), Math.abs(g), 1e-2);
      if (err > worst) [worst, where] = [err, `${weights[k].name}[${i}] of weight ${k}: fd ${fd} vs ${g}`];
    }
  }
  assert.ok(worst < 2e-2, `${label}: worst relative error ${worst} at ${where}`);
}

test('parameter counts and output shapes equal Keras (2x the wrapped LSTM)', () => {
  const m = new Sequential([new Embedding(64, 32), new Bidirectional(new LSTM(64)), new Dense(1, { activation: 'sigmoid' })]);
  m.build();
  assert.equal(m.layers.map((l) => l.countParams()), [2048, 49664, 129]);
  assert.equal(m.layers[1].outputShape, [128]);
  assert.match(m.summary(), /bidirectional \(Bidirectional\)\s*\(None, 128\)\s+49,664/);
  const s = new Sequential([new Embedding(10, 4), new Bidirectional(new LSTM(8, { returnSequences: true }), { mergeMode: 'sum' }), new LSTM(3)]);
  s.build();
  assert.equal(s.layers[1].outputShape, [null, 8]);
  assert.equal(s.layers.map((l) => l.countParams()), [40, 2 * 4 * 8 * (4 + 8 + 1), 4 * 3 * (8 + 3 + 1)]);
  assert.equal(m.layers[1].weights.map((w) => w.name), [
    'forward_lstm/kernel', 'forward_lstm/recurrent_kernel', 'forward_lstm/bias',
    'backward_lstm/kernel', 'backward_lstm/recurrent_kernel', 'backward_lstm/bias',
  ]);
});

test('forward: [LSTM over each sequence, LSTM over its valid part reversed], padding left in place', async () => {
  const r = rng(3);
  const B = 5, T = 7, V = 11, H = 6;
  const lengths = Int32Array.of(7, 4, 1, 0, 5);
  const ids = randomInts(r, B * T, V);
  for (let b = 0; b < B; b++) for (let t = 0; t < T - lengths[b]; t++) ids[b * T + t] = 0;
  // Each row's valid part reversed, still 'pre'-padded.
  const rev = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const L = lengths[b];
    for (let k = 0; k < L; k++) rev[b * T + T - L + k] = ids[b * T + T - 1 - k];
  }
  for (const returnSequences of [false, true]) {
    const bi = new Sequential([new Embedding(V, 4), new Bidirectional(new LSTM(H, { returnSequences }))], { seed: 9 });
    bi.build();
    const [emb, fk, fr, fb, bk, br, bb] = bi.getWeights();
    const one = (k: Float32Array, rk: Float32Array, bias: Float32Array) => {
      const m = new Sequential([new Embedding(V, 4), new LSTM(H, { returnSequences })]);
      m.build();
      m.setWeights([emb, k, rk, bias]);
      return m;
    };
    const got = (await bi.predict({ tokens: tensor(ids, [B, T]), lengths })).data;
    const f = (await one(fk, fr, fb).predict({ tokens: tensor(ids, [B, T]), lengths })).data;
    const g = (await one(bk, br, bb).predict({ tokens: tensor(rev, [B, T]), lengths })).data;
    const want = new Float32Array(got.length);
    if (!returnSequences) {
      for (let b = 0; b < B; b++) {
        want.set(f.subarray(b * H, (b + 1) * H), 2 * b * H);
        want.set(g.subarray(b * H, (b + 1) * H), (2 * b + 1) * H);
      }
    } else {
      for (let b = 0; b < B; b++) {
        const L = lengths[b];
        for (let t = 0; t < T; t++) {
          const mirror = t < T - L ? t : 2 * T - L - 1 - t;
          want.set(f.subarray((b * T + t) * H, (b * T + t + 1) * H), (b * T + t) * 2 * H);
          want.set(g.subarray((b * T + mirror) * H, (b * T + mirror + 1) * H), (b * T + t) * 2 * H + H);
        }
      }
    }
    assert.ok(maxRelErr(got, want) < 1e-5, `returnSequences ${returnSequences}: ${maxRelErr(got, want)}`);
    // A row with no valid steps outputs zeros in both directions.
    if (!returnSequences) assert.ok(got.subarray(3 * 2 * H, 4 * 2 * H).every((v) => v === 0));
  }
});

test('gradient check: Embedding -> Bidirectional(LSTM) -> Dense(sigmoid) + BCE, lengths < time', async () => {
  const r = rng(1);
  const B = 5, T = 6, V = 9;
  const m = new Sequential([new Embedding(V, 5), new Bidirectional(new LSTM(7)), new Dense(1, { activation: 'sigmoid' })], { seed: 3 });
  m.compile({ loss: 'binary_crossentropy', optimizer: 'adam' });
  const x = { tokens: tensor(randomInts(r, B * T, V), [B, T]), lengths: Int32Array.of(6, 3, 1, 0, 5) };
  await gradCheck(m, x, Float32Array.of(1, 0, 1, 0, 1), 'bidirectional concat');
});

test('gradient check: Bidirectional(LSTM, returnSequences, sum) -> LSTM and Bidirectional(SimpleRNN, ave), batch 1, time 1', async () => {
  const r = rng(2);
  const B = 4, T = 5, V = 7;
  const m = new Sequential([
    new Embedding(V, 3), new Bidirectional(new LSTM(5, { returnSequences: true, recurrentDropout: 0.3 }), { mergeMode: 'sum' }),
    new LSTM(3), new Dense(3, { activation: 'softmax' }),
  ], { seed: 5 });
  m.compile({ loss: 'sparse_categorical_crossentropy' });
  await gradCheck(m, { tokens: tensor(randomInts(r, B * T, V), [B, T]), lengths: Int32Array.of(5, 2, 4, 1) }, Int32Array.of(0, 2, 1, 2), 'sequences');
  const s = new Sequential([new Embedding(V, 3), new Bidirectional(new SimpleRNN(3), { mergeMode: 'ave' }), new Dense(1)], { seed: 6 });
  s.compile({ loss: 'mse' });
  await gradCheck(s, tensor(Int32Array.of(4), [1, 1]), Float32Array.of(0.7), 'batch 1, time 1');
});

test('save/load round trip: same config, weights and predictions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bi-'));
  try {
    const r = rng(4);
    const B = 6, T = 8, V = 10;
    const m = new Sequential([new Embedding(V, 4), new Bidirectional(new LSTM(5)), new Dense(1, { activation: 'sigmoid' })], { seed: 2 });
    m.compile({ loss: 'binary_crossentropy', optimizer: { name: 'adam', globalClipnorm: 1 } });
    const x = { tokens: tensor(randomInts(r, B * T, V), [B, T]), lengths: Int32Array.of(8, 2, 5, 1, 7, 3) };
    await m.fit(x, Float32Array.of(1, 0, 1, 0, 1, 0), { epochs: 2, batchSize: 3 });
    const path = join(dir, 'bi.vgm');
    await m.save(path);
    const { model } = await Sequential.load(path);
    assert.equal(model.layers.map((l) => l.getConfig()), m.layers.map((l) => l.getConfig()));
    assert.equal(model.getWeights(), m.getWeights());
    assert.equal((await model.predict(x)).data, (await m.predict(x)).data);
    const again = layerFromConfig('Bidirectional', m.layers[1].getConfig());
    assert.ok(again instanceof Bidirectional && !again.isBuilt);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad arguments and configs throw TypeError / RangeError', () => {
  throwsError(() => new Bidirectional(new Dense(3) as never), TypeError, /recurrent layer/);
  throwsError(() => new Bidirectional(new LSTM(3), { mergeMode: 'mul' as never }), RangeError, /mergeMode/);
  throwsError(() => new Bidirectional(new LSTM(3), { mergeMode: 3 as never }), TypeError, /mergeMode/);
  throwsError(() => new Bidirectional(new LSTM(3), 'x' as never), TypeError, /options/);
  const used = new LSTM(3, { inputShape: [4, 2] });
  used.build([4, 2], 0, 1);
  throwsError(() => new Bidirectional(used), TypeError, /unbuilt/);
  throwsError(() => layerFromConfig('Bidirectional', { layer: null, mergeMode: 'concat', inputShape: null }), TypeError, /layer must be/);
  throwsError(() => layerFromConfig('Bidirectional', {
    layer: { className: 'Dense', config: { units: 2, activation: 'linear', useBias: true, inputShape: null } }, mergeMode: 'concat', inputShape: null,
  }), TypeError, /recurrent/);
});

test('GlobalMaxPooling1D: max over the valid steps only (0 for an empty row), gradients, save/load', async () => {
  const r = rng(5);
  const B = 4, T = 6, V = 8, H = 5;
  const ids = randomInts(r, B * T, V);
  const lengths = Int32Array.of(6, 2, 0, 4);
  const seq = new Sequential([new Embedding(V, 3), new LSTM(H, { returnSequences: true })], { seed: 1 });
  seq.build();
  const pooled = new Sequential([new Embedding(V, 3), new LSTM(H, { returnSequences: true }), new GlobalMaxPooling1D()], { seed: 1 });
  pooled.build();
  assert.equal(pooled.layers.map((l) => l.countParams()), [24, 4 * H * (3 + H + 1), 0]);
  const all = (await seq.predict({ tokens: tensor(ids, [B, T]), lengths })).data;
  const got = (await pooled.predict({ tokens: tensor(ids, [B, T]), lengths })).data;
  for (let b = 0; b < B; b++) {
    for (let f = 0; f < H; f++) {
      let want = lengths[b] ? -Infinity : 0;
      for (let t = T - lengths[b]; t < T; t++) want = Math.max(want, all[(b * T + t) * H + f]);
      assert.is(got[b * H + f], Math.fround(want), `row ${b} feature ${f}`);
    }
  }
  const m = new Sequential([
    new Embedding(V, 3), new Bidirectional(new LSTM(4, { returnSequences: true })), new GlobalMaxPooling1D(), new Dense(1, { activation: 'sigmoid' }),
  ], { seed: 7 });
  m.compile({ loss: 'binary_crossentropy' });
  const x = { tokens: tensor(ids, [B, T]), lengths };
  // A smaller step than elsewhere: the max has kinks where the winning step changes.
  await gradCheck(m, x, Float32Array.of(1, 0, 1, 1), 'bidirectional + max pooling', 5e-4);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-gmp-'));
  try {
    await m.save(join(dir, 'm.vgm'));
    const { model } = await Sequential.load(join(dir, 'm.vgm'));
    assert.equal((await model.predict(x)).data, (await m.predict(x)).data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  throwsError(() => new Sequential([new Dense(2, { inputShape: [3] }), new GlobalMaxPooling1D()]).build(), RangeError, /\[batch, time, features\]/);
});

test.run();
