import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsError } from './helpers/errors.ts';
import { randomNormal, randomUniform } from '../ts/bindings/random.ts';
import { setNumThreads, getNumThreads } from '../ts/bindings/backend.ts';

test('uniform: range, mean, determinism, streams differ', () => {
  const a = randomUniform(new Float32Array(100_000).fill(Number.NaN), 42, 0, -2, 3);
  let sum = 0;
  for (const v of a) {
    assert.ok(v >= -2 && v < 3, `value ${v} out of range`);
    sum += v;
  }
  assert.ok(Math.abs(sum / a.length - 0.5) < 0.02, `mean ${sum / a.length}`);
  const b = randomUniform(new Float32Array(100_000), 42, 0, -2, 3);
  assert.equal(Array.from(a.subarray(0, 50)), Array.from(b.subarray(0, 50)));
  assert.ok(a.every((v, i) => v === b[i]));
  const c = randomUniform(new Float32Array(100_000), 42, 1, -2, 3);
  assert.ok(c.some((v, i) => v !== a[i]));
});

test('uniform: identical for any thread count (counter-based)', () => {
  const before = getNumThreads();
  setNumThreads(1);
  const one = randomUniform(new Float32Array(70_001), 7, 3);
  setNumThreads(3);
  const three = randomUniform(new Float32Array(70_001), 7, 3);
  setNumThreads(before);
  assert.ok(one.every((v, i) => v === three[i]));
});

test('normal: moments', () => {
  const x = randomNormal(new Float32Array(200_000).fill(Number.NaN), 1, 0, 1.5, 2);
  let s = 0;
  let s2 = 0;
  for (const v of x) {
    assert.ok(Number.isFinite(v));
    s += v;
    s2 += v * v;
  }
  const mean = s / x.length;
  const sd = Math.sqrt(s2 / x.length - mean * mean);
  assert.ok(Math.abs(mean - 1.5) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(sd - 2) < 0.02, `sd ${sd}`);
});

test('bad arguments throw, never crash', () => {
  throwsError(() => randomUniform(new Float32Array(4), -1, 0), RangeError);
  throwsError(() => randomUniform(new Float32Array(4), 1.5, 0), RangeError);
  throwsError(() => randomUniform(new Float32Array(4), 1, 0, 2, 1), RangeError);
  throwsError(() => randomUniform(new Float64Array(4) as unknown as Float32Array, 1, 0), TypeError);
  throwsError(() => randomUniform(new Float32Array(0), 1, 0), RangeError, /out must not be empty/);
  throwsError(() => randomNormal(new Float32Array(4), 1, 0, 0, -1), RangeError);
  throwsError(() => randomNormal(new Float32Array(4), 1, 0, Number.NaN, 1), RangeError);
  const buf = new Float32Array(8);
  structuredClone(buf.buffer, { transfer: [buf.buffer] });
  throwsError(() => randomUniform(buf, 1, 0), TypeError, /out is backed by a detached/);
});

test.run();
