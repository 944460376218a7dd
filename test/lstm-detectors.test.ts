// LstmForecaster, LstmAutoencoder, the anomaly likelihood and the streaming detector: planted
// spikes found, no look-ahead (the score of step t ignores everything after t), save/load, bad
// input. Small seeded models, a few epochs: seconds, not minutes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDetector } from '../ts/models/detectors/detector.ts';
import { AnomalyLikelihood, erfc, logScore, upperTail } from '../ts/models/detectors/likelihood.ts';
import { LstmAutoencoder } from '../ts/models/detectors/lstm_autoencoder.ts';
import { LstmForecaster } from '../ts/models/detectors/lstm_forecaster.ts';
import { onlineForecastScores } from '../ts/models/detectors/online_forecast.ts';
import type { SeriesInput } from '../ts/models/detectors/series.ts';
import { tensor } from '../ts/models/tensor.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { detached, rng } from './helpers/random.ts';
import { argmax, changedAfter, same, sameUpTo, sine } from './helpers/series.ts';

const SMALL = { window: 16, units: 8, epochs: 6, batchSize: 16, seed: 3 };

test('LstmForecaster: the planted spike gets the highest score; the first window steps are NaN', async () => {
  const d = await new LstmForecaster(SMALL).fit(sine(240, 1));
  const s = await d.scoreSamples(sine(200, 2, 150));
  assert.is(s.length, 200);
  for (let t = 0; t < 16; t++) assert.ok(Number.isNaN(s[t]), `step ${t} has no forecast`);
  for (let t = 16; t < 200; t++) assert.ok(Number.isFinite(s[t]) && s[t] >= 0, `step ${t}: ${s[t]}`);
  assert.is(argmax(s), 150);
  assert.ok(s[150] > d.threshold, 'the spike is flagged');
  assert.is((await d.predict(sine(200, 2, 150)))[150], 1);
});

test('LstmAutoencoder: the planted spike gets the highest score (reduce last and mean)', async () => {
  for (const reduce of ['last', 'mean'] as const) {
    const d = await new LstmAutoencoder({ ...SMALL, reduce }).fit(sine(240, 4));
    const s = await d.scoreSamples(sine(200, 5, 120));
    if (reduce === 'last') for (let t = 0; t < 15; t++) assert.ok(Number.isNaN(s[t]));
    else assert.ok(s.every((v) => Number.isFinite(v)));
    // 'mean' scores the first steps from the starts of windows only, where the LSTM has no context yet.
    assert.is(argmax(s.map((v, t) => (t < 16 ? NaN : v))), 120, reduce);
  }
});

test('no look-ahead: the score of step t is final once step t is known', async () => {
  const x = sine(160, 6, 100);
  const f1 = await new LstmForecaster(SMALL).fit(sine(200, 7));
  const f2 = await new LstmForecaster({ ...SMALL, horizon: 3 }).fit(sine(200, 7));
  const ae = await new LstmAutoencoder(SMALL).fit(sine(200, 7));
  for (const t of [20, 99, 130]) {
    const y = changedAfter(x, t, t);
    for (const d of [f1, f2, ae]) {
      const name = `${d.modelType}${d instanceof LstmForecaster ? ` horizon ${d.horizon}` : ''}`;
      const a = await d.scoreSamples(x);
      const b = await d.scoreSamples(y);
      assert.ok(sameUpTo(a, b, t), `${name}: a change after step ${t} changed an earlier score`);
      assert.not.ok(same(a, b), `${name}: the later scores do change`);
      // A stream that has only seen steps 0..t scores them as the whole series does.
      assert.ok(sameUpTo(await d.scoreSamples(x.slice(0, t + 1)), a, t), `${name}: the prefix up to ${t} scores differently`);
    }
  }
  // The check bites: with 'mean' the recent steps gain windows as later steps arrive.
  const mean = await new LstmAutoencoder({ ...SMALL, reduce: 'mean' }).fit(sine(200, 7));
  assert.not.ok(sameUpTo(await mean.scoreSamples(x.slice(0, 100)), await mean.scoreSamples(x), 99));
});

