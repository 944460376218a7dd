// The training step's CUDA twins (activations, losses, dense, embedding, dropout, optimizers), as
// cases both CUDA tests run: test/cuda-host-train.test.ts (the kernels' grids emulated on the host,
// every machine) and test/cuda-parity.test.ts (the real kernels, where a GPU is). These bindings
// share one signature across their three paths (the CPU kernel `name`, the GPU `nameCuda`, the
// emulation `_cudaHostEmulateName`), so a case is the binding's name and a maker of fresh arguments:
// inputs from a seed, outputs poisoned with NaN (so an element a grid misses shows), in-place state
// arrays (optimizers) the same values on every call.
import { addon } from '../../ts/bindings/addon.ts';
import { randomF32, rng } from './random.ts';

type F32 = Float32Array;
type Fn = (...args: unknown[]) => unknown;
export type TrainPath = 'cpu' | 'cuda' | 'host';

export interface TrainCase {
  label: string;
  /** The CPU binding's name. */
  binding: string;
  /** Fresh arguments for one call. */
  args(): unknown[];
  /** Indices of the arguments the call writes, each with its tolerance against the CPU kernel (relative norm; 0: bit for bit). */
  outputs: Array<[index: number, tol: number]>;
  /** Whether the outputs start poisoned (false for in-place updates, whose inputs must be finite). */
  poisoned: boolean;
}

const nan = (n: number): F32 => new Float32Array(n).fill(Number.NaN);
const cap = (s: string) => s[0].toUpperCase() + s.slice(1);

/** The binding a path runs. */
export function bindingName(c: TrainCase, path: TrainPath, async = false): string {
  const base = path === 'cpu' ? c.binding : path === 'cuda' ? `${c.binding}Cuda` : `_cudaHostEmulate${cap(c.binding)}`;
  return async ? `${base}Async` : base;
}

/** Runs one case on one path; returns the arguments after the call (outputs written). */
export function runTrainCase(c: TrainCase, path: TrainPath): unknown[] {
  const args = c.args();
  addon<Record<string, Fn>>()[bindingName(c, path)](...args);
  return args;
}

export async function runTrainCaseAsync(c: TrainCase, path: TrainPath): Promise<unknown[]> {
  const args = c.args();
  await addon<Record<string, Fn>>()[bindingName(c, path, true)](...args);
  return args;
}

// Sizes around the 256-thread blocks and the 4-element Philox groups, and 1.
const SIZES = [1, 3, 4, 5, 255, 257, 1001];

function activationCases(seed: number): TrainCase[] {
  const out: TrainCase[] = [];
  let s = seed;
  for (const [kind, name] of [[0, 'sigmoid'], [1, 'tanh'], [2, 'relu']] as const) {
    for (const n of SIZES) {
      const r = rng(s++);
      // Wide enough for both sigmoid branches and saturation; some exact zeros for ReLU's edge.
      const x = randomF32(r, n, -12, 12).map((v, i) => (i % 7 === 3 ? 0 : v));
      const y = new Float32Array(n);
      const dY = randomF32(r, n);
      const exact = kind === 2 ? 0 : 1e-6;
      out.push({ label: `${name} forward n=${n}`, binding: 'activationForward', args: () => [kind, n, x, nan(n)], outputs: [[3, exact]], poisoned: true });
      // y from the CPU's forward, so both sides differentiate through the same values.
      addon<Record<string, Fn>>().activationForward(kind, n, x, y);
      out.push({ label: `${name} backward n=${n}`, binding: 'activationBackward', args: () => [kind, n, y, dY, nan(n)], outputs: [[4, exact]], poisoned: true });
    }
  }
  for (const [N, C] of [[1, 1], [1, 7], [5, 3], [33, 10], [3, 300], [300, 2]]) {
    const r = rng(s++);
    const x = randomF32(r, N * C, -8, 8);
    const y = new Float32Array(N * C);
    addon<Record<string, Fn>>().softmaxForward(N, C, x, y);
    const dY = randomF32(r, N * C);
    out.push({ label: `softmax forward ${N}x${C}`, binding: 'softmaxForward', args: () => [N, C, x, nan(N * C)], outputs: [[3, 1e-6]], poisoned: true });
    out.push({ label: `softmax backward ${N}x${C}`, binding: 'softmaxBackward', args: () => [N, C, y, dY, nan(N * C)], outputs: [[4, 1e-6]], poisoned: true });
  }
  return out;
}

