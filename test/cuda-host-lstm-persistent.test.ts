// The persistent recurrent kernels (native/cuda/lstm_persist.h), forward and backward, tested
// without a GPU: their plan (which units each block owns, the shared memory it takes, the smallest
// slice whose grid fits on the device at once) on modelled devices, and their cooperative grids run
// as host loops (native/cuda/host_grid.cc: every block finishes a step before any block starts the
// next, each block's shared memory poisoned with NaN until loaded) against the CPU kernels and the
// per-step grids' emulation, at random shapes with several units per block and slices that do not
// divide H, every output poisoned with NaN first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend } from '../ts/bindings/backend.ts';
import { backwardArgs, forwardArgs, lstmCacheSize } from '../ts/bindings/lstm.ts';
import { throwsError } from './helpers/errors.ts';
import { definedCacheEntries, firstUnwritten, hostGrid, recurrentCases, recurrentOutputs, relNorm, runRecurrent } from './helpers/cuda-cases.ts';

const KIB = 1024;
const BUDGET = 48 * KIB;  // native/cuda/lstm_persist.h's kPersistSharedBudget
// The occupancy model of the plan's test binding (lstm_persist.h's modelCoResident).
const coResident = (bytes: number, sms: number, perSm: number, shared: number) => sms * Math.min(perSm, Math.floor(shared / bytes));

