import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejectsError, throwsError } from './helpers/errors.ts';
import {
  dropoutApplyMask, dropoutApplyMaskAsync, dropoutBackward, dropoutBackwardAsync, dropoutForward, dropoutForwardAsync,
  dropoutSequences, dropoutSequencesAsync,
} from '../ts/bindings/dropout.ts';
import { forEachSimd } from './helpers/simd.ts';
import { Dropout } from '../ts/models/layers/dropout.ts';
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

test('every SIMD path gives the reference mask bit for bit (ragged ends, large stream and seed words)', () => {
  const r = rng(45);
  const cases: [number, number, number, number][] = [
    [1, 0.5, 3, 1], [63, 0.5, 3, 1], [64, 0.2, 2 ** 45 + 11, 7], [65, 0.7, 5, 2 ** 36 + 5], [1000, 0.5, 2 ** 52 + 1, 2 ** 50 + 3],
    [4099, 0.05, 77, 0], [300, 0.99, 1, 1], [129, 0, 4, 4],
  ];
  for (const [n, rate, seed, stream] of cases) {
    const ref = dropoutMaskRef(n, rate, seed, stream);
    const x = randomF32(r, n, -2, 2);
    forEachSimd((level) => {
      const y = nanF32(n), mask = nanF32(n), dX = nanF32(n);
      dropoutForward(n, rate, seed, stream, x, y, mask);
      assert.equal(mask, ref, `${level} n=${n} rate=${rate}`);
      for (let i = 0; i < n; i++) assert.ok(Object.is(y[i], Math.fround(x[i] * ref[i])), `${level} y[${i}]`);
      dropoutBackward(n, rate, seed, stream, x, dX);
      assert.equal(dX, y);
    });
  }
});

// Reference for dropoutSequences: the plain mask on valid steps, 0 on the leading padded ones.
function sequencesRef(B: number, T: number, F: number, lengths: Int32Array, rate: number, seed: number, stream: number, x: Float32Array) {
  const mask = dropoutMaskRef(B * T * F, rate, seed, stream);
  const y = new Float32Array(B * T * F);
  for (let b = 0; b < B; b++) {
    for (let i = (b * T + T - lengths[b]) * F; i < (b + 1) * T * F; i++) y[i] = Math.fround(x[i] * mask[i]);
  }
  return y;
}

test('dropoutSequences: the plain mask on valid steps, zeros on padded ones, on every path and thread count', () => {
  const r = rng(46);
  const before = getNumThreads();
  for (const [B, T, F] of [[1, 1, 1], [3, 7, 5], [6, 33, 32], [9, 130, 3]]) {
    const lengths = Int32Array.from({ length: B }, (_, b) => (b === 0 ? T : b === 1 ? 0 : Math.floor(r() * (T + 1))));
    const x = randomF32(r, B * T * F, 0.5, 2);
    const want = sequencesRef(B, T, F, lengths, 0.4, 12, 34, x);
    for (const threads of [1, 2, 3]) {
      setNumThreads(threads);
      forEachSimd((level) => {
        const y = nanF32(B * T * F);
        dropoutSequences(B, T, F, lengths, 0.4, 12, 34, x, y);
        assert.ok(allWritten(y));
        assert.equal(y, want, `${level} t=${threads} B=${B} T=${T} F=${F}`);
      });
    }
  }
  setNumThreads(before);
});

test('dropoutSequences async equals sync; bad arguments throw', async () => {
  const r = rng(47);
  const B = 4, T = 50, F = 8, n = B * T * F;
  const lengths = Int32Array.of(50, 3, 0, 17);
  const x = randomF32(r, n);
  const y1 = nanF32(n), y2 = nanF32(n);
  dropoutSequences(B, T, F, lengths, 0.5, 1, 2, x, y1);
  await dropoutSequencesAsync(B, T, F, lengths, 0.5, 1, 2, x, y2);
  assert.equal(y2, y1);
  const call = (...a: unknown[]) => () => (dropoutSequences as (...a: unknown[]) => void)(...a);
  assert.not.throws(call(B, T, F, lengths, 0.5, 1, 2, x, y1));
  throwsError(call(B, T, F, Int32Array.of(50, 3, 0, 51), 0.5, 1, 2, x, y1), RangeError, /lengths/);
  throwsError(call(B, T, F, Int32Array.of(50, 3, -1, 5), 0.5, 1, 2, x, y1), RangeError, /lengths/);
  throwsError(call(B, T, F, lengths.subarray(1), 0.5, 1, 2, x, y1), RangeError, /lengths/);
  throwsError(call(B, T, F, new Float32Array(B), 0.5, 1, 2, x, y1), TypeError, /lengths/);
  throwsError(call(B, T, F, lengths, 1, 1, 2, x, y1), RangeError, /rate/);
  throwsError(call(B, T, F, lengths, 0.5, -1, 2, x, y1), RangeError, /seed/);
  throwsError(call(0, T, F, lengths, 0.5, 1, 2, x, y1), RangeError);
  throwsError(call(B, -T, F, lengths, 0.5, 1, 2, x, y1), RangeError);
  throwsError(call(B, T, F + 1, lengths, 0.5, 1, 2, x, y1), RangeError, /x/);
  throwsError(call(B, T, F, lengths, 0.5, 1, 2, x, y1.subarray(1)), RangeError, /y/);
  throwsError(call(B, T, F, lengths, 0.5, 1, 2, detached(n), y1), TypeError, /x/);
  throwsError(call(B, T, F, lengths, 0.5, 1, 2, x, detached(n)), TypeError, /y/);
  throwsError(call(B, T, F, lengths, 0.5, 1, 2, Float32Array.from(x, (v, i) => (i === 7 ? Number.NaN : v)), y1), RangeError, /x/);
  await rejectsError(dropoutSequencesAsync(B, T, F, lengths, 0.5, 1, 2, x, y1.subarray(2)), RangeError);
});

test('Dropout layer: with lengths only valid steps are dropped (unpacked factors), padded steps are 0 both ways', async () => {
  const r = rng(48);
  const B = 5, T = 40, F = 6, n = B * T * F;
  const lengths = Int32Array.of(40, 1, 0, 23, 39);
  const x = randomF32(r, n, 0.5, 2), dY = randomF32(r, n, 0.5, 2);
  const layer = new Dropout(0.3);
  layer.build([T, F]);
  const ctx = { training: true, seed: 9, stream: 1025 };
  const out = await layer.forward({ data: x, shape: [B, T, F], lengths }, ctx);
  assert.equal(out.data, sequencesRef(B, T, F, lengths, 0.3, 9, 1025, x));
  assert.is(out.lengths, lengths);
  const dX = (await layer.backward(dY, true)) as Float32Array;
  assert.equal(dX, sequencesRef(B, T, F, lengths, 0.3, 9, 1025, dY));
  // Without lengths: every step, the same factors on the steps that were valid above.
  const plain = (await layer.forward({ data: x, shape: [B, T, F], lengths: null }, ctx)).data as Float32Array;
  const packed = sequencesRef(B, T, F, lengths, 0.3, 9, 1025, x);
  for (let b = 0; b < B; b++) {
    for (let i = (b * T + T - lengths[b]) * F; i < (b + 1) * T * F; i++) assert.is(plain[i], packed[i]);
  }
  const infer = await layer.forward({ data: x, shape: [B, T, F], lengths }, { ...ctx, training: false });
  assert.is(infer.data, x);
});

test.run();
