// The cases both CUDA tests run: test/cuda-host.test.ts (the kernels' grids emulated on the host,
// every machine) and test/cuda-parity.test.ts (the real kernels, where a GPU is). Shapes cover one
// row, sizes below, at and just past the 64-wide tiles and the 16-deep steps, and odd sizes; every
// output starts poisoned with NaN, so an element the grid misses shows.
import { addon } from '../../ts/bindings/addon.ts';
import { conv1dOutputLength } from '../../ts/bindings/conv1d.ts';
import type { Conv1dActivation, Conv1dShape } from '../../ts/bindings/conv1d.ts';
import { createForest, iforestFit, PackedForest } from '../../ts/bindings/iforest.ts';
import type { SvmKernelSpec } from '../../ts/bindings/ocsvm.ts';
import { backwardArgs, forwardArgs, lstmBackward, lstmCacheSize, lstmForward } from '../../ts/bindings/lstm.ts';
import type { LstmBackwardOptions, LstmForwardOptions } from '../../ts/bindings/lstm.ts';
import type { RbmModel, RbmVisible } from '../../ts/bindings/rbm.ts';
import { rnnBackward, rnnCacheSize, rnnForward } from '../../ts/bindings/rnn.ts';
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
  /** The recurrent bindings' positional arguments (forwardArgs / backwardArgs of ts/bindings/lstm.ts). */
  _cudaHostEmulateLstmForward(...a: unknown[]): void;
  _cudaHostEmulateLstmBackward(...a: unknown[]): void;
  _cudaHostEmulateRnnForward(...a: unknown[]): void;
  _cudaHostEmulateRnnBackward(...a: unknown[]): void;
  /** The persistent kernels' cooperative grids as host loops (forwardArgs' / backwardArgs' arguments), on a modelled device of 4 SMs x 2 blocks. */
  _cudaHostEmulateLstmForwardPersistent(...a: unknown[]): void;
  _cudaHostEmulateRnnForwardPersistent(...a: unknown[]): void;
  _cudaHostEmulateLstmBackwardPersistent(...a: unknown[]): void;
  _cudaHostEmulateRnnBackwardPersistent(...a: unknown[]): void;
  /** The persistent kernel's plan on a modelled device, or why there is none. */
  _cudaPersistentPlan(hidden: number, gatesPerHidden: number, budgetBytes: number, sms: number, blocksPerSm: number,
    sharedPerSm: number): PersistPlan | string;
  /** Forces the CUDA forward's path (native/cuda/lstm.h's RecurrentPath); returns the previous one. */
  _cudaRecurrentPath(path: RecurrentPath): RecurrentPath;
  /** The kernels that ran the last GPU forward's and backward's steps ('auto' before the first). */
  _cudaLastRecurrentPath(): { forward: RecurrentPath; backward: RecurrentPath };
}
export type RecurrentPath = 'auto' | 'step' | 'persistent';
/** Units per block, the grid, a block's shared memory, and each block's first unit and unit count. */
export interface PersistPlan { units: number; blocks: number; sharedBytes: number; first: Int32Array; count: Int32Array }
type Conv1dDims = [number, number, number, number, number, number, Conv1dShape['padding']];
/** A Conv1dShape as the bindings' first seven arguments. */
export const conv1dDims = (s: Conv1dShape): Conv1dDims =>
  [s.batch, s.time, s.inChannels, s.outChannels, s.kernelSize, s.dilation, s.padding];
export const hostGrid = (): HostGrid => addon<HostGrid>();

/** ||a - b|| / ||b|| in float64: the issue's relative-norm measure. */
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

export type RecurrentCell = 'lstm' | 'rnn';

export interface RecurrentCase {
  label: string;
  cell: RecurrentCell;
  B: number;
  T: number;
  I: number;
  H: number;
  x: F32;
  wIh: F32;
  bias: F32 | null;
  wHh: F32;
  h0: F32 | null;
  c0: F32 | null;
  lengths: Int32Array | null;
  padding: 'pre' | 'post';
  dropout: number;
  seed: number;
  stream: number;
  dY: F32;
  dHlast: F32;
  dCn: F32 | null;
  /** Gather mode (vocab > 0): token ids [B, T] and the folded table [vocab, G] replace x, wIh and bias. */
  vocab: number;
  tokens: Int32Array | null;
  table: F32 | null;
}

/**
 * [cell, B, T, I, H, lengths ('none' | 'mixed': 0, 1, T and random), padding, h0/c0, dropout,
 * vocab (gather mode when given)].
 */
