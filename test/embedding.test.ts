import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsError } from './helpers/errors.ts';
import { embeddingBackward, embeddingBackwardAsync, embeddingForward, embeddingForwardAsync } from '../ts/bindings/embedding.ts';
import { getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import {
  allWritten, detached, detachedI32, gradRelErr, maxRelErr, nanF32, numericGrad, randomF32, randomInts, rng,
} from './helpers/random.ts';
import { embeddingBackwardRef, embeddingForwardRef } from './reference/embedding.ts';

const shapes: Array<[number, number, number]> = [
  [1, 1, 1],
  [5, 3, 1],
  [7, 13, 9],
  [50, 17, 33],
];

test('forward gathers rows exactly', () => {
  const r = rng(1);
  for (const [V, E, N] of shapes) {
    const ids = randomInts(r, N, V);
    const table = randomF32(r, V * E);
    const out = nanF32(N * E);
    embeddingForward(V, E, N, ids, table, out);
    assert.ok(allWritten(out));
    assert.is(maxRelErr(out, embeddingForwardRef(V, E, N, ids, table)), 0);
  }
});

test('backward matches the reference and finite differences of sum(out * w)', () => {
  const r = rng(2);
  for (const [V, E, N] of shapes) {
    const ids = randomInts(r, N, V);
    const table = randomF32(r, V * E);
    const w = randomF32(r, N * E);
    const dTable = nanF32(V * E);
    embeddingBackward(V, E, N, ids, w, dTable);
    assert.ok(allWritten(dTable));
    assert.ok(maxRelErr(dTable, embeddingBackwardRef(V, E, N, ids, w)) < 1e-6);
    const f = (t: Float64Array) => {
      const out = embeddingForwardRef(V, E, N, ids, t);
      let s = 0;
      for (let i = 0; i < out.length; i++) s += out[i] * w[i];
      return s;
    };
    assert.ok(gradRelErr(dTable, numericGrad(f, Float64Array.from(table))) < 1e-3);
  }
});

test('async forms give the same results', async () => {
  const r = rng(3);
  const [V, E, N] = [11, 6, 20];
  const ids = randomInts(r, N, V);
  const table = randomF32(r, V * E);
  const a = nanF32(N * E), b = nanF32(N * E);
  embeddingForward(V, E, N, ids, table, a);
  await embeddingForwardAsync(V, E, N, ids, table, b);
  assert.equal(b, a);
  const g1 = nanF32(V * E), g2 = nanF32(V * E);
  embeddingBackward(V, E, N, ids, a, g1);
  await embeddingBackwardAsync(V, E, N, ids, a, g2);
  assert.equal(g2, g1);
});

test('bit-identical for 1, 2 and 3 threads on a split-sized problem', () => {
  const r = rng(4);
  const [V, E, N] = [301, 37, 3000];
  const ids = randomInts(r, N, 40); // few distinct rows: many contributions per row
  ids[5] = V - 1;
  const table = randomF32(r, V * E);
  const dOut = randomF32(r, N * E);
  const before = getNumThreads();
  const results: Float32Array[] = [];
  for (const t of [1, 2, 3]) {
    setNumThreads(t);
    const out = nanF32(N * E);
    const d = nanF32(V * E);
    embeddingForward(V, E, N, ids, table, out);
    embeddingBackward(V, E, N, ids, dOut, d);
    results.push(out, d);
  }
  setNumThreads(before);
  assert.equal(results[2], results[0]);
  assert.equal(results[4], results[0]);
  assert.equal(results[3], results[1]);
  assert.equal(results[5], results[1]);
  assert.ok(maxRelErr(results[1], embeddingBackwardRef(V, E, N, ids, dOut)) < 1e-5);
});

test('bad arguments throw TypeError/RangeError', () => {
  const [V, E, N] = [4, 3, 2];
  const ids = new Int32Array([0, 3]);
  const table = new Float32Array(V * E).fill(1);
  const out = new Float32Array(N * E);
  const call = (...args: unknown[]) => () => (embeddingForward as (...a: unknown[]) => void)(...args);
  const back = (...args: unknown[]) => () => (embeddingBackward as (...a: unknown[]) => void)(...args);
  assert.not.throws(call(V, E, N, ids, table, out));
  throwsError(call(0, E, N, ids, table, out), RangeError);
  throwsError(call(V, -1, N, ids, table, out), RangeError);
  throwsError(call(V, E, 0, ids, table, out), RangeError);
  throwsError(call(V, E, 1.5, ids, table, out), RangeError);
  throwsError(call(V, E, Number.NaN, ids, table, out), RangeError);
  throwsError(call('4', E, N, ids, table, out), TypeError);
  throwsError(call(V, E, N, new Float32Array([0, 3]), table, out), TypeError);
  assert.throws(call(V, E, N, new Int32Array([0, 4]), table, out), (e: Error) => e instanceof RangeError && /ids/.test(e.message));
  throwsError(call(V, E, N, new Int32Array([-1, 0]), table, out), RangeError);
  throwsError(call(V, E, N, new Int32Array([0]), table, out), RangeError);
  throwsError(call(V, E, N, ids, new Float32Array(V * E - 1), out), RangeError);
  throwsError(call(V, E, N, ids, [1, 2, 3], out), TypeError);
  const nanTable = table.slice();
  nanTable[7] = Number.NaN;
  throwsError(call(V, E, N, ids, nanTable, out), RangeError);
  throwsError(call(V, E, N, ids, table, new Float32Array(N * E + 1)), RangeError);
  throwsError(call(V, E, N, ids, detached(V * E), out), TypeError);
  throwsError(call(V, E, N, detachedI32(N), table, out), TypeError);
  throwsError(call(V, E, N, ids, table, detached(N * E)), TypeError);
  throwsError(call(V, E, N, ids, table), TypeError);
  const dTable = new Float32Array(V * E);
  assert.not.throws(back(V, E, N, ids, out, dTable));
  throwsError(back(V, E, N, new Int32Array([0, 9]), out, dTable), RangeError);
  throwsError(back(V, E, N, ids, out, new Float32Array(3)), RangeError);
  throwsError(back(V, E, N, ids, null, dTable), TypeError);
  throwsError(back(V, E, N, ids, out, detached(V * E)), TypeError);
  const bad = new Float32Array(N * E).fill(Number.POSITIVE_INFINITY);
  throwsError(back(V, E, N, ids, bad, dTable), RangeError);
});

test('async form rejects bad arguments instead of throwing', async () => {
  let caught: unknown;
  try {
    await embeddingForwardAsync(4, 3, 2, new Int32Array([0, 5]), new Float32Array(12), new Float32Array(6));
  } catch (e) {
    caught = e;
  }
  assert.instance(caught, RangeError);
});

test.run();
