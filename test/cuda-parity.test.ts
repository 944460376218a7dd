// Every CUDA kernel against the CPU kernel (the ggml idea: each backend checked against the CPU),
// on fresh random inputs at the shapes of test/helpers/cuda-cases.ts plus larger ones, outputs
// poisoned with NaN first, compared by relative norm (GEMM and reductions under 1e-4). Runs only
// where a GPU is usable; elsewhere it registers one skipped test and prints one line saying why.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addon } from '../ts/bindings/addon.ts';
import { backend } from '../ts/bindings/backend.ts';
import { gemm, gemmAsync } from '../ts/bindings/gemm.ts';
import { iforestScore, iforestScoreAsync } from '../ts/bindings/iforest.ts';
import { ocsvmDecision, ocsvmDecisionAsync } from '../ts/bindings/ocsvm.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { firstUnwritten, gemmCases, hostGrid, iforestCases, relNorm, svmCases } from './helpers/cuda-cases.ts';

const b = backend();

if (!b.cuda) {
  console.log(`cuda-parity: skipped: no usable GPU (${b.cudaUnavailableReason})`);
  test.skip('CUDA kernels against the CPU kernels (needs a GPU)', () => {});
} else {
  const LARGE_GEMM: Array<[number, number, number]> = [[1000, 777, 300], [4096, 64, 1024]];

  test('sgemm: within 1e-4 of the CPU kernel, every element written; the host emulation\'s bits', async () => {
    for (const c of [...gemmCases(1000), ...gemmCases(2000, LARGE_GEMM)]) {
      const got = c.C0.slice();
      gemm(c.tA, c.tB, c.M, c.N, c.K, c.alpha, c.A, c.B, c.beta, got, 'cuda');
      assert.is(firstUnwritten(got), -1, `${c.label}: an element not written`);
      const cpu = c.C0.slice();
      gemm(c.tA, c.tB, c.M, c.N, c.K, c.alpha, c.A, c.B, c.beta, cpu);
      const e = relNorm(got, cpu);
      assert.ok(e < 1e-4, `${c.label}: ${e} from the CPU kernel`);
      // fmaf is correctly rounded on both sides and the order is the same: expected bit for bit.
      const host = c.C0.slice();
      hostGrid()._cudaHostEmulateGemm(c.tA, c.tB, c.M, c.N, c.K, c.alpha, c.A, c.B, c.beta, host);
      assert.equal(got, host, `${c.label}: differs from the host emulation`);
      const viaAsync = c.C0.slice();
      await gemmAsync(c.tA, c.tB, c.M, c.N, c.K, c.alpha, c.A, c.B, c.beta, viaAsync, 'cuda');
      assert.equal(viaAsync, got, `${c.label}: async differs`);
    }
  });

  test('isolation forest: the CPU kernel\'s path lengths, scores within 1e-6, every row written', async () => {
    for (const c of [...iforestCases(3000), ...iforestCases(4000, [[100_000, 41, 100, 256], [5000, 200, 30, 256]])]) {
      const path = new Float32Array(c.rows).fill(Number.NaN);
      const score = new Float32Array(c.rows).fill(Number.NaN);
      iforestScore(c.forest, c.rows, c.x, path, score, 'cuda');
      assert.is(firstUnwritten(path), -1, `${c.label}: a path length not written`);
      assert.is(firstUnwritten(score), -1, `${c.label}: a score not written`);
      const cpuPath = new Float32Array(c.rows);
      const cpuScore = new Float32Array(c.rows);
      iforestScore(c.forest, c.rows, c.x, cpuPath, cpuScore);
      assert.equal(path, cpuPath, `${c.label}: path lengths`);
      const e = relNorm(score, cpuScore);
      assert.ok(e < 1e-6, `${c.label}: scores ${e} from the CPU kernel`);
      const again = new Float32Array(c.rows).fill(Number.NaN);
      await iforestScoreAsync(c.forest, c.rows, c.x, null, again, 'cuda');
      assert.equal(again, score, `${c.label}: async differs`);
    }
  });

  test('rbf SVM: within 1e-4 of the CPU kernel, every row written', async () => {
    for (const c of [...svmCases(5000), ...svmCases(6000, [[20_000, 20, 548], [3000, 100, 2000]])]) {
      const got = new Float32Array(c.m).fill(Number.NaN);
      ocsvmDecision(c.m, c.d, c.nSV, c.x, c.sv, c.coef, c.kernel, 0, got, 'cuda');
      assert.is(firstUnwritten(got), -1, `${c.label}: a row not written`);
      const cpu = new Float32Array(c.m);
      ocsvmDecision(c.m, c.d, c.nSV, c.x, c.sv, c.coef, c.kernel, 0, cpu);
      const e = relNorm(got, cpu);
      assert.ok(e < 1e-4, `${c.label}: ${e} from the CPU kernel`);
      const again = new Float32Array(c.m).fill(Number.NaN);
      await ocsvmDecisionAsync(c.m, c.d, c.nSV, c.x, c.sv, c.coef, c.kernel, 0, again, 'cuda');
      assert.equal(again, got, `${c.label}: async differs`);
    }
  });

  test('a failing call is an Error naming the kernel and sizes, and the next call works', async () => {
    // More device memory than any GPU has (1 PiB): out of memory, which CUDA clears.
    const probe = addon<{ _cudaProbeAlloc(bytes: number): void; _cudaProbeAllocAsync(bytes: number): Promise<void> }>();
    throwsError(() => probe._cudaProbeAlloc(2 ** 50), Error, /^_cudaProbeAlloc: probeAlloc \(bytes=1125899906842624\): allocating .* failed: cudaErrorMemoryAllocation/);
    await rejectsError(() => probe._cudaProbeAllocAsync(2 ** 50), Error, /cudaErrorMemoryAllocation/);
    probe._cudaProbeAlloc(2 ** 20);
    const [c] = gemmCases(7000, [[70, 70, 70]]);
    const got = c.C0.slice();
    gemm(c.tA, c.tB, c.M, c.N, c.K, c.alpha, c.A, c.B, c.beta, got, 'cuda');
    assert.is(firstUnwritten(got), -1);
  });
}

test.run();
