// The device session's life around the model layer, on the host backend (no GPU needed): when the
// layers and the session exchange weights (mid-fit saves, learning-rate callbacks), what a failed
// step leaves behind, and when a session's memory is given back. Each case compares with the CPU
// fit of a twin model where there is one to compare with.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addon } from '../ts/bindings/addon.ts';
import { backend } from '../ts/bindings/backend.ts';
import { _resetAutoDevice, setDeviceLog } from '../ts/bindings/device.ts';
import { NativeSession } from '../ts/bindings/session.ts';
import type { SessionSpec } from '../ts/bindings/session.ts';
import { _setSessionBackend } from '../ts/models/device_session.ts';
import { LearningRateScheduler, ReduceLROnPlateau } from '../ts/models/callbacks.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { cases, relNorm, twins } from './helpers/session-cases.ts';
import { Sequential } from '../ts/models/sequential.ts';

test.before(() => _setSessionBackend('host'));
test.after(() => _setSessionBackend(null));

test('device \'auto\' without a usable GPU: no session is made, the CPU fit bit for bit, one log line', async () => {
  if (backend().cuda) return;  // on a GPU machine 'auto' takes the session (cuda-parity covers it)
  _setSessionBackend(null);
  const native = addon<Record<string, unknown>>();
  const made = { sessionCreateCuda: native.sessionCreateCuda, _cudaHostSessionCreate: native._cudaHostSessionCreate };
  for (const k of Object.keys(made)) native[k] = () => { throw new Error(`${k} called on the CPU path`); };
  const lines: string[] = [];
  setDeviceLog((l) => lines.push(l));
  _resetAutoDevice();
  try {
    const c = cases[1];
    const auto = new Sequential(c.layers(), { seed: 5 }), cpu = new Sequential(c.layers(), { seed: 5, device: 'cpu' });
    for (const m of [auto, cpu]) m.compile(c.compile());
    const ha = await auto.fit(c.x, c.y, c.fit), hc = await cpu.fit(c.x, c.y, c.fit);
    assert.equal(ha.epochs.map((e) => e.loss), hc.epochs.map((e) => e.loss));
    assert.equal(auto.getWeights(), cpu.getWeights());
    assert.equal((await auto.predict(c.x)).data, (await cpu.predict(c.x)).data);
    assert.equal((await auto.evaluate(c.x, c.y)).loss, (await cpu.evaluate(c.x, c.y)).loss);
    assert.is(lines.length, 1);
    assert.match(lines[0], /^vigil: device 'auto' uses cpu \(CUDA unavailable: /);
  } finally {
    Object.assign(native, made);
    setDeviceLog((l) => process.stderr.write(`${l}\n`));
    _setSessionBackend('host');
  }
});

test('whenIdle (save, exportOnnx) between batches sees the session\'s current weights, as the CPU fit\'s', async () => {
  const c = cases[0];
  const [cpu, dev] = await twins(c);
  const seen = async (m: typeof cpu) => {
    const at: Float32Array[][] = [];
    await m.fit(c.x, c.y, { epochs: 1, batchSize: 4, callbacks: [{ onBatchEnd: async () => { at.push(await m.whenIdle(() => m.getWeights())); } }] });
    return at;
  };
  const a = await seen(cpu), b = await seen(dev);
  assert.is(b.length, a.length);
  // After the first batch the session is one step ahead of the layers' epoch-start weights.
  a.forEach((ws, k) => ws.forEach((w, i) => assert.ok(relNorm(b[k][i], w) < 1e-4, `batch ${k}, weight ${i}: ${relNorm(b[k][i], w)}`)));
});

test('setWeights in the epoch\'s last onBatchEnd: the layers\' new weights win over the session\'s at the epoch end', async () => {
  const c = cases[0];
  const [cpu, dev] = await twins(c);
  // Values that depend on nothing the fit computed, so both models get the same ones.
  const pattern = (m: typeof cpu) => m.getWeights().map((v, i) => v.map((_, j) => 0.01 * ((i + j) % 7) - 0.03));
  const fit = async (m: typeof cpu) => {
    // 13 rows in batches of 5: batch 2 ends epoch 0, batch 5 ends epoch 1 (and the fit).
    await m.fit(c.x, c.y, { epochs: 2, batchSize: 5, callbacks: [{ onBatchEnd: (i: number) => { if (i === 2 || i === 5) m.setWeights(pattern(m)); } }] });
  };
  await fit(cpu);
  await fit(dev);
  const want = pattern(cpu);
  cpu.getWeights().forEach((v, i) => assert.equal(v, want[i]));
  dev.getWeights().forEach((v, i) => assert.equal(v, want[i], `weight ${i}`));
});

test('learning-rate callbacks (LearningRateScheduler, ReduceLROnPlateau) reach the session\'s optimizer', async () => {
  const c = cases[2];
  const [cpu, dev] = await twins(c);
  const fit = (m: typeof cpu) => m.fit(c.x, c.y, {
    epochs: 3, batchSize: 3,
    callbacks: [new LearningRateScheduler((e, lr) => (e === 0 ? lr : lr * 4)), new ReduceLROnPlateau({ monitor: 'loss', patience: 0, factor: 0.5, minDelta: 10 })],
  });
  const hc = await fit(cpu), hd = await fit(dev);
  hc.epochs.forEach((e, i) => assert.ok(Math.abs(hd.epochs[i].loss - e.loss) <= 1e-5 * Math.max(1, e.loss), `epoch ${i}`));
  assert.is(dev.optimizer?.learningRate, cpu.optimizer?.learningRate);
  cpu.getWeights().forEach((w, i) => assert.ok(relNorm(dev.getWeights()[i], w) < 1e-4, `weight ${i}: ${relNorm(dev.getWeights()[i], w)}`));
});

test('a failed step is fit\'s error even when the download after it fails too; onTrainEnd still runs', async () => {
  const c = cases[0];
  const [, dev] = await twins(c);
  const proto = NativeSession.prototype;
  const { trainStep, getWeights } = proto;
  let steps = 0;
  let lost = false;
  proto.trainStep = function (...args: Parameters<typeof trainStep>) {
    if (++steps === 3) {
      lost = true;
      return Promise.reject(new Error('sessionTrainStepAsync: session: the step failed'));
    }
    return trainStep.apply(this, args);
  };
  // As a lost CUDA context: every call after the failure fails.
  proto.getWeights = function (...args: Parameters<typeof getWeights>) {
    return lost ? Promise.reject(new Error('sessionGetWeightsAsync: the context is lost')) : getWeights.apply(this, args);
  };
  let ended = false;
  try {
    await rejectsError(dev.fit(c.x, c.y, { epochs: 1, batchSize: 4, callbacks: [{ onTrainEnd: () => { ended = true; } }] }), Error, /the step failed/);
    assert.ok(ended, 'onTrainEnd ran');
  } finally {
    proto.trainStep = trainStep;
    proto.getWeights = getWeights;
  }
});

test('a new compile() gives the old session\'s memory back at once; a released session refuses calls', async () => {
  const c = cases[0];
  const [, dev] = await twins(c);
  const released: NativeSession[] = [];
  const proto = NativeSession.prototype;
  const { release } = proto;
  proto.release = function () {
    released.push(this);
    return release.call(this);
  };
  try {
    await dev.fit(c.x, c.y, { epochs: 1, batchSize: 5 });
    assert.is(released.length, 0);
    dev.compile(c.compile());
    await dev.predict(c.x);
    assert.is(released.length, 1);
    const out = new Float32Array(2);
    await rejectsError(released[0].infer({ batch: 2, time: 1, input: Int32Array.from([1, 2]), lengths: null, targets: null }, out), Error, /released/);
  } finally {
    proto.release = release;
  }
});

test('overlapping calls on one native session run in call order, each with its own loss', async () => {
  const spec: SessionSpec = {
    layers: [{ kind: 'embedding', in: 7, units: 3 }, { kind: 'lstm', in: 3, units: 4 }, { kind: 'dense', in: 4, units: 1, activation: 'sigmoid' }],
    loss: 'binary_crossentropy', onLogits: true, optimizer: { name: 'adam' },
  };
  const b = { batch: 2, time: 3, input: Int32Array.from([1, 2, 3, 4, 5, 6]), lengths: null, targets: Float32Array.from([1, 0]) };
  const run = async (overlap: boolean) => {
    const s = new NativeSession(spec, 'host');
    const calls: Array<() => Promise<number | void>> = [];
    const outs: Float32Array[] = [];
    for (let k = 0; k < 3; k++) {
      const out = new Float32Array(2);
      outs.push(out);
      calls.push(() => s.setWeights(new Float32Array(s.weightCount).fill(0.05 * (k + 1))));
      calls.push(() => s.trainStep(b, null, 0, k, k + 1, 0.1, null));
      calls.push(() => s.infer(b, out));
    }
    const got: Array<number | void> = [];
    if (overlap) got.push(...await Promise.all(calls.map((c) => c())));
    else for (const c of calls) got.push(await c());
    return { got, outs };
  };
  const seq = await run(false), par = await run(true);
  assert.equal(par.got, seq.got);
  assert.equal(par.outs, seq.outs);
});

test('native session: a spec whose weight sizes would overflow is a RangeError before anything is allocated', () => {
  const spec: SessionSpec = {
    layers: [{ kind: 'lstm', in: 2 ** 31, units: 2 ** 31 }, { kind: 'dense', in: 2 ** 31, units: 1 }],
    loss: 'mse', onLogits: false, optimizer: { name: 'sgd' },
  };
  throwsError(() => new NativeSession(spec, 'host'), RangeError, /layer 0: a weight tensor over 2\^34 values \(units 2147483648, inputs 2147483648\)/);
  // 4·2^16 gates × 2^16 units is 2^34 exactly (allowed, and never allocated: the Dense after it is refused).
  throwsError(() => new NativeSession({ ...spec, layers: [{ kind: 'lstm', in: 3, units: 2 ** 16 }, { kind: 'dense', in: 2 ** 16, units: 2 ** 19 }] }, 'host'),
    RangeError, /layer 1: a weight tensor over 2\^34/);
});


test('device may be changed after a fit: leaving the session brings its weights back and frees it; bad values are named', async () => {
  const c = cases[0];
  const [cpu, dev] = await twins(c);
  await dev.fit(c.x, c.y, c.fit);
  const trained = dev.getWeights();
  const native = addon<Record<string, (...a: unknown[]) => unknown>>();
  const release = native.sessionReleaseAsync;
  let released = 0;
  native.sessionReleaseAsync = (...a: unknown[]) => { released++; return release(...a); };
  try {
    dev.device = 'cpu';
    assert.is(dev.device, 'cpu');
    const onCpu = await dev.predict(c.x);
    assert.is(released, 1, 'the session is released at the first call on the CPU');
    await cpu.predict(c.x); // builds the twin
    cpu.setWeights(trained);
    assert.equal(onCpu.data, (await cpu.predict(c.x)).data, 'the CPU path runs on the session\'s weights');
    await dev.predict(c.x);
    assert.is(released, 1);
  } finally {
    native.sessionReleaseAsync = release;
  }
  throwsError(() => { dev.device = 'gpu' as 'cuda'; }, RangeError, /^sequential: device must be 'auto', 'cpu' or 'cuda', got "gpu"/);
  throwsError(() => { dev.device = 1 as unknown as 'cuda'; }, TypeError, /device must be/);
  assert.is(dev.device, 'cpu');
});

test('device changed to the CPU mid-fit: the rest of the fit runs on the CPU from the session\'s weights', async () => {
  // Plain SGD keeps no optimizer state, so the switched fit can match the CPU twin's step for step.
  const c = { ...cases[0], compile: () => ({ loss: 'binary_crossentropy' as const, optimizer: { name: 'sgd' as const, learningRate: 0.1 } }) };
  const [cpu, dev] = await twins(c);
  const native = addon<Record<string, (...a: unknown[]) => unknown>>();
  const release = native.sessionReleaseAsync;
  let released = 0;
  native.sessionReleaseAsync = (...a: unknown[]) => { released++; return release(...a); };
  try {
    // 13 rows in batches of 5: the switch after batch 0 leaves two batches of epoch 0 and all of epoch 1.
    const opts = { epochs: 2, batchSize: 5, callbacks: [{ onBatchEnd: (i: number) => { if (i === 0) dev.device = 'cpu'; } }] };
    const hc = await cpu.fit(c.x, c.y, { epochs: 2, batchSize: 5 });
    const hd = await dev.fit(c.x, c.y, opts);
    assert.is(released, 1, 'the session is released when the fit leaves it');
    hc.epochs.forEach((e, i) => assert.ok(Math.abs(hd.epochs[i].loss - e.loss) <= 1e-5, `epoch ${i}: ${hd.epochs[i].loss} vs ${e.loss}`));
    cpu.getWeights().forEach((w, i) => assert.ok(relNorm(dev.getWeights()[i], w) < 1e-4, `weight ${i}: ${relNorm(dev.getWeights()[i], w)}`));
  } finally {
    native.sessionReleaseAsync = release;
  }
});


test('moving a model between the CPU and the session starts the optimizer afresh on the new side, as documented', async () => {
  const c = cases[0]; // Adam: its bias correction reads the step count
  const [cpu, dev] = await twins(c);
  dev.device = 'cpu';
  await cpu.fit(c.x, c.y, c.fit);
  await dev.fit(c.x, c.y, c.fit);
  assert.equal(dev.getWeights(), cpu.getWeights(), 'both trained on the CPU so far');
  // The CPU twin continues with a fresh optimizer: what the session must do after the move.
  (cpu.optimizer as unknown as { reset(): void }).reset();
  assert.is(cpu.optimizer!.iterations, 0);
  await cpu.fit(c.x, c.y, c.fit);
  dev.device = 'cuda';
  await dev.fit(c.x, c.y, c.fit);
  cpu.getWeights().forEach((w, i) => assert.ok(relNorm(dev.getWeights()[i], w) < 1e-4, `to the session, weight ${i}: ${relNorm(dev.getWeights()[i], w)}`));
  // And back: the CPU optimizer does not resume its pre-session moments.
  (cpu.optimizer as unknown as { reset(): void }).reset();
  await cpu.fit(c.x, c.y, c.fit);
  dev.device = 'cpu';
  await dev.fit(c.x, c.y, c.fit);
  cpu.getWeights().forEach((w, i) => assert.ok(relNorm(dev.getWeights()[i], w) < 1e-4, `back to the CPU, weight ${i}: ${relNorm(dev.getWeights()[i], w)}`));
});

test.run();
