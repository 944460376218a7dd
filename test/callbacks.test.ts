// ReduceLROnPlateau against Keras' rules, driven by scripted epoch logs; the lowered learning
// rate reaching the optimizer's step; LearningRateScheduler inside a real fit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LearningRateScheduler, ReduceLROnPlateau } from '../ts/models/callbacks.ts';
import { Sequential } from '../ts/models/sequential.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import { tensor } from '../ts/models/tensor.ts';
import type { CallbackModel, EpochLogs } from '../ts/models/callbacks.ts';
import { Adam, SGD } from '../ts/models/optimizers.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { randomF32, rng } from './helpers/random.ts';

const logs = (valLoss: number): EpochLogs => ({ loss: 1, metrics: {}, valLoss, seconds: 0 });

function drive(cb: ReduceLROnPlateau, values: number[], lr = 1): number[] {
  const model: CallbackModel = { stopTraining: false, optimizer: { learningRate: lr }, getWeights: () => [], setWeights: () => {} };
  cb.onTrainBegin(model);
  return values.map((v, epoch) => {
    cb.onEpochEnd(epoch, logs(v), model);
    return (model.optimizer as { learningRate: number }).learningRate;
  });
}

test('ReduceLROnPlateau: patience, factor, minDelta, cooldown and minLr as in Keras', () => {
  // Improves, then flat: a reduction after 2 flat epochs, then again 2 epochs later.
  assert.equal(drive(new ReduceLROnPlateau({ factor: 0.5, patience: 2 }), [5, 4, 4, 4, 4, 4, 3]), [1, 1, 1, 0.5, 0.5, 0.25, 0.25]);
  // A gain below minDelta is no gain.
  assert.equal(drive(new ReduceLROnPlateau({ factor: 0.5, patience: 1, minDelta: 0.1 }), [1, 0.95, 0.5]), [1, 0.5, 0.5]);
  // cooldown 2: the two epochs after a reduction only count down (Keras: the second of them already counts again).
  assert.equal(drive(new ReduceLROnPlateau({ factor: 0.5, patience: 1, cooldown: 2 }), [1, 1, 1, 1, 1, 1]), [1, 0.5, 0.5, 0.25, 0.25, 0.125]);
  // Never below minLr; no reduction once there.
  assert.equal(drive(new ReduceLROnPlateau({ factor: 0.1, patience: 1, minLr: 0.05 }), [1, 1, 1, 1]), [1, 0.1, 0.05, 0.05]);
  // mode max (auto for accuracy names): larger is better.
  const up = new ReduceLROnPlateau({ monitor: 'val_accuracy', factor: 0.5, patience: 1 });
  const model: CallbackModel = { stopTraining: false, optimizer: { learningRate: 1 }, getWeights: () => [], setWeights: () => {} };
  up.onTrainBegin(model);
  for (const [e, acc] of [0.5, 0.6, 0.55].entries()) up.onEpochEnd(e, { loss: 1, metrics: {}, valLoss: 1, valMetrics: { accuracy: acc }, seconds: 0 }, model);
  assert.is(model.optimizer!.learningRate, 0.5);
  assert.equal(up.reductions, [{ epoch: 2, learningRate: 0.5 }]);
});

test('ReduceLROnPlateau: bad options and missing monitors are clear errors', () => {
  throwsError(() => new ReduceLROnPlateau({ factor: 1 }), RangeError, /factor must be a number in \(0, 1\)/);
  throwsError(() => new ReduceLROnPlateau({ patience: 1.5 }), RangeError, /patience/);
  throwsError(() => new ReduceLROnPlateau({ minLr: -1 }), RangeError, /minLr/);
  throwsError(() => new ReduceLROnPlateau({ mode: 'up' as 'min' }), RangeError, /mode/);
  const cb = new ReduceLROnPlateau();
  const model: CallbackModel = { stopTraining: false, optimizer: { learningRate: 1 }, getWeights: () => [], setWeights: () => {} };
  cb.onTrainBegin(model);
  throwsError(() => cb.onEpochEnd(0, { loss: 1, metrics: {}, seconds: 0 }, model), RangeError, /'val_loss' is not in the epoch logs/);
  throwsError(() => cb.onTrainBegin({ ...model, optimizer: null }), TypeError, /compile it first/);
});

