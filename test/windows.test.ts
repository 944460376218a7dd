// Sliding windows over time series and the map from window scores back to time steps: hand
// cases, random properties (window contents, starts, coverage, no look-ahead for 'last'), NaN
// gaps and timestamps, bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { slidingWindows, stepScores } from '../ts/models/preprocessing/index.ts';
import { tensor } from '../ts/models/tensor.ts';
import { throwsError } from './helpers/errors.ts';
import { detached, detachedI32, randomF32, rng } from './helpers/random.ts';

const steps = (n: number) => Float32Array.from({ length: n }, (_, i) => i);
const rows = (a: ArrayLike<number>, width: number) =>
  Array.from({ length: a.length / width }, (_, i) => Array.from(a).slice(i * width, (i + 1) * width));

test('hand case: univariate windows, stride, horizon targets', () => {
  const w = slidingWindows(steps(10), { window: 3, stride: 2 });
  assert.equal(Array.from(w.starts), [0, 2, 4, 6]);
  assert.equal(w.x.shape, [4, 3, 1]);
  assert.equal(rows(w.x.data, 3), [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8]]);
  assert.is(w.y, undefined);
  assert.is(w.length, 10);
  assert.is(w.features, 1);
  const h = slidingWindows(steps(10), { window: 3, stride: 2, horizon: 2 });
  assert.equal(Array.from(h.starts), [0, 2, 4]);
  assert.equal(h.y!.shape, [3, 2, 1]);
  assert.equal(rows(h.y!.data, 2), [[3, 4], [5, 6], [7, 8]]);
  // A window as long as the series: one window.
  assert.equal(slidingWindows(steps(4), { window: 4 }).x.shape, [1, 4, 1]);
});

test('hand case: multivariate [T, F] tensor keeps features innermost', () => {
  const s = tensor(Float32Array.from([0, 10, 1, 11, 2, 12, 3, 13]), [4, 2]);
  const w = slidingWindows(s, { window: 2, horizon: 1 });
  assert.equal(w.x.shape, [2, 2, 2]);
  assert.equal(Array.from(w.x.data), [0, 10, 1, 11, 1, 11, 2, 12]);
  assert.equal(Array.from(w.y!.data), [2, 12, 3, 13]);
  assert.equal(slidingWindows(tensor(steps(3), [3]), { window: 2 }).x.shape, [2, 2, 1]);
});

test('random: window contents, starts, every step up to the last window covered', () => {
  const r = rng(11);
  for (let trial = 0; trial < 60; trial++) {
    const window = 1 + Math.floor(r() * 9);
    const horizon = Math.floor(r() * 3);
    const stride = 1 + Math.floor(r() * window);
    const T = window + horizon + Math.floor(r() * 30);
    const F = 1 + Math.floor(r() * 3);
    const data = randomF32(r, T * F, -5, 5);
    const w = slidingWindows(F === 1 && trial % 2 === 0 ? data : tensor(data, [T, F]), { window, stride, horizon });
    const n = w.starts.length;
    assert.is(n, Math.floor((T - window - horizon) / stride) + 1);
    assert.ok(w.starts[n - 1] + window + horizon <= T && w.starts[n - 1] + stride + window + horizon > T, `trial ${trial} last window`);
    for (let i = 0; i < n; i++) {
      assert.is(w.starts[i], i * stride);
      for (let k = 0; k < window * F; k++) assert.is(w.x.data[i * window * F + k], data[w.starts[i] * F + k]);
      for (let k = 0; k < horizon * F; k++) assert.is(w.y!.data[i * horizon * F + k], data[(w.starts[i] + window) * F + k]);
    }
    const scores = randomF32(r, n, 0, 1);
    for (const reduce of ['max', 'mean'] as const) {
      const out = stepScores(scores, w.starts, { window, length: T, reduce });
      const end = w.starts[n - 1] + window;
      for (let t = 0; t < T; t++) assert.is(Number.isNaN(out[t]), t >= end, `trial ${trial} ${reduce} step ${t}`);
      // Against the definition: the covering windows' scores.
      for (let t = 0; t < end; t++) {
        const cover = Array.from(scores).filter((_, i) => w.starts[i] <= t && t < w.starts[i] + window);
        const want = reduce === 'max' ? Math.max(...cover) : cover.reduce((a, b) => a + b, 0) / cover.length;
        assert.ok(Math.abs(out[t] - want) < 1e-6, `trial ${trial} ${reduce} t=${t}`);
      }
    }
    const last = stepScores(scores, w.starts, { window, length: T, reduce: 'last', fill: -1 });
    for (let t = 0; t < T; t++) {
      const i = w.starts.indexOf(t - window + 1);
      assert.is(last[t], i >= 0 ? scores[i] : -1, `trial ${trial} last t=${t}`);
    }
  }
});

