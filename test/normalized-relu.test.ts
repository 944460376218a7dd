// NormalizedReLU (Lea et al.'s ED-TCN activation): forward and input gradient against a float64
// reference, weight gradients through a model, steps without a positive value, padded steps, the
// config round trip, the ED-TCN option, and bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Conv1D } from '../ts/models/layers/conv1d.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import { Flatten } from '../ts/models/layers/flatten.ts';
import { NormalizedReLU } from '../ts/models/layers/normalized_relu.ts';
import { layerFromConfig } from '../ts/models/layers/registry.ts';
import { Sequential } from '../ts/models/sequential.ts';
import { edTcnClassifier } from '../ts/models/tcn_models.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { gradRelErr, numericGrad, randomF32, randomInts, rng } from './helpers/random.ts';

const TRAIN = { training: true, seed: 0, stream: 0 };

// Float64 reference, written from the definition: relu(x) / (max over the last axis of relu(x) + eps).
function reference(x: ArrayLike<number>, C: number, eps = 1e-5): Float64Array {
  const y = new Float64Array(x.length);
  for (let o = 0; o < x.length; o += C) {
    const r = Array.from({ length: C }, (_, c) => Math.max(0, x[o + c]));
    const m = Math.max(...r);
    for (let c = 0; c < C; c++) y[o + c] = r[c] / (m + eps);
  }
  return y;
}

test('NormalizedReLU: forward and input gradient match a float64 reference; each step on its own', async () => {
  const r = rng(5);
  const B = 3, T = 6, C = 5;
  const x = randomF32(r, B * T * C);
  // A step with no positive value and one with a single one.
  x.fill(-0.5, 2 * C, 3 * C);
  x.fill(-0.25, 4 * C, 5 * C);
  x[4 * C + 2] = 0.3;
  const layer = new NormalizedReLU();
  assert.equal(layer.build([T, C]), [T, C]);
  const out = await layer.forward({ data: x, shape: [B, T, C], lengths: null }, TRAIN);
  assert.equal(out.shape, [B, T, C]);
  const want = reference(x, C);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(out.data[i] - want[i]) < 1e-6, `output ${i}: ${out.data[i]} vs ${want[i]}`);
  assert.equal(Array.from(out.data.subarray(2 * C, 3 * C)), [0, 0, 0, 0, 0]);
  // The strongest channel of a step reads just under 1.
  assert.ok(Math.abs(out.data[4 * C + 2] - 0.3 / (0.3 + 1e-5)) < 1e-7);

  const g = randomF32(r, B * T * C);
  const dX = (await layer.backward(g, true)) as Float32Array;
  const fd = numericGrad((v) => reference(v, C).reduce((a, y, i) => a + y * g[i], 0), Float64Array.from(x));
  assert.ok(gradRelErr(dX, fd) < 1e-4, `gradient error ${gradRelErr(dX, fd)}`);
  // No positive value: no gradient at all.
  assert.equal(Array.from(dX.subarray(2 * C, 3 * C)), [0, 0, 0, 0, 0]);
  await rejectsError(() => layer.backward(g, true), Error, /without a training forward/);

  // 2-D input [batch, features]: each row normalised.
  const flat = new NormalizedReLU();
  flat.build([C]);
  const y2 = await flat.forward({ data: x.subarray(0, 2 * C), shape: [2, C], lengths: null }, { ...TRAIN, training: false });
  for (let i = 0; i < 2 * C; i++) assert.ok(Math.abs(y2.data[i] - want[i]) < 1e-6);
});

test('NormalizedReLU: weight gradients of Conv1D -> NormalizedReLU -> Dense by central differences; padded steps stay apart', async () => {
  const r = rng(6);
  const B = 4, T = 7, C = 3;
  // The layer has kinks (a channel crossing 0, two channels trading the maximum; with a small
  // epsilon a step whose only positive value is tiny jumps from 0 to ~1), which central
  // differences cannot follow; the float64 test above covers them. Here every channel is kept
  // positive and channel 0 the step's maximum (small kernels, biases 3 vs about 1), so the loss is
  // smooth in every weight and the check covers the maximum's own term (- sum g y) through a model.
  const m = new Sequential([
    new Conv1D(4, 2, { padding: 'causal', inputShape: [T, C] }), new NormalizedReLU(),
    new Conv1D(3, 2, { padding: 'causal' }), new NormalizedReLU(), new Flatten(), new Dense(2, { activation: 'softmax' }),
  ], { seed: 3 });
  m.compile({ loss: 'sparse_categorical_crossentropy', optimizer: 'adam' });
  m.build();
  const [k1, b1, k2, b2] = m.layers.flatMap((l) => l.weights);
  for (const k of [k1, k2]) k.value.set(randomF32(r, k.value.length, -0.07, 0.07));
  b1.value.set([3, 1, 1.2, 0.8]);
  b2.value.set([3, 1, 1.1]);
  m.layers.forEach((l) => l.weightsChanged());
  const x = { data: randomF32(r, B * T * C), shape: [B, T, C] };
  await gradCheck(m, x, randomInts(r, B, 2), 'conv-normrelu', 1e-3);

  // Pre-padded rows: the valid steps' outputs do not depend on the padding's values.
  const lengths = Int32Array.of(7, 3, 1, 5);
  const layer = new NormalizedReLU();
  layer.build([T, 4]);
  const z = randomF32(r, B * T * 4);
  const zNoisy = Float32Array.from(z);
  for (let b = 0; b < B; b++) for (let i = 0; i < (T - lengths[b]) * 4; i++) zNoisy[b * T * 4 + i] = 99;
  const y1 = Float32Array.from((await layer.forward({ data: z, shape: [B, T, 4], lengths }, TRAIN)).data);
  const y2 = (await layer.forward({ data: zNoisy, shape: [B, T, 4], lengths }, TRAIN)).data;
  for (let b = 0; b < B; b++) {
    for (let i = (T - lengths[b]) * 4; i < T * 4; i++) assert.is(y2[b * T * 4 + i], y1[b * T * 4 + i]);
  }
});

