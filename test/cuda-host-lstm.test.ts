// The LSTM and SimpleRNN CUDA kernels' work, tested without a GPU (as test/cuda-host.test.ts does
// for the others): native/cuda/host_grid.cc runs their grids as host loops through the same
// __host__ __device__ functions (native/cuda/lstm_elem.h) and the same order of grids, and the
// results are compared with the CPU kernels at random shapes (lengths of 0, 1 and T steps, both
// paddings, initial states, recurrent dropout, dense and gather mode), every output poisoned with NaN first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend } from '../ts/bindings/backend.ts';
import { backwardArgs, forwardArgs, lstmBackward, lstmForward } from '../ts/bindings/lstm.ts';
import type { LstmForwardOptions } from '../ts/bindings/lstm.ts';
import { rnnForward } from '../ts/bindings/rnn.ts';
import { throwsError } from './helpers/errors.ts';
import { definedCacheEntries, firstUnwritten, hostGrid, recurrentCases, relNorm, runRecurrent } from './helpers/cuda-cases.ts';

test('recurrent grids: the CPU kernels\' forward outputs (1e-5), every element written', () => {
  for (const c of recurrentCases(100)) {
    const host = runRecurrent(c, 'host');
    const cpu = runRecurrent(c, 'cpu');
    for (const k of ['out', 'hLast', 'cLast', 'outMax'] as const) {
      const got = host.infer[k];
      if (got === null) continue;
      assert.is(firstUnwritten(got), -1, `${c.label}: ${k} element ${firstUnwritten(got)} not written`);
      const e = relNorm(got, cpu.infer[k]!);
      assert.ok(e < 1e-5, `${c.label}: ${k} ${e} from the CPU kernel`);
    }
    for (const k of ['out', 'hLast', 'cLast'] as const) {
      const got = host.train[k];
      if (got === null) continue;
      assert.is(firstUnwritten(got), -1, `${c.label}: training ${k} not written`);
      assert.ok(relNorm(got, cpu.train[k]!) < 1e-5, `${c.label}: training ${k}`);
    }
    // The cache: what the CPU writes, the grid writes; what it leaves (padded gates and cells), the grid leaves.
    const idx = definedCacheEntries(c, cpu.train.cache);
    const got = idx.map((i) => host.train.cache[i]), want = idx.map((i) => cpu.train.cache[i]);
    assert.is(firstUnwritten(got), -1, `${c.label}: a cache entry not written`);
    assert.ok(relNorm(got, want) < 1e-5, `${c.label}: cache ${relNorm(got, want)}`);
    for (let i = 0; i < cpu.train.cache.length; i++) {
      if (Number.isNaN(cpu.train.cache[i])) assert.ok(Number.isNaN(host.train.cache[i]), `${c.label}: cache entry ${i} written`);
    }
  }
});

test('recurrent grids: the CPU kernels\' gradients (1e-4), every element written', () => {
  for (const c of recurrentCases(200)) {
    const host = runRecurrent(c, 'host');
    const cpu = runRecurrent(c, 'cpu');
    for (const k of ['dX', 'dWIh', 'dTable', 'dWHh', 'dBias', 'dh0', 'dc0'] as const) {
      const got = host.grads[k];
      if (got === null) continue;
      assert.is(firstUnwritten(got), -1, `${c.label}: ${k} element ${firstUnwritten(got)} not written`);
      const e = relNorm(got, cpu.grads[k]!);
      assert.ok(e < 1e-4, `${c.label}: ${k} ${e} from the CPU kernel`);
    }
  }
});

test('recurrent grids: a product over more than 1,024 rows is split into blocks, still the CPU\'s sums', () => {
  for (const c of recurrentCases(300, [['lstm', 40, 30, 3, 6, 'mixed', 'pre', true, 0.2], ['rnn', 33, 40, 2, 5, 'none', 'post', false, 0]])) {
    const host = runRecurrent(c, 'host');
    const cpu = runRecurrent(c, 'cpu');
    for (const k of ['dWIh', 'dWHh', 'dBias'] as const) {
      const got = host.grads[k]!, want = cpu.grads[k]!;
      assert.is(firstUnwritten(got), -1, `${c.label}: ${k} not written`);
      assert.ok(relNorm(got, want) < 1e-4, `${c.label}: ${k} ${relNorm(got, want)}`);
    }
  }
});

test('recurrent grids: only the outputs asked for are written, each as when all are', () => {
  const [c] = recurrentCases(400, [['lstm', 3, 6, 4, 7, 'mixed', 'post', true, 0]]);
  const all = runRecurrent(c, 'host');
  const o: LstmForwardOptions = {
    batch: c.B, time: c.T, input: c.I, hidden: c.H, x: c.x, wIh: c.wIh, bias: c.bias, wHh: c.wHh, h0: c.h0, c0: c.c0,
    lengths: c.lengths, padding: c.padding,
  };
  const outMax = new Float32Array(c.B * c.H).fill(Number.NaN);
  hostGrid()._cudaHostEmulateLstmForward(...forwardArgs('host', { ...o, outMax }, 4, true));
  assert.equal(outMax, all.infer.outMax);
  const cache = all.train.cache.slice(), dWHh = new Float32Array(c.wHh.length).fill(Number.NaN);
  const b = { ...o, cache, dY: c.dY, dHlast: c.dHlast, dCn: c.dCn, dWHh };
  hostGrid()._cudaHostEmulateLstmBackward(...backwardArgs('host', b, 4, true));
  assert.equal(dWHh, all.grads.dWHh, 'dWHh alone');
});

test('recurrent bindings: device checked, the CPU bindings\' argument checks on every path', () => {
  const [c] = recurrentCases(500, [['lstm', 2, 3, 2, 4, 'none', 'pre', false, 0]]);
  const o: LstmForwardOptions = { batch: 2, time: 3, input: 2, hidden: 4, x: c.x, wIh: c.wIh, wHh: c.wHh, hLast: new Float32Array(8) };
  throwsError(() => lstmForward({ ...o, device: 'gpu' as never }), RangeError, /lstmForward: device must be 'auto', 'cpu' or 'cuda', got "gpu"/);
  throwsError(() => rnnForward({ ...o, wIh: c.wIh.subarray(0, 8), wHh: c.wHh.subarray(0, 16), device: 1 as never }), TypeError, /rnnForward: device must be/);
  const short = { ...o, wHh: c.wHh.subarray(1) };
  throwsError(() => lstmForward(short), RangeError, /wHh/);
  throwsError(() => hostGrid()._cudaHostEmulateLstmForward(...forwardArgs('host', short, 4, true)), RangeError, /wHh/);
  const badToken = { ...o, x: undefined, wIh: undefined, tokens: new Int32Array([0, 1, 2, 3, 4, 5]), table: new Float32Array(5 * 16) };
  throwsError(() => hostGrid()._cudaHostEmulateLstmForward(...forwardArgs('host', badToken, 4, true)), RangeError, /tokens/);
  throwsError(() => lstmBackward({ ...o, cache: new Float32Array(5), device: 'cpu' }), RangeError, /cache/);
  if (!backend().cuda) {
    throwsError(() => lstmForward({ ...o, device: 'cuda' }), Error, /lstmForward: device 'cuda' was asked for, but CUDA is unavailable/);
  }
});

test.run();