function lossCases(seed: number): TrainCase[] {
  const out: TrainCase[] = [];
  let s = seed;
  for (const [N, C] of [[1, 1], [7, 3], [64, 5], [300, 2], [3, 257], [513, 1]]) {
    for (const weighted of [false, true]) {
      const r = rng(s++);
      const z = randomF32(r, N * C, -6, 6);
      const unit = randomF32(r, N * C, 0, 1);
      const t = randomF32(r, N * C, -2, 2);
      // Probability targets for the categorical loss (rows need not sum to 1: the CPU allows it).
      const w = weighted ? randomF32(r, N, 0.1, 3) : null;
      const labels = Int32Array.from({ length: N }, () => Math.floor(r() * C));
      const dense: Array<[string, F32]> = [
        ['binaryCrossentropyLogits', unit], ['categoricalCrossentropyLogits', unit], ['meanSquaredError', t], ['meanAbsoluteError', t],
      ];
      const what = `${N}x${C}${weighted ? ' weighted' : ''}`;
      for (const [name, targets] of dense) {
        out.push({ label: `${name} ${what}`, binding: name, args: () => [N, C, z, targets, w, nan(N * C), nan(1)], outputs: [[5, 1e-6], [6, 1e-6]], poisoned: true });
        out.push({ label: `${name} ${what} value only`, binding: name, args: () => [N, C, z, targets, w, null, nan(1)], outputs: [[6, 1e-6]], poisoned: true });
      }
      out.push({ label: `sparseCategoricalCrossentropyLogits ${what}`, binding: 'sparseCategoricalCrossentropyLogits',
        args: () => [N, C, z, labels, w, nan(N * C), nan(1)], outputs: [[5, 1e-6], [6, 1e-6]], poisoned: true });
    }
  }
  return out;
}

function denseCases(seed: number): TrainCase[] {
  const out: TrainCase[] = [];
  let s = seed;
  for (const [N, i, o] of [[1, 1, 1], [5, 3, 7], [65, 17, 33], [130, 64, 1], [2, 1, 300]]) {
    const r = rng(s++);
    const x = randomF32(r, N * i), W = randomF32(r, o * i, -0.5, 0.5), b = randomF32(r, o), dY = randomF32(r, N * o);
    const what = `N=${N} in=${i} out=${o}`;
    out.push({ label: `dense forward ${what}`, binding: 'denseForward', args: () => [N, i, o, x, W, b, nan(N * o)], outputs: [[6, 1e-6]], poisoned: true });
    out.push({ label: `dense forward ${what} no bias`, binding: 'denseForward', args: () => [N, i, o, x, W, null, nan(N * o)], outputs: [[6, 1e-6]], poisoned: true });
    // db: double column sums in row order on both sides, the same bits.
    out.push({ label: `dense backward ${what}`, binding: 'denseBackward', args: () => [N, i, o, x, W, dY, nan(N * i), nan(o * i), nan(o)],
      outputs: [[6, 1e-6], [7, 1e-6], [8, 0]], poisoned: true });
    out.push({ label: `dense backward ${what} db only`, binding: 'denseBackward', args: () => [N, i, o, x, W, dY, null, null, nan(o)],
      outputs: [[8, 0]], poisoned: true });
  }
  return out;
}

function embeddingCases(seed: number): TrainCase[] {
  const out: TrainCase[] = [];
  let s = seed;
  // Vocabularies with rows never looked up (their gradient rows must come back 0) and ids repeated.
  for (const [V, E, N] of [[1, 1, 1], [5, 3, 17], [100, 32, 300], [7, 1, 1000], [300, 5, 9]]) {
    const r = rng(s++);
    const table = randomF32(r, V * E);
    const ids = Int32Array.from({ length: N }, () => Math.floor(r() * Math.min(V, 1 + Math.floor(V * 0.7))));
    const dOut = randomF32(r, N * E);
    const what = `V=${V} E=${E} N=${N}`;
    out.push({ label: `embedding forward ${what}`, binding: 'embeddingForward', args: () => [V, E, N, ids, table, nan(N * E)], outputs: [[5, 0]], poisoned: true });
    out.push({ label: `embedding backward ${what}`, binding: 'embeddingBackward', args: () => [V, E, N, ids, dOut, nan(V * E)], outputs: [[5, 0]], poisoned: true });
  }
  return out;
}