test('multivariate series: [steps, features] tensors; covariates are inputs only', async () => {
  const T = 200;
  const data = new Float32Array(T * 2);
  const a = sine(T, 8);
  const b = sine(T, 9);
  for (let t = 0; t < T; t++) {
    data[2 * t] = a[t];
    data[2 * t + 1] = 3 * b[t] + 10;
  }
  const x = tensor(data, [T, 2]);
  const f = await new LstmForecaster(SMALL).fit(x);
  assert.is(f.features, 2);
  assert.is(f.model!.layers.at(-1)!.outputShape.at(-1), 2);
  const spiked = Float32Array.from(data);
  spiked[2 * 150 + 1] += 12;
  assert.is(argmax(await f.scoreSamples(tensor(spiked, [T, 2]))), 150);
  // Feature 1 as a covariate: a spike there is no longer scored as an error.
  const onlyFirst = await new LstmForecaster({ ...SMALL, targets: [0] }).fit(x);
  assert.is(onlyFirst.model!.layers.at(-1)!.outputShape.at(-1), 1);
  const ae = await new LstmAutoencoder(SMALL).fit(x);
  assert.is(argmax(await ae.scoreSamples(tensor(spiked, [T, 2]))), 150);
  await rejectsError(f.scoreSamples(a), RangeError, /1 feature per step, the detector was fitted on 2/);
  await rejectsError(new LstmForecaster({ ...SMALL, targets: [2] }).fit(x), RangeError, /targets names feature 2/);
});

test('fit: onProgress per epoch, abort rejects with the reason and keeps the fitted model', async () => {
  const seen: Array<[number, number]> = [];
  const d = await new LstmForecaster({ ...SMALL, epochs: 3 }).fit(sine(120, 10), { onProgress: (a, b) => seen.push([a, b]) });
  assert.equal(seen, [[1, 3], [2, 3], [3, 3]]);
  const before = await d.scoreSamples(sine(100, 11));
  const c = new AbortController();
  const p = d.fit(sine(400, 12), { signal: c.signal, onProgress: () => c.abort(new Error('stop here')) });
  await rejectsError(p, Error, /stop here/);
  assert.ok(same(await d.scoreSamples(sine(100, 11)), before), 'an aborted refit leaves the detector as it was');
  const pre = new AbortController();
  pre.abort(new Error('never started'));
  await rejectsError(new LstmAutoencoder(SMALL).fit(sine(100, 1), { signal: pre.signal }), Error, /never started/);
});

test('partialFit trains further with the same scaler and threshold', async () => {
  const d = await new LstmForecaster(SMALL).fit(sine(150, 13));
  const threshold = d.threshold;
  const scaler = JSON.stringify(d.scaler!.toJSON());
  const w0 = d.model!.getWeights();
  await d.partialFit(sine(150, 14), { epochs: 1 });
  assert.is(d.threshold, threshold);
  assert.is(JSON.stringify(d.scaler!.toJSON()), scaler);
  assert.ok(d.model!.getWeights().some((w, i) => w.some((v, j) => v !== w0[i][j])), 'weights moved');
  await rejectsError(new LstmForecaster(SMALL).partialFit(sine(50, 1)), Error, /not fitted yet/);
  await rejectsError(d.partialFit(tensor(new Float32Array(100), [50, 2])), RangeError, /fitted on 1/);
  await rejectsError(d.partialFit(sine(100, 1), { epochs: 0 }), RangeError, /epochs/);
});

