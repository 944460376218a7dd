// The RBM CUDA kernels' work, tested without a GPU (as test/cuda-host.test.ts does for the others):
// native/cuda/host_grid.cc runs their grids, and the CD-k chain's sequence of grids, as host loops
// through the same __host__ __device__ functions (native/cuda/rbm_elem.h, with cpu/philox.h), and
// the results are compared with the CPU kernels and float64 references, outputs poisoned first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUniform } from '../ts/bindings/random.ts';
import { rbmBatchStream, rbmCdGradient, rbmFreeEnergy, rbmHiddenProbs, rbmSampleBernoulli, rbmVisibleMeans } from '../ts/bindings/rbm.ts';
import type { RbmGradient } from '../ts/bindings/rbm.ts';
import { throwsError } from './helpers/errors.ts';
import { firstUnwritten, hostGrid, rbmCases, relNorm } from './helpers/cuda-cases.ts';
import { randomF32, rng } from './helpers/random.ts';
import { cdGradientRef, freeEnergyRef, hiddenProbsRef, visibleMeansRef } from './reference/rbm.ts';

const nan = (n: number) => new Float32Array(n).fill(Number.NaN);

test('Philox on the device side: the CPU kernel\'s samples bit for bit, at any offset and stream, in place too', () => {
  const r = rng(1000);
  // Offsets not a multiple of 4 (a draw block split between threads), past 2^32 (the counter's
  // high word), and the streams rbmTrainEpoch uses (above 2^52).
  const cases: Array<[n: number, stream: number, offset: number]> = [
    [1, 0, 0], [3, 7, 1], [257, 12345, 62], [1000, rbmBatchStream(3, 17), 2 ** 32 - 5], [4099, rbmBatchStream(2 ** 20 - 1, 2 ** 31), 2 ** 40 + 3],
  ];
  for (const [n, stream, offset] of cases) {
    const p = randomF32(r, n, 0, 1);
    const got = nan(n);
    hostGrid()._cudaHostEmulateRbmSampleBernoulli(9, stream, offset, p, got);
    const cpu = rbmSampleBernoulli(p, 9, stream, offset, nan(n));
    assert.equal(got, cpu, `n=${n} stream=${stream} offset=${offset}`);
    if (offset < 2 ** 20) {
      const u = randomUniform(new Float32Array(offset + n), 9, stream);
      for (let i = 0; i < n; i++) if (got[i] !== (u[offset + i] < p[i] ? 1 : 0)) assert.unreachable(`n=${n}: draw ${i}`);
    }
    const inPlace = p.slice();
    hostGrid()._cudaHostEmulateRbmSampleBernoulli(9, stream, offset, inPlace, inPlace);
    assert.equal(inPlace, cpu, `n=${n}: in place`);
  }
});

test('conditionals and free energy grids: every output written, within 1e-6 (1e-5 free energy) of float64 and the CPU', () => {
  for (const c of rbmCases(1100)) {
    const { N, V, H, model: m, visible } = c;
    const P = nan(N * H);
    hostGrid()._cudaHostEmulateRbmHiddenProbs(N, V, H, c.x, m.W, m.c, P);
    const X = nan(N * V);
    hostGrid()._cudaHostEmulateRbmVisibleMeans(visible, N, V, H, c.h, m.W, m.b, X);
    const F = nan(N);
    hostGrid()._cudaHostEmulateRbmFreeEnergy(visible, N, V, H, c.x, m.W, m.b, m.c, F);
    const cpu = { P: nan(N * H), X: nan(N * V), F: nan(N) };
    rbmHiddenProbs(N, V, H, c.x, m.W, m.c, cpu.P);
    rbmVisibleMeans(visible, N, V, H, c.h, m.W, m.b, cpu.X);
    rbmFreeEnergy(visible, N, V, H, c.x, m.W, m.b, m.c, cpu.F);
    const want = {
      P: hiddenProbsRef(N, V, H, c.x, m.W, m.c),
      X: visibleMeansRef(visible, N, V, H, c.h, m.W, m.b),
      F: freeEnergyRef(visible, N, V, H, c.x, m.W, m.b, m.c),
    };
    for (const [name, got, tol] of [['P', P, 1e-6], ['X', X, 1e-6], ['F', F, 1e-5]] as const) {
      assert.is(firstUnwritten(got), -1, `${c.label}: ${name} element ${firstUnwritten(got)} not written`);
      const ref = relNorm(got, want[name]);
      const vsCpu = relNorm(got, cpu[name]);
      assert.ok(ref < tol, `${c.label}: ${name} ${ref} from float64`);
      assert.ok(vsCpu < tol, `${c.label}: ${name} ${vsCpu} from the CPU kernel`);
    }
  }
});

