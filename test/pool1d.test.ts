import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejectsError, throwsError } from './helpers/errors.ts';
import {
  maxPool1dBackward, maxPool1dBackwardAsync, maxPool1dForward, maxPool1dForwardAsync, maxPool1dOutputLength,
  spatialDropout1d, spatialDropout1dAsync, upSampling1dBackward, upSampling1dBackwardAsync, upSampling1dForward,
  upSampling1dForwardAsync, type MaxPool1dShape,
} from '../ts/bindings/pool1d.ts';
import { dropoutForward } from '../ts/bindings/dropout.ts';
import { getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import { allWritten, detached, detachedI32, gradRelErr, nanF32, numericGrad, randomF32, rng } from './helpers/random.ts';
import { maxPool1dRef, upSampling1dRef } from './reference/conv1d.ts';
import { dropoutMaskRef } from './reference/dropout.ts';

const pool = (B: number, T: number, C: number, P: number, S: number | undefined, padding: 'valid' | 'same'): MaxPool1dShape => ({
  batch: B, time: T, channels: C, poolSize: P, strides: S, padding,
});
const label = (s: MaxPool1dShape) => `B${s.batch} T${s.time} C${s.channels} pool${s.poolSize} s${s.strides ?? '-'} ${s.padding}`;

// Default strides, overlapping windows (stride < pool), gaps (stride > pool), pool longer than the
// sequence ('same' only), length 1, batch 1, odd channel counts.
const POOLS: MaxPool1dShape[] = [
  pool(2, 10, 3, 2, undefined, 'valid'), pool(2, 10, 3, 2, undefined, 'same'), pool(1, 11, 5, 3, undefined, 'same'),
  pool(3, 9, 4, 3, 1, 'valid'), pool(3, 9, 4, 3, 1, 'same'), pool(2, 12, 7, 4, 2, 'same'), pool(2, 13, 2, 2, 3, 'valid'),
  pool(2, 13, 2, 2, 3, 'same'), pool(1, 1, 3, 2, undefined, 'same'), pool(1, 3, 9, 5, 2, 'same'), pool(4, 7, 1, 7, 1, 'valid'),
  pool(2, 6, 33, 1, 1, 'valid'),
];

test('maxPool1d forward: Keras output lengths, the reference maxima and argmax', () => {
  const r = rng(81);
  // Keras' lengths: valid floor((T - P) / S) + 1, same ceil(T / S).
  assert.is(maxPool1dOutputLength({ time: 10, poolSize: 3, padding: 'valid' }), 3);
  assert.is(maxPool1dOutputLength({ time: 10, poolSize: 3, padding: 'same' }), 4);
  assert.is(maxPool1dOutputLength({ time: 10, poolSize: 4, strides: 1, padding: 'same' }), 10);
  for (const s of POOLS) {
    const Tout = maxPool1dOutputLength(s);
    const x = randomF32(r, s.batch * s.time * s.channels);
    const y = nanF32(s.batch * Tout * s.channels), argmax = new Int32Array(y.length).fill(-1);
    maxPool1dForward(s, x, y, argmax);
    const ref = maxPool1dRef(s, x);
    assert.ok(allWritten(y), label(s));
    assert.equal(y, Float32Array.from(ref.y), label(s));
    assert.equal(argmax, ref.argmax, label(s));
    const y2 = nanF32(y.length);
    maxPool1dForward(s, x, y2, null);
    assert.equal(y2, y);
  }
});

test('maxPool1d: the earliest step wins a tie', () => {
  const s = pool(1, 6, 2, 3, 1, 'valid');
  const x = Float32Array.of(1, 5, 4, 5, 4, 2, 3, 5, 2, 1, 0, 0);
  const y = nanF32(8), argmax = new Int32Array(8);
  maxPool1dForward(s, x, y, argmax);
  assert.equal(Array.from(y), [4, 5, 4, 5, 4, 5, 3, 5]);
  assert.equal(Array.from(argmax), [1, 0, 1, 1, 2, 3, 3, 3]);
});

test('maxPool1d backward: finite differences, and overlapping windows add up', () => {
  const r = rng(82);
  for (const s of POOLS) {
    const Tout = maxPool1dOutputLength(s);
    const n = s.batch * s.time * s.channels;
    const x = randomF32(r, n), g = randomF32(r, s.batch * Tout * s.channels);
    const y = nanF32(g.length), argmax = new Int32Array(g.length);
    maxPool1dForward(s, x, y, argmax);
    const dX = nanF32(n);
    maxPool1dBackward(s, argmax, g, dX);
    assert.ok(allWritten(dX), label(s));
    const fd = numericGrad((v) => maxPool1dRef(s, v).y.reduce((a, yv, i) => a + yv * g[i], 0), Float64Array.from(x));
    assert.ok(gradRelErr(dX, fd) < 1e-3, label(s));
  }
});

test('upSampling1d: repeats each step; backward sums the copies', () => {
  const r = rng(83);
  for (const [B, T, C, size] of [[1, 1, 1, 1], [2, 5, 3, 2], [3, 4, 17, 3], [1, 7, 2, 5]]) {
    const x = randomF32(r, B * T * C), g = randomF32(r, B * T * size * C);
    const y = nanF32(g.length), dX = nanF32(x.length);
    upSampling1dForward(B, T, C, size, x, y);
    assert.equal(y, Float32Array.from(upSampling1dRef(B, T, C, size, x)));
    upSampling1dBackward(B, T, C, size, g, dX);
    assert.ok(allWritten(dX));
    const fd = numericGrad((v) => upSampling1dRef(B, T, C, size, v).reduce((a, yv, i) => a + yv * g[i], 0), Float64Array.from(x));
    assert.ok(gradRelErr(dX, fd) < 1e-3, `${B} ${T} ${C} ${size}`);
  }
});

test('spatialDropout1d: one Philox draw per (sequence, channel), dropout\'s own factors, the same map backward', () => {
  const r = rng(84);
  for (const [B, T, C, rate, seed, stream] of [[1, 1, 1, 0.5, 1, 0], [3, 9, 5, 0.3, 7, 2], [4, 20, 33, 0.6, 2 ** 40 + 3, 2 ** 33 + 1]]) {
    const x = randomF32(r, B * T * C, 0.5, 2);
    const y = nanF32(x.length), mask = nanF32(B * C), dX = nanF32(x.length);
    spatialDropout1d(B, T, C, rate, seed, stream, x, y, mask);
    const want = dropoutMaskRef(B * C, rate, seed, stream);
    assert.equal(mask, want);
    // The same factors dropoutForward draws for elements [0, B*C).
    const viaDropout = nanF32(B * C);
    dropoutForward(B * C, rate, seed, stream, new Float32Array(B * C).fill(1), viaDropout);
    assert.equal(mask, viaDropout);
    for (let i = 0; i < x.length; i++) {
      const f = want[Math.floor(i / (T * C)) * C + (i % C)];
      assert.ok(Object.is(y[i], Math.fround(x[i] * f)), `y[${i}]`);
    }
    spatialDropout1d(B, T, C, rate, seed, stream, x, dX, null);
    assert.equal(dX, y);
  }
  // Rate 0 is the identity; a large draw keeps about 1 - rate of the channels.
  const x = randomF32(r, 2 * 3 * 4), y = nanF32(24);
  spatialDropout1d(2, 3, 4, 0, 5, 5, x, y);
  assert.equal(y, x);
  const mask = nanF32(1 << 16);
  spatialDropout1d(1 << 10, 1, 64, 0.25, 9, 1, new Float32Array(1 << 16).fill(1), nanF32(1 << 16), mask);
  const kept = mask.reduce((a, v) => a + (v !== 0 ? 1 : 0), 0) / mask.length;
  assert.ok(Math.abs(kept - 0.75) < 0.01, `kept ${kept}`);
});

test('bit-identical for 1, 2 and 3 threads', () => {
  const r = rng(85);
  const s = pool(37, 300, 19, 5, 2, 'same');
  const Tout = maxPool1dOutputLength(s);
  const x = randomF32(r, 37 * 300 * 19), g = randomF32(r, 37 * Tout * 19);
  const before = getNumThreads();
  const runs: Array<Array<Float32Array | Int32Array>> = [];
  try {
    for (const t of [1, 2, 3]) {
      setNumThreads(t);
      const y = nanF32(g.length), argmax = new Int32Array(g.length), dX = nanF32(x.length);
      maxPool1dForward(s, x, y, argmax);
      maxPool1dBackward(s, argmax, g, dX);
      const up = nanF32(x.length * 3), dUp = nanF32(37 * 100 * 19);
      upSampling1dForward(37, 300, 19, 3, x, up);
      upSampling1dBackward(37, 100, 19, 3, x, dUp);
      const sd = nanF32(x.length), mask = nanF32(37 * 19);
      spatialDropout1d(37, 300, 19, 0.4, 3, 4, x, sd, mask);
      runs.push([y, argmax, dX, up, dUp, sd, mask]);
    }
  } finally {
    setNumThreads(before);
  }
  for (let k = 0; k < runs[0].length; k++) {
    assert.equal(runs[1][k], runs[0][k], `output ${k}, 2 threads`);
    assert.equal(runs[2][k], runs[0][k], `output ${k}, 3 threads`);
  }
});

test('async forms give the same results', async () => {
  const r = rng(86);
  const s = pool(2, 9, 3, 3, 2, 'same');
  const Tout = maxPool1dOutputLength(s);
  const x = randomF32(r, 54), g = randomF32(r, 2 * Tout * 3);
  const y1 = nanF32(g.length), y2 = nanF32(g.length), a1 = new Int32Array(g.length), a2 = new Int32Array(g.length);
  maxPool1dForward(s, x, y1, a1);
  await maxPool1dForwardAsync(s, x, y2, a2);
  assert.equal(y2, y1);
  assert.equal(a2, a1);
  const d1 = nanF32(54), d2 = nanF32(54);
  maxPool1dBackward(s, a1, g, d1);
  await maxPool1dBackwardAsync(s, a1, g, d2);
  assert.equal(d2, d1);
  const u1 = nanF32(108), u2 = nanF32(108);
  upSampling1dForward(2, 9, 3, 2, x, u1);
  await upSampling1dForwardAsync(2, 9, 3, 2, x, u2);
  assert.equal(u2, u1);
  const b1 = nanF32(54), b2 = nanF32(54);
  upSampling1dBackward(2, 9, 3, 2, u1, b1);
  await upSampling1dBackwardAsync(2, 9, 3, 2, u1, b2);
  assert.equal(b2, b1);
  const s1 = nanF32(54), s2 = nanF32(54), m = nanF32(6);
  spatialDropout1d(2, 9, 3, 0.5, 1, 2, x, s1);
  await spatialDropout1dAsync(2, 9, 3, 0.5, 1, 2, x, s2, m);
  assert.equal(s2, s1);
});

test('bad arguments throw TypeError/RangeError naming the argument', async () => {
  const s = pool(2, 6, 3, 2, undefined, 'valid'); // Tout 3
  const x = new Float32Array(36).fill(1), y = new Float32Array(18), argmax = new Int32Array(18), g = new Float32Array(18).fill(1);
  const fwd = (sh: unknown, ...a: unknown[]) => () => (maxPool1dForward as (...a: unknown[]) => void)(sh, ...a);
  const bwd = (sh: unknown, ...a: unknown[]) => () => (maxPool1dBackward as (...a: unknown[]) => void)(sh, ...a);
  assert.not.throws(fwd(s, x, y, argmax));
  assert.not.throws(fwd(s, x, y, null));
  assert.not.throws(bwd(s, argmax, g, new Float32Array(36)));
  throwsError(fwd({ ...s, batch: 0 }, x, y, argmax), RangeError, /batch/);
  throwsError(fwd({ ...s, time: -6 }, x, y, argmax), RangeError, /time/);
  throwsError(fwd({ ...s, channels: 1.5 }, x, y, argmax), RangeError, /channels/);
  throwsError(fwd({ ...s, poolSize: 0 }, x, y, argmax), RangeError, /poolSize/);
  throwsError(fwd({ ...s, strides: -1 }, x, y, argmax), RangeError, /strides/);
  throwsError(fwd({ ...s, strides: Number.NaN }, x, y, argmax), RangeError, /strides/);
  throwsError(fwd({ ...s, poolSize: '2' }, x, y, argmax), TypeError, /poolSize/);
  throwsError(fwd({ ...s, padding: 'causal' }, x, y, argmax), RangeError, /padding/);
  throwsError(fwd({ ...s, poolSize: 7 }, x, new Float32Array(0), argmax), RangeError, /valid/);
  throwsError(fwd(s, x.subarray(1), y, argmax), RangeError, /\bx\b/);
  throwsError(fwd(s, x, new Float32Array(17), argmax), RangeError, /\by\b/);
  throwsError(fwd(s, x, y, new Int32Array(19)), RangeError, /argmax/);
  throwsError(fwd(s, x, y, new Float32Array(18)), TypeError, /argmax/);
  throwsError(fwd(s, Array.from(x), y, argmax), TypeError, /\bx\b/);
  throwsError(fwd(s, Float32Array.from(x).fill(Number.NaN, 5, 6), y, argmax), RangeError, /\bx\b/);
  throwsError(fwd(s, detached(36), y, argmax), TypeError, /detached/);
  throwsError(fwd(s, x, y, detachedI32(18)), TypeError, /detached/);
  // argmax must name steps inside the sequence: anything else would write outside dX.
  throwsError(bwd(s, Int32Array.from(argmax).fill(6, 0, 1), g, new Float32Array(36)), RangeError, /argmax/);
  throwsError(bwd(s, Int32Array.from(argmax).fill(-1, 4, 5), g, new Float32Array(36)), RangeError, /argmax/);
  throwsError(bwd(s, argmax, Float32Array.from(g).fill(Number.POSITIVE_INFINITY, 1, 2), new Float32Array(36)), RangeError, /dY/);
  throwsError(bwd(s, argmax, g, new Float32Array(35)), RangeError, /dX/);
  throwsError(bwd(s, null, g, new Float32Array(36)), TypeError, /argmax/);
  throwsError(bwd(s, argmax, g, detached(36)), TypeError, /detached/);

  const up = (...a: unknown[]) => () => (upSampling1dForward as (...a: unknown[]) => void)(...a);
  const upB = (...a: unknown[]) => () => (upSampling1dBackward as (...a: unknown[]) => void)(...a);
  assert.not.throws(up(2, 6, 3, 2, x, new Float32Array(72)));
  throwsError(up(2, 6, 3, 0, x, new Float32Array(0)), RangeError, /size/);
  throwsError(up(2, 6, -3, 2, x, new Float32Array(72)), RangeError, /channels/);
  throwsError(up(2, 6, 3, '2', x, new Float32Array(72)), TypeError, /size/);
  throwsError(up(2, 6, 3, 2, x, new Float32Array(71)), RangeError, /\by\b/);
  throwsError(up(2, 6, 3, 2, Float32Array.from(x).fill(Number.NaN, 0, 1), new Float32Array(72)), RangeError, /\bx\b/);
  throwsError(up(2, 6, 3, 2, detached(36), new Float32Array(72)), TypeError, /detached/);
  assert.not.throws(upB(2, 6, 3, 2, new Float32Array(72), x));
  throwsError(upB(2, 6, 3, 2, new Float32Array(70), x), RangeError, /dY/);
  throwsError(upB(2, 6, 3, 2, new Float32Array(72), new Int32Array(36)), TypeError, /dX/);
  throwsError(upB(2, 6, 3, 2, new Float32Array(72), detached(36)), TypeError, /detached/);

  const sd = (...a: unknown[]) => () => (spatialDropout1d as (...a: unknown[]) => void)(...a);
  assert.not.throws(sd(2, 6, 3, 0.5, 1, 0, x, new Float32Array(36), new Float32Array(6)));
  throwsError(sd(2, 6, 3, 1, 1, 0, x, new Float32Array(36)), RangeError, /rate/);
  throwsError(sd(2, 6, 3, Number.NaN, 1, 0, x, new Float32Array(36)), RangeError, /rate/);
  throwsError(sd(2, 6, 3, 0.5, -1, 0, x, new Float32Array(36)), RangeError, /seed/);
  throwsError(sd(2, 6, 3, 0.5, 1, 0.5, x, new Float32Array(36)), RangeError, /stream/);
  throwsError(sd(0, 6, 3, 0.5, 1, 0, x, new Float32Array(36)), RangeError, /batch/);
  throwsError(sd(2, 6, 3, 0.5, 1, 0, x, new Float32Array(36), new Float32Array(5)), RangeError, /mask/);
  throwsError(sd(2, 6, 3, '0.5', 1, 0, x, new Float32Array(36)), TypeError, /rate/);
  throwsError(sd(2, 6, 3, 0.5, 1, 0, x, detached(36)), TypeError, /detached/);
  throwsError(sd(2, 6, 3, 0.5, 1, 0, Float32Array.from(x).fill(Number.NaN, 0, 1), new Float32Array(36)), RangeError, /\bx\b/);

  await rejectsError(maxPool1dForwardAsync({ ...s, poolSize: 0 }, x, y, argmax), RangeError);
  await rejectsError(maxPool1dBackwardAsync(s, argmax, g, detached(36)), TypeError);
  await rejectsError(upSampling1dForwardAsync(2, 6, 3, 2, x, new Float32Array(1)), RangeError);
  await rejectsError(upSampling1dBackwardAsync(2, 6, 3, 2, new Float32Array(72), detached(36)), TypeError);
  await rejectsError(spatialDropout1dAsync(2, 6, 3, 2, 1, 0, x, new Float32Array(36)), RangeError);
  await rejectsError(() => (maxPool1dForwardAsync as (...a: unknown[]) => Promise<void>)(null, x, y, argmax), TypeError);
});

test.run();