test('stepScores hand cases: per-window and per-window-step scores, fill', () => {
  const starts = Int32Array.from([0, 1, 2]);
  const o = { window: 3, length: 5 };
  assert.equal(Array.from(stepScores([1, 5, 2], starts, { ...o, reduce: 'max' })), [1, 5, 5, 5, 2]);
  assert.equal(Array.from(stepScores(Float32Array.from([1, 5, 2]), starts, { ...o, reduce: 'mean' })), [1, 3, 8 / 3, 3.5, 2].map(Math.fround));
  assert.equal(Array.from(stepScores([1, 5, 2], starts, { ...o, reduce: 'last' })), [NaN, NaN, 1, 5, 2]);
  assert.equal(Array.from(stepScores([1, 5, 2], starts, { ...o, reduce: 'last', fill: 0 })), [0, 0, 1, 5, 2]);
  // Per step: window n's k-th score belongs to step n + k.
  const per = tensor(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), [3, 3]);
  assert.equal(Array.from(stepScores(per, starts, { ...o, reduce: 'max' })), [1, 4, 7, 8, 9]);
  assert.equal(Array.from(stepScores(per, starts, { ...o, reduce: 'mean' })), [1, 3, 5, 7, 9]);
  assert.equal(Array.from(stepScores(per, starts, { ...o, reduce: 'last' })), [NaN, NaN, 3, 6, 9]);
  // Gaps between strided windows and the tail stay NaN.
  assert.equal(Array.from(stepScores([1, 2], [0, 3], { window: 2, length: 6, reduce: 'max' })), [1, 1, NaN, 2, 2, NaN]);
  // A forecaster's errors belong to the predicted steps: starts + window, horizon as the window.
  const f = slidingWindows(steps(6), { window: 3, horizon: 1 });
  const target = f.starts.map((s) => s + 3);
  assert.equal(Array.from(stepScores([7, 8, 9], target, { window: 1, length: 6, reduce: 'last', fill: 0 })), [0, 0, 0, 7, 8, 9]);
});

test("'last' does not look ahead: changing the series after t leaves scores up to t alone", () => {
  const r = rng(5);
  const window = 4;
  const series = randomF32(r, 40, -1, 1);
  // A toy detector: a window's score is its last value's distance from the window mean.
  const score = (s: Float32Array) => {
    const w = slidingWindows(s, { window });
    const sc = new Float32Array(w.starts.length);
    for (let i = 0; i < sc.length; i++) {
      const v = w.x.data.subarray(i * window, (i + 1) * window);
      sc[i] = Math.abs(v[window - 1] - v.reduce((a, b) => a + b, 0) / window);
    }
    return { last: stepScores(sc, w.starts, { window, length: s.length, reduce: 'last' }), max: stepScores(sc, w.starts, { window, length: s.length, reduce: 'max' }) };
  };
  const before = score(series);
  const t0 = 20;
  const changed = Float32Array.from(series, (v, t) => (t > t0 ? v + 10 : v));
  const after = score(changed);
  assert.equal(Array.from(after.last.subarray(0, t0 + 1)), Array.from(before.last.subarray(0, t0 + 1)));
  // 'max' does look ahead: some step before t0 sees the change.
  assert.ok(Array.from(after.max.subarray(0, t0 + 1)).some((v, t) => v !== before.max[t]));
});

