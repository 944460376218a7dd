import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsError } from './helpers/errors.ts';
import {
  dropoutApplyMask, dropoutApplyMaskAsync, dropoutBackward, dropoutBackwardAsync, dropoutForward, dropoutForwardAsync,
} from '../ts/bindings/dropout.ts';
import { getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import { allWritten, detached, nanF32, randomF32, rng } from './helpers/random.ts';
import { dropoutMaskRef } from './reference/dropout.ts';

test('mask equals the Philox reference; y = x * mask', () => {
  const r = rng(41);
  for (const [n, rate, seed, stream] of [[1, 0.5, 1, 0], [13, 0.3, 7, 2], [1001, 0.1, 2 ** 40 + 3, 2 ** 33 + 1], [999, 0.9, 0, 0]]) {
    const x = randomF32(r, n, 0.5, 2);
    const y = nanF32(n), mask = nanF32(n);
    dropoutForward(n, rate, seed, stream, x, y, mask);
    assert.ok(allWritten(y) && allWritten(mask));
    assert.equal(mask, dropoutMaskRef(n, rate, seed, stream));
    for (let i = 0; i < n; i++) assert.is(y[i], Math.fround(x[i] * mask[i]));
  }
});

test('same seed and stream give the same mask; others differ; rate 0 is the identity', () => {
  const n = 4096;
  const x = new Float32Array(n).fill(1);
  const run = (seed: number, stream: number) => {
    const y = nanF32(n);
    dropoutForward(n, 0.5, seed, stream, x, y);
    return y;
  };
  assert.equal(run(5, 1), run(5, 1));
  assert.not.equal(run(5, 1), run(6, 1));
  assert.not.equal(run(5, 1), run(5, 2));
  const y = nanF32(n);
  dropoutForward(n, 0, 9, 9, x, y);
  assert.equal(y, x);
});

test('keep fraction is close to 1 - rate on a large array', () => {
  const n = 1 << 20;
  const x = new Float32Array(n).fill(1);
  for (const rate of [0.1, 0.5, 0.8]) {
    const y = nanF32(n);
    dropoutForward(n, rate, 1234, 0, x, y);
    let kept = 0;
    for (let i = 0; i < n; i++) if (y[i] !== 0) kept++;
    // Binomial standard deviation is below 5e-4 here; allow 6 of them.
    assert.ok(Math.abs(kept / n - (1 - rate)) < 3e-3, `rate ${rate}: kept ${kept / n}`);
    assert.is(y.find((v) => v !== 0), Math.fround(1 / (1 - rate)));
  }
});

test('backward (regenerated or from the saved mask) is consistent with forward', () => {
  const r = rng(42);
  const n = 777;
  const x = randomF32(r, n), dY = randomF32(r, n);
  const y = nanF32(n), mask = nanF32(n), dX1 = nanF32(n), dX2 = nanF32(n);
  dropoutForward(n, 0.35, 99, 3, x, y, mask);
  dropoutBackward(n, 0.35, 99, 3, dY, dX1);
  dropoutApplyMask(n, mask, dY, dX2);
  assert.ok(allWritten(dX1));
  assert.equal(dX1, dX2);
  // Linear map: <dY, y> = <dX, x>, and dX vanishes exactly where y does.
  let a = 0, b = 0;
  for (let i = 0; i < n; i++) {
    a += dY[i] * y[i];
    b += dX1[i] * x[i];
    assert.is(dX1[i] === 0, y[i] === 0);
  }
  assert.ok(Math.abs(a - b) < 1e-4);
});

test('bit-identical for 1, 2 and 3 threads', () => {
  const r = rng(43);
  const n = 100_003;
  const x = randomF32(r, n);
  const before = getNumThreads();
  const runs: Float32Array[][] = [];
  for (const t of [1, 2, 3]) {
    setNumThreads(t);
    const y = nanF32(n), m = nanF32(n), d = nanF32(n);
    dropoutForward(n, 0.25, 17, 5, x, y, m);
    dropoutBackward(n, 0.25, 17, 5, x, d);
    runs.push([y, m, d]);
  }
  setNumThreads(before);
  assert.equal(runs[1], runs[0]);
  assert.equal(runs[2], runs[0]);
});

test('async forms give the same results', async () => {
  const r = rng(44);
  const n = 50;
  const x = randomF32(r, n);
  const y1 = nanF32(n), y2 = nanF32(n), m = nanF32(n);
  dropoutForward(n, 0.5, 1, 1, x, y1);
  await dropoutForwardAsync(n, 0.5, 1, 1, x, y2, m);
  assert.equal(y2, y1);
  const d1 = nanF32(n), d2 = nanF32(n);
  await dropoutBackwardAsync(n, 0.5, 1, 1, x, d1);
  await dropoutApplyMaskAsync(n, m, x, d2);
  assert.equal(d2, d1);
});

test('bad arguments throw TypeError/RangeError', async () => {
  const n = 5;
  const x = new Float32Array(n).fill(1), y = new Float32Array(n);
  const fwd = (...a: unknown[]) => () => (dropoutForward as (...a: unknown[]) => void)(...a);
  const bwd = (...a: unknown[]) => () => (dropoutBackward as (...a: unknown[]) => void)(...a);
  const app = (...a: unknown[]) => () => (dropoutApplyMask as (...a: unknown[]) => void)(...a);
  assert.not.throws(fwd(n, 0.5, 1, 0, x, y, null));
  throwsError(fwd(n, 1, 1, 0, x, y), RangeError);
  throwsError(fwd(n, -0.1, 1, 0, x, y), RangeError);
  throwsError(fwd(n, Number.NaN, 1, 0, x, y), RangeError);
  throwsError(fwd(n, '0.5', 1, 0, x, y), TypeError);
  throwsError(fwd(n, 0.5, -1, 0, x, y), RangeError);
  throwsError(fwd(n, 0.5, 1.5, 0, x, y), RangeError);
  throwsError(fwd(n, 0.5, 2 ** 53, 0, x, y), RangeError);
  throwsError(fwd(n, 0.5, 1, -2, x, y), RangeError);
  throwsError(fwd(0, 0.5, 1, 0, x, y), RangeError);
  throwsError(fwd(-5, 0.5, 1, 0, x, y), RangeError);
  throwsError(fwd(n, 0.5, 1, 0, x.subarray(1), y), RangeError);
  throwsError(fwd(n, 0.5, 1, 0, x, y, new Float32Array(n + 1)), RangeError);
  throwsError(fwd(n, 0.5, 1, 0, x, new Uint8Array(n)), TypeError);
  throwsError(fwd(n, 0.5, 1, 0, Float32Array.of(1, 2, Number.NaN, 4, 5), y), RangeError);
  throwsError(fwd(n, 0.5, 1, 0, detached(n), y), TypeError);
  throwsError(fwd(n, 0.5, 1, 0, x, detached(n)), TypeError);
  assert.not.throws(bwd(n, 0.5, 1, 0, x, y));
  throwsError(bwd(n, 1.5, 1, 0, x, y), RangeError);
  throwsError(bwd(n, 0.5, 1, 0, x, null), TypeError);
  throwsError(bwd(n, 0.5, 1, 0, detached(n), y), TypeError);
  assert.not.throws(app(n, x, x, y));
  throwsError(app(n, x.subarray(2), x, y), RangeError);
  throwsError(app(n, x, x, detached(n)), TypeError);
  let caught: unknown;
  await dropoutForwardAsync(n, 2, 1, 0, x, y).catch((e) => (caught = e));
  assert.instance(caught, RangeError);
});

test.run();
