import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsError } from './helpers/errors.ts';
import { backend, getNumThreads, setNumThreads } from '../ts/index.ts';
import { setSimdCap } from '../ts/bindings/backend.ts';

test('backend() reports CPU/CUDA without throwing', () => {
  const b = backend();
  assert.type(b.cuda, 'boolean');
  assert.ok(Array.isArray(b.devices));
  assert.ok(['avx512', 'avx2', 'generic'].includes(b.simd));
  assert.is(b.simd, b.simdHardware);
  if (!b.cuda) {
    assert.is(b.devices.length, 0);
    assert.type(b.cudaUnavailableReason, 'string');
  }
  for (const d of b.devices) {
    assert.type(d.name, 'string');
    assert.ok(d.memoryBytes > 0);
    assert.match(d.computeCapability, /^\d+\.\d+$/);
  }
});

test('setNumThreads changes the thread count and rejects bad values', () => {
  const before = getNumThreads();
  setNumThreads(1);
  assert.is(getNumThreads(), 1);
  setNumThreads(3);
  assert.is(getNumThreads(), 3);
  setNumThreads(before);
  throwsError(() => setNumThreads(0), RangeError, /n must be/);
  throwsError(() => setNumThreads(1.5), RangeError);
  throwsError(() => setNumThreads(Number.NaN), RangeError);
  throwsError(() => setNumThreads('2' as unknown as number), TypeError);
  assert.is(getNumThreads(), before);
});

test('setSimdCap selects each path the hardware has and rejects others', () => {
  assert.is(setSimdCap('generic'), 'generic');
  assert.is(backend().simd, 'generic');
  assert.is(setSimdCap('avx512'), backend().simdHardware);
  throwsError(() => setSimdCap('sse' as never), RangeError, /level must be one of/);
  throwsError(() => setSimdCap(2 as never), TypeError, /level must be one of/);
  assert.is(backend().simd, backend().simdHardware);
});

test.run();
