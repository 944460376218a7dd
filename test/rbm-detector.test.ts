// The RBM detector (ts/models/detectors/rbm.ts): learns normal data, scores anomalies higher,
// reproducible for a seed, reports each epoch, stops on a signal, saves and loads, checks input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDetector } from '../ts/models/detectors/detector.ts';
import { RBM } from '../ts/models/detectors/rbm.ts';
import type { RBMOptions } from '../ts/models/detectors/rbm.ts';
import type { TabularInput } from '../ts/models/detectors/matrix.ts';
import { rocAuc } from '../ts/models/metrics.ts';
import { tensor } from '../ts/models/tensor.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { freeEnergyRef, hiddenProbsRef, reconstructionErrorRef } from './reference/rbm.ts';
import { maxRelErr, rng } from './helpers/random.ts';

/**
 * Two clusters at +-d (d = (-1.5, 1.5, ...) in R^8) with unit noise (normal) and rows around the
 * origin between them (anomalies): closer to the mean than any normal row, so only a model of
 * the two modes, not a distance to the mean, tells them apart.
 */
function gaussianData(seed: number, normal: number, anomalies: number) {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const dir = Array.from({ length: 8 }, (_, j) => (j % 2 ? 1.5 : -1.5));
  const rows: number[][] = [];
  for (let i = 0; i < normal; i++) rows.push(dir.map((d) => (i % 2 ? d : -d) + gauss()));
  for (let i = 0; i < anomalies; i++) rows.push(dir.map(() => gauss()));
  return { rows, labels: rows.map((_, i) => (i < normal ? 0 : 1)) };
}

/**
 * gaussianData's two clusters (normal), and anomalies as far from the mean but off the clusters'
 * axis (the first half of d's signs flipped): a reconstruction from the learned axis misses them.
 */
function offAxisData(seed: number, normal: number, anomalies: number) {
  const { rows } = gaussianData(seed, normal + anomalies, 0);
  for (let i = normal; i < normal + anomalies; i++) rows[i] = rows[i].map((v, j) => (j < 4 ? -v : v));
  return { rows, labels: rows.map((_, i) => (i < normal ? 0 : 1)) };
}

/** Binary rows: noisy copies of two prototypes (normal) and uniform random bits (anomalies). */
function binaryData(seed: number, normal: number, anomalies: number) {
  const r = rng(seed);
  const V = 16;
  const protos = [Array.from({ length: V }, (_, j) => (j < 8 ? 1 : 0)), Array.from({ length: V }, (_, j) => j % 2)];
  const rows: number[][] = [];
  for (let i = 0; i < normal; i++) rows.push(protos[i % 2].map((v) => (r() < 0.05 ? 1 - v : v)));
  for (let i = 0; i < anomalies; i++) rows.push(Array.from({ length: V }, () => (r() < 0.5 ? 1 : 0)));
  return { rows, labels: rows.map((_, i) => (i < normal ? 0 : 1)) };
}

const small: RBMOptions = { hiddenUnits: 8, epochs: 10, batchSize: 16, learningRate: 0.01, momentum: 0.5, seed: 5 };

test('Gaussian RBM: anomalies get a higher free energy; the score is the free energy of the fitted weights', async () => {
  const train = gaussianData(1, 600, 0);
  const test_ = gaussianData(2, 300, 30);
  const rbm = await new RBM({ ...small, learningRate: 0.05, epochs: 30 }).fit(train.rows);
  const s = await rbm.scoreSamples(test_.rows);
  assert.ok(rocAuc(test_.labels, s) > 0.93, `ROC AUC ${rocAuc(test_.labels, s)}`);
  const distance = test_.rows.map((row) => row.reduce((a, v) => a + v * v, 0));
  assert.ok(rocAuc(test_.labels, distance) < 0.1, 'the anomalies sit nearer the mean than the normal rows');
  const { V, H, W, b, c } = rbm.weights!;
  assert.is(V, 8);
  assert.is(H, 8);
  const x = test_.rows.flat();
  assert.ok(maxRelErr(s, freeEnergyRef('gaussian', test_.rows.length, V, H, x, W, b, c)) < 1e-5);
  const p = await rbm.transform(test_.rows);
  assert.equal(p.shape, [330, 8]);
  assert.ok(maxRelErr(p.data, hiddenProbsRef(330, V, H, x, W, c)) < 1e-5);
  assert.is(rbm.history.length, 30);
  assert.ok(rbm.history.every((e) => e.reconstructionError > 0 && e.seconds >= 0));
});

