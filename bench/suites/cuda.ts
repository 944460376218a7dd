// Suite `cuda`: vigil's CUDA kernels (impl 'vigil-cuda') against vigil's CPU kernels (impl 'vigil') in
// the same run, where a GPU is usable; elsewhere one note and no rows. Every GPU time is a whole
// binding call: upload of the operands through pinned staging, the kernel, and the download (the
// forest stays on the device between calls). So the ratio table's "vigil / peer" reads CPU / GPU.
// Cases: GEMM 1024³ and 4096³ (GFLOP/s); isolation-forest scoring of the iforest suite's 100,000
// rows x 41 and 8x the rows (ms); rbf SVM scoring of 100,000 rows x 20 against 548 support vectors
// (the ocsvm README's case) and 8x the rows (ms); one causal Conv1D layer of the conv1d suite's TCN
// (64 -> 64 channels, kernel 3, dilation 4, 1024 steps) at its batch 64 and 512, forward and
// backward (dX, dW, db), sequences/s; the RBM suite's shape (64 visible, 64 hidden): the free energy
// of 100,000 and 800,000 rows (ms) and one CD-1 gradient of a batch of 128 and 1024 rows (ms),
// every call copying its operands up and its results back; the training step's pieces at a
// 1M-parameter model and 8x: one Adam step (ms), dropout of 4M activations (ms), binary
// cross-entropy with its gradient over 100,000 rows (ms), the embedding gradient of a 128 x 150
// batch of a 100 x 32 table (ms), again whole calls with their copies (the device entry points a GPU
// fit would use copy nothing; no fit uses them yet).
// One LSTM training step (B=128, T=1024,
// H=64, dense input of 32 features, the lstm suite's layer without its Embedding): the training
// forward (cache) and the backward (dWIh, dWHh, dBias), seq/s, the cache going down to the host
// and back up (6·B·T·H floats, 201 MB each way) as the bindings' contract has it. Beside them, the
// device's ceilings, kernel time only (CUDA events, data resident): a device-to-device copy of
// 256 MiB (GB/s, bytes read + written) and the SGEMM kernel at 4096³ (GFLOP/s). Last, the LSTM at
// that shape on each CUDA path, forced (per-step grids against the persistent kernels): the
// forward (inference, hLast) beside the CPU's, and the backward to dW_hh (seq/s).
import { backend, getNumThreads, setNumThreads } from '../../ts/bindings/backend.ts';
import type { Device } from '../../ts/bindings/device.ts';
import { addon } from '../../ts/bindings/addon.ts';
import { gemmAsync } from '../../ts/bindings/gemm.ts';
import { lstmBackwardAsync, lstmCacheSize, lstmForwardAsync } from '../../ts/bindings/lstm.ts';
import { createForest, iforestFit, iforestScoreAsync, PackedForest } from '../../ts/bindings/iforest.ts';
import { conv1dBackwardAsync, conv1dForwardAsync, type Conv1dShape } from '../../ts/bindings/conv1d.ts';
import { ocsvmDecisionAsync } from '../../ts/bindings/ocsvm.ts';
import { rbmCdGradientAsync, rbmFreeEnergyAsync } from '../../ts/bindings/rbm.ts';
import { randomUniform } from '../../ts/bindings/random.ts';
import { adamState, adamStepAsync } from '../../ts/bindings/optimizer.ts';
import { dropoutForwardAsync } from '../../ts/bindings/dropout.ts';
import { binaryCrossentropyLogitsAsync } from '../../ts/bindings/loss.ts';
import { embeddingBackwardAsync } from '../../ts/bindings/embedding.ts';
import { measure, note, progress, type Row, type SuiteOptions } from '../harness.ts';

const impl = (d: Device) => (d === 'cuda' ? 'vigil-cuda' : 'vigil');

