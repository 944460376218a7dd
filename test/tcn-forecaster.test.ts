// TcnForecaster: the planted spike found, no look-ahead through the causal convolutions, the
// receptive-field rule, save/load, bad input, and the streaming detector with model type 'tcn'.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDetector } from '../ts/models/detectors/detector.ts';
import { onlineForecastScores } from '../ts/models/detectors/online_forecast.ts';
import { TcnForecaster } from '../ts/models/detectors/tcn_forecaster.ts';
import { tensor } from '../ts/models/tensor.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { argmax, changedAfter, same, sameUpTo, sine } from './helpers/series.ts';

// Receptive field 1 + 2 * 2 * (1 + 2 + 4) = 29 steps >= the window of 16.
const SMALL = { window: 16, filters: 8, dilations: [1, 2, 4], epochs: 8, batchSize: 16, seed: 3 };

test('TcnForecaster: TCN -> Dropout -> Dense; the planted spike gets the highest score; the first window steps are NaN', async () => {
  const d = await new TcnForecaster(SMALL).fit(sine(240, 1));
  assert.equal(d.model!.layers.map((l) => l.className), ['TCN', 'Dropout', 'Dense']);
  assert.equal(d.model!.layers[0].getConfig().dilations, [1, 2, 4]);
  assert.is(d.model!.layers[0].getConfig().returnSequences, false);
  const s = await d.scoreSamples(sine(200, 2, 150));
  assert.is(s.length, 200);
  for (let t = 0; t < 16; t++) assert.ok(Number.isNaN(s[t]), `step ${t} has no forecast`);
  for (let t = 16; t < 200; t++) assert.ok(Number.isFinite(s[t]) && s[t] >= 0, `step ${t}: ${s[t]}`);
  assert.is(argmax(s), 150);
  assert.ok(s[150] > d.threshold, 'the spike is flagged');
});

test('TcnForecaster: no look-ahead, one and several steps ahead; a prefix scores as the whole series', async () => {
  const x = sine(160, 6, 100);
  for (const horizon of [1, 3]) {
    const d = await new TcnForecaster({ ...SMALL, epochs: 2, horizon }).fit(sine(200, 7));
    const a = await d.scoreSamples(x);
    for (const t of [20, 99, 130]) {
      const b = await d.scoreSamples(changedAfter(x, t, t));
      assert.ok(sameUpTo(a, b, t), `horizon ${horizon}: a change after step ${t} changed an earlier score`);
      assert.not.ok(same(a, b), 'the later scores do change');
      assert.ok(sameUpTo(await d.scoreSamples(x.slice(0, t + 1)), a, t), `horizon ${horizon}: the prefix up to ${t} scores differently`);
    }
  }
});

test('TcnForecaster: multivariate input with a covariate, save/load round trip', async () => {
  const T = 180;
  const data = new Float32Array(T * 2);
  const a = sine(T, 8);
  const b = sine(T, 9);
  for (let t = 0; t < T; t++) {
    data[2 * t] = a[t];
    data[2 * t + 1] = 3 * b[t] + 10;
  }
  const d = await new TcnForecaster({ ...SMALL, epochs: 2, targets: [0], skipConnections: false, scaler: 'standard', thresholdQuantile: 0.99 }).fit(tensor(data, [T, 2]));
  assert.is(d.model!.layers.at(-1)!.outputShape.at(-1), 1);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tcnf-'));
  try {
    const path = join(dir, 'tcn.vigil');
    await d.save(path);
    const back = await loadDetector<TcnForecaster>(path, 'TcnForecaster');
    assert.ok(back instanceof TcnForecaster);
    assert.equal(back.config, d.config);
    assert.equal(back.targets, [0]);
    assert.is(back.threshold, d.threshold);
    const x = tensor(data.map((v, i) => v + (i === 2 * 100 ? 2 : 0)), [T, 2]);
    assert.ok(same(await back.scoreSamples(x), await d.scoreSamples(x)), 'scores differ after loading');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TcnForecaster: bad options and input', async () => {
  throwsError(() => new TcnForecaster({ window: 48, dilations: [1, 2] }), RangeError, /window \(48\) is longer than the TCN's receptive field \(13 steps\)/);
  throwsError(() => new TcnForecaster({ dilations: [] }), TypeError, /dilations must be a non-empty array/);
  throwsError(() => new TcnForecaster({ dilations: [1, 0] }), RangeError, /dilations\[1\]/);
  throwsError(() => new TcnForecaster({ filters: 0 }), RangeError, /filters/);
  throwsError(() => new TcnForecaster({ kernelSize: 2.5 }), RangeError, /kernelSize/);
  throwsError(() => new TcnForecaster({ skipConnections: 1 as unknown as boolean }), TypeError, /skipConnections must be a boolean/);
  throwsError(() => new TcnForecaster({ horizon: 0 }), RangeError, /TcnForecaster: horizon/);
  throwsError(() => new TcnForecaster(null as never), TypeError, /TcnForecaster: options must be an object/);
  const gap = sine(100, 17);
  gap[40] = NaN;
  await rejectsError(new TcnForecaster(SMALL).fit(gap), RangeError, /TcnForecaster\.fit: series\[40\] is NaN/);
  await rejectsError(new TcnForecaster(SMALL).fit(sine(16, 1)), RangeError, /16 steps, the detector needs at least 17/);
});

test("onlineForecastScores with model type 'tcn': [0, 1] scores, no look-ahead, unknown types refused", async () => {
  const x = sine(360, 21, 300);
  const opts = { model: { type: 'tcn' as const, ...SMALL, epochs: 3 }, trainSteps: 120, likelihood: { minSamples: 30 }, rangeTolerance: 0.05, seasonalLag: 25 };
  const a = await onlineForecastScores(x, opts);
  assert.ok(a.scores.every((v) => v >= 0 && v <= 1));
  assert.ok(a.scores.slice(0, 120).every((v) => v === 0));
  assert.ok(a.errors.slice(120).every((v) => Number.isFinite(v)));
  assert.is(a.scores[300], 1);
  const b = await onlineForecastScores(changedAfter(x, 250, 4), opts);
  assert.ok(sameUpTo(a.scores, b.scores, 250));
  await rejectsError(onlineForecastScores(x, { ...opts, model: { type: 'gru' } as never }), RangeError, /model.type must be 'lstm' or 'tcn'/);
});

test.run();
