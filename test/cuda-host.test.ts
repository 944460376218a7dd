// The CUDA kernels' work, tested without a GPU: native/cuda/host_grid.cc runs each kernel's grid
// as host loops through the same __host__ __device__ functions the kernels call (gemm_tile.h,
// iforest_walk.h, svm_tile.h), and the results are compared with the CPU kernels and float64
// references at awkward shapes, outputs poisoned first. What this cannot check is the kernels'
// skeletons (the loops and barriers in the .cu files) and the device runtime: see cuda-parity.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gemm } from '../ts/bindings/gemm.ts';
import { iforestScore } from '../ts/bindings/iforest.ts';
import { ocsvmDecision } from '../ts/bindings/ocsvm.ts';
import { throwsError } from './helpers/errors.ts';
import { conv1dDims, firstUnwritten, gemmCases, hostGrid, iforestCases, relNorm, svmCases } from './helpers/cuda-cases.ts';

test('sgemm grid: every element written, within 1e-6 of float64 and of the CPU kernel', () => {
  for (const c of gemmCases(100)) {
    const got = c.C0.slice();
    hostGrid()._cudaHostEmulateGemm(c.tA, c.tB, c.M, c.N, c.K, c.alpha, c.A, c.B, c.beta, got);
    const unwritten = firstUnwritten(got);
    assert.is(unwritten, -1, `${c.label}: element ${unwritten} not written`);
    const cpu = c.C0.slice();
    gemm(c.tA, c.tB, c.M, c.N, c.K, c.alpha, c.A, c.B, c.beta, cpu);
    const ref = relNorm(got, c.want);
    const vsCpu = relNorm(got, cpu);
    assert.ok(ref < 1e-6, `${c.label}: ${ref} from float64`);
    assert.ok(vsCpu < 1e-6, `${c.label}: ${vsCpu} from the CPU kernel`);
  }
});

test('sgemm grid: C is not read when beta is 0, and is read when it is not', () => {
  const A = new Float32Array([1, 2, 3, 4]);
  const B = new Float32Array([1, 0, 0, 1]);
  const C = new Float32Array([Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
  hostGrid()._cudaHostEmulateGemm(false, false, 2, 2, 2, 2, A, B, 0, C);
  assert.equal(Array.from(C), [2, 4, 6, 8]);
  hostGrid()._cudaHostEmulateGemm(false, false, 2, 2, 2, 1, A, B, -1, C);
  assert.equal(Array.from(C), [-1, -2, -3, -4]);
});

test('isolation-forest grid: the CPU kernel\'s path lengths and scores, bit for bit, staged or not', () => {
  for (const c of iforestCases(200)) {
    const path = new Float32Array(c.rows).fill(Number.NaN);
    const score = new Float32Array(c.rows).fill(Number.NaN);
    hostGrid()._cudaHostEmulateIforestScore(c.forest.handle, c.rows, c.cols, c.x, path, score);
    assert.is(firstUnwritten(path), -1, `${c.label}: a path length not written`);
    assert.is(firstUnwritten(score), -1, `${c.label}: a score not written`);
    const cpuPath = new Float32Array(c.rows);
    const cpuScore = new Float32Array(c.rows);
    iforestScore(c.forest, c.rows, c.x, cpuPath, cpuScore);
    assert.equal(path, cpuPath, `${c.label}: path lengths`);
    assert.equal(score, cpuScore, `${c.label}: scores`);
  }
});

test('isolation-forest grid: either output may be null', () => {
  const [c] = iforestCases(300, [[70, 4, 5, 32]]);
  const score = new Float32Array(c.rows).fill(Number.NaN);
  hostGrid()._cudaHostEmulateIforestScore(c.forest.handle, c.rows, c.cols, c.x, null, score);
  const path = new Float32Array(c.rows).fill(Number.NaN);
  hostGrid()._cudaHostEmulateIforestScore(c.forest.handle, c.rows, c.cols, c.x, path, null);
  const cpu = new Float32Array(c.rows);
  iforestScore(c.forest, c.rows, c.x, null, cpu);
  assert.equal(score, cpu);
  assert.is(firstUnwritten(path), -1);
});

test('rbf SVM grid: every row written, within 1e-6 of float64 and 1e-5 of the CPU kernel', () => {
  for (const c of svmCases(400)) {
    const { kernel: k } = c;
    const got = new Float32Array(c.m).fill(Number.NaN);
    hostGrid()._cudaHostEmulateSvmDecision(c.m, c.d, c.nSV, c.x, c.sv, c.coef, k.kernel, k.gamma, k.degree, k.coef0, 0, got);
    assert.is(firstUnwritten(got), -1, `${c.label}: a row not written`);
    const cpu = new Float32Array(c.m);
    ocsvmDecision(c.m, c.d, c.nSV, c.x, c.sv, c.coef, k, 0, cpu);
    const ref = relNorm(got, c.want);
    const vsCpu = relNorm(got, cpu);
    assert.ok(ref < 1e-6, `${c.label}: ${ref} from float64`);
    assert.ok(vsCpu < 1e-5, `${c.label}: ${vsCpu} from the CPU kernel`);
  }
});

test('rbf SVM grid: rho is subtracted in double; other kernels are refused', () => {
  const [c] = svmCases(500, [[9, 4, 10]]);
  const { kernel: k } = c;
  const a = new Float32Array(c.m);
  const b = new Float32Array(c.m);
  hostGrid()._cudaHostEmulateSvmDecision(c.m, c.d, c.nSV, c.x, c.sv, c.coef, 'rbf', k.gamma, 3, 0, 0, a);
  hostGrid()._cudaHostEmulateSvmDecision(c.m, c.d, c.nSV, c.x, c.sv, c.coef, 'rbf', k.gamma, 3, 0, 0.25, b);
  for (let i = 0; i < c.m; i++) assert.ok(Math.abs(b[i] - (a[i] - 0.25)) <= 1e-6 * Math.max(1, Math.abs(a[i])), `row ${i}: ${b[i]} vs ${a[i]} - 0.25`);
  throwsError(() => hostGrid()._cudaHostEmulateSvmDecision(c.m, c.d, c.nSV, c.x, c.sv, c.coef, 'poly', 1, 3, 0, 0, a), RangeError,
    /kernel must be 'rbf' on CUDA/);
});

test('the emulation bindings check their arguments as the CPU ones do', () => {
  const A = new Float32Array(6);
  throwsError(() => hostGrid()._cudaHostEmulateGemm(false, false, 2, 2, 3, 1, A, A, 0, new Float32Array(3)), RangeError, /C/);
  throwsError(() => hostGrid()._cudaHostEmulateGemm(false, false, 2, 2, 3, 1, A, new Float64Array(6) as unknown as Float32Array, 0,
    new Float32Array(4)), TypeError, /B must be a Float32Array/);
  const [c] = iforestCases(600, [[3, 2, 2, 8]]);
  throwsError(() => hostGrid()._cudaHostEmulateIforestScore(c.forest.handle, 3, 5, new Float32Array(15), null, null), RangeError,
    /cols must be 2/);
  const s = { batch: 1, time: 2, inChannels: 1, outChannels: 1, kernelSize: 3, dilation: 1, padding: 'valid' } as const;
  throwsError(() => hostGrid()._cudaHostEmulateConv1dForward(...conv1dDims(s), new Float32Array(2), new Float32Array(3), null,
    new Float32Array(1), 'linear'), RangeError, /time must be at least/);
});

test.run();
