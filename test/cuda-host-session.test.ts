// The device session's step logic (native/cuda/session_step.h) without a GPU: the host backend runs
// the same composition as the CUDA backend (forward, loss, backward, clipping, optimizer update,
// all in the backend's memory) through the CUDA kernels' host emulations, and a Sequential with
// device 'cuda' routes fit / evaluate / predict / trainOnBatch through it (_setSessionBackend). Each
// case trains twin models (same seed, so the same initial weights and dropout masks) on the CPU
// path and through the session, and compares losses, weights and predictions.
//
// Tolerance: the emulated kernels use expf/tanhf where the CPU's SIMD paths use their own
// polynomial exp/tanh, and the GEMMs and reductions add in other orders, so single forward values
// agree to ~1e-6 relative (test/cuda-host*.test.ts). A few optimizer steps carry those
// differences into the weights; Adam-type rules divide by the gradient's own scale, so a relative
// rounding difference of a gradient element stays relative in its update. Measured over these
// cases (6-8 steps each): epoch losses within 2e-8 and weights within 4e-7 (relative norm per
// tensor). The checks allow 1e-5 and 1e-4: the same cases run on a real GPU in cuda-parity, whose
// expf/tanhf and summation orders differ again, while a wrong sign, a missing term, a transposed
// weight or a mask from the wrong Philox stream gives errors of 1e-2 and up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NativeSession } from '../ts/bindings/session.ts';
import type { SessionSpec } from '../ts/bindings/session.ts';
import { addon } from '../ts/bindings/addon.ts';
import { setDeviceLog } from '../ts/bindings/device.ts';
import { _setSessionBackend } from '../ts/models/device_session.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import { Embedding } from '../ts/models/layers/embedding.ts';
import { LSTM } from '../ts/models/layers/lstm.ts';
import { GlobalAveragePooling1D } from '../ts/models/layers/pooling.ts';
import { EarlyStopping } from '../ts/models/callbacks.ts';
import { Sequential } from '../ts/models/sequential.ts';
import type { FitOptions } from '../ts/models/sequential.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { cases, checkFitParity, floats, relNorm, tokens, twins } from './helpers/session-cases.ts';

test.before(() => _setSessionBackend('host'));
test.after(() => _setSessionBackend(null));

test('fit through the session: the CPU fit\'s losses, metrics and weights (5 stacks)', async () => {
  for (const c of cases) await checkFitParity(c);
});

test('fit through the session with the persistent recurrent kernels (the path the GPU takes where they fit)', async () => {
  const path = addon<{ _cudaRecurrentPath(p: string): string }>()._cudaRecurrentPath;
  const before = path('persistent');
  try {
    for (const c of cases) await checkFitParity(c);
  } finally {
    path(before);
  }
});

test('trainOnBatch through the session, then setWeights: the session follows the layers', async () => {
  const c = cases[0];
  const [cpu, dev] = await twins(c);
  for (let k = 0; k < 3; k++) {
    const a = await cpu.trainOnBatch(c.x, c.y), b = await dev.trainOnBatch(c.x, c.y);
    assert.ok(Math.abs(a - b) < 1e-5, `step ${k}: ${b} vs ${a}`);
  }
  // New weights on both sides: the next session call uploads them first.
  const w = cpu.getWeights().map((v) => v.map((x) => x * 0.5));
  cpu.setWeights(w);
  dev.setWeights(w);
  const pc = await cpu.predict(c.x), pd = await dev.predict(c.x);
  assert.ok(relNorm(pd.data, pc.data) < 1e-4, `predict after setWeights ${relNorm(pd.data, pc.data)}`);
});

test('EarlyStopping with restoreBestWeights reads and restores the session\'s weights', async () => {
  const c = cases[2];
  const [cpu, dev] = await twins(c);
  const opts = (): FitOptions => ({ epochs: 4, batchSize: 3, validationSplit: 0.3, callbacks: [new EarlyStopping({ patience: 1, restoreBestWeights: true })] });
  const hc = await cpu.fit(c.x, c.y, opts());
  const hd = await dev.fit(c.x, c.y, opts());
  assert.is(hd.epochs.length, hc.epochs.length);
  cpu.getWeights().forEach((w, i) => assert.ok(relNorm(dev.getWeights()[i], w) < 1e-4, `weight ${i}`));
  // Training on after the restore continues from the restored weights on both sides.
  await cpu.fit(c.x, c.y, { epochs: 1, batchSize: 3 });
  await dev.fit(c.x, c.y, { epochs: 1, batchSize: 3 });
  cpu.getWeights().forEach((w, i) => assert.ok(relNorm(dev.getWeights()[i], w) < 1e-4, `after more training, weight ${i}`));
});

test('device \'cuda\' with a stack the session does not support: an Error naming the layer', async () => {
  const m = new Sequential([new Embedding(9, 4), new LSTM(3, { returnSequences: true }), new GlobalAveragePooling1D(), new Dense(1, { activation: 'sigmoid' })], { device: 'cuda' });
  m.compile({ loss: 'binary_crossentropy', optimizer: 'adam' });
  await rejectsError(m.fit(tokens(4, 5, 9, 1), new Float32Array(4)), Error, /global_average_pooling1d \(GlobalAveragePooling1D\)/);
  const p = new Sequential([new LSTM(3, { inputShape: [4, 2] }), new Dense(2)], { device: 'cuda' });
  p.compile({ loss: 'mse', optimizer: { apply: async () => undefined, name: 'mine', learningRate: 0.1, iterations: 0 } });
  await rejectsError(p.fit(floats(3, 4, 2, 1), new Float32Array(6)), Error, /custom optimizer/);
  throwsError(() => new Sequential([], { device: 'gpu' as 'cuda' }), RangeError, /device must be 'auto', 'cpu' or 'cuda'/);
});

