// .npy: numpy's own files read back with their values, every element type round-trips, and files
// vigil can't read (big-endian, Fortran order, truncated, not .npy) fail saying why.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ARRAY_OF, readNpy, writeNpy, type ElementType } from '../ts/models/preprocessing/npy.ts';
import { fixture, ONNX_FIXTURES } from './helpers/onnx-fixtures.ts';
import { rng } from './helpers/random.ts';
import { throwsError } from './helpers/errors.ts';

/** A .npy file with this header text (version 1.0, padded to 64 bytes) and data bytes. */
function npy(header: string, data: Uint8Array, major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  const body = header.padEnd(Math.ceil((pre + header.length + 1) / 64) * 64 - pre - 1, ' ') + '\n';
  const out = new Uint8Array(pre + body.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const v = new DataView(out.buffer);
  if (major === 1) v.setUint16(8, body.length, true);
  else v.setUint32(8, body.length, true);
  out.set(new TextEncoder().encode(body), pre);
  out.set(data, pre + body.length);
  return out;
}

test("numpy's np.save files read back with their values", () => {
  for (const name of ['text_lstm_last', 'causal_tcn']) {
    const f = fixture(name);
    const a = readNpy(readFileSync(join(ONNX_FIXTURES, `${name}_input.npy`)));
    assert.is(a.dtype, f.input.dtype);
    assert.equal(a.shape, f.input.shape);
    assert.equal(Array.from(a.data as ArrayLike<number | bigint>, Number), f.input.data.map((v) => Math.fround(v)));
  }
});

test('every element type round-trips through writeNpy/readNpy', () => {
  const r = rng(9);
  for (const dtype of Object.keys(ARRAY_OF) as ElementType[]) {
    const cls = ARRAY_OF[dtype];
    const n = 6;
    const data = new cls(n);
    for (let i = 0; i < n; i++) {
      const v = dtype === 'bool' ? (r() < 0.5 ? 0 : 1) : dtype.startsWith('float') ? r() * 100 - 50 : Math.floor(r() * 100) + (dtype.startsWith('u') ? 1 : -40);
      (data as unknown as (number | bigint)[])[i] = dtype.endsWith('64') && dtype !== 'float64' ? BigInt(Math.trunc(v)) : v;
    }
    const back = readNpy(writeNpy({ dtype, shape: [2, 3], data }));
    assert.is(back.dtype, dtype);
    assert.equal(back.shape, [2, 3]);
    assert.equal(Array.from(back.data as ArrayLike<number>), Array.from(data as ArrayLike<number>));
  }
  const scalar = readNpy(writeNpy({ dtype: 'float32', shape: [], data: Float32Array.of(2.5) }));
  assert.equal(scalar.shape, []);
  const v2 = readNpy(npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(Int32Array.of(7, -1, 3).buffer), 2));
  assert.equal(Array.from(v2.data as Int32Array), [7, -1, 3]);
});

test('unsupported or broken files fail saying why', () => {
  const four = new Uint8Array(16);
  throwsError(() => readNpy(new TextEncoder().encode('a,b\n1,2\n')), Error, /not a \.npy file/);
  throwsError(() => readNpy(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", four)), Error, /dtype '>f4' is not supported/);
  throwsError(() => readNpy(npy("{'descr': '<U3', 'fortran_order': False, 'shape': (4,), }", four)), Error, /dtype '<U3' is not supported/);
  throwsError(() => readNpy(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four)), Error, /Fortran-ordered/);
  throwsError(() => readNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", four)), Error, /truncated \.npy data: shape \[5\] of float32 needs 20 bytes, the file has 16/);
  throwsError(() => readNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", four)), Error, /4 bytes after the \.npy data/);
  throwsError(() => readNpy(npy("{'descr': '<f4', 'shape': (4,), }", four)), Error, /malformed \.npy header/);
  const whole = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", four);
  throwsError(() => readNpy(whole.subarray(0, 40)), Error, /truncated \.npy header/);
  throwsError(() => writeNpy({ dtype: 'float32', shape: [3], data: new Float32Array(4) }), RangeError, /does not hold 4 values/);
  throwsError(() => writeNpy({ dtype: 'int64', shape: [4], data: new Float32Array(4) as never }), TypeError, /BigInt64Array/);
});

test.run();
