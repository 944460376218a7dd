import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsError } from './helpers/errors.ts';
import { denseBackward, denseBackwardAsync, denseForward, denseForwardAsync } from '../ts/bindings/dense.ts';
import { getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import { allWritten, detached, gradRelErr, maxRelErr, nanF32, numericGrad, randomF32, rng } from './helpers/random.ts';
import { denseRef } from './reference/dense.ts';

const shapes: Array<[number, number, number]> = [[1, 1, 1], [1, 7, 3], [5, 3, 9], [9, 13, 11], [17, 10, 1]];

test('forward matches the reference, with and without bias', () => {
  const r = rng(21);
  for (const [N, I, O] of shapes) {
    const x = randomF32(r, N * I), W = randomF32(r, O * I), b = randomF32(r, O);
    for (const bias of [b, null]) {
      const y = nanF32(N * O);
      denseForward(N, I, O, x, W, bias, y);
      assert.ok(allWritten(y));
      assert.ok(maxRelErr(y, denseRef(N, I, O, x, W, bias)) < 1e-5, `${N},${I},${O}`);
    }
  }
});

test('backward dX, dW, db match finite differences of sum(y * w)', () => {
  const r = rng(22);
  for (const [N, I, O] of shapes) {
    const x = randomF32(r, N * I), W = randomF32(r, O * I), b = randomF32(r, O), w = randomF32(r, N * O);
    const dX = nanF32(N * I), dW = nanF32(O * I), db = nanF32(O);
    denseBackward(N, I, O, x, W, w, dX, dW, db);
    assert.ok(allWritten(dX) && allWritten(dW) && allWritten(db));
    const dot = (y: Float64Array) => y.reduce((s, v, i) => s + v * w[i], 0);
    const gx = numericGrad((v) => dot(denseRef(N, I, O, v, W, b)), Float64Array.from(x));
    const gW = numericGrad((v) => dot(denseRef(N, I, O, x, v, b)), Float64Array.from(W));
    const gb = numericGrad((v) => dot(denseRef(N, I, O, x, W, v)), Float64Array.from(b));
    assert.ok(gradRelErr(dX, gx) < 1e-3, `dX ${N},${I},${O}`);
    assert.ok(gradRelErr(dW, gW) < 1e-3, `dW ${N},${I},${O}`);
    assert.ok(gradRelErr(db, gb) < 1e-3, `db ${N},${I},${O}`);
    // Any subset of outputs may be skipped; the others are unchanged.
    const dW2 = nanF32(O * I);
    denseBackward(N, I, O, x, W, w, null, dW2, null);
    assert.equal(dW2, dW);
    const db2 = nanF32(O);
    denseBackward(N, I, O, x, W, w, null, null, db2);
    assert.equal(db2, db);
  }
});

test('bit-identical for 1, 2 and 3 threads', () => {
  const r = rng(23);
  const [N, I, O] = [600, 33, 301];
  const x = randomF32(r, N * I), W = randomF32(r, O * I), b = randomF32(r, O), g = randomF32(r, N * O);
  const before = getNumThreads();
  const runs: Float32Array[][] = [];
  for (const t of [1, 2, 3]) {
    setNumThreads(t);
    const y = nanF32(N * O), dX = nanF32(N * I), dW = nanF32(O * I), db = nanF32(O);
    denseForward(N, I, O, x, W, b, y);
    denseBackward(N, I, O, x, W, g, dX, dW, db);
    runs.push([y, dX, dW, db]);
  }
  setNumThreads(before);
  for (let k = 0; k < 4; k++) {
    assert.equal(runs[1][k], runs[0][k]);
    assert.equal(runs[2][k], runs[0][k]);
  }
});

test('async forms give the same results', async () => {
  const r = rng(24);
  const [N, I, O] = [4, 5, 6];
  const x = randomF32(r, N * I), W = randomF32(r, O * I), b = randomF32(r, O), g = randomF32(r, N * O);
  const y1 = nanF32(N * O), y2 = nanF32(N * O);
  denseForward(N, I, O, x, W, b, y1);
  await denseForwardAsync(N, I, O, x, W, b, y2);
  assert.equal(y2, y1);
  const a = [nanF32(N * I), nanF32(O * I), nanF32(O)];
  const c = [nanF32(N * I), nanF32(O * I), nanF32(O)];
  denseBackward(N, I, O, x, W, g, a[0], a[1], a[2]);
  await denseBackwardAsync(N, I, O, x, W, g, c[0], c[1], c[2]);
  assert.equal(c, a);
});

test('bad arguments throw TypeError/RangeError', async () => {
  const [N, I, O] = [2, 3, 4];
  const x = new Float32Array(N * I).fill(1), W = new Float32Array(O * I).fill(1), b = new Float32Array(O), y = new Float32Array(N * O);
  const fwd = (...a: unknown[]) => () => (denseForward as (...a: unknown[]) => void)(...a);
  const bwd = (...a: unknown[]) => () => (denseBackward as (...a: unknown[]) => void)(...a);
  assert.not.throws(fwd(N, I, O, x, W, b, y));
  throwsError(fwd(0, I, O, x, W, b, y), RangeError);
  throwsError(fwd(N, -3, O, x, W, b, y), RangeError);
  throwsError(fwd(N, I, Number.NaN, x, W, b, y), RangeError);
  throwsError(fwd(N, I, '4', x, W, b, y), TypeError);
  throwsError(fwd(N, I, O, x, W.subarray(1), b, y), RangeError);
  throwsError(fwd(N, I, O, x, W, new Float32Array(O + 1), y), RangeError);
  throwsError(fwd(N, I, O, x, W, b, new Float32Array(N * O - 1)), RangeError);
  throwsError(fwd(N, I, O, Array.from(x), W, b, y), TypeError);
  throwsError(fwd(N, I, O, x, W, 'b', y), TypeError);
  const nanW = W.slice();
  nanW[3] = Number.NaN;
  throwsError(fwd(N, I, O, x, nanW, b, y), RangeError);
  throwsError(fwd(N, I, O, detached(N * I), W, b, y), TypeError);
  throwsError(fwd(N, I, O, x, W, b, detached(N * O)), TypeError);
  const g = new Float32Array(N * O).fill(1);
  assert.not.throws(bwd(N, I, O, x, W, g, null, null, null));
  throwsError(bwd(N, I, O, x, W, g, new Float32Array(N * I + 1), null, null), RangeError);
  throwsError(bwd(N, I, O, x, W, g, null, new Float32Array(O * I - 1), null), RangeError);
  throwsError(bwd(N, I, O, x, W, g, null, null, new Float64Array(O)), TypeError);
  throwsError(bwd(N, I, O, x, W, g, null, null, detached(O)), TypeError);
  throwsError(bwd(N, I, O, x, W, Float32Array.from(g).fill(Number.NEGATIVE_INFINITY, 2, 3), null, null, null), RangeError);
  throwsError(bwd(N, I, O, x, W, null, null, null, null), TypeError);
  let caught: unknown;
  await denseForwardAsync(N, I, O, x, W, b, new Float32Array(1)).catch((e) => (caught = e));
  assert.instance(caught, RangeError);
});

test.run();
