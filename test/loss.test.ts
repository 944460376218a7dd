import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsError } from './helpers/errors.ts';
import {
  binaryCrossentropyLogits, binaryCrossentropyLogitsAsync, categoricalCrossentropyLogits, categoricalCrossentropyLogitsAsync,
  classToSampleWeights, meanAbsoluteError, meanAbsoluteErrorAsync, meanSquaredError, meanSquaredErrorAsync,
  sparseCategoricalCrossentropyLogits, sparseCategoricalCrossentropyLogitsAsync,
} from '../ts/bindings/loss.ts';
import { getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import {
  allWritten, detached, detachedI32, gradRelErr, nanF32, numericGrad, randomF32, randomInts, rng,
} from './helpers/random.ts';
import { bceRef, cceRef, maeRef, mseRef, sparseCceRef } from './reference/loss.ts';

type F32 = Float32Array;
type DenseLoss = (N: number, C: number, p: F32, t: F32, w: F32 | null, g: F32 | null) => number;
type Ref = (N: number, C: number, p: ArrayLike<number>, t: ArrayLike<number>, w: ArrayLike<number> | null) => number;

const shapes: Array<[number, number]> = [[1, 1], [1, 5], [4, 3], [9, 11], [13, 2]];

function probabilities(r: () => number, N: number, C: number, oneHot: boolean): F32 {
  const t = randomF32(r, N * C, 0.05, 1);
  for (let i = 0; i < N; i++) {
    const row = t.subarray(i * C, (i + 1) * C);
    if (oneHot) {
      const k = Math.floor(r() * C);
      row.fill(0);
      row[k] = 1;
    } else {
      const s = row.reduce((a, b) => a + b, 0);
      for (let c = 0; c < C; c++) row[c] /= s;
    }
  }
  return t;
}

const dense: Array<[string, DenseLoss, Ref, (r: () => number, N: number, C: number) => F32]> = [
  ['bce', binaryCrossentropyLogits, bceRef, (r, N, C) => randomF32(r, N * C, 0, 1)],
  ['cce-prob', categoricalCrossentropyLogits, cceRef, (r, N, C) => probabilities(r, N, C, false)],
  ['cce-onehot', categoricalCrossentropyLogits, cceRef, (r, N, C) => probabilities(r, N, C, true)],
  ['mse', meanSquaredError, mseRef, (r, N, C) => randomF32(r, N * C, -2, 2)],
  ['mae', meanAbsoluteError, maeRef, (r, N, C) => randomF32(r, N * C, -2, 2)],
];

test('dense-target losses: value and gradient against float64 reference and finite differences', () => {
  const r = rng(31);
  for (const [name, fn, ref, targets] of dense) {
    for (const [N, C] of shapes) {
      for (const weighted of [false, true]) {
        const p = randomF32(r, N * C, -4, 4);
        const t = targets(r, N, C);
        const w = weighted ? randomF32(r, N, 0.1, 3) : null;
        const g = nanF32(N * C);
        const v = fn(N, C, p, t, w, g);
        const want = ref(N, C, p, t, w);
        assert.ok(Math.abs(v - want) <= 1e-5 * Math.max(1, Math.abs(want)), `${name} ${N}x${C}: ${v} vs ${want}`);
        assert.ok(allWritten(g), name);
        const num = numericGrad((x) => ref(N, C, x, t, w), Float64Array.from(p));
        const err = gradRelErr(g, num);
        assert.ok(err < 1e-3, `${name} ${N}x${C} w=${weighted}: ${err}`);
        assert.is(fn(N, C, p, t, w, null), v); // value only
      }
    }
  }
});

test('sparse categorical cross-entropy: value and gradient', () => {
  const r = rng(32);
  for (const [N, C] of shapes) {
    for (const weighted of [false, true]) {
      const z = randomF32(r, N * C, -4, 4);
      const labels = randomInts(r, N, C);
      const w = weighted ? randomF32(r, N, 0.1, 3) : null;
      const g = nanF32(N * C);
      const v = sparseCategoricalCrossentropyLogits(N, C, z, labels, w, g);
      const want = sparseCceRef(N, C, z, labels, w);
      assert.ok(Math.abs(v - want) <= 1e-5 * Math.max(1, want), `${N}x${C}`);
      assert.ok(allWritten(g));
      const num = numericGrad((x) => sparseCceRef(N, C, x, labels, w), Float64Array.from(z));
      assert.ok(gradRelErr(g, num) < 1e-3, `${N}x${C}`);
      // Same as the dense form with one-hot targets.
      const onehot = new Float32Array(N * C);
      for (let i = 0; i < N; i++) onehot[i * C + labels[i]] = 1;
      const g2 = nanF32(N * C);
      assert.ok(Math.abs(categoricalCrossentropyLogits(N, C, z, onehot, w, g2) - v) < 1e-6 * Math.max(1, v));
      for (let k = 0; k < g.length; k++) assert.ok(Math.abs(g[k] - g2[k]) < 1e-7);
    }
  }
  const labels = new Int32Array([2, 0, 1]);
  assert.equal(classToSampleWeights(labels, [0.5, 2, 3]), new Float32Array([3, 0.5, 2]));
  throwsError(() => classToSampleWeights(labels, [1, 2]), RangeError);
});

test('stable for extreme logits', () => {
  const z = new Float32Array([-1e4, 1e4, -100, 100, 0, 50]);
  const t = new Float32Array([1, 0, 0, 1, 0.5, 1]);
  const g = nanF32(6);
  const v = binaryCrossentropyLogits(1, 6, z, t, null, g);
  assert.ok(Math.abs(v - bceRef(1, 6, z, t, null)) < 1e-3 * bceRef(1, 6, z, t, null));
  assert.ok(allWritten(g) && g.every((x) => Math.abs(x) <= 1 / 6 + 1e-7));
  const v2 = sparseCategoricalCrossentropyLogits(2, 3, z, new Int32Array([0, 2]), null, g);
  assert.ok(Number.isFinite(v2) && Math.abs(v2 - sparseCceRef(2, 3, z, [0, 2], null)) < 1e-3 * v2);
  assert.ok(allWritten(g));
});

test('bit-identical value and gradient for 1, 2 and 3 threads', () => {
  const r = rng(33);
  const [N, C] = [20011, 7];
  const p = randomF32(r, N * C, -3, 3), t = randomF32(r, N * C, 0, 1), w = randomF32(r, N, 0.5, 2);
  const labels = randomInts(r, N, C);
  const before = getNumThreads();
  const runs: Array<Array<number | F32>> = [];
  for (const th of [1, 2, 3]) {
    setNumThreads(th);
    const run: Array<number | F32> = [];
    for (const [, fn] of dense) {
      const g = nanF32(N * C);
      run.push(fn(N, C, p, t, w, g), g);
    }
    const g = nanF32(N * C);
    run.push(sparseCategoricalCrossentropyLogits(N, C, p, labels, w, g), g);
    runs.push(run);
  }
  setNumThreads(before);
  assert.equal(runs[1], runs[0]);
  assert.equal(runs[2], runs[0]);
});

test('async forms resolve to the same loss and gradient', async () => {
  const r = rng(34);
  const [N, C] = [6, 4];
  const p = randomF32(r, N * C), t = randomF32(r, N * C, 0, 1), w = randomF32(r, N, 0.5, 2);
  const labels = randomInts(r, N, C);
  const pairs: Array<[DenseLoss, (...a: Parameters<DenseLoss>) => Promise<number>]> = [
    [binaryCrossentropyLogits, binaryCrossentropyLogitsAsync],
    [categoricalCrossentropyLogits, categoricalCrossentropyLogitsAsync],
    [meanSquaredError, meanSquaredErrorAsync],
    [meanAbsoluteError, meanAbsoluteErrorAsync],
  ];
  for (const [sync, async_] of pairs) {
    const g1 = nanF32(N * C), g2 = nanF32(N * C);
    const v1 = sync(N, C, p, t, w, g1);
    const v2 = await async_(N, C, p, t, w, g2);
    assert.is(v2, v1);
    assert.equal(g2, g1);
  }
  const g1 = nanF32(N * C), g2 = nanF32(N * C);
  assert.is(await sparseCategoricalCrossentropyLogitsAsync(N, C, p, labels, null, g2), sparseCategoricalCrossentropyLogits(N, C, p, labels, null, g1));
  assert.equal(g2, g1);
});

test('bad arguments throw TypeError/RangeError', async () => {
  const [N, C] = [2, 3];
  const p = new Float32Array(N * C).fill(0.5), t = new Float32Array(N * C).fill(0.25), g = new Float32Array(N * C);
  const labels = new Int32Array([0, 2]);
  for (const [name, fn] of dense) {
    const call = (...a: unknown[]) => () => (fn as (...a: unknown[]) => number)(...a);
    assert.not.throws(call(N, C, p, t, null, g), name);
    throwsError(call(0, C, p, t, null, g), RangeError);
    throwsError(call(N, -C, p, t, null, g), RangeError);
    throwsError(call(N, Number.NaN, p, t, null, g), RangeError);
    throwsError(call('2', C, p, t, null, g), TypeError);
    throwsError(call(N, C, p.subarray(1), t, null, g), RangeError);
    throwsError(call(N, C, p, new Float64Array(N * C), null, g), TypeError);
    throwsError(call(N, C, p, t, new Float32Array(N + 1), g), RangeError);
    throwsError(call(N, C, p, t, new Float32Array([1, Number.NaN]), g), RangeError);
    throwsError(call(N, C, p, t, null, new Float32Array(N * C + 1)), RangeError);
    throwsError(call(N, C, Float32Array.from(p).fill(Number.NaN, 4, 5), t, null, g), RangeError);
    throwsError(call(N, C, detached(N * C), t, null, g), TypeError);
    throwsError(call(N, C, p, t, null, detached(N * C)), TypeError);
    throwsError(call(N, C, p, t, detached(N), g), TypeError);
  }
  throwsError(() => binaryCrossentropyLogits(N, C, p, Float32Array.from(t).fill(1.5, 0, 1)), RangeError);
  throwsError(() => binaryCrossentropyLogits(N, C, p, Float32Array.from(t).fill(-0.5, 5)), RangeError);
  const sp = (...a: unknown[]) => () => (sparseCategoricalCrossentropyLogits as (...a: unknown[]) => number)(...a);
  assert.not.throws(sp(N, C, p, labels, null, g));
  throwsError(sp(N, C, p, new Int32Array([0, 3]), null, g), RangeError);
  throwsError(sp(N, C, p, new Int32Array([-1, 0]), null, g), RangeError);
  throwsError(sp(N, C, p, new Int32Array([0]), null, g), RangeError);
  throwsError(sp(N, C, p, new Float32Array([0, 1]), null, g), TypeError);
  throwsError(sp(N, C, p, detachedI32(N), null, g), TypeError);
  throwsError(sp(N, 0, p, labels, null, g), RangeError);
  let caught: unknown;
  await meanSquaredErrorAsync(N, C, p, t.subarray(1)).catch((e) => (caught = e));
  assert.instance(caught, RangeError);
});

test.run();
