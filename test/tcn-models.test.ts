// The ready-made TCN classifiers: layer stacks and Keras parameter counts, learning a seeded
// sequence-classification task, the TcnClassifier file round trip, and bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequential } from '../ts/models/sequential.ts';
import { ModelFileError } from '../ts/models/serialize.ts';
import { dilatedTcnClassifier, edTcnClassifier, TcnClassifier } from '../ts/models/tcn_models.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { detached, detachedI32, rng } from './helpers/random.ts';

/**
 * n sequences [T, C] of three classes: a sine of 1, 2 or 4 periods over the window (random phase
 * and amplitude) in channel 0, plus noise in every channel. Labels cycle so every class is present.
 */
function waves(n: number, T: number, C: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = rng(seed);
  const x = new Float32Array(n * T * C), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cls = (i * 7 + Math.floor(r() * 3)) % 3;
    y[i] = cls;
    const periods = [1, 2, 4][cls], phase = 2 * Math.PI * r(), amp = 0.5 + r();
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < C; c++) {
        const noise = 0.3 * (r() - 0.5);
        x[(i * T + t) * C + c] = (c === 0 ? amp * Math.sin(phase + (2 * Math.PI * periods * t) / T) : 0) + noise + 5;
      }
    }
  }
  return { x, y };
}

const accuracy = (p: Int32Array, y: Int32Array) => p.reduce((s, v, i) => s + (v === y[i] ? 1 : 0), 0) / y.length;

test('dilatedTcnClassifier: the book layout and Keras parameter counts', () => {
  const m = dilatedTcnClassifier({ timesteps: 31, channels: 1, classes: 2 });
  assert.equal(m.layers.map((l) => l.className), [
    'Conv1D', 'SpatialDropout1D', 'Conv1D', 'SpatialDropout1D', 'Conv1D', 'SpatialDropout1D', 'Conv1D', 'SpatialDropout1D', 'Flatten', 'Dense',
  ]);
  const convs = m.layers.filter((l) => l.className === 'Conv1D').map((l) => l.getConfig());
  assert.equal(convs.map((c) => c.dilationRate), [1, 2, 4, 8]);
  assert.ok(convs.every((c) => c.padding === 'causal' && c.activation === 'relu' && (c.kernelRegularizer as { l2: number }).l2 === 0.01));
  // Keras: conv1 (2*1*128 + 128) = 384, three (2*128*128 + 128) = 32,896 each, dense 31*128*2 + 2 = 7,938.
  assert.is(m.countParams(), 384 + 3 * 32_896 + 7_938);
  assert.equal(m.layers.at(-1)!.outputShape, [2]);
  const small = dilatedTcnClassifier({ timesteps: 5, channels: 3, classes: 4, filters: 6, kernelSize: 3, dilations: [1, 3], l2: 0, spatialDropout: 0 });
  assert.is(small.countParams(), (3 * 3 * 6 + 6) + (3 * 6 * 6 + 6) + (5 * 6 * 4 + 4));
  assert.is(small.layers[0].getConfig().kernelRegularizer, null);
});