async function timed(opts: SuiteOptions, label: string, fn: (d: Device) => Promise<unknown>,
  row: (d: Device, threads: number, seconds: number) => Row): Promise<Row[]> {
  const rows: Row[] = [];
  const before = getNumThreads();
  try {
    for (const d of ['cuda', 'cpu'] as const) {
      for (const threads of d === 'cuda' ? [Math.max(...opts.threads)] : opts.threads) {
        setNumThreads(threads);
        try {
          const t = await measure(() => fn(d), opts.repeats);
          const r = row(d, threads, t.seconds);
          progress(`${label} ${impl(d)} t=${threads}: ${(t.seconds * 1e3).toFixed(2)} ms (${r.value.toFixed(1)} ${r.unit})`);
          rows.push(r);
        } catch (e) {
          note(`${label} ${impl(d)} t=${threads} failed: ${(e as Error).message}`);
        }
      }
    }
  } finally {
    setNumThreads(before);
  }
  return rows;
}

export async function runCudaSuite(opts: SuiteOptions): Promise<Row[]> {
  const b = backend();
  if (!b.cuda) {
    note(`cuda: skipped: no usable GPU (${b.cudaUnavailableReason})`);
    return [];
  }
  note(`cuda: ${b.devices.map((d) => `${d.name} (compute ${d.computeCapability})`).join(', ')}`);
  const rows: Row[] = [...ceilings(opts)];
  for (const n of [1024, 4096]) {
    const A = randomUniform(new Float32Array(n * n), 1, n, -1, 1);
    const B = randomUniform(new Float32Array(n * n), 2, n, -1, 1);
    const C = new Float32Array(n * n);
    const flop = 2 * n ** 3;
    rows.push(...await timed(opts, `gemm ${n}^3`, (d) => gemmAsync(false, false, n, n, n, 1, A, B, 0, C, d),
      (d, threads, s) => ({ suite: 'cuda', case: `gemm ${n}^3`, impl: impl(d), threads, metric: 'gemm', unit: 'GFLOP/s', value: flop / s / 1e9 })));
  }
  const cols = 41;
  const trainRows = 100_000;
  const train = randomUniform(new Float32Array(trainRows * cols), 3, 0, -2, 2);
  const f = createForest(100, 256);
  iforestFit(trainRows, cols, train, f, { maxFeatures: cols, bootstrap: false, seed: 0 });
  const packed = new PackedForest(f, cols);
  for (const rowsN of [100_000, 800_000]) {
    const x = randomUniform(new Float32Array(rowsN * cols), 4, rowsN, -3, 3);
    const out = new Float32Array(rowsN);
    const name = `iforest score ${rowsN}x${cols}, 100 trees x 256`;
    rows.push(...await timed(opts, name, (d) => iforestScoreAsync(packed, rowsN, x, null, out, d),
      (d, threads, s) => ({ suite: 'cuda', case: name, impl: impl(d), threads, metric: 'score', unit: 'ms', value: s * 1e3 })));
  }
  const d = 20;
  const nSV = 548;
  const sv = randomUniform(new Float32Array(nSV * d), 5, 0, -1, 1);
  const coef = randomUniform(new Float32Array(nSV), 5, 1, 0.05, 1);
  const kernel = { kernel: 'rbf' as const, gamma: 1 / d, degree: 3, coef0: 0 };
  for (const m of [100_000, 800_000]) {
    const x = randomUniform(new Float32Array(m * d), 6, m, -1.5, 1.5);
    const out = new Float32Array(m);
    const name = `rbf svm score ${m}x${d}, ${nSV} SVs`;
    rows.push(...await timed(opts, name, (dev) => ocsvmDecisionAsync(m, d, nSV, x, sv, coef, kernel, 0, out, dev),
      (dev, threads, s) => ({ suite: 'cuda', case: name, impl: impl(dev), threads, metric: 'score', unit: 'ms', value: s * 1e3 })));
  }
  for (const batch of [64, 512]) {
    const s: Conv1dShape = { batch, time: 1024, inChannels: 64, outChannels: 64, kernelSize: 3, dilation: 4, padding: 'causal' };
    const n = batch * s.time * 64;
    const x = randomUniform(new Float32Array(n), 7, batch, -1, 1);
    const W = randomUniform(new Float32Array(64 * 64 * 3), 7, 1, -0.07, 0.07);
    const bias = new Float32Array(64);
    const y = new Float32Array(n), dX = new Float32Array(n), dW = new Float32Array(W.length), db = new Float32Array(64);
    const name = `conv1d c64->64 k3 d4 causal b${batch} T1024`;
    rows.push(...await timed(opts, `${name} forward`, (dev) => conv1dForwardAsync(s, x, W, bias, y, 'relu', dev),
      (dev, threads, sec) => ({ suite: 'cuda', case: name, impl: impl(dev), threads, metric: 'forward', unit: 'seq/s', value: batch / sec })));
    rows.push(...await timed(opts, `${name} backward`, (dev) => conv1dBackwardAsync(s, x, W, y, dX, dW, db, null, dev),
      (dev, threads, sec) => ({ suite: 'cuda', case: name, impl: impl(dev), threads, metric: 'backward', unit: 'seq/s', value: batch / sec })));
  }
  const V = 64, H = 64;
  const model = { V, H, W: randomUniform(new Float32Array(H * V), 8, 0, -0.1, 0.1), b: new Float32Array(V), c: new Float32Array(H) };
  for (const n of [100_000, 800_000]) {
    const x = randomUniform(new Float32Array(n * V), 9, n).map((u) => (u < 0.5 ? 0 : 1));
    const F = new Float32Array(n);
    const name = `rbm free energy ${n}x${V} h${H}`;
    rows.push(...await timed(opts, name, (dev) => rbmFreeEnergyAsync('bernoulli', n, V, H, x, model.W, model.b, model.c, F, dev),
      (dev, threads, sec) => ({ suite: 'cuda', case: name, impl: impl(dev), threads, metric: 'score', unit: 'ms', value: sec * 1e3 })));
  }
  for (const m of [128, 1024]) {
    const v0 = randomUniform(new Float32Array(m * V), 10, m).map((u) => (u < 0.5 ? 0 : 1));
    const g = { dW: new Float32Array(H * V), db: new Float32Array(V), dc: new Float32Array(H), stats: new Float32Array(1) };
    const name = `rbm CD-1 gradient b${m} ${V}x${H}`;
    const o = { visible: 'bernoulli' as const, gibbsSteps: 1, persistent: false };
    rows.push(...await timed(opts, name, (dev) => rbmCdGradientAsync(o, m, model, v0, null, 0, 2 ** 52, g, dev),
      (dev, threads, sec) => ({ suite: 'cuda', case: name, impl: impl(dev), threads, metric: 'gradient', unit: 'ms', value: sec * 1e3 })));
  }
  for (const n of [1 << 20, 8 << 20]) {
    const p = randomUniform(new Float32Array(n), 11, n, -1, 1), g = randomUniform(new Float32Array(n), 12, n, -1, 1);
    const st = adamState(n);
    const name = `adam step ${n} params`;
    rows.push(...await timed(opts, name, (dev) => adamStepAsync(1, p, g, st, {}, dev),
      (dev, threads, sec) => ({ suite: 'cuda', case: name, impl: impl(dev), threads, metric: 'step', unit: 'ms', value: sec * 1e3 })));
  }
  for (const n of [4 << 20, 32 << 20]) {
    const x = randomUniform(new Float32Array(n), 13, n, -1, 1), y = new Float32Array(n);
    const name = `dropout 0.2 of ${n}`;
    rows.push(...await timed(opts, name, (dev) => dropoutForwardAsync(n, 0.2, 1, 2, x, y, null, dev),
      (dev, threads, sec) => ({ suite: 'cuda', case: name, impl: impl(dev), threads, metric: 'forward', unit: 'ms', value: sec * 1e3 })));
  }
  for (const N of [100_000, 800_000]) {
    const z = randomUniform(new Float32Array(N), 14, N, -4, 4), t = randomUniform(new Float32Array(N), 15, N, 0, 1);
    const grad = new Float32Array(N);
    const name = `binary cross-entropy + gradient ${N}x1`;
    rows.push(...await timed(opts, name, (dev) => binaryCrossentropyLogitsAsync(N, 1, z, t, null, grad, dev),
      (dev, threads, sec) => ({ suite: 'cuda', case: name, impl: impl(dev), threads, metric: 'loss', unit: 'ms', value: sec * 1e3 })));
  }
  for (const batch of [128, 1024]) {
    const V = 100, E = 32, N = batch * 150;
    const ids = Int32Array.from(randomUniform(new Float32Array(N), 16, batch, 0, V), Math.floor);
    const dOut = randomUniform(new Float32Array(N * E), 17, batch, -1, 1), dTable = new Float32Array(V * E);
    const name = `embedding gradient ${V}x${E}, ${batch}x150 ids`;
    rows.push(...await timed(opts, name, (dev) => embeddingBackwardAsync(V, E, N, ids, dOut, dTable, dev),
      (dev, threads, sec) => ({ suite: 'cuda', case: name, impl: impl(dev), threads, metric: 'backward', unit: 'ms', value: sec * 1e3 })));
  }
  rows.push(...await lstmStep(opts));
  rows.push(...await lstmPaths(opts));
  return rows;
}