const gradient = (V: number, H: number): RbmGradient => ({ dW: nan(H * V), db: nan(V), dc: nan(H), stats: nan(1) });

test('CD-k / PCD-k chain: the CPU kernel\'s gradient (1e-5), its persistent chain bit for bit, the float64 replay', () => {
  for (const c of rbmCases(1200, [[1, 1, 1], [5, 3, 9], [9, 13, 11], [33, 21, 17], [17, 40, 6]])) {
    const { V, H, model: m, visible } = c;
    const rows = c.N;
    for (const [k, persistent] of [[1, false], [3, false], [2, true]] as const) {
      const what = `${c.label} k=${k}${persistent ? ' pcd' : ''}`;
      const seed = 5;
      const stream = rbmBatchStream(1, k);
      const start = persistent ? randomF32(rng(k), rows * H).map((v) => (v < 0 ? 0 : 1)) : null;
      const o = { visible, gibbsSteps: k, persistent };
      const g = gradient(V, H);
      const chain = start ? start.slice() : null;
      hostGrid()._cudaHostEmulateRbmCdGradient(visible, k, persistent, rows, V, H, c.x, m.W, m.b, m.c, chain, seed, stream,
        g.dW, g.db, g.dc, g.stats);
      for (const [name, a] of Object.entries(g)) assert.is(firstUnwritten(a), -1, `${what}: ${name} not written`);
      const cpu = gradient(V, H);
      const cpuChain = start ? start.slice() : null;
      rbmCdGradient(o, rows, m, c.x, cpuChain, seed, stream, cpu);
      for (const name of ['dW', 'db', 'dc'] as const) {
        const e = relNorm(g[name], cpu[name]);
        assert.ok(e < 1e-5, `${what}: ${name} ${e} from the CPU kernel`);
      }
      assert.ok(Math.abs(g.stats[0] - cpu.stats[0]) <= 1e-5 * Math.max(1, cpu.stats[0]), `${what}: error ${g.stats[0]} vs ${cpu.stats[0]}`);
      if (persistent) assert.equal(chain, cpuChain, `${what}: chain`);
      const u = randomUniform(new Float32Array((k + 1) * (rows * H + rows * V)), seed, stream);
      const ref = cdGradientRef(visible, k, persistent, rows, V, H, c.x, m.W, m.b, m.c, start, u);
      for (const name of ['dW', 'db', 'dc'] as const) {
        const e = relNorm(g[name], ref[name]);
        assert.ok(e < 1e-5, `${what}: ${name} ${e} from float64`);
      }
    }
  }
});

test('the RBM emulation bindings check their arguments as the CPU ones do', () => {
  const W = new Float32Array(6);
  throwsError(() => hostGrid()._cudaHostEmulateRbmHiddenProbs(1, 3, 2, new Float32Array(3), W, new Float32Array(2), new Float32Array(3)),
    RangeError, /P/);
  throwsError(() => hostGrid()._cudaHostEmulateRbmSampleBernoulli(1, 2, 0, new Float32Array(0), new Float32Array(0)), RangeError,
    /p must not be empty/);
  throwsError(() => hostGrid()._cudaHostEmulateRbmCdGradient('bernoulli', 1, true, 1, 3, 2, new Float32Array(3), W, new Float32Array(3),
    new Float32Array(2), null, 1, 2, new Float32Array(6), new Float32Array(3), new Float32Array(2), new Float32Array(1)), TypeError, /chain/);
});

test.run();
