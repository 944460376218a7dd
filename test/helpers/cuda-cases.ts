// The cases both CUDA tests run: test/cuda-host.test.ts (the kernels' grids emulated on the host,
// every machine) and test/cuda-parity.test.ts (the real kernels, where a GPU is). Shapes cover one
// row, sizes below, at and just past the 64-wide tiles and the 16-deep steps, and odd sizes; every
// output starts poisoned with NaN, so an element the grid misses shows.
import { addon } from '../../ts/bindings/addon.ts';
import { conv1dOutputLength } from '../../ts/bindings/conv1d.ts';
import type { Conv1dActivation, Conv1dShape } from '../../ts/bindings/conv1d.ts';
import { createForest, iforestFit, PackedForest } from '../../ts/bindings/iforest.ts';
import type { SvmKernelSpec } from '../../ts/bindings/ocsvm.ts';
import type { RbmModel, RbmVisible } from '../../ts/bindings/rbm.ts';
import { conv1dBackwardRef, conv1dRef } from '../reference/conv1d.ts';
import { gemmRef } from '../reference/gemm.ts';
import { randomF32, rng } from './random.ts';

type F32 = Float32Array;

/** The test-only bindings that run the CUDA kernels' grids as host loops (native/cuda/host_grid.cc). */
export interface HostGrid {
  _cudaHostEmulateGemm(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: F32, B: F32, beta: number,
    C: F32): void;
  _cudaHostEmulateIforestScore(forest: PackedForest['handle'], rows: number, cols: number, x: F32, pathLength: F32 | null,
    score: F32 | null): void;
  _cudaHostEmulateSvmDecision(m: number, d: number, nSV: number, x: F32, sv: F32, coef: F32, kernel: string, gamma: number,
    degree: number, coef0: number, rho: number, out: F32): void;
  _cudaHostEmulateConv1dForward(...a: [...Conv1dDims, x: F32, W: F32, b: F32 | null, y: F32, activation: Conv1dActivation]): void;
  _cudaHostEmulateConv1dBackward(...a: [...Conv1dDims, x: F32, W: F32, dY: F32, dX: F32 | null, dW: F32 | null, db: F32 | null,
    reluOut: F32 | null, dZ: F32 | null]): void;
  _cudaHostEmulateRbmHiddenProbs(N: number, V: number, H: number, x: F32, W: F32, c: F32, P: F32): void;
  _cudaHostEmulateRbmVisibleMeans(visible: RbmVisible, N: number, V: number, H: number, h: F32, W: F32, b: F32, X: F32): void;
  _cudaHostEmulateRbmSampleBernoulli(seed: number, stream: number, offset: number, p: F32, out: F32): void;
  _cudaHostEmulateRbmFreeEnergy(visible: RbmVisible, N: number, V: number, H: number, x: F32, W: F32, b: F32, c: F32, F: F32): void;
  /** rbmCdGradient's arguments (visible, gibbsSteps, persistent, m, V, H, v0, W, b, c, chain, seed, stream, dW, db, dc, stats). */
  _cudaHostEmulateRbmCdGradient(...a: unknown[]): void;
}
type Conv1dDims = [number, number, number, number, number, number, Conv1dShape['padding']];
/** A Conv1dShape as the bindings' first seven arguments. */
export const conv1dDims = (s: Conv1dShape): Conv1dDims =>
  [s.batch, s.time, s.inChannels, s.outChannels, s.kernelSize, s.dilation, s.padding];
export const hostGrid = (): HostGrid => addon<HostGrid>();