interface CeilingAddon {
  _cudaCopySeconds(bytes: number, repeats: number): number;
  _cudaSgemmKernelSeconds(n: number, repeats: number): number;
}

// What the device reaches without host transfers: the bounds the whole-call timings are read against.
function ceilings(opts: SuiteOptions): Row[] {
  const n = addon<CeilingAddon>();
  const rows: Row[] = [];
  const threads = Math.max(...opts.threads);
  try {
    const bytes = 256 * 2 ** 20;
    const s = n._cudaCopySeconds(bytes, 20);
    const gbs = (2 * bytes) / s / 1e9;
    progress(`device copy 256 MiB: ${(s * 1e3).toFixed(3)} ms (${gbs.toFixed(0)} GB/s read + written)`);
    rows.push({ suite: 'cuda', case: 'ceiling: device-to-device copy 256 MiB', impl: 'vigil-cuda', threads, metric: 'copy', unit: 'GB/s', value: gbs });
  } catch (e) {
    note(`device copy ceiling failed: ${(e as Error).message}`);
  }
  try {
    const size = 4096;
    const s = n._cudaSgemmKernelSeconds(size, 5);
    const gf = (2 * size ** 3) / s / 1e9;
    progress(`sgemm kernel ${size}^3 (no transfers): ${(s * 1e3).toFixed(2)} ms (${gf.toFixed(0)} GFLOP/s)`);
    rows.push({ suite: 'cuda', case: `ceiling: sgemm kernel ${size}^3`, impl: 'vigil-cuda', threads, metric: 'gemm', unit: 'GFLOP/s', value: gf });
  } catch (e) {
    note(`sgemm ceiling failed: ${(e as Error).message}`);
  }
  return rows;
}