test('Bernoulli RBM (CD-1 and PCD-3): learns the prototypes, random bit rows score higher, reconstruction error falls', async () => {
  const train = binaryData(3, 400, 0);
  const test_ = binaryData(4, 200, 40);
  for (const o of [{ persistent: false, gibbsSteps: 1 }, { persistent: true, gibbsSteps: 3 }]) {
    const rbm = await new RBM({ ...small, visible: 'bernoulli', learningRate: 0.1, epochs: 15, ...o }).fit(train.rows);
    const s = await rbm.scoreSamples(test_.rows);
    assert.ok(rocAuc(test_.labels, s) > 0.97, `${JSON.stringify(o)}: ROC AUC ${rocAuc(test_.labels, s)}`);
    const h = rbm.history.map((e) => e.reconstructionError);
    assert.ok(h[h.length - 1] < 0.5 * h[0], `${JSON.stringify(o)}: reconstruction error ${h[0]} -> ${h[h.length - 1]}`);
  }
});

test("scoring 'reconstruction': the same training, scores = mean-field reconstruction error of the fitted weights; saved and loaded", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rbm-'));
  try {
    for (const [visible, data, rate] of [['gaussian', offAxisData, 0.05], ['bernoulli', binaryData, 0.1]] as const) {
      const train = data(11, 300, 0);
      const test_ = data(12, 150, 20);
      const opts: RBMOptions = { ...small, visible, learningRate: rate, epochs: 20, thresholdQuantile: 0.95 };
      const fe = await new RBM(opts).fit(train.rows);
      const rbm = await new RBM({ ...opts, scoring: 'reconstruction' }).fit(train.rows);
      assert.is(rbm.scoring, 'reconstruction');
      assert.equal(rbm.weights!.W, fe.weights!.W, `${visible}: the score does not change training`);
      const { V, H, W, b, c } = rbm.weights!;
      const N = test_.rows.length;
      const x = test_.rows.flat();
      const want = reconstructionErrorRef(visible, N, V, H, x, W, b, c);
      const s = await rbm.scoreSamples(test_.rows);
      assert.ok(maxRelErr(s, want) < 1e-4, `${visible}: against the float64 reference`);
      assert.ok(rocAuc(test_.labels, s) > 0.9, `${visible}: ROC AUC ${rocAuc(test_.labels, s)}`);
      const path = join(dir, `${visible}.vigil`);
      await rbm.save(path);
      const back = await loadDetector<RBM>(path, 'RBM');
      assert.is(back.scoring, 'reconstruction');
      assert.is(back.threshold, rbm.threshold);
      assert.equal(await back.scoreSamples(test_.rows), s);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a seed gives the same model and scores; another seed another model', async () => {
  const { rows } = gaussianData(5, 200, 10);
  const a = await new RBM({ ...small, seed: 9 }).fit(rows);
  const b = await new RBM({ ...small, seed: 9 }).fit(rows);
  const c = await new RBM({ ...small, seed: 10 }).fit(rows);
  assert.equal(a.weights!.W, b.weights!.W);
  assert.equal(await a.scoreSamples(rows), await b.scoreSamples(rows));
  assert.is(a.threshold, b.threshold);
  assert.not.equal(a.weights!.W, c.weights!.W);
});

test('fit reports every epoch, stops at the next epoch when the signal aborts, and a refit replaces the model', async () => {
  const { rows } = gaussianData(6, 100, 0);
  const seen: Array<[number, number]> = [];
  const logs: number[] = [];
  const rbm = await new RBM({ ...small, epochs: 4 }).fit(rows, {
    onProgress: (d, t) => seen.push([d, t]),
    onEpochEnd: (e, l) => logs.push(e, l.reconstructionError),
  });
  assert.equal(seen, [[1, 4], [2, 4], [3, 4], [4, 4]]);
  assert.equal(logs.filter((_, i) => i % 2 === 0), [0, 1, 2, 3]);
  assert.equal(logs.filter((_, i) => i % 2 === 1), rbm.history.map((h) => h.reconstructionError));
  const ctl = new AbortController();
  const fresh = new RBM({ ...small, epochs: 50 });
  let epochs = 0;
  await rejectsError(fresh.fit(rows, { signal: ctl.signal, onEpochEnd: () => ++epochs === 2 && ctl.abort(new Error('enough')) }), Error, /enough/);
  assert.is(epochs, 2);
  assert.not.ok(fresh.fitted);
  // An aborted refit leaves the previous model in place.
  const before = await rbm.scoreSamples(rows);
  const ctl2 = new AbortController();
  await rejectsError(rbm.fit(rows, { signal: ctl2.signal, onEpochEnd: () => ctl2.abort(new Error('stop')) }), Error, /stop/);
  assert.equal(await rbm.scoreSamples(rows), before);
  await rejectsError(rbm.fit(rows, { onEpochEnd: 3 as never }), TypeError, /onEpochEnd/);
});

test('save/load round trip: same scores, threshold, options and history', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rbm-'));
  try {
    const { rows } = binaryData(7, 120, 10);
    const rbm = await new RBM({ ...small, visible: 'bernoulli', persistent: true, gibbsSteps: 2, thresholdQuantile: 0.99 }).fit(rows);
    const path = join(dir, 'rbm.vigil');
    await rbm.save(path);
    const back = await loadDetector<RBM>(path, 'RBM');
    assert.ok(back instanceof RBM);
    assert.equal(await back.scoreSamples(rows), await rbm.scoreSamples(rows));
    assert.is(back.threshold, rbm.threshold);
    assert.equal(back.thresholdRule, { kind: 'quantile', value: 0.99 });
    for (const k of ['hiddenUnits', 'visible', 'gibbsSteps', 'persistent', 'learningRate', 'momentum', 'weightDecay', 'batchSize', 'epochs', 'seed'] as const) {
      assert.is(back[k], rbm[k], k);
    }
    assert.equal(back.history.map((h) => h.reconstructionError), rbm.history.map((h) => h.reconstructionError));
    assert.equal(await back.predict(rows), await rbm.predict(rows));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: NaN, no rows, wrong width, Bernoulli values outside [0, 1]; one row and constant columns work', async () => {
  const rbm = new RBM(small);
  await rejectsError(rbm.fit([[1, Number.NaN]]), RangeError, /x\[0\]\[1\] is NaN/);
  await rejectsError(rbm.fit([]), RangeError, /no rows/);
  await rejectsError(rbm.fit(tensor(new Float32Array(0), [0, 3])), RangeError, /no rows/);
  await rejectsError(rbm.fit('x' as unknown as TabularInput), TypeError, /tensor or an array of rows/);
  await rejectsError(rbm.scoreSamples([[1, 2]]), Error, /not fitted yet/);
  await rejectsError(rbm.transform([[1, 2]]), Error, /not fitted yet/);
  await rejectsError(new RBM({ ...small, visible: 'bernoulli' }).fit([[0, 1], [0.5, 2]]), RangeError, /x\[1\]\[1\] is 2: Bernoulli visible units take values in \[0, 1\]/);

  const one = await new RBM(small).fit([[0.5, -1, 2]]);
  const s1 = await one.scoreSamples([[0.5, -1, 2], [3, 3, 3]]);
  assert.ok(s1.every(Number.isFinite));
  assert.ok(s1[1] > s1[0]);
  await rejectsError(one.scoreSamples([[1, 2]]), RangeError, /2 features per row, the detector was fitted on 3/);
  await rejectsError(one.scoreSamples([[1, 2, Number.POSITIVE_INFINITY]]), RangeError, /x\[0\]\[2\] is Infinity/);
  await rejectsError(one.transform([[1, 2]]), RangeError, /fitted on 3/);

  const { rows } = gaussianData(8, 200, 0);
  const constant = rows.map((r) => [...r, 7, 0]);
  const rc = await new RBM(small).fit(constant);
  const sc = await rc.scoreSamples(constant);
  assert.ok(sc.every(Number.isFinite));
  // A value never seen in a constant column is anomalous.
  const moved = constant.map((r) => [...r.slice(0, -1), 3]);
  const sm = await rc.scoreSamples(moved);
  assert.ok(sm.every((v, i) => v > sc[i]));
  const bc = await new RBM({ ...small, visible: 'bernoulli' }).fit(binaryData(9, 50, 0).rows.map((r) => [...r, 0, 1]));
  assert.ok((await bc.scoreSamples([[...binaryData(9, 1, 0).rows[0], 0, 1]])).every(Number.isFinite));
});

test('training that diverges is reported, not returned', async () => {
  const huge = Array.from({ length: 64 }, (_, i) => [1e15 * ((i % 5) - 2), 1e15, -1e15]);
  await rejectsError(new RBM({ ...small, learningRate: 10, momentum: 0.9 }).fit(huge), RangeError, /diverged in epoch \d+ .*lower learningRate .*standardise/);
});

test('options are checked', () => {
  throwsError(() => new RBM({ hiddenUnits: 0 }), RangeError, /hiddenUnits must be an integer in \[1/);
  throwsError(() => new RBM({ hiddenUnits: 2.5 }), RangeError, /hiddenUnits/);
  throwsError(() => new RBM({ hiddenUnits: '4' as never }), TypeError, /hiddenUnits must be a number/);
  throwsError(() => new RBM({ visible: 'poisson' as never }), RangeError, /visible must be 'gaussian' or 'bernoulli'/);
  throwsError(() => new RBM({ gibbsSteps: 0 }), RangeError, /gibbsSteps/);
  throwsError(() => new RBM({ persistent: 1 as never }), TypeError, /persistent must be a boolean/);
  throwsError(() => new RBM({ learningRate: 0 }), RangeError, /learningRate must be a finite number > 0/);
  throwsError(() => new RBM({ learningRate: Number.POSITIVE_INFINITY }), RangeError, /learningRate/);
  throwsError(() => new RBM({ momentum: 1 }), RangeError, /momentum must be in \[0, 1\)/);
  throwsError(() => new RBM({ weightDecay: -1e-3 }), RangeError, /weightDecay/);
  throwsError(() => new RBM({ batchSize: 0 }), RangeError, /batchSize/);
  throwsError(() => new RBM({ epochs: 0 }), RangeError, /epochs/);
  throwsError(() => new RBM({ seed: -1 }), RangeError, /seed/);
  throwsError(() => new RBM({ scoring: 'energy' as never }), RangeError, /scoring must be 'freeEnergy' or 'reconstruction', got "energy"/);
  throwsError(() => new RBM({ contamination: 0.9 }), RangeError, /contamination/);
  throwsError(() => new RBM({ contamination: 'auto' }), TypeError, /contamination 'auto' needs scores on a fixed scale/);
  throwsError(() => new RBM({ hidden: 4 } as never), TypeError, /unknown option 'hidden'/);
  throwsError(() => new RBM(null as never), TypeError, /options must be an object/);
  const d = new RBM();
  assert.equal([d.hiddenUnits, d.visible, d.gibbsSteps, d.persistent, d.learningRate, d.momentum, d.weightDecay, d.batchSize, d.epochs, d.seed, d.scoring],
    [64, 'gaussian', 1, false, 0.01, 0.5, 1e-4, 64, 20, 0, 'freeEnergy']);
  assert.equal(d.thresholdRule, { kind: 'contamination', value: 0.1 });
});

test.run();
