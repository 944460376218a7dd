// firstOutside / firstNonFinite / firstOutsideI32 (native/glue/scan.cc): the range scans the detectors'
// input checks and fit's token-id check use, against a plain loop at lengths around their 2,048-value blocks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstNonFinite, firstOutside, firstOutsideI32 } from '../ts/bindings/scan.ts';
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
  const inf = Number.POSITIVE_INFINITY;
  assert.is(firstOutside(new Float32Array([1, inf, -inf]), -inf, inf), -1, 'infinite bounds hold the infinities');
  assert.is(firstOutside(new Float32Array([1, inf, Number.NaN]), 0, inf), 2, 'NaN is outside even an open range');
  assert.is(firstOutside(new Float32Array([0.5, 1]), 0, 0.99999999), 1, 'a bound between two floats is not rounded outwards (hi)');
  assert.is(firstOutside(new Float32Array([1, 0]), 1e-46, 1), 1, 'a bound between two floats is not rounded outwards (lo)');
  assert.is(firstOutside(new Float32Array([0.1]), 0.1, 0.1), 0, 'float32 0.1 is not the number 0.1');
  assert.is(firstOutside(new Float32Array([0.25]), 0.25, 0.25), -1, 'an exact bound includes its value');
});

test('firstOutside rejects bad arguments by name', () => {
  const raw = addon<{ firstOutside(x: unknown, lo: unknown, hi: unknown): number }>().firstOutside;
  throwsError(() => raw(new Float64Array(3), 0, 1), TypeError, /x must be a Float32Array/);
  throwsError(() => raw(new Float32Array(3), Number.NaN, 1), RangeError, /^firstOutside: lo must not be NaN/);
  throwsError(() => raw(new Float32Array(3), 0, 'one'), TypeError, /^firstOutside: hi must be a number/);
  const buf = new ArrayBuffer(16);
  const x = new Float32Array(buf);
  structuredClone(buf, { transfer: [buf] });
  throwsError(() => raw(x, 0, 1), TypeError, /detached/);
});

test('firstOutsideI32 finds the first integer outside [min, max] at any position', () => {
  const r = rng(63);
  for (const len of [1, 2, 7, 2047, 2048, 2049, 5000]) {
    for (let t = 0; t < 10; t++) {
      const x = Int32Array.from({ length: len }, () => Math.floor(r() * 40));
      if (t % 3 === 0) { x[0] = 0; x[len - 1] = 39; } // both ends of the range are inside it
      const picks = t === 0 ? [] : [Math.floor(r() * len), ...(t % 2 ? [Math.floor(r() * len)] : [])];
      for (const k of picks) x[k] = [-1, 40, -2147483648, 2147483647][Math.floor(r() * 4)];
      assert.is(firstOutsideI32(x, 0, 39), x.findIndex((v) => v < 0 || v > 39), `len ${len} case ${t}`);
    }
  }
  assert.is(firstOutsideI32(new Int32Array([-2147483648, 2147483647]), -2147483648, 2147483647), -1, 'the full int32 range');
  assert.is(firstOutsideI32(new Int32Array(0), 0, 1), -1);
  const raw = addon<{ firstOutsideI32(x: unknown, min: unknown, max: unknown): number }>().firstOutsideI32;
  throwsError(() => raw(new Float32Array(3), 0, 1), TypeError, /^firstOutsideI32: x must be an Int32Array/);
  throwsError(() => raw(new Int32Array(3), 0.5, 1), RangeError, /^firstOutsideI32: min/);
  throwsError(() => raw(new Int32Array(3), 0, 2 ** 31), RangeError, /^firstOutsideI32: max/);
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
