// offThread (ts/offthread/), the one way vigil runs a function on a worker thread: results come back
// with their buffers moved, errors as the same class with the same fields, an AbortSignal ends the
// busy worker, and arguments that can't be cloned are a TypeError. The loaders' async forms are
// tested beside their sync forms (datasets, tabular, nab-*, cli-train-* tests).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { offThread, setIdleMs, siblingModule, withoutSignal } from '../ts/offthread/call.ts';
import { rebuildError, serializeError } from '../ts/offthread/errors.ts';
import { transferables } from '../ts/offthread/transfer.ts';
import { DataFormatError } from '../ts/models/preprocessing/csv.ts';
import { rejectsLikeSync } from './helpers/async-twin.ts';
import { rejectsError } from './helpers/errors.ts';
import * as fixture from './helpers/offthread-fixture.ts';

const FIXTURE = new URL('./helpers/offthread-fixture.ts', import.meta.url).href;
const call = <T>(name: string, args: unknown[] = [], opts = {}) => offThread<T>(FIXTURE, name, args, opts);

test('results cross with their typed arrays, Maps and nesting; the buffers are moved, not copied', async () => {
  const r = await call<ReturnType<typeof fixture.arrays>>('arrays', [5]);
  assert.equal(r, fixture.arrays(5));
  assert.ok(r.a instanceof Float64Array && r.byName.get('x') instanceof Uint8Array);
  // The same (idle, reused) worker: the array it kept lost its buffer to the caller.
  assert.is(await call<number>('keptByteLength'), 0);
  assert.is(await call<number>('later', [21]), 42, 'an async export is awaited');
});

test('transferables: every ArrayBuffer once, through objects, arrays, Maps and Sets', () => {
  const b = new ArrayBuffer(8);
  const v = { x: new Float32Array(b), y: [new Uint8Array(b, 4)], m: new Map([[1, new Int32Array(2)]]), s: new Set([new ArrayBuffer(1)]), t: 'text' };
  const got = transferables(v);
  assert.is(got.length, 3);
  assert.ok(got.includes(b));
});

test('errors come back as their class, with message, own fields, cause and both threads\' stacks', async () => {
  const e = await rejectsLikeSync(fixture.dataFormatError, call('dataFormatError', [], { errors: [DataFormatError] }));
  assert.ok(e instanceof DataFormatError);
  assert.equal([e.name, (e as DataFormatError).source, (e as DataFormatError).line], ['DataFormatError', 'f.csv', 3]);
  assert.match(e.stack!, /^DataFormatError: f\.csv:3: bad row\n/);
  assert.match(e.stack!, /offthread-fixture\.ts/, 'the frame that threw, in the worker');
  assert.match(e.stack!, /offthread\.test\.ts/, 'the frame that asked, on this thread');
  await rejectsLikeSync(fixture.withCause, call('withCause'));
  const missing = join(tmpdir(), 'vigil-offthread-missing.bin');
  await rejectsLikeSync(() => readFileSync(missing), call('readMissing', [missing]));
  await rejectsLikeSync(fixture.throwsString, call('throwsString'));
  // A class the caller did not name comes back as an Error with the same name and fields.
  const plain = await call('dataFormatError').catch((err: unknown) => err) as Error & { line: number };
  assert.is(Object.getPrototypeOf(plain), Error.prototype);
  assert.equal([plain.name, plain.message, plain.line], ['DataFormatError', 'f.csv:3: bad row', 3]);
  const w = serializeError(new TypeError('t'));
  assert.ok(rebuildError(w, []) instanceof TypeError);
});

test('an AbortSignal ends the busy worker: the call rejects with the signal\'s reason', async () => {
  const early = AbortSignal.abort(new Error('not now'));
  await rejectsError(call('spin', [10], { signal: early }), Error, /^not now$/);
  const c = new AbortController();
  const p = call('spin', [20_000], { signal: c.signal });
  setTimeout(() => c.abort(), 20);
  // Were the worker not ended, this would wait out the 20 s spin and then resolve.
  await rejectsError(p, DOMException, /aborted/);
  assert.is(await call<number>('later', [1]), 2, 'the next call gets a working worker');
  await rejectsError(call('spin', [1], { signal: 'stop' }), TypeError, /spinAsync: signal must be an AbortSignal/);
});

test('concurrent calls each get their answer', async () => {
  const got = await Promise.all([1, 2, 3].map((x) => call<number>('later', [x])));
  assert.equal(got, [2, 4, 6]);
});

test('what can\'t cross: function arguments and results, missing exports', async () => {
  await rejectsError(call('later', [() => 1]), TypeError, /laterAsync: its arguments must be plain data to reach a worker thread/);
  await rejectsError(call('returnsFunction'), TypeError, /returnsFunction: its result can't leave the worker thread/);
  await rejectsError(call('nope'), TypeError, /exports no function nope/);
});

test('a worker whose idle time ran out is never handed to the next call', async () => {
  setIdleMs(0);
  try {
    for (let k = 0; k < 3; k++) {
      assert.is(await call<number>('later', [k]), 2 * k);
      // The idle timer has fired (the worker is ending) but its exit has not been seen yet.
      await new Promise((r) => setTimeout(r, 0));
    }
  } finally {
    setIdleMs(5_000);
  }
});

test('siblingModule keeps the caller\'s extension; withoutSignal leaves the rest', () => {
  assert.is(siblingModule('file:///a/b/index.ts', 'convert'), 'file:///a/b/convert.ts');
  assert.is(siblingModule('file:///a/b/index.js', 'convert'), 'file:///a/b/convert.js');
  assert.equal(withoutSignal({ a: 1, signal: new AbortController().signal }), { a: 1 });
  assert.is(withoutSignal(null), null);
  assert.is(withoutSignal('x'), 'x');
});

test.run();
