// Async calls scan large inputs for NaN/Infinity on the worker thread (native/glue/common.cc), not on
// the event loop: the call returns its promise at once, and a bad input rejects it with the same
// RangeError the synchronous form throws, before any output is written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addon } from '../ts/bindings/addon.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { randomF32, rng } from './helpers/random.ts';

type Act = (kind: number, n: number, x: Float32Array, y: Float32Array) => Promise<void> | void;
const native = () => addon<{ activationForward: Act; activationForwardAsync: Act }>();

test('a large non-finite input: the async form rejects with the sync form\'s RangeError, outputs untouched', async () => {
  const r = rng(71);
  for (const [n, at, bad] of [[1 << 17, (1 << 17) - 3, Number.NaN], [1 << 16, 0, Number.POSITIVE_INFINITY], [300_001, 150_000, Number.NEGATIVE_INFINITY]] as const) {
    const x = randomF32(r, n);
    x[at] = bad;
    const y = new Float32Array(n).fill(7);
    let pending: Promise<void> | void = undefined;
    try {
      pending = native().activationForwardAsync(2, n, x, y);
    } catch (err) {
      assert.unreachable(`n=${n}: threw synchronously (${(err as Error).message}): the scan ran on the event loop`);
    }
    await rejectsError(pending as Promise<void>, RangeError, new RegExp(`^activationForwardAsync: x must hold finite numbers, got ${bad} at index ${at}$`));
    assert.ok(y.every((v) => v === 7), `n=${n}: the output was written`);
    throwsError(() => native().activationForward(2, n, x, y), RangeError, new RegExp(`^activationForward: x must hold finite numbers, got ${bad} at index ${at}$`));
  }
});

test('large int32 inputs (token ids) are range-checked on the worker too, with the sync form\'s RangeError', async () => {
  type Emb = (V: number, E: number, N: number, ids: Int32Array, table: Float32Array, out: Float32Array) => Promise<void> | void;
  const emb = addon<{ embeddingForward: Emb; embeddingForwardAsync: Emb }>();
  const [V, E, N] = [50, 2, 1 << 16];
  const ids = Int32Array.from({ length: N }, (_, i) => i % V);
  ids[N - 5] = V;
  const table = randomF32(rng(73), V * E);
  const out = new Float32Array(N * E).fill(7);
  let pending: Promise<void> | void = undefined;
  try {
    pending = emb.embeddingForwardAsync(V, E, N, ids, table, out);
  } catch (err) {
    assert.unreachable(`threw synchronously (${(err as Error).message}): the check ran on the event loop`);
  }
  const want = new RegExp(`ids values must be in \\[0, ${V - 1}\\], got ${V} at index ${N - 5}$`);
  await rejectsError(pending as Promise<void>, RangeError, want);
  assert.ok(out.every((v) => v === 7), 'the output was written');
  throwsError(() => emb.embeddingForward(V, E, N, ids, table, out), RangeError, want);
});

test('small inputs are still checked before the async call returns; finite large ones run', async () => {
  const x = Float32Array.of(1, Number.NaN, 3);
  throwsError(() => native().activationForwardAsync(2, 3, x, new Float32Array(3)), RangeError, /^activationForwardAsync: x must hold finite numbers, got NaN at index 1$/);
  const n = 1 << 17;
  const big = randomF32(rng(72), n);
  const y = new Float32Array(n).fill(Number.NaN);
  await native().activationForwardAsync(2, n, big, y);
  for (let i = 0; i < n; i++) if (y[i] !== Math.max(0, big[i])) assert.unreachable(`relu at ${i}: ${y[i]}`);
});

test.run();