test('edTcnClassifier: encoder-decoder layout, shapes through the levels, parameter counts', () => {
  const m = edTcnClassifier({ timesteps: 31, channels: 1, classes: 2 });
  assert.equal(m.layers.map((l) => l.className), [
    'Conv1D', 'SpatialDropout1D', 'MaxPooling1D', 'Conv1D', 'SpatialDropout1D', 'MaxPooling1D',
    'UpSampling1D', 'Conv1D', 'SpatialDropout1D', 'UpSampling1D', 'Conv1D', 'SpatialDropout1D', 'Flatten', 'Dense',
  ]);
  // 'same' pooling: 31 -> pool 16 -> pool 8 -> up 16 -> up 32 steps; decoder filters mirror the encoder (96 then 64).
  assert.equal(m.layers[2].outputShape, [16, 64]);
  assert.equal(m.layers[5].outputShape, [8, 96]);
  assert.equal(m.layers[8].outputShape, [16, 96]);
  assert.equal(m.layers[11].outputShape, [32, 64]);
  const p = (k: number, cin: number, f: number) => k * cin * f + f;
  assert.is(m.countParams(), p(3, 1, 64) + p(3, 64, 96) + p(3, 96, 96) + p(3, 96, 64) + (32 * 64 * 2 + 2));
  // 'valid' pooling (Keras' default): 31 -> 15 -> 7 -> 14 -> 28.
  const v = edTcnClassifier({ timesteps: 31, channels: 1, classes: 2, poolPadding: 'valid' });
  assert.equal([2, 5, 8, 11].map((i) => v.layers[i].outputShape), [[15, 64], [7, 96], [14, 96], [28, 64]]);
  assert.is(v.countParams(), p(3, 1, 64) + p(3, 64, 96) + p(3, 96, 96) + p(3, 96, 64) + (28 * 64 * 2 + 2));
  throwsError(() => edTcnClassifier({ timesteps: 31, channels: 1, classes: 2, poolPadding: 'causal' as never }), RangeError, /poolPadding/);
  throwsError(() => edTcnClassifier({ timesteps: 3, channels: 1, classes: 2 }), RangeError, /timesteps must be at least 4/);
});

test('edTcnClassifier: \'same\' pooling keeps the last steps of an odd length in play, \'valid\' drops them', async () => {
  // 30 steps: the second 'valid' pooling drops the 15th pooled step, the only one that has seen steps 29 and 30.
  const x = { data: Float32Array.from({ length: 30 }, (_, i) => Math.sin(i)), shape: [1, 30, 1] };
  const changed = { data: Float32Array.from(x.data), shape: [1, 30, 1] };
  changed.data[29] += 5;
  changed.data[28] -= 5;
  for (const [poolPadding, moves] of [['same', true], ['valid', false]] as const) {
    const m = edTcnClassifier({ timesteps: 30, channels: 1, classes: 2, poolPadding, seed: 3 });
    const a = await m.predict(x);
    const b = await m.predict(changed);
    assert.is(Math.abs(a.data[1] - b.data[1]) > 1e-6, moves, `${poolPadding}: ${a.data[1]} vs ${b.data[1]}`);
  }
});

test('TcnClassifier (dilated) learns a seeded 3-class wave task well above chance', async () => {
  const T = 16, C = 2;
  const train = waves(240, T, C, 1), held = waves(90, T, C, 2);
  const clf = new TcnClassifier({ filters: 8, dilations: [1, 2, 4], spatialDropout: 0.05, seed: 3 });
  const seen: number[] = [];
  const order: string[] = [];
  const h = await clf.fit({ data: train.x, shape: [240, T, C] }, train.y, {
    epochs: 25, batchSize: 16, onEpochEnd: (e) => void seen.push(e), callbacks: [{ onEpochEnd: (e) => void order.push(`cb${e}`, `seen${seen.length}`) }],
  });
  assert.is(h.epochs.length, 25);
  assert.equal(seen, Array.from({ length: 25 }, (_, i) => i));
  assert.equal(order.slice(0, 4), ['cb0', 'seen0', 'cb1', 'seen1'], 'callbacks run before onEpochEnd');
  assert.ok(h.epochs[24].loss < h.epochs[0].loss, `loss ${h.epochs[0].loss} -> ${h.epochs[24].loss}`);
  const acc = accuracy(await clf.predict({ data: held.x, shape: [90, T, C] }), held.y);
  assert.ok(acc > 0.7, `held-out accuracy ${acc} (chance 0.33)`);
  const proba = await clf.predictProba({ data: held.x, shape: [90, T, C] });
  assert.equal(proba.shape, [90, 3]);
  for (let i = 0; i < 90; i++) assert.ok(Math.abs(proba.data[3 * i] + proba.data[3 * i + 1] + proba.data[3 * i + 2] - 1) < 1e-5);
});