/** The same floats, NaN poison included (bit patterns compared). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((v, i) => v === y[i]);
}

test('persistent plan: blocks own consecutive slices covering every unit once; the smallest slice whose grid is co-resident', () => {
  const devices: Array<[number, number, number]> = [[4, 2, 100 * KIB], [132, 8, 228 * KIB], [1, 1, 48 * KIB], [7, 3, 64 * KIB], [20, 1, 228 * KIB]];
  for (const [sms, perSm, shared] of devices) {
    for (const nz of [1, 4]) {
      for (const H of [1, 2, 7, 8, 9, 31, 33, 64, 65, 100, 129, 200, 255, 256]) {
        const what = `H=${H} gates=${nz} on ${sms} SMs x ${perSm} (${shared} B)`;
        const plan = hostGrid()._cudaPersistentPlan(H, nz, BUDGET, sms, perSm, shared);
        const slice = (u: number) => 4 * u * nz * H;
        const fits = (u: number) => slice(u) <= BUDGET && Math.ceil(H / u) <= coResident(slice(u), sms, perSm, shared);
        let best = 0;
        for (let u = 1; u <= H && best === 0; u++) if (fits(u)) best = u;
        if (typeof plan === 'string') {
          assert.is(best, 0, `${what}: no plan (${plan}), but ${best} units per block fit`);
          continue;
        }
        assert.is(plan.units, best, `${what}: units per block`);
        assert.is(plan.blocks, Math.ceil(H / plan.units), `${what}: blocks`);
        assert.is(plan.sharedBytes, slice(plan.units), `${what}: shared bytes`);
        assert.ok(plan.sharedBytes <= BUDGET, `${what}: over the budget`);
        assert.ok(plan.blocks <= coResident(plan.sharedBytes, sms, perSm, shared), `${what}: not co-resident`);
        let next = 0;
        for (let b = 0; b < plan.blocks; b++) {
          assert.is(plan.first[b], next, `${what}: block ${b} starts at ${plan.first[b]}`);
          assert.ok(plan.count[b] >= 1 && plan.count[b] <= plan.units, `${what}: block ${b} owns ${plan.count[b]}`);
          next += plan.count[b];
        }
        assert.is(next, H, `${what}: units covered`);
      }
    }
  }
  // Cases past the rule: H over 256, a slice over the budget, a device that holds no block.
  assert.match(hostGrid()._cudaPersistentPlan(257, 1, BUDGET, 132, 8, 228 * KIB) as string, /hidden size over 256/);
  assert.match(hostGrid()._cudaPersistentPlan(256, 4, BUDGET, 4, 2, 100 * KIB) as string, /no slice of W_hh within the shared-memory budget/);
  assert.match(hostGrid()._cudaPersistentPlan(64, 4, BUDGET, 4, 2, 100) as string, /no slice of W_hh within the shared-memory budget/);
  assert.match(hostGrid()._cudaPersistentPlan(256, 4, 4000, 132, 8, 228 * KIB) as string, /one unit's rows of W_hh do not fit in shared memory/);
  assert.match(hostGrid()._cudaPersistentPlan(1, 1, BUDGET, 4, 2, 2) as string, /does not hold even one block/);
  // H = 64 LSTM on an H100 (132 SMs): one unit per block, 64 blocks of 1 KiB.
  const h100 = hostGrid()._cudaPersistentPlan(64, 4, BUDGET, 132, 8, 228 * KIB);
  assert.ok(typeof h100 !== 'string' && h100.units === 1 && h100.blocks === 64 && h100.sharedBytes === 1024);
  throwsError(() => hostGrid()._cudaPersistentPlan(64, 5, BUDGET, 1, 1, 1), RangeError, /gatesPerHidden/);
});

// Several units per block on the modelled device (4 SMs x 2 blocks: ceil(H / 8) units), slices that
// do not divide H (9, 33, 37, 65, 100, 250), batch 1, lengths of 0, 1 and T, dropout, gather mode.
const SHAPES = [
  ...recurrentCases(700),
  ...recurrentCases(800, [
    ['lstm', 1, 12, 3, 37, 'none', 'post', true, 0.2], ['rnn', 1, 5, 2, 9, 'none', 'pre', false, 0],
    ['lstm', 6, 10, 5, 100, 'mixed', 'post', true, 0.3], ['rnn', 7, 9, 4, 250, 'mixed', 'pre', true, 0.2],
    ['lstm', 9, 8, 0, 21, 'mixed', 'post', false, 0.1, 6], ['lstm', 300, 3, 2, 5, 'mixed', 'pre', true, 0],
  ]),
];

test('persistent forward and backward (host emulation): the CPU kernels\' outputs and cache (1e-5) and gradients (1e-4), the per-step grids\' bits, every element written', () => {
  for (const c of SHAPES) {
    const got = runRecurrent(c, 'host-persistent');
    const cpu = runRecurrent(c, 'cpu');
    const step = runRecurrent(c, 'host');
    const want = recurrentOutputs(cpu), same = recurrentOutputs(step);
    for (const [k, v] of recurrentOutputs(got)) {
      assert.is(firstUnwritten(v), -1, `${c.label}: ${k} element ${firstUnwritten(v)} not written`);
      const tol = k.startsWith('grads.') ? 1e-4 : 1e-5;
      assert.ok(relNorm(v, want.get(k)!) < tol, `${c.label}: ${k} ${relNorm(v, want.get(k)!)} from the CPU kernel`);
      // The same fmaf chain per element as the per-step grids, weights from shared memory instead.
      assert.ok(sameBits(v, same.get(k)!), `${c.label}: ${k} differs from the per-step grids`);
    }
    const idx = definedCacheEntries(c, cpu.train.cache);
    const gotCache = idx.map((i) => got.train.cache[i]), wantCache = idx.map((i) => cpu.train.cache[i]);
    assert.is(firstUnwritten(gotCache), -1, `${c.label}: a cache entry not written`);
    assert.ok(relNorm(gotCache, wantCache) < 1e-5, `${c.label}: cache ${relNorm(gotCache, wantCache)}`);
    assert.ok(sameBits(got.train.cache, step.train.cache), `${c.label}: cache differs from the per-step grid`);
  }
});

test('persistent forward and backward (host emulation): no plan, an Error saying why', () => {
  for (const [H, why] of [[257, /hidden size over 256/], [256, /no slice of W_hh within the shared-memory budget/]] as const) {
    const [c] = recurrentCases(900, [['lstm', 2, 2, 1, H, 'none', 'pre', false, 0]]);
    const o = { batch: 2, time: 2, input: 1, hidden: H, x: c.x, wIh: c.wIh, wHh: c.wHh };
    const re = new RegExp(`persistent kernel cannot run: ${why.source}`);
    throwsError(() => hostGrid()._cudaHostEmulateLstmForwardPersistent(...forwardArgs('host', { ...o, hLast: new Float32Array(2 * H) }, 4, true)), Error, re);
    const b = { ...o, cache: new Float32Array(lstmCacheSize(2, 2, H)), dHlast: c.dHlast, dWHh: new Float32Array(c.wHh.length) };
    throwsError(() => hostGrid()._cudaHostEmulateLstmBackwardPersistent(...backwardArgs('host', b, 4, true)), Error, re);
  }
});

test('the CUDA forward\'s path switch: auto by default, each value read back, anything else a RangeError / TypeError', () => {
  const h = hostGrid();
  const before = h._cudaRecurrentPath('step');
  assert.is(before, 'auto');
  assert.is(h._cudaRecurrentPath('persistent'), 'step');
  assert.is(h._cudaRecurrentPath('auto'), 'persistent');
  throwsError(() => h._cudaRecurrentPath('fast' as never), RangeError, /_cudaRecurrentPath: path/);
  throwsError(() => h._cudaRecurrentPath(1 as never), TypeError, /_cudaRecurrentPath: path/);
  assert.is(h._cudaRecurrentPath('auto'), 'auto');
  // Which kernels ran is recorded by GPU calls only (checked in cuda-parity.test.ts): without a GPU, none ran.
  const last = h._cudaLastRecurrentPath();
  if (!backend().cuda) assert.equal(last, { forward: 'auto', backward: 'auto' });
  else for (const v of [last.forward, last.backward]) assert.ok(['auto', 'step', 'persistent'].includes(v), v);
});

test.run();