test('save/load round trip: same scores, threshold and settings', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-lstm-'));
  try {
    const x = sine(160, 15, 90);
    const f = await new LstmForecaster({ ...SMALL, horizon: 2, scaler: 'standard', thresholdQuantile: 0.99 }).fit(sine(160, 16));
    const a = await new LstmAutoencoder({ ...SMALL, reduce: 'max', contamination: 0.05, loss: 'mse' }).fit(sine(160, 16));
    for (const d of [f, a]) {
      const path = join(dir, `${d.modelType}.vigil`);
      await d.save(path);
      const back = await loadDetector<typeof d>(path, d.modelType);
      assert.is(back.constructor, d.constructor);
      assert.is(back.threshold, d.threshold);
      assert.equal(back.thresholdRule, d.thresholdRule);
      assert.equal(back.config, d.config);
      assert.ok(same(await back.scoreSamples(x), await d.scoreSamples(x)), `${d.modelType} scores differ after loading`);
    }
    const fb = await loadDetector<LstmForecaster>(join(dir, 'LstmForecaster.vigil'));
    assert.is(fb.horizon, 2);
    assert.is(fb.scaler!.constructor.name, 'StandardScaler');
    assert.is((await loadDetector<LstmAutoencoder>(join(dir, 'LstmAutoencoder.vigil'))).reduce, 'max');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: NaN, infinities, short series, timestamps, shapes, options', async () => {
  const f = new LstmForecaster(SMALL);
  const gap = sine(100, 17);
  gap[40] = NaN;
  await rejectsError(f.fit(gap), RangeError, /LstmForecaster\.fit: series\[40\] is NaN \(pass nan: 'interpolate'/);
  const filled = await new LstmForecaster({ ...SMALL, nan: 'interpolate' }).fit(gap);
  assert.ok((await filled.scoreSamples(gap)).slice(16).every((v) => Number.isFinite(v)), 'gaps filled, every step scored');
  const inf = sine(100, 17);
  inf[3] = Infinity;
  await rejectsError(f.fit(inf), RangeError, /series\[3\] is Infinity/);
  await rejectsError(f.fit(sine(16, 1)), RangeError, /16 steps, the detector needs at least 17/);
  await rejectsError(new LstmAutoencoder(SMALL).fit(sine(15, 1)), RangeError, /15 steps, the detector needs at least 16/);
  await rejectsError(f.fit(new Float32Array(0)), RangeError, /the series is empty/);
  await rejectsError(f.fit(detached(100)), TypeError, /LstmForecaster\.fit: series is backed by a detached ArrayBuffer/);
  await rejectsError(f.fit({ values: { data: detached(100), shape: [50, 2] } }), TypeError, /series\.data is backed by a detached ArrayBuffer/);
  const ts = Array.from({ length: 100 }, (_, i) => 1000 * i);
  ts[50] = ts[49];
  await rejectsError(f.fit({ values: sine(100, 1), timestamps: ts }), RangeError, /timestamps\[50\] .* repeats timestamps\[49\]/);
  ts[50] = 10;
  await rejectsError(f.fit({ values: sine(100, 1), timestamps: ts }), RangeError, /timestamps\[50\] .* comes before timestamps\[49\]/);
  await rejectsError(f.fit({ values: sine(100, 1), timestamps: ts.slice(1) }), RangeError, /timestamps has 99 values for 100 steps/);
  await rejectsError(f.fit([1, 2, 3] as unknown as SeriesInput), TypeError, /Float32Array, a \[steps, features\] tensor/);
  await rejectsError(f.fit(tensor(new Float32Array(8), [2, 2, 2])), RangeError, /\[steps, features\] tensor/);
  await rejectsError(f.scoreSamples(sine(100, 1)), Error, /not fitted yet/);
  throwsError(() => new LstmForecaster({ window: 0 }), RangeError, /window must be an integer in \[1/);
  throwsError(() => new LstmForecaster({ units: 1.5 }), RangeError, /units/);
  throwsError(() => new LstmForecaster({ dropout: 1 }), RangeError, /dropout must lie in \[0, 1\)/);
  throwsError(() => new LstmForecaster({ learningRate: -1 }), RangeError, /learningRate/);
  throwsError(() => new LstmForecaster({ loss: 'hinge' as 'mae' }), RangeError, /loss must be 'mae' or 'mse'/);
  throwsError(() => new LstmForecaster({ scaler: 'robust' as 'minmax' }), RangeError, /scaler/);
  throwsError(() => new LstmForecaster({ horizon: 0 }), RangeError, /horizon/);
  throwsError(() => new LstmForecaster({ targets: [0, 0] }), RangeError, /targets lists feature 0 twice/);
  throwsError(() => new LstmForecaster({ epochs: '3' as unknown as number }), TypeError, /epochs must be a number/);
  throwsError(() => new LstmAutoencoder({ reduce: 'median' as 'max' }), RangeError, /reduce/);
  throwsError(() => new LstmAutoencoder({ contamination: 0.9 }), RangeError, /contamination/);
});

test('a constant series trains and scores near 0; a step off the constant stands out', async () => {
  const flat = new Float32Array(120).fill(7);
  const d = await new LstmForecaster(SMALL).fit(flat);
  const s = await d.scoreSamples(flat);
  assert.ok(s.slice(16).every((v) => Number.isFinite(v) && v < 0.05), `max ${Math.max(...s.slice(16))}`);
  const bump = flat.slice();
  bump[80] = 8;
  assert.is(argmax(await d.scoreSamples(bump)), 80);
});

test('erfc, upper tail and log score', () => {
  // erfc(0.5), erfc(2), erfc(4), erfc(-1) (scipy.special.erfc)
  const want: Array<[number, number]> = [[0.5, 0.4795001221869535], [2, 0.004677734981047266], [4, 1.541725790028002e-8], [-1, 1.842700792949715]];
  for (const [x, e] of want) assert.ok(Math.abs(erfc(x) - e) / e < 2e-7, `erfc(${x}) = ${erfc(x)}, want ${e}`);
  assert.ok(Math.abs(upperTail(1.96, 0, 1) - 0.0249979) < 1e-6);
  assert.ok(Math.abs(upperTail(0, 0, 1) - 0.5) < 1e-7);
  assert.is(logScore(1), 0);
  assert.is(logScore(0), 1);
  assert.ok(Math.abs(logScore(1e-5) - 0.5) < 1e-5);
});

test('AnomalyLikelihood: silent until minSamples, scores an error jump at its onset only', () => {
  const r = rng(20);
  const lik = new AnomalyLikelihood({ minSamples: 50, averagingWindow: 5 });
  const out: number[] = [];
  for (let t = 0; t < 300; t++) out.push(lik.update(0.1 + 0.02 * r()));
  assert.ok(out.slice(0, 50).every((v) => v === 0), 'no Gaussian yet');
  assert.ok(Math.max(...out.slice(50)) < 0.2, `quiet errors stay low: ${Math.max(...out.slice(50))}`);
  const jump = [lik.update(1), lik.update(1), lik.update(1)];
  assert.ok(jump[0] > 0.5, `onset ${jump[0]}`);
  assert.ok(Math.abs(jump[1] - logScore(1e-3)) < 1e-9 && Math.abs(jump[2] - logScore(1e-3)) < 1e-9, `the run is lowered to the yellow zone: ${jump}`);
  const state = JSON.stringify(lik.distribution);
  const steps = lik.steps;
  assert.is(lik.update(NaN), 0);
  assert.is(lik.steps, steps);
  assert.is(JSON.stringify(lik.distribution), state);
  const floor = new AnomalyLikelihood({ minSamples: 10 });
  floor.updateAll(new Float32Array(20));
  assert.equal(floor.distribution, { mean: 0.03, std: Math.sqrt(3e-4) }, 'near-perfect errors meet the floors');
  throwsError(() => lik.update(Infinity), RangeError, /finite/);
  throwsError(() => new AnomalyLikelihood({ averagingWindow: 0 }), RangeError, /averagingWindow/);
  throwsError(() => new AnomalyLikelihood({ minSamples: 10, historyWindow: 5 }), RangeError, /minSamples \(10\) exceeds historyWindow \(5\)/);
  throwsError(() => new AnomalyLikelihood({ redZone: 0.01, yellowZone: 0.001 }), RangeError, /yellowZone/);
  throwsError(() => new AnomalyLikelihood({ minStd: 0 }), RangeError, /minStd/);
});

test('onlineForecastScores: [0, 1] scores, 0 while learning, no look-ahead, the range rule', async () => {
  const x = sine(400, 21, 300);
  const opts = { model: { ...SMALL, epochs: 3 }, trainSteps: 120, likelihood: { minSamples: 30 }, rangeTolerance: 0.05, seasonalLag: 25 };
  const a = await onlineForecastScores(x, opts);
  assert.ok(a.scores.every((v) => v >= 0 && v <= 1));
  assert.ok(a.scores.slice(0, 120).every((v) => v === 0));
  assert.ok(a.errors.slice(120).every((v) => Number.isFinite(v)));
  assert.is(a.outOfRange[300], 1, 'the spike leaves the range seen so far');
  assert.is(a.scores[300], 1);
  assert.is(a.outOfRange.reduce((s, v) => s + v, 0), 1);
  for (const t of [119, 250, 310]) {
    const b = await onlineForecastScores(changedAfter(x, t, t), opts);
    assert.ok(sameUpTo(a.scores, b.scores, t), `scores before step ${t + 1} changed`);
  }
  const upd = await onlineForecastScores(x, { ...opts, updateEvery: 100, updateEpochs: 1 });
  assert.is(upd.updates, 2);
  const b = await onlineForecastScores(changedAfter(x, 250, 9), { ...opts, updateEvery: 100, updateEpochs: 1 });
  assert.ok(sameUpTo(upd.scores, b.scores, 250), 'further training reads only past steps');
  await rejectsError(onlineForecastScores(x, { ...opts, trainSteps: 10 }), RangeError, /trainSteps \(10\) must be at least window \+ horizon \(17\)/);
  await rejectsError(onlineForecastScores(x, { ...opts, trainSteps: 400 }), RangeError, /leaves no step/);
  await rejectsError(onlineForecastScores(x, { ...opts, rangeTolerance: -1 }), RangeError, /rangeTolerance/);
  const gap = x.slice();
  gap[200] = NaN;
  await rejectsError(onlineForecastScores(gap, opts), RangeError, /series\[200\] is NaN: online scoring cannot fill gaps .*; fill or drop them first$/);
});

test.run();
