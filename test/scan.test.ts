// firstOutside / firstNonFinite (native/glue/scan.cc): the SIMD range scan the detectors' input
// checks use, against a plain loop at lengths around its 2,048-value blocks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstNonFinite, firstOutside } from '../ts/bindings/scan.ts';
import { addon } from '../ts/bindings/addon.ts';
import { toMatrix } from '../ts/models/detectors/matrix.ts';
import { throwsError } from './helpers/errors.ts';
import { randomF32, rng } from './helpers/random.ts';

const reference = (x: Float32Array, lo: number, hi: number) => x.findIndex((v) => !(v >= lo && v <= hi));

test('firstOutside finds the first value outside [lo, hi] at any position, NaN and infinities included', () => {
  const r = rng(61);
  const bad = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5, -0.25, 1.0000001];
  for (const len of [1, 2, 7, 2047, 2048, 2049, 4096, 5000]) {
    for (let t = 0; t < 12; t++) {
      const x = randomF32(r, len, 0, 1);
      if (t % 3 === 0) { x[0] = 0; x[len - 1] = 1; } // both ends of the range are inside it
      const picks = t === 0 ? [] : [Math.floor(r() * len), ...(t % 2 ? [Math.floor(r() * len)] : [])];
      for (const k of picks) x[k] = bad[Math.floor(r() * bad.length)];
      const want = reference(x, 0, 1);
      assert.is(firstOutside(x, 0, 1), want, `len ${len} case ${t}`);
      assert.is(firstNonFinite(x), x.findIndex((v) => !Number.isFinite(v)), `finite, len ${len} case ${t}`);
    }
  }
  assert.is(firstOutside(new Float32Array([-0, 0]), 0, 1), -1, '-0 lies in [0, 1]');
  assert.is(firstOutside(new Float32Array(0), 0, 1), -1);
  assert.is(firstNonFinite(new Float32Array([3.4028234663852886e38, -3.4028234663852886e38])), -1, 'the largest floats are finite');
});

test('firstOutside rejects bad arguments by name', () => {
  const raw = addon<{ firstOutside(x: unknown, lo: unknown, hi: unknown): number }>().firstOutside;
  throwsError(() => raw(new Float64Array(3), 0, 1), TypeError, /x must be a Float32Array/);
  throwsError(() => raw(new Float32Array(3), Number.NaN, 1), RangeError, /lo/);
  throwsError(() => raw(new Float32Array(3), 0, 'one'), TypeError, /hi/);
  const buf = new ArrayBuffer(16);
  const x = new Float32Array(buf);
  structuredClone(buf, { transfer: [buf] });
  throwsError(() => raw(x, 0, 1), TypeError, /detached/);
});

test('toMatrix names the first non-finite value by row and column in a large table', () => {
  const r = rng(62);
  const [rows, cols] = [3000, 7];
  const data = randomF32(r, rows * cols);
  data[2100 * cols + 5] = Number.POSITIVE_INFINITY;
  data[2500 * cols + 1] = Number.NaN;
  throwsError(() => toMatrix('f', 'x', { data, shape: [rows, cols] }), RangeError, /f: x\[2100\]\[5\] is Infinity: features must be finite/);
});

test.run();