type RecurrentShape = [RecurrentCell, number, number, number, number, 'none' | 'mixed', 'pre' | 'post', boolean, number, number?];

// Units below, at and past a warp and the 64-wide GEMM tiles; T = 1; lengths with 0 and 1 steps.
const RECURRENT_SHAPES: RecurrentShape[] = [
  ['lstm', 1, 1, 1, 1, 'none', 'pre', false, 0],
  ['lstm', 3, 7, 5, 9, 'mixed', 'pre', true, 0],
  ['lstm', 5, 9, 3, 33, 'mixed', 'post', true, 0.3],
  ['lstm', 4, 6, 70, 17, 'none', 'post', false, 0.2],
  ['lstm', 2, 5, 2, 65, 'mixed', 'post', false, 0],
  ['rnn', 1, 1, 1, 1, 'none', 'pre', true, 0],
  ['rnn', 4, 8, 6, 13, 'mixed', 'pre', true, 0.25],
  ['rnn', 5, 7, 66, 40, 'mixed', 'post', false, 0],
  ['rnn', 3, 5, 4, 64, 'none', 'pre', false, 0.1],
  ['lstm', 4, 9, 0, 11, 'mixed', 'pre', true, 0.2, 5],
  ['lstm', 3, 6, 0, 8, 'none', 'post', false, 0, 1],
  ['rnn', 5, 8, 0, 19, 'mixed', 'post', true, 0, 7],
];

/** Random recurrent layers and gradients at the shapes above (or the given ones). */
export function recurrentCases(seed: number, shapes = RECURRENT_SHAPES): RecurrentCase[] {
  return shapes.map(([cell, B, T, I, H, lens, padding, init, dropout, vocab = 0], n) => {
    const r = rng(seed + n);
    const G = (cell === 'lstm' ? 4 : 1) * H;
    const scale = 1 / Math.sqrt(H);
    let lengths: Int32Array | null = null;
    if (lens === 'mixed') {
      lengths = new Int32Array(B);
      for (let b = 0; b < B; b++) lengths[b] = [0, 1, T][b] ?? Math.floor(r() * (T + 1));
    }
    return {
      label: `${cell} B=${B} T=${T} ${vocab > 0 ? `vocab=${vocab}` : `I=${I}`} H=${H} lengths=${lens} ${padding}${init ? ' h0' : ''} dropout=${dropout}`,
      cell, B, T, I, H,
      x: randomF32(r, B * T * I), wIh: randomF32(r, G * I, -scale, scale), bias: n % 3 === 2 ? null : randomF32(r, G, -0.5, 0.5),
      wHh: randomF32(r, G * H, -scale, scale),
      h0: init ? randomF32(r, B * H) : null, c0: init && cell === 'lstm' ? randomF32(r, B * H) : null,
      lengths, padding, dropout, seed: 11 + n, stream: 3 * n,
      dY: randomF32(r, B * T * H), dHlast: randomF32(r, B * H), dCn: cell === 'lstm' ? randomF32(r, B * H) : null,
      vocab, tokens: vocab > 0 ? Int32Array.from({ length: B * T }, () => Math.floor(r() * vocab)) : null,
      table: vocab > 0 ? randomF32(r, vocab * G) : null,
    };
  });
}

export interface RecurrentRun {
  /** Inference forward: every output asked for. */
  infer: { out: F32; hLast: F32; cLast: F32 | null; outMax: F32 };
  /** Training forward (dropout applied); cache as the forward left it (before the backward). */
  train: { out: F32; hLast: F32; cLast: F32 | null; cache: F32 };
  /** The backward's outputs from that forward's cache. */
  grads: Record<'dWHh' | 'dBias' | 'dh0', F32> & Record<'dX' | 'dWIh' | 'dTable' | 'dc0', F32 | null>;
}

const poisoned = (n: number) => new Float32Array(n).fill(Number.NaN);

/**
 * One case through a forward for inference, a training forward and its backward, on the CPU
 * kernel ('cpu'), the CUDA kernel ('cuda') or the CUDA kernel's grids on the host ('host', or
 * 'host-persistent': the persistent kernels' grids); every output poisoned with NaN first.
 */