function dropoutCases(seed: number): TrainCase[] {
  const out: TrainCase[] = [];
  let s = seed;
  // Seeds and streams past 2^32 (the key's and counter's high words).
  const keys: Array<[number, number]> = [[0, 0], [7, 3], [2 ** 40 + 3, 2 ** 45 + 11]];
  for (const n of SIZES) {
    for (const rate of [0, 0.1, 0.5, 0.9]) {
      const [seedK, stream] = keys[s % keys.length];
      const r = rng(s++);
      const x = randomF32(r, n);
      const mask = randomF32(r, n, 0, 2);
      const what = `n=${n} rate=${rate} seed=${seedK} stream=${stream}`;
      out.push({ label: `dropout forward ${what}`, binding: 'dropoutForward', args: () => [n, rate, seedK, stream, x, nan(n), nan(n)],
        outputs: [[5, 0], [6, 0]], poisoned: true });
      out.push({ label: `dropout backward ${what}`, binding: 'dropoutBackward', args: () => [n, rate, seedK, stream, x, nan(n)], outputs: [[5, 0]], poisoned: true });
      out.push({ label: `dropout apply mask n=${n}`, binding: 'dropoutApplyMask', args: () => [n, mask, x, nan(n)], outputs: [[3, 0]], poisoned: true });
    }
  }
  for (const [B, T, F] of [[1, 1, 1], [3, 5, 2], [4, 17, 3], [2, 100, 7]]) {
    const r = rng(s++);
    const lengths = Int32Array.from({ length: B }, (_, b) => (b === 0 ? T : b === 1 ? 0 : Math.floor(r() * (T + 1))));
    const x = randomF32(r, B * T * F);
    out.push({ label: `dropout sequences B=${B} T=${T} F=${F}`, binding: 'dropoutSequences',
      args: () => [B, T, F, lengths, 0.3, 9, 2 ** 33 + 1, x, nan(B * T * F)], outputs: [[8, 0]], poisoned: true });
  }
  return out;
}

function optimizerCases(seed: number): TrainCase[] {
  const out: TrainCase[] = [];
  let s = seed;
  for (const n of [1, 257, 1001]) {
    const r = rng(s++);
    // v >= avg² as training keeps it (an average of g² against the square of g's average), so centered
    // RMSprop's denominator stays positive (a NaN would not compare equal to itself).
    const p = randomF32(r, n), g = randomF32(r, n, -3, 3), m = randomF32(r, n, -0.5, 0.5), v = randomF32(r, n, 0.02, 0.5);
    const vHat = randomF32(r, n, 0, 0.5), mom = randomF32(r, n, -0.1, 0.1), avg = randomF32(r, n, -0.1, 0.1);
    const c = (a: F32) => () => a.slice();
    const st = { p: c(p), m: c(m), v: c(v), vHat: c(vHat), mom: c(mom), avg: c(avg) };
    // Bit for bit: the same float operations in the same order, none fused (cuda/rn.h).
    for (const [momentum, nesterov] of [[0, false], [0.9, false], [0.9, true]] as const) {
      out.push({ label: `sgd n=${n} momentum=${momentum}${nesterov ? ' nesterov' : ''}`, binding: 'sgdStep',
        args: () => [n, 0.01, momentum, nesterov, st.p(), g, momentum > 0 ? st.v() : null], outputs: momentum > 0 ? [[4, 0], [6, 0]] : [[4, 0]], poisoned: false });
    }
    for (const t of [1, 7, 1000]) {
      for (const ams of [false, true]) {
        out.push({ label: `adam n=${n} t=${t}${ams ? ' amsgrad' : ''}`, binding: 'adamStep',
          args: () => [n, t, 0.001, 0.9, 0.999, 1e-7, st.p(), g, st.m(), st.v(), ams ? st.vHat() : null],
          outputs: ams ? [[6, 0], [8, 0], [9, 0], [10, 0]] : [[6, 0], [8, 0], [9, 0]], poisoned: false });
      }
      out.push({ label: `nadam n=${n} t=${t}`, binding: 'nadamStep', args: () => [n, t, 0.002, 0.9, 0.999, 1e-7, st.p(), g, st.m(), st.v()],
        outputs: [[6, 0], [8, 0], [9, 0]], poisoned: false });
    }
    for (const [momentum, centered] of [[0, false], [0.5, false], [0, true], [0.5, true]] as const) {
      out.push({ label: `rmsprop n=${n} momentum=${momentum}${centered ? ' centered' : ''}`, binding: 'rmspropStep',
        args: () => [n, 0.001, 0.9, momentum, 1e-7, centered, st.p(), g, st.v(), momentum > 0 ? st.mom() : null, centered ? st.avg() : null],
        outputs: [[6, 0], [8, 0], ...(momentum > 0 ? [[9, 0] as [number, number]] : []), ...(centered ? [[10, 0] as [number, number]] : [])], poisoned: false });
    }
  }
  return out;
}