test('NaN gaps: error by default, linear interpolation with held edges on request', () => {
  const s = Float32Array.from([NaN, 1, NaN, NaN, 4, NaN]);
  throwsError(() => slidingWindows(s, { window: 2 }), RangeError, /series\[0\] is NaN \(pass nan: 'interpolate'/);
  const w = slidingWindows(s, { window: 6, nan: 'interpolate' });
  assert.equal(Array.from(w.x.data), [1, 1, 2, 3, 4, 4]);
  assert.equal(Array.from(s.subarray(0, 2)), [NaN, 1], 'the input is left alone');
  // In time when timestamps are given: the gap at t=1 lies a third of the way from 0 to 3.
  assert.equal(Array.from(slidingWindows(Float32Array.from([1, NaN, 4]), { window: 3, nan: 'interpolate', timestamps: [0, 1, 3] }).x.data), [1, 2, 4]);
  const m = tensor(Float32Array.from([1, 5, NaN, 6, 3, NaN]), [3, 2]);
  throwsError(() => slidingWindows(m, { window: 2 }), RangeError, /series\[1\]\[0\] is NaN/);
  assert.equal(Array.from(slidingWindows(m, { window: 3, nan: 'interpolate' }).x.data), [1, 5, 2, 6, 3, 6]);
  throwsError(() => slidingWindows(tensor(Float32Array.from([1, NaN, 2, NaN]), [2, 2]), { window: 1, nan: 'interpolate' }), RangeError, /feature 1 of the series is NaN at every step/);
  throwsError(() => slidingWindows(Float32Array.from([1, Infinity]), { window: 1, nan: 'interpolate' }), RangeError, /series\[1\] is Infinity: values must be finite/);
  throwsError(() => slidingWindows(s, { window: 2, nan: 'drop' as never }), RangeError, /nan must be 'error' or 'interpolate'/);
});

test('timestamps: kept, strictly increasing', () => {
  const w = slidingWindows(steps(3), { window: 2, timestamps: [10, 20, 35] });
  assert.equal(Array.from(w.timestamps!), [10, 20, 35]);
  throwsError(() => slidingWindows(steps(3), { window: 2, timestamps: [10, 30, 20] }), RangeError, /timestamps\[2\] \(20\) comes before timestamps\[1\] \(30\)/);
  throwsError(() => slidingWindows(steps(3), { window: 2, timestamps: [10, 10, 20] }), RangeError, /timestamps\[1\] \(10\) repeats timestamps\[0\]/);
  throwsError(() => slidingWindows(steps(3), { window: 2, timestamps: [1, 2] }), RangeError, /timestamps has 2 values for 3 steps/);
  throwsError(() => slidingWindows(steps(3), { window: 2, timestamps: [1, NaN, 3] }), RangeError, /timestamps\[1\] is NaN/);
  throwsError(() => slidingWindows(steps(3), { window: 2, timestamps: ['a', 'b', 'c'] as never }), TypeError, /timestamps\[0\] must be a number/);
});

test('bad input: short series, sizes, series type', () => {
  throwsError(() => slidingWindows(steps(2), { window: 3 }), RangeError, /the series has 2 steps, fewer than window 3$/);
  throwsError(() => slidingWindows(steps(4), { window: 3, horizon: 2 }), RangeError, /has 4 steps, fewer than window 3 \+ horizon 2/);
  throwsError(() => slidingWindows(steps(4), { window: 0 }), RangeError, /window must be an integer >= 1, got 0/);
  throwsError(() => slidingWindows(steps(4), { window: 1.5 }), RangeError, /window must be an integer/);
  throwsError(() => slidingWindows(steps(4), { window: 2, stride: 0 }), RangeError, /stride must be an integer >= 1, got 0/);
  throwsError(() => slidingWindows(steps(4), { window: 2, horizon: -1 }), RangeError, /horizon must be an integer >= 0/);
  throwsError(() => slidingWindows(steps(4), { window: '2' as never }), TypeError, /window must be a number/);
  throwsError(() => slidingWindows(steps(4), null as never), TypeError, /options/);
  throwsError(() => slidingWindows([1, 2, 3] as never, { window: 2 }), TypeError, /series must be a Float32Array or a \[steps, features\] tensor/);
  throwsError(() => slidingWindows(tensor(new Int32Array(4), [4]) as never, { window: 2 }), TypeError, /series.data must be a Float32Array/);
  throwsError(() => slidingWindows({ data: new Float32Array(4), shape: [2, 3] }, { window: 2 }), RangeError, /shape \[2, 3\] does not match 4 values/);
  throwsError(() => slidingWindows({ data: new Float32Array(8), shape: [2, 2, 2] }, { window: 2 }), RangeError, /\[steps, features\] tensor, got shape \[2,2,2\]/);
  throwsError(() => slidingWindows(new Float32Array(0), { window: 1 }), RangeError, /0 steps/);
  // A detached buffer reads as empty: it is named as detached, not as a series of 0 steps.
  throwsError(() => slidingWindows(detached(4), { window: 2 }), TypeError, /slidingWindows: series is backed by a detached ArrayBuffer/);
  throwsError(() => slidingWindows({ data: detached(4), shape: [2, 2] }, { window: 1 }), TypeError, /series\.data is backed by a detached ArrayBuffer/);
  const ts = new Float64Array(4);
  structuredClone(ts.buffer, { transfer: [ts.buffer] });
  throwsError(() => slidingWindows(steps(4), { window: 2, timestamps: ts }), TypeError, /timestamps is backed by a detached ArrayBuffer/);
});

test('stepScores bad input', () => {
  const o = { window: 2, length: 4, reduce: 'max' as const };
  throwsError(() => stepScores([1, NaN], [0, 1], o), RangeError, /scores\[1\] is NaN/);
  throwsError(() => stepScores(tensor(Float32Array.from([1, 2, 3, NaN]), [2, 2]), [0, 1], o), RangeError, /scores\[1\]\[1\] is NaN/);
  throwsError(() => stepScores([1, 2], [0, 3], o), RangeError, /starts\[1\] is 3; a window of 2 must start in \[0, 2\]/);
  throwsError(() => stepScores([1, 2], [1, 1], o), RangeError, /starts\[1\] \(1\) is not after starts\[0\] \(1\)/);
  throwsError(() => stepScores([1, 2, 3], [0, 1], o), RangeError, /scores has 3 values for 2 starts/);
  throwsError(() => stepScores(tensor(new Float32Array(6), [2, 3]), [0, 1], o), RangeError, /scores must be \[2\] or \[2, 2\]/);
  throwsError(() => stepScores([1], [0], { ...o, reduce: 'min' as never }), RangeError, /reduce must be 'max', 'mean' or 'last', got "min"/);
  throwsError(() => stepScores([1], [0], { ...o, window: 5 }), RangeError, /window 5 is longer than the series \(length 4\)/);
  throwsError(() => stepScores([1], [0], { ...o, length: 0 }), RangeError, /length must be an integer >= 1/);
  throwsError(() => stepScores([1], [0], { ...o, fill: '0' as never }), TypeError, /fill must be a number/);
  throwsError(() => stepScores(5 as never, [0], o), TypeError, /scores must be/);
  // Both detached read as 0 windows: that returned all-NaN scores without a word.
  throwsError(() => stepScores(detached(2), detachedI32(2), o), TypeError, /starts is backed by a detached ArrayBuffer/);
  throwsError(() => stepScores(detached(2), [0, 1], o), TypeError, /scores is backed by a detached ArrayBuffer/);
  throwsError(() => stepScores({ data: detached(2), shape: [2] }, [0, 1], o), TypeError, /scores\.data is backed by a detached ArrayBuffer/);
  throwsError(() => stepScores([1], null as never, o), TypeError, /starts must be/);
});

test.run();