export function runRecurrent(c: RecurrentCase, mode: 'cpu' | 'cuda' | 'host' | 'host-persistent'): RecurrentRun {
  const lstm = c.cell === 'lstm';
  const { B, T, H } = c;
  const G = (lstm ? 4 : 1) * H;
  const fwd = (o: LstmForwardOptions): void => {
    const h = hostGrid();
    if (mode === 'host') {
      (lstm ? h._cudaHostEmulateLstmForward : h._cudaHostEmulateRnnForward)(...forwardArgs('host', o, lstm ? 4 : 1, lstm));
    } else if (mode === 'host-persistent') {
      (lstm ? h._cudaHostEmulateLstmForwardPersistent : h._cudaHostEmulateRnnForwardPersistent)(...forwardArgs('host', o, lstm ? 4 : 1, lstm));
    } else {
      (lstm ? lstmForward : rnnForward)({ ...o, device: mode });
    }
  };
  const bwd = (o: LstmBackwardOptions): void => {
    const h = hostGrid();
    if (mode === 'host') {
      (lstm ? h._cudaHostEmulateLstmBackward : h._cudaHostEmulateRnnBackward)(...backwardArgs('host', o, lstm ? 4 : 1, lstm));
    } else if (mode === 'host-persistent') {
      (lstm ? h._cudaHostEmulateLstmBackwardPersistent : h._cudaHostEmulateRnnBackwardPersistent)(...backwardArgs('host', o, lstm ? 4 : 1, lstm));
    } else {
      (lstm ? lstmBackward : rnnBackward)({ ...o, device: mode });
    }
  };
  const gather = c.tokens !== null;
  const common = {
    batch: B, time: T, hidden: H, wHh: c.wHh, h0: c.h0, ...(lstm ? { c0: c.c0 } : {}), lengths: c.lengths, padding: c.padding,
    ...(gather ? { tokens: c.tokens!, vocab: c.vocab } : { input: c.I, x: c.x, wIh: c.wIh }),
  };
  const inputs = gather ? { table: c.table! } : { bias: c.bias };
  const infer = { out: poisoned(B * T * H), hLast: poisoned(B * H), cLast: lstm ? poisoned(B * H) : null, outMax: poisoned(B * H) };
  fwd({ ...common, ...inputs, out: infer.out, hLast: infer.hLast, ...(lstm ? { cLast: infer.cLast } : {}), outMax: infer.outMax });
  const cache = poisoned((lstm ? lstmCacheSize : rnnCacheSize)(B, T, H));
  const train = { out: poisoned(B * T * H), hLast: poisoned(B * H), cLast: lstm ? poisoned(B * H) : null, cache };
  const rand = { dropout: c.dropout, seed: c.seed, stream: c.stream };
  fwd({ ...common, ...rand, ...inputs, training: true, cache, out: train.out, hLast: train.hLast, ...(lstm ? { cLast: train.cLast } : {}) });
  const kept = cache.slice();
  const grads = {
    dX: gather ? null : poisoned(c.x.length), dWIh: gather ? null : poisoned(G * c.I), dTable: gather ? poisoned(c.vocab * G) : null,
    dWHh: poisoned(G * H), dBias: poisoned(G), dh0: poisoned(B * H), dc0: lstm ? poisoned(B * H) : null,
  };
  bwd({
    ...common, ...rand, cache, dY: c.dY, dHlast: c.dHlast, ...(lstm ? { dCn: c.dCn, dc0: grads.dc0 } : {}),
    dX: grads.dX, dWIh: grads.dWIh, dTable: grads.dTable, dWHh: grads.dWHh, dBias: grads.dBias, dh0: grads.dh0,
  });
  return { infer, train: { ...train, cache: kept }, grads };
}

/**
 * The cache's entries the CPU kernel defines: every entry of the h plane, and the gate and cell
 * planes' entries at valid steps (it leaves padded ones as they were). For the RNN, the h plane.
 */
export function definedCacheEntries(c: RecurrentCase, cpuCache: F32): number[] {
  const idx: number[] = [];
  const n = c.cell === 'lstm' ? 6 * c.B * c.T * c.H : c.B * c.T * c.H;
  for (let i = 0; i < n; i++) if (!Number.isNaN(cpuCache[i])) idx.push(i);
  return idx;
}

/** Every output of a run but the cache, by name ('infer.out', 'grads.dWHh', ...), nulls left out. */
export function recurrentOutputs(r: RecurrentRun): Map<string, F32> {
  const out = new Map<string, F32>();
  for (const [part, o] of [['infer', r.infer], ['train', r.train], ['grads', r.grads]] as const) {
    for (const [k, v] of Object.entries(o)) if (v !== null && k !== 'cache') out.set(`${part}.${k}`, v);
  }
  return out;
}