/** Every case of the training step's kernels, seeded. */
export function trainCases(seed: number): TrainCase[] {
  return [
    ...activationCases(seed), ...lossCases(seed + 1000), ...denseCases(seed + 2000), ...embeddingCases(seed + 3000),
    ...dropoutCases(seed + 4000), ...optimizerCases(seed + 5000),
  ];
}

/** A few cases at training sizes (a batch of 128 x 150 steps, a million parameters), for the parity test. */
export function largeTrainCases(seed: number): TrainCase[] {
  const r = rng(seed);
  const n = 1 << 20;
  const x = randomF32(r, n, -6, 6), g = randomF32(r, n, -3, 3), p = randomF32(r, n), m = randomF32(r, n, -0.5, 0.5), v = randomF32(r, n, 0, 0.5);
  const [N, C] = [100_000, 2];
  const z = randomF32(r, N * C, -6, 6), t = randomF32(r, N * C, 0, 1);
  const labels = Int32Array.from({ length: N }, () => Math.floor(r() * C));
  const [V, E, B] = [100, 32, 128 * 150];
  const ids = Int32Array.from({ length: B }, () => Math.floor(r() * V));
  const dOut = randomF32(r, B * E);
  const [dn, di, dout] = [4096, 256, 128];
  const dx = randomF32(r, dn * di), dW = randomF32(r, dout * di, -0.1, 0.1), dY = randomF32(r, dn * dout);
  return [
    { label: `sigmoid forward n=${n}`, binding: 'activationForward', args: () => [0, n, x, nan(n)], outputs: [[3, 1e-6]], poisoned: true },
    { label: `tanh backward n=${n}`, binding: 'activationBackward', args: () => [1, n, x.map(Math.tanh), g, nan(n)], outputs: [[4, 1e-6]], poisoned: true },
    { label: `softmax ${N}x${C}`, binding: 'softmaxForward', args: () => [N, C, z, nan(N * C)], outputs: [[3, 1e-6]], poisoned: true },
    { label: `binary cross-entropy ${N}x${C}`, binding: 'binaryCrossentropyLogits', args: () => [N, C, z, t, null, nan(N * C), nan(1)],
      outputs: [[5, 1e-6], [6, 1e-6]], poisoned: true },
    { label: `sparse categorical cross-entropy ${N}x${C}`, binding: 'sparseCategoricalCrossentropyLogits',
      args: () => [N, C, z, labels, null, nan(N * C), nan(1)], outputs: [[5, 1e-6], [6, 1e-6]], poisoned: true },
    { label: `dense backward N=${dn} in=${di} out=${dout}`, binding: 'denseBackward', args: () => [dn, di, dout, dx, dW, dY, nan(dn * di), nan(dout * di), nan(dout)],
      outputs: [[6, 1e-5], [7, 1e-4], [8, 0]], poisoned: true },
    { label: `embedding backward V=${V} E=${E} N=${B}`, binding: 'embeddingBackward', args: () => [V, E, B, ids, dOut, nan(V * E)], outputs: [[5, 0]], poisoned: true },
    { label: `dropout n=${4 * n}`, binding: 'dropoutForward', args: () => [4 * n, 0.2, 2 ** 41 + 5, 77, new Float32Array(4 * n).fill(1), nan(4 * n), null],
      outputs: [[5, 0]], poisoned: true },
    { label: `adam n=${n}`, binding: 'adamStep', args: () => [n, 3, 0.001, 0.9, 0.999, 1e-7, p.slice(), g, m.slice(), v.slice(), null],
      outputs: [[6, 0], [8, 0], [9, 0]], poisoned: false },
  ];
}