// One training step of an LSTM layer: forward with the cache, then BPTT to the weight gradients.
async function lstmStep(opts: SuiteOptions): Promise<Row[]> {
  const B = 128, T = 1024, H = 64, I = 32, G = 4 * H;
  const x = randomUniform(new Float32Array(B * T * I), 11, 0, -1, 1);
  const wIh = randomUniform(new Float32Array(G * I), 11, 1, -0.125, 0.125);
  const wHh = randomUniform(new Float32Array(G * H), 11, 2, -0.125, 0.125);
  const bias = new Float32Array(G);
  const cache = new Float32Array(lstmCacheSize(B, T, H));
  const hLast = new Float32Array(B * H);
  const dHlast = randomUniform(new Float32Array(B * H), 11, 3, -1, 1);
  const dWIh = new Float32Array(G * I), dWHh = new Float32Array(G * H), dBias = new Float32Array(G);
  const shape = { batch: B, time: T, input: I, hidden: H, x, wIh, wHh };
  const name = `lstm train step b${B} T${T} i${I} h${H}`;
  return timed(opts, name, async (device) => {
    await lstmForwardAsync({ ...shape, bias, training: true, cache, hLast, device });
    await lstmBackwardAsync({ ...shape, cache, dHlast, dWIh, dWHh, dBias, device });
  }, (dev, threads, sec) => ({ suite: 'cuda', case: name, impl: impl(dev), threads, metric: 'train', unit: 'seq/s', value: B / sec }));
}