test('TcnClassifier (ed) learns the task from [n, T] input and round-trips through a file', async () => {
  const T = 16;
  const train = waves(240, T, 1, 4), held = waves(90, T, 1, 5);
  const clf = new TcnClassifier({ kind: 'ed', filters: [8, 12], kernelSize: 3, spatialDropout: 0.1, seed: 1 });
  const h = await clf.fit({ data: train.x, shape: [240, T] }, Array.from(train.y), { epochs: 25, batchSize: 16, validationSplit: 0.1 });
  assert.ok(h.epochs[24].valLoss !== undefined);
  const x = { data: held.x, shape: [90, T] };
  const acc = accuracy(await clf.predict(x), held.y);
  assert.ok(acc > 0.7, `held-out accuracy ${acc} (chance 0.33)`);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tcn-'));
  try {
    const path = join(dir, 'ed.vigil');
    await clf.save(path);
    const back = await TcnClassifier.load(path);
    assert.is(back.kind, 'ed');
    assert.equal((await back.predictProba(x)).data, (await clf.predictProba(x)).data);
    // A plain Sequential file is not a TcnClassifier.
    const plain = join(dir, 'plain.vigil');
    await dilatedTcnClassifier({ timesteps: 4, channels: 1, classes: 2, filters: 2 }).save(plain);
    await rejectsError(TcnClassifier.load(plain), ModelFileError, /no TcnClassifier state/);
    const loaded = await Sequential.load(path);
    assert.ok(loaded.preprocessing?.extra?.tcnClassifier);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TcnClassifier and the builders: bad input', async () => {
  throwsError(() => dilatedTcnClassifier(null as never), TypeError, /options must be an object/);
  throwsError(() => dilatedTcnClassifier({ timesteps: 0, channels: 1, classes: 2 }), RangeError, /timesteps/);
  throwsError(() => dilatedTcnClassifier({ timesteps: 8, channels: 1, classes: 1 }), RangeError, /classes/);
  throwsError(() => dilatedTcnClassifier({ timesteps: 8, channels: 1, classes: 2, dilations: [] }), TypeError, /dilations/);
  throwsError(() => dilatedTcnClassifier({ timesteps: 8, channels: 1, classes: 2, dilations: [1, 0] }), RangeError, /dilations\[1\]/);
  throwsError(() => dilatedTcnClassifier({ timesteps: 8, channels: 1, classes: 2, l2: -1 }), RangeError, /l2/);
  throwsError(() => dilatedTcnClassifier({ timesteps: 8, channels: 1, classes: 2, spatialDropout: 1.5 }), RangeError, /rate/);
  throwsError(() => edTcnClassifier({ timesteps: 8, channels: 1, classes: 2, filters: [4, 2.5] }), RangeError, /filters\[1\]/);
  throwsError(() => new TcnClassifier({ kind: 'wavenet' } as never), RangeError, /kind/);
  throwsError(() => new TcnClassifier({ filters: 0 }), RangeError, /filters/);
  const clf = new TcnClassifier({ filters: 2, dilations: [1] });
  const x = { data: new Float32Array(4 * 3 * 2).fill(0.5).map((v, i) => v + i), shape: [4, 3, 2] };
  await rejectsError(clf.predictProba(x), Error, /not fitted/);
  await rejectsError(clf.save('/tmp/never.vigil'), Error, /not fitted/);
  await rejectsError(clf.fit({ data: [1, 2] } as never, [0, 1]), TypeError, /x must be a tensor/);
  await rejectsError(clf.fit({ data: x.data, shape: [4, 3, 3] }, [0, 1, 0, 1]), RangeError, /values/);
  await rejectsError(clf.fit({ data: x.data, shape: [24] }, [0, 1, 0, 1]), RangeError, /shape/);
  await rejectsError(clf.fit(x, [0, 1, 0]), RangeError, /3 labels/);
  await rejectsError(clf.fit(x, [0, 1, -1, 0]), RangeError, /integers >= 0/);
  await rejectsError(clf.fit(x, [0, 1, 0.5, 0]), RangeError, /integers >= 0/);
  await rejectsError(clf.fit(x, 'labels' as never), TypeError, /y must be/);
  await rejectsError(clf.fit({ data: detached(24), shape: [4, 3, 2] }, [0, 1, 0, 1]), TypeError, /x\.data is backed by a detached ArrayBuffer/);
  await rejectsError(clf.fit(x, detachedI32(4)), TypeError, /y is backed by a detached ArrayBuffer/);
  // Non-finite values are named by sequence, step and channel (x is [4, 3, 2]: flat index 17 is [2][2][1]).
  const bad = Float32Array.from(x.data);
  bad[17] = NaN;
  await rejectsError(clf.fit({ data: bad, shape: [4, 3, 2] }, [0, 1, 0, 1]), RangeError, /TcnClassifier\.fit: x\[2\]\[2\]\[1\] is NaN: values must be finite/);
  bad[17] = -Infinity;
  await rejectsError(new TcnClassifier({ filters: 2, dilations: [1], standardize: false }).fit({ data: bad, shape: [4, 3, 2] }, [0, 1, 0, 1]), RangeError, /x\[2\]\[2\]\[1\] is -Infinity/);
  await rejectsError(clf.fit(x, [0, 1, 0, 1], { callbacks: {} as never }), TypeError, /callbacks must be an array/);
  await rejectsError(new TcnClassifier({ filters: 2, dilations: [1], classes: 2 }).fit(x, [0, 1, 2, 0]), RangeError, /label 2/);
  await clf.fit(x, [0, 1, 0, 1], { epochs: 1 });
  await rejectsError(clf.predictProba({ data: new Float32Array(4 * 4 * 2), shape: [4, 4, 2] }), RangeError, /as fitted/);
  await rejectsError(clf.predictProba({ data: bad, shape: [4, 3, 2] }), RangeError, /TcnClassifier\.predictProba: x\[2\]\[2\]\[1\] is -Infinity/);
  // A failed refit keeps the fitted model; a good one may change the shape.
  await rejectsError(clf.fit({ data: new Float32Array(4 * 4 * 2), shape: [4, 4, 2] }, [0, 1]), RangeError, /2 labels/);
  assert.equal((await clf.predictProba(x)).shape, [4, 2]);
  await clf.fit({ data: new Float32Array(4 * 4 * 2).map((_, i) => i % 5), shape: [4, 4, 2] }, [0, 1, 0, 1], { epochs: 1 });
  assert.equal((await clf.predictProba({ data: new Float32Array(8).fill(1), shape: [1, 4, 2] })).shape, [1, 2]);
  throwsError(() => new TcnClassifier({ standardize: 'yes' as never }), TypeError, /standardize must be a boolean/);
});

test('TcnClassifier standardize: false feeds the values as given, through fit, predict and a file; classWeight reaches fit', async () => {
  const T = 6;
  const { x, y } = waves(40, T, 1, 8);
  const input = { data: x, shape: [40, T] };
  const raw = new TcnClassifier({ filters: 4, dilations: [1, 2], standardize: false, seed: 2 });
  await raw.fit(input, y, { epochs: 2, batchSize: 8 });
  assert.equal(Array.from(raw.scaler!.transform({ data: x.subarray(0, T), shape: [1, T] }).data), Array.from(x.subarray(0, T)));
  const scaled = new TcnClassifier({ filters: 4, dilations: [1, 2], seed: 2 });
  await scaled.fit(input, y, { epochs: 2, batchSize: 8 });
  // The waves sit around 5: standardised and raw inputs train different models.
  assert.not.equal((await raw.predictProba(input)).data, (await scaled.predictProba(input)).data);
  const weighted = new TcnClassifier({ filters: 4, dilations: [1, 2], seed: 2 });
  await weighted.fit(input, y, { epochs: 2, batchSize: 8, classWeight: [1, 1, 5] });
  assert.not.equal((await weighted.predictProba(input)).data, (await scaled.predictProba(input)).data);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tcn-raw-'));
  try {
    await raw.save(join(dir, 'raw.vigil'));
    const back = await TcnClassifier.load(join(dir, 'raw.vigil'));
    assert.is(back.options.standardize, false);
    assert.equal((await back.predictProba(input)).data, (await raw.predictProba(input)).data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