/** ||a - b|| / ||b|| in float64: the relative-norm measure. */
export function relNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/** The index of the first non-finite element (a poisoned element never written), or -1. */
export function firstUnwritten(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

export interface GemmCase {
  label: string;
  tA: boolean;
  tB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  A: F32;
  B: F32;
  /** C before the call: NaN when beta is 0 (write-only), random otherwise. */
  C0: F32;
  /** The float64 reference. */
  want: Float64Array;
}

const GEMM_SHAPES: Array<[number, number, number]> = [
  [1, 1, 1], [1, 7, 3], [5, 1, 17], [64, 64, 16], [65, 63, 17], [33, 130, 40], [129, 65, 1],
];

/** The same values in a view that starts one float past the start of its buffer. */
function offset(a: F32): F32 {
  const buf = new Float32Array(a.length + 1);
  buf.set(a, 1);
  return buf.subarray(1);
}

/**
 * One GEMM case: A, B and C0 drawn from rng(seed) in that order (C0 all NaN when beta is 0, so a
 * kernel that reads or keeps it shows), A one float past an aligned start when misalignA.
 */
export function gemmCase(
  seed: number, tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, beta: number, misalignA = false,
): GemmCase {
  const r = rng(seed);
  const A0 = randomF32(r, M * K);
  const A = misalignA ? offset(A0) : A0;
  const B = randomF32(r, K * N);
  const C0 = beta === 0 ? new Float32Array(M * N).fill(Number.NaN) : randomF32(r, M * N);
  return {
    label: `${M}x${N}x${K} tA=${tA} tB=${tB} alpha=${alpha} beta=${beta}`,
    tA, tB, M, N, K, alpha, beta, A, B, C0, want: gemmRef(tA, tB, M, N, K, alpha, A, B, beta, C0),
  };
}

export function gemmCases(seed: number, shapes = GEMM_SHAPES): GemmCase[] {
  const out: GemmCase[] = [];
  let s = seed;
  for (const [M, N, K] of shapes) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        for (const [alpha, beta] of [[1, 0], [-0.75, 0.5]]) {
          // Every other case reads A from 4 bytes past an aligned start: the loads' scalar path
          // (the others take 16-byte loads where the leading dimension allows).
          out.push(gemmCase(s, tA, tB, M, N, K, alpha, beta, s % 2 === 0));
          s++;
        }
      }
    }
  }
  return out;
}

export interface IforestCase {
  label: string;
  forest: PackedForest;
  rows: number;
  cols: number;
  x: F32;
}

// Column counts on both sides of the staged limit (95: wider rows are read from global memory),
// row counts around the 128-row block.
const IFOREST_SHAPES: Array<[rows: number, cols: number, trees: number, maxSamples: number]> = [
  [1, 1, 1, 1], [1, 5, 7, 64], [127, 3, 10, 100], [128, 41, 25, 256], [129, 95, 9, 33], [300, 96, 6, 50], [257, 130, 4, 256],
];

export function iforestCases(seed: number, shapes = IFOREST_SHAPES): IforestCase[] {
  return shapes.map(([rows, cols, trees, maxSamples], i) => {
    const r = rng(seed + i);
    const trainRows = Math.max(maxSamples, 300);
    const train = randomF32(r, trainRows * cols, -2, 2);
    const f = createForest(trees, maxSamples);
    iforestFit(trainRows, cols, train, f, { maxFeatures: cols, bootstrap: false, seed: seed + i });
    // Rows from a wider range than the training data: some leave every split on one side.
    const x = randomF32(r, rows * cols, -3, 3);
    return { label: `${rows} rows x ${cols} cols, ${trees} trees of ${maxSamples}`, forest: new PackedForest(f, cols), rows, cols, x };
  });
}

export interface SvmCase {
  label: string;
  m: number;
  d: number;
  nSV: number;
  x: F32;
  sv: F32;
  coef: F32;
  kernel: SvmKernelSpec;
  /** Σ_j coef_j exp(-gamma |x - sv_j|²) in float64 (rho = 0: the comparison sees the sum itself). */
  want: Float64Array;
}

const SVM_SHAPES: Array<[m: number, d: number, nSV: number]> = [
  [1, 1, 1], [1, 5, 17], [63, 16, 64], [65, 17, 65], [200, 33, 130], [70, 3, 300],
];

export function svmCases(seed: number, shapes = SVM_SHAPES): SvmCase[] {
  return shapes.map(([m, d, nSV], i) => {
    const r = rng(seed + i);
    const sv = randomF32(r, nSV * d, -1, 1);
    const x = randomF32(r, m * d, -1.5, 1.5);
    // A far row, as an outlier would be: the CPU takes its direct route for it.
    if (m > 2) for (let c = 0; c < d; c++) x[d + c] = 40 + c;
    const coef = randomF32(r, nSV, 0.05, 1);
    const gamma = 1 / d;
    const want = new Float64Array(m);
    for (let row = 0; row < m; row++) {
      let s = 0;
      for (let j = 0; j < nSV; j++) {
        let d2 = 0;
        for (let c = 0; c < d; c++) d2 += (x[row * d + c] - sv[j * d + c]) ** 2;
        s += coef[j] * Math.exp(-gamma * d2);
      }
      want[row] = s;
    }
    return { label: `${m} rows x ${d} features, ${nSV} support vectors`, m, d, nSV, x, sv, coef,
      kernel: { kernel: 'rbf', gamma, degree: 3, coef0: 0 }, want };
  });
}

