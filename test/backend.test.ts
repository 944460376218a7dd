import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsError } from './helpers/errors.ts';
import { backend, getNumThreads, setNumThreads } from '../ts/index.ts';

test('backend() reports CPU/CUDA without throwing', () => {
  const b = backend();
  assert.type(b.cuda, 'boolean');
  assert.ok(Array.isArray(b.devices));
  assert.ok(b.simd === 'avx2' || b.simd === 'generic');
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

test.run();
