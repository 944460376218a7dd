import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { forEachSimd } from './helpers/simd.ts';
import { throwsError } from './helpers/errors.ts';
import {
  activationBackward, activationBackwardAsync, activationForward, activationForwardAsync, softmaxBackward, softmaxBackwardAsync,
  softmaxForward, softmaxForwardAsync, type ActivationKind,
} from '../ts/bindings/activation.ts';
import { backend, getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import {
  allWritten, detached, gradRelErr, maxRelErr, nanF32, numericGrad, randomF32, rng,
} from './helpers/random.ts';
import { activationRef, softmaxRef } from './reference/activation.ts';

const kinds: ActivationKind[] = ['sigmoid', 'tanh', 'relu'];
const sizes = [1, 5, 8, 13, 67];
const shapes: Array<[number, number]> = [[1, 1], [1, 9], [3, 5], [7, 19], [4, 40]];

const eachPath = forEachSimd;

test('forward matches the float64 reference on every SIMD path', () => {
  eachPath((path) => {
    const r = rng(11);
    for (const kind of kinds) {
      for (const n of sizes) {
        const x = randomF32(r, n, -8, 8);
        x[0] = 0.01; // inside tanh's small-argument branch
        const y = nanF32(n);
        activationForward(kind, n, x, y);
        assert.ok(allWritten(y), `${kind} ${path}`);
        const ref = activationRef(kind, x);
        assert.ok(maxRelErr(y, ref) < 2e-6, `${kind} n=${n} ${path}: ${maxRelErr(y, ref)}`);
        // Relative accuracy for values far below 1 (maxRelErr floors at 1).
        for (let i = 0; i < n; i++) {
          if (Math.abs(ref[i]) > 1e-30) assert.ok(Math.abs(y[i] - ref[i]) / Math.abs(ref[i]) < 3e-6, `${kind} ${path} x=${x[i]}`);
        }
      }
    }
  });
});

test('stable for extreme inputs', () => {
  eachPath((path) => {
    const x = new Float32Array([-1e30, -1e4, -100, -88, -20, 20, 88, 100, 1e4, 1e30, 0, -0]);
    for (const kind of kinds) {
      const y = nanF32(x.length);
      activationForward(kind, x.length, x, y);
      const ref = activationRef(kind, x);
      for (let i = 0; i < x.length; i++) assert.ok(Math.abs(y[i] - ref[i]) <= 1e-6 * Math.max(1, Math.abs(ref[i])), `${kind} ${path} ${x[i]} -> ${y[i]}`);
    }
    const s = nanF32(x.length);
    softmaxForward(1, x.length, x, s);
    assert.ok(maxRelErr(s, softmaxRef(1, x.length, x)) < 1e-6, path);
  });
});

test('activation backward matches finite differences of sum(f(x) * w)', () => {
  eachPath((path) => {
    const r = rng(12);
    for (const kind of kinds) {
      for (const n of sizes) {
        const x = randomF32(r, n, -3, 3);
        const w = randomF32(r, n);
        const y = nanF32(n);
        activationForward(kind, n, x, y);
        const dX = nanF32(n);
        activationBackward(kind, n, y, w, dX);
        assert.ok(allWritten(dX));
        const f = (v: Float64Array) => activationRef(kind, v).reduce((s, yi, i) => s + yi * w[i], 0);
        const err = gradRelErr(dX, numericGrad(f, Float64Array.from(x)));
        assert.ok(err < 1e-3, `${kind} n=${n} ${path}: ${err}`);
      }
    }
  });
});

test('softmax forward and backward match the reference and finite differences', () => {
  eachPath((path) => {
    const r = rng(13);
    for (const [N, C] of shapes) {
      const x = randomF32(r, N * C, -5, 5);
      const y = nanF32(N * C);
      softmaxForward(N, C, x, y);
      assert.ok(allWritten(y));
      assert.ok(maxRelErr(y, softmaxRef(N, C, x)) < 1e-6, `${N}x${C} ${path}`);
      const w = randomF32(r, N * C);
      const dX = nanF32(N * C);
      softmaxBackward(N, C, y, w, dX);
      assert.ok(allWritten(dX));
      const f = (v: Float64Array) => softmaxRef(N, C, v).reduce((s, yi, i) => s + yi * w[i], 0);
      const err = gradRelErr(dX, numericGrad(f, Float64Array.from(x)));
      assert.ok(err < 1e-3, `${N}x${C} ${path}: ${err}`);
    }
  });
});

test('bit-identical for 1, 2 and 3 threads', () => {
  const r = rng(14);
  const n = 200_003;
  const x = randomF32(r, n, -6, 6);
  const g = randomF32(r, n);
  const [N, C] = [2001, 97];
  const before = getNumThreads();
  eachPath(() => {
    const runs: Float32Array[][] = [];
    for (const t of [1, 2, 3]) {
      setNumThreads(t);
      const outs: Float32Array[] = [];
      for (const kind of kinds) {
        const y = nanF32(n), d = nanF32(n);
        activationForward(kind, n, x, y);
        activationBackward(kind, n, y, g, d);
        outs.push(y, d);
      }
      const s = nanF32(N * C), ds = nanF32(N * C);
      softmaxForward(N, C, x.subarray(0, N * C), s);
      softmaxBackward(N, C, s, g.subarray(0, N * C), ds);
      outs.push(s, ds);
      runs.push(outs);
    }
    for (let k = 0; k < runs[0].length; k++) {
      assert.equal(runs[1][k], runs[0][k]);
      assert.equal(runs[2][k], runs[0][k]);
    }
  });
  setNumThreads(before);
});

test('async forms give the same results', async () => {
  const r = rng(15);
  const x = randomF32(r, 30);
  const a = nanF32(30), b = nanF32(30);
  activationForward('tanh', 30, x, a);
  await activationForwardAsync('tanh', 30, x, b);
  assert.equal(b, a);
  activationBackward('tanh', 30, a, x, b);
  const c = nanF32(30);
  await activationBackwardAsync('tanh', 30, a, x, c);
  assert.equal(c, b);
  softmaxForward(5, 6, x, a);
  await softmaxForwardAsync(5, 6, x, b);
  assert.equal(b, a);
  softmaxBackward(5, 6, a, x, b);
  await softmaxBackwardAsync(5, 6, a, x, c);
  assert.equal(c, b);
});

test('bad arguments throw TypeError/RangeError', async () => {
  const x = new Float32Array(6).fill(0.5), y = new Float32Array(6);
  const fwd = (...a: unknown[]) => () => (activationForward as (...a: unknown[]) => void)(...a);
  const bwd = (...a: unknown[]) => () => (activationBackward as (...a: unknown[]) => void)(...a);
  const sm = (...a: unknown[]) => () => (softmaxForward as (...a: unknown[]) => void)(...a);
  const smb = (...a: unknown[]) => () => (softmaxBackward as (...a: unknown[]) => void)(...a);
  assert.not.throws(fwd('relu', 6, x, y));
  throwsError(fwd('gelu', 6, x, y), RangeError);
  throwsError(fwd('toString', 6, x, y), RangeError);
  throwsError(fwd(1, 6, x, y), TypeError);
  throwsError(fwd('relu', 0, x, y), RangeError);
  throwsError(fwd('relu', -6, x, y), RangeError);
  throwsError(fwd('relu', Number.NaN, x, y), RangeError);
  throwsError(fwd('relu', 7, x, y), RangeError);
  throwsError(fwd('relu', 6, new Float64Array(6), y), TypeError);
  throwsError(fwd('relu', 6, x, new Float32Array(5)), RangeError);
  throwsError(fwd('relu', 6, Float32Array.of(1, 2, 3, Number.NaN, 5, 6), y), RangeError);
  throwsError(fwd('relu', 6, detached(6), y), TypeError);
  throwsError(fwd('relu', 6, x, detached(6)), TypeError);
  assert.not.throws(bwd('sigmoid', 6, x, x, y));
  throwsError(bwd('sigmoid', 6, x, null, y), TypeError);
  throwsError(bwd('sigmoid', 6, x, x, new Float32Array(7)), RangeError);
  throwsError(bwd('sigmoid', 6, x, detached(6), y), TypeError);
  assert.not.throws(sm(2, 3, x, y));
  throwsError(sm(2, 0, x, y), RangeError);
  throwsError(sm(3, 3, x, y), RangeError);
  throwsError(sm(2, 3, x, 'y'), TypeError);
  throwsError(sm(2, 3, detached(6), y), TypeError);
  assert.not.throws(smb(2, 3, x, x, y));
  throwsError(smb(2, -3, x, x, y), RangeError);
  throwsError(smb(2, 3, x, new Int32Array(6), y), TypeError);
  throwsError(smb(2, 3, x, x, detached(6)), TypeError);
  let caught: unknown;
  await activationForwardAsync('nope' as ActivationKind, 6, x, y).catch((e) => (caught = e));
  assert.instance(caught, RangeError);
});

test.run();