test('NormalizedReLU: config round trip, bad input named', async () => {
  const l = layerFromConfig('NormalizedReLU', new NormalizedReLU({ epsilon: 0.01, inputShape: [null, 3] }).getConfig());
  assert.ok(l instanceof NormalizedReLU);
  assert.is((l as NormalizedReLU).epsilon, 0.01);
  assert.equal(l.inputShape, [null, 3]);
  throwsError(() => new NormalizedReLU({ epsilon: '1' as never }), TypeError, /NormalizedReLU: epsilon must be a number/);
  throwsError(() => new NormalizedReLU({ epsilon: 0 }), RangeError, /NormalizedReLU: epsilon must be a finite number > 0, got 0/);
  throwsError(() => new NormalizedReLU({ epsilon: Number.NaN }), RangeError, /epsilon/);
  throwsError(() => new NormalizedReLU(5 as never), TypeError, /NormalizedReLU: options must be an object/);
  throwsError(() => layerFromConfig('NormalizedReLU', { epsilon: 'x', inputShape: null }), TypeError, /NormalizedReLU config: epsilon must be a number/);
  throwsError(() => new NormalizedReLU().build([5, null]), RangeError, /NormalizedReLU: input must have a known last \(channel\) axis/);
  await rejectsError(() => new NormalizedReLU().forward({ data: new Int32Array(4), shape: [2, 2], lengths: null }, TRAIN), TypeError, /Float32Array/);
  // A NaN in a step makes the whole step NaN rather than a silently rescaled one.
  const nan = new NormalizedReLU();
  nan.build([3]);
  const y = await nan.forward({ data: Float32Array.of(1, Number.NaN, 2, 1, 2, 3), shape: [2, 3], lengths: null }, TRAIN);
  assert.ok(Array.from(y.data.subarray(0, 3)).every(Number.isNaN));
  assert.ok(Array.from(y.data.subarray(3)).every(Number.isFinite));
});

test('edTcnClassifier activation norm_relu: Lea et al.\'s order, file round trip, bad value', async () => {
  const m = edTcnClassifier({ timesteps: 12, channels: 2, classes: 2, filters: [4, 6], activation: 'norm_relu', seed: 9 });
  assert.equal(m.layers.map((l) => l.className), [
    'Conv1D', 'SpatialDropout1D', 'NormalizedReLU', 'MaxPooling1D', 'Conv1D', 'SpatialDropout1D', 'NormalizedReLU', 'MaxPooling1D',
    'UpSampling1D', 'Conv1D', 'SpatialDropout1D', 'NormalizedReLU', 'UpSampling1D', 'Conv1D', 'SpatialDropout1D', 'NormalizedReLU', 'Flatten', 'Dense',
  ]);
  assert.ok(m.layers.filter((l) => l.className === 'Conv1D').every((l) => l.getConfig().activation === 'linear'));
  // Same parameters as the plain-ReLU model: the normalisation has none.
  assert.is(m.countParams(), edTcnClassifier({ timesteps: 12, channels: 2, classes: 2, filters: [4, 6] }).countParams());
  const x = { data: randomF32(rng(10), 3 * 12 * 2), shape: [3, 12, 2] };
  const before = await m.predict(x);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-normrelu-'));
  try {
    await m.save(join(dir, 'm.json'));
    const { model } = await Sequential.load(join(dir, 'm.json'));
    assert.equal(Array.from((await model.predict(x)).data), Array.from(before.data));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  throwsError(() => edTcnClassifier({ timesteps: 12, channels: 1, classes: 2, activation: 'tanh' as never }), RangeError, /activation must be 'relu' or 'norm_relu'/);
});

test.run();