export interface Conv1dCase {
  label: string;
  s: Conv1dShape;
  x: F32;
  W: F32;
  b: F32 | null;
  dY: F32;
  /** float64 references of the linear convolution and its gradients (computed on first use: large cases skip them). */
  readonly y: Float64Array;
  readonly grads: { dX: Float64Array; dW: Float64Array; db: Float64Array };
}

// [B, T, Cin, Cout, K, dilation]: one step, one channel, a kernel wider than the sequence (taps
// that only read padding), counts of steps around the 256-thread blocks and the 256-step reduction
// stride, channel counts that are not multiples of anything.
const CONV1D_SHAPES: Array<[B: number, T: number, Cin: number, Cout: number, K: number, d: number]> = [
  [1, 1, 1, 1, 1, 1], [1, 5, 3, 2, 3, 4], [2, 17, 5, 7, 2, 1], [3, 100, 4, 9, 3, 2], [1, 257, 2, 3, 5, 3], [2, 130, 33, 17, 2, 8],
];

export function conv1dCases(seed: number, shapes = CONV1D_SHAPES): Conv1dCase[] {
  const out: Conv1dCase[] = [];
  let n = seed;
  for (const [B, T, Cin, Cout, K, dilation] of shapes) {
    for (const padding of ['causal', 'same', 'valid'] as const) {
      if (padding === 'valid' && T - (K - 1) * dilation < 1) continue;
      const s: Conv1dShape = { batch: B, time: T, inChannels: Cin, outChannels: Cout, kernelSize: K, dilation, padding };
      const r = rng(n++);
      const x = randomF32(r, B * T * Cin);
      const W = randomF32(r, Cout * Cin * K, -0.5, 0.5);
      const b = n % 2 === 0 ? randomF32(r, Cout) : null;
      const dY = randomF32(r, B * conv1dOutputLength(s) * Cout);
      let y: Float64Array | undefined;
      let grads: Conv1dCase['grads'] | undefined;
      out.push({
        label: `B=${B} T=${T} Cin=${Cin} Cout=${Cout} K=${K} d=${dilation} ${padding}${b ? '' : ' no bias'}`, s, x, W, b, dY,
        get y() { return (y ??= conv1dRef(s, x, W, b)); },
        get grads() { return (grads ??= conv1dBackwardRef(s, x, W, dY)); },
      });
    }
  }
  return out;
}

export interface RbmCase {
  label: string;
  visible: RbmVisible;
  N: number;
  V: number;
  H: number;
  model: RbmModel;
  /** Data rows [N, V]: 0/1 for Bernoulli visibles, standardised-like values for Gaussian ones. */
  x: F32;
  /** Hidden values [N, H] (0/1) for the visible means. */
  h: F32;
}

// [N, V, H]: one unit, widths around the 256-thread blocks, and V, H above 256 so the free
// energy's threads each take more than one unit.
const RBM_SHAPES: Array<[N: number, V: number, H: number]> = [[1, 1, 1], [5, 3, 9], [9, 13, 11], [33, 21, 17], [3, 300, 270], [40, 7, 260]];

export function rbmCases(seed: number, shapes = RBM_SHAPES): RbmCase[] {
  const out: RbmCase[] = [];
  let n = seed;
  for (const [N, V, H] of shapes) {
    for (const visible of ['bernoulli', 'gaussian'] as const) {
      const r = rng(n++);
      const scale = 1 / Math.sqrt(V);
      const model: RbmModel = { V, H, W: randomF32(r, H * V, -scale, scale), b: randomF32(r, V, -0.5, 0.5), c: randomF32(r, H, -0.5, 0.5) };
      const x = visible === 'bernoulli' ? randomF32(r, N * V).map((v) => (v < 0 ? 0 : 1)) : randomF32(r, N * V, -2, 2);
      const h = randomF32(r, N * H).map((v) => (v < 0 ? 0 : 1));
      out.push({ label: `${visible} N=${N} V=${V} H=${H}`, visible, N, V, H, model, x, h });
    }
  }
  return out;
}