interface RecurrentPathAddon {
  _cudaRecurrentPath(path: 'auto' | 'step' | 'persistent'): string;
}

// The LSTM at the step's shape on each of the CUDA paths, forced: impl 'vigil-cuda-step' (one grid
// per step, W_hh read from device memory at every step) and 'vigil-cuda-persistent' (one cooperative
// grid, W_hh slices in shared memory), beside the CPU kernel. The forward for inference (hLast only:
// the recurrence dominates the call), and the backward to dW_hh alone from one training forward's
// cache (the cache going up is in it; the device's backward reads the cache without consuming it,
// so it is reused across repeats; the CPU's consumes it, so the CPU has no backward row here).
async function lstmPaths(opts: SuiteOptions): Promise<Row[]> {
  const B = 128, T = 1024, H = 64, I = 32, G = 4 * H;
  const x = randomUniform(new Float32Array(B * T * I), 12, 0, -1, 1);
  const wIh = randomUniform(new Float32Array(G * I), 12, 1, -0.125, 0.125);
  const wHh = randomUniform(new Float32Array(G * H), 12, 2, -0.125, 0.125);
  const shape = { batch: B, time: T, input: I, hidden: H, x, wIh, wHh };
  const o = { ...shape, bias: new Float32Array(G), hLast: new Float32Array(B * H) };
  const name = `lstm b${B} T${T} i${I} h${H}`;
  const row = (impl: string, threads: number, metric: string, sec: number): Row =>
    ({ suite: 'cuda', case: name, impl, threads, metric, unit: 'seq/s', value: B / sec });
  const n = addon<RecurrentPathAddon>();
  const rows: Row[] = [];
  const threads = Math.max(...opts.threads);
  const cache = new Float32Array(lstmCacheSize(B, T, H));
  const dHlast = randomUniform(new Float32Array(B * H), 12, 3, -1, 1), dWHh = new Float32Array(G * H);
  try {
    for (const path of ['step', 'persistent'] as const) {
      n._cudaRecurrentPath(path);
      try {
        const f = await measure(() => lstmForwardAsync({ ...o, device: 'cuda' }), opts.repeats);
        progress(`${name} forward ${path}: ${(f.seconds * 1e3).toFixed(2)} ms`);
        rows.push(row(`vigil-cuda-${path}`, threads, 'forward', f.seconds));
        await lstmForwardAsync({ ...o, training: true, cache, device: 'cuda' });
        const b = await measure(() => lstmBackwardAsync({ ...shape, cache, dHlast, dWHh, device: 'cuda' }), opts.repeats);
        progress(`${name} backward ${path}: ${(b.seconds * 1e3).toFixed(2)} ms`);
        rows.push(row(`vigil-cuda-${path}`, threads, 'backward (dWHh)', b.seconds));
      } catch (e) {
        note(`${name} ${path} failed: ${(e as Error).message}`);
      }
    }
  } finally {
    n._cudaRecurrentPath('auto');
  }
  const before = getNumThreads();
  try {
    for (const t of opts.threads) {
      setNumThreads(t);
      const m = await measure(() => lstmForwardAsync({ ...o, device: 'cpu' }), opts.repeats);
      progress(`${name} forward vigil t=${t}: ${(m.seconds * 1e3).toFixed(2)} ms`);
      rows.push(row('vigil', t, 'forward', m.seconds));
    }
  } finally {
    setNumThreads(before);
  }
  return rows;
}