test('device \'auto\' with an unsupported stack: the CPU fit, bit for bit, after one log line naming the layer', async () => {
  const layers = () => [new Embedding(9, 4), new LSTM(3, { returnSequences: true }), new GlobalAveragePooling1D(), new Dense(1, { activation: 'sigmoid' })];
  const lines: string[] = [];
  setDeviceLog((l) => lines.push(l));
  try {
    const auto = new Sequential(layers(), { seed: 3, device: 'auto' }), cpu = new Sequential(layers(), { seed: 3, device: 'cpu' });
    for (const m of [auto, cpu]) m.compile({ loss: 'binary_crossentropy', optimizer: 'adam' });
    const x = tokens(6, 5, 9, 2), y = Float32Array.from([1, 0, 1, 0, 0, 1]);
    const ha = await auto.fit(x, y, { epochs: 2, batchSize: 4 }), hc = await cpu.fit(x, y, { epochs: 2, batchSize: 4 });
    await auto.predict(x);
    assert.equal(ha.epochs.map((e) => e.loss), hc.epochs.map((e) => e.loss));
    assert.equal(auto.getWeights(), cpu.getWeights());
    assert.equal(lines, ['vigil: sequential runs on the CPU: the GPU session does not support global_average_pooling1d (GlobalAveragePooling1D)']);
  } finally {
    setDeviceLog((l) => process.stderr.write(`${l}\n`));
  }
});

test('AbortSignal and callbacks through the session: the CPU fit\'s history and weights at the abort', async () => {
  const c = cases[0];
  const [cpu, dev] = await twins(c);
  const run = async (m: Sequential) => {
    const ac = new AbortController();
    const seen: number[] = [];
    const h = await m.fit(c.x, c.y, {
      epochs: 3, batchSize: 4, signal: ac.signal,
      callbacks: [{ onBatchEnd: (i: number, logs: { loss: number }) => { seen.push(logs.loss); if (i === 4) ac.abort(); } }],
    });
    return { h, seen };
  };
  const a = await run(cpu), b = await run(dev);
  assert.ok(b.h.aborted && a.h.aborted);
  assert.is(b.h.epochs.length, a.h.epochs.length);
  assert.is(b.seen.length, a.seen.length);
  b.seen.forEach((l, i) => assert.ok(Math.abs(l - a.seen[i]) < 1e-5, `batch ${i}: ${l} vs ${a.seen[i]}`));
  cpu.getWeights().forEach((w, i) => assert.ok(relNorm(dev.getWeights()[i], w) < 1e-4, `weight ${i}`));
});

const spec: SessionSpec = {
  layers: [{ kind: 'embedding', in: 7, units: 3 }, { kind: 'lstm', in: 3, units: 4 }, { kind: 'dense', in: 4, units: 1, activation: 'sigmoid' }],
  loss: 'binary_crossentropy', onLogits: true, optimizer: { name: 'adam' },
};

test('native session: bad specs and bad batches are TypeErrors / RangeErrors naming the argument', async () => {
  throwsError(() => new NativeSession({ ...spec, layers: [spec.layers[1], spec.layers[0], spec.layers[2]] }, 'host'), RangeError, /Embedding must be the first layer/);
  throwsError(() => new NativeSession({ ...spec, layers: [spec.layers[0], { ...spec.layers[2], in: 3 }] }, 'host'), RangeError, /Dense over sequences/);
  throwsError(() => new NativeSession({ ...spec, layers: [spec.layers[0], { ...spec.layers[1], in: 5 }, spec.layers[2]] }, 'host'), RangeError, /input features 5 != 3/);
  throwsError(() => new NativeSession({ ...spec, onLogits: false }, 'host'), RangeError, /binary_crossentropy runs on logits/);
  throwsError(() => new NativeSession({ ...spec, layers: [{ ...spec.layers[0], kind: 'conv' as 'dense' }] }, 'host'), RangeError, /kind must be one of/);
  const s = new NativeSession(spec, 'host');
  await rejectsError(s.setWeights(new Float32Array(3)), RangeError, /weights must be a Float32Array of length/);
  const ok = { batch: 2, time: 3, input: Int32Array.from([1, 2, 3, 4, 5, 6]), lengths: null, targets: Float32Array.from([1, 0]) };
  await s.setWeights(new Float32Array(s.weightCount).fill(0.1));
  assert.ok(Number.isFinite(await s.trainStep(ok, null, 0, 0, 1, 0.01, null)));
  await rejectsError(s.trainStep({ ...ok, input: Int32Array.from([1, 2, 3, 4, 5, 7]) }, null, 0, 0, 2, 0.01, null), RangeError, /tokens/);
  await rejectsError(s.trainStep({ ...ok, lengths: Int32Array.from([1, 4]) }, null, 0, 0, 2, 0.01, null), RangeError, /lengths/);
  await rejectsError(s.trainStep({ ...ok, targets: Float32Array.from([1]) }, null, 0, 0, 2, 0.01, null), RangeError, /targets/);
  await rejectsError(s.trainStep(ok, null, 0, 0, 0, 0.01, null), RangeError, /t must be/);
  await rejectsError(s.infer(ok, new Float32Array(3)), RangeError, /out/);
  // The session is still usable after every refusal.
  const out = new Float32Array(2);
  await s.infer(ok, out);
  assert.ok(out.every((v) => v > 0 && v < 1));
});
test.run();