test('a lowered learning rate is the one the step uses', async () => {
  const r = rng(3);
  const p0 = randomF32(r, 37), g = randomF32(r, 37);
  for (const make of [() => new SGD({ learningRate: 0.1 }), () => new Adam({ learningRate: 0.1 })]) {
    const a = make(), b = make();
    b.learningRate = 0.1;
    const pa = p0.slice(), pb = p0.slice();
    await a.apply([pa], [g]);
    await b.apply([pb], [g]);
    assert.equal(pa, pb, 'setting the same rate changes nothing');
    const c = make();
    c.learningRate = 0.05;
    const pc = p0.slice();
    await c.apply([pc], [g]);
    // Both optimizers' first step is linear in the learning rate.
    for (let i = 0; i < p0.length; i++) assert.ok(Math.abs((pc[i] - p0[i]) - 0.5 * (pa[i] - p0[i])) < 1e-6);
    throwsError(() => { c.learningRate = 0; }, RangeError, /learningRate/);
    throwsError(() => { c.learningRate = '1' as unknown as number; }, TypeError, /learningRate/);
  }
  await rejectsError(Promise.resolve().then(() => { new Adam({ learningRate: -1 }); }), RangeError, /learningRate/);
});

function smallModel(): Sequential {
  const m = new Sequential([new Dense(3, { activation: 'tanh', inputShape: [4] }), new Dense(1)], { seed: 5 });
  m.compile({ loss: 'mse', optimizer: { name: 'sgd', learningRate: 0.1 } });
  return m;
}

test('LearningRateScheduler sets each epoch\'s rate before its first batch, from the epoch and the current rate', async () => {
  const r = rng(8);
  const x = tensor(randomF32(r, 40 * 4), [40, 4]), y = tensor(randomF32(r, 40), [40, 1]);
  const m = smallModel();
  const cosine = (e: number) => 0.1 * 0.5 * (1 + Math.cos((Math.PI * e) / 4));
  const seen: Array<[number, number]> = []; // (epoch, rate at each batch)
  let epoch = -1;
  const sched = new LearningRateScheduler((e, lr) => {
    assert.is(lr, e === 0 ? 0.1 : cosine(e - 1), 'the current rate is passed in');
    return cosine(e);
  });
  await m.fit(x, y, {
    epochs: 4, batchSize: 16, shuffle: false,
    callbacks: [sched, { onEpochBegin: (e) => { epoch = e; }, onBatchEnd: (_b, _l, model) => { seen.push([epoch, model.optimizer!.learningRate]); } }],
  });
  assert.equal(sched.rates, [0, 1, 2, 3].map(cosine));
  assert.is(seen.length, 12, 'three batches an epoch');
  for (const [e, lr] of seen) assert.is(lr, cosine(e));
  // The rate reaches the step: epoch 0 at rate 0.1 equals a plain fit's first epoch.
  const plain = smallModel(), scheduled = smallModel();
  await plain.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false });
  await scheduled.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, callbacks: [new LearningRateScheduler(() => 0.1)] });
  assert.equal(scheduled.getWeights(), plain.getWeights());
  const halved = smallModel();
  await halved.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, callbacks: [new LearningRateScheduler(() => 0.05)] });
  assert.not.equal(halved.getWeights(), plain.getWeights());
});

test('LearningRateScheduler: a bad schedule or return value is a clear error', async () => {
  throwsError(() => new LearningRateScheduler(0.1 as unknown as () => number), TypeError, /schedule must be a function/);
  const r = rng(9);
  const x = tensor(randomF32(r, 8 * 4), [8, 4]), y = tensor(randomF32(r, 8), [8, 1]);
  for (const bad of [Number.NaN, 0, -1, Number.POSITIVE_INFINITY, '0.1']) {
    const m = smallModel();
    await rejectsError(m.fit(x, y, { epochs: 3, callbacks: [new LearningRateScheduler((e) => (e === 1 ? bad as number : 0.1))] }), RangeError, /schedule returned .* for epoch 1/);
  }
  const cb = new LearningRateScheduler(() => 1);
  throwsError(() => cb.onTrainBegin({ stopTraining: false, optimizer: null, getWeights: () => [], setWeights: () => {} }), TypeError, /compile it first/);
});

test.run();
