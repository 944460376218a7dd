// Restricted Boltzmann machine kernels (native/cpu/rbm.h). Layout as scikit-learn's BernoulliRBM:
// W [H, V] (components_), visible bias b [V], hidden bias c [H]; data rows [N, V]. Samples come from
// the shared Philox stream: a Bernoulli draw of probability p at index i of (seed, stream) is 1 iff
// `randomUniform(seed, stream)[i] < p`, so tests can replay every draw.
import { addon } from './addon.ts';
import { resolveDevice } from './device.ts';
import type { Device } from './device.ts';

type F32 = Float32Array;

/** Visible units: Bernoulli (values in [0, 1]) or Gaussian with unit variance. */
export type RbmVisible = 'bernoulli' | 'gaussian';

interface RbmAddon {
  rbmHiddenProbs(N: number, V: number, H: number, x: F32, W: F32, c: F32, P: F32): void;
  rbmHiddenProbsAsync(N: number, V: number, H: number, x: F32, W: F32, c: F32, P: F32): Promise<void>;
  rbmVisibleMeans(visible: RbmVisible, N: number, V: number, H: number, h: F32, W: F32, b: F32, X: F32): void;
  rbmVisibleMeansAsync(visible: RbmVisible, N: number, V: number, H: number, h: F32, W: F32, b: F32, X: F32): Promise<void>;
  rbmSampleBernoulli(seed: number, stream: number, offset: number, p: F32, out: F32): void;
  rbmFreeEnergy(visible: RbmVisible, N: number, V: number, H: number, x: F32, W: F32, b: F32, c: F32, F: F32): void;
  rbmFreeEnergyAsync(visible: RbmVisible, N: number, V: number, H: number, x: F32, W: F32, b: F32, c: F32, F: F32): Promise<void>;
  rbmCdGradient(...args: unknown[]): void;
  rbmCdGradientAsync(...args: unknown[]): Promise<void>;
  rbmTrainEpoch(...args: unknown[]): void;
  rbmTrainEpochAsync(...args: unknown[]): Promise<void>;
  rbmHiddenProbsCuda: RbmAddon['rbmHiddenProbs'];
  rbmHiddenProbsCudaAsync: RbmAddon['rbmHiddenProbsAsync'];
  rbmVisibleMeansCuda: RbmAddon['rbmVisibleMeans'];
  rbmVisibleMeansCudaAsync: RbmAddon['rbmVisibleMeansAsync'];
  rbmSampleBernoulliCuda: RbmAddon['rbmSampleBernoulli'];
  rbmFreeEnergyCuda: RbmAddon['rbmFreeEnergy'];
  rbmFreeEnergyCudaAsync: RbmAddon['rbmFreeEnergyAsync'];
  rbmCdGradientCuda: RbmAddon['rbmCdGradient'];
  rbmCdGradientCudaAsync: RbmAddon['rbmCdGradientAsync'];
}

const native = () => addon<RbmAddon>();
/** Whether a call with `device` runs on the GPU (resolveDevice: 'auto' as backend(), 'cuda' or an Error). */
const onGpu = (fn: string, device: Device) => resolveDevice(fn, device) === 'cuda';

// Every binding below takes `device` last (default 'cpu'): 'cuda' runs the twin in
// native/cuda/rbm.cu, copying the operands to the GPU and the results back for each call. There,
// each conditional is a float32 fmaf chain (within ~1e-6 relative of the CPU), samples are the
// CPU's draws (the same Philox counters) compared with those probabilities, so a sample can differ
// where a probability lies within an ulp of its uniform; the free energy sums in double.

/** `P[N, H] = sigmoid(x W^T + c)`: the hidden units' probabilities of being on. */
export function rbmHiddenProbs(N: number, V: number, H: number, x: F32, W: F32, c: F32, P: F32, device: Device = 'cpu'): void {
  const n = native();
  (onGpu('rbmHiddenProbs', device) ? n.rbmHiddenProbsCuda : n.rbmHiddenProbs)(N, V, H, x, W, c, P);
}

export async function rbmHiddenProbsAsync(N: number, V: number, H: number, x: F32, W: F32, c: F32, P: F32, device: Device = 'cpu'): Promise<void> {
  const n = native();
  return (onGpu('rbmHiddenProbsAsync', device) ? n.rbmHiddenProbsCudaAsync : n.rbmHiddenProbsAsync)(N, V, H, x, W, c, P);
}

/** `X[N, V]` = the visible means given hidden values `h[N, H]`: `sigmoid(b + h W)` (Bernoulli) or `b + h W` (Gaussian). */
export function rbmVisibleMeans(visible: RbmVisible, N: number, V: number, H: number, h: F32, W: F32, b: F32, X: F32, device: Device = 'cpu'): void {
  const n = native();
  (onGpu('rbmVisibleMeans', device) ? n.rbmVisibleMeansCuda : n.rbmVisibleMeans)(visible, N, V, H, h, W, b, X);
}

export async function rbmVisibleMeansAsync(
  visible: RbmVisible, N: number, V: number, H: number, h: F32, W: F32, b: F32, X: F32, device: Device = 'cpu',
): Promise<void> {
  const n = native();
  return (onGpu('rbmVisibleMeansAsync', device) ? n.rbmVisibleMeansCudaAsync : n.rbmVisibleMeansAsync)(visible, N, V, H, h, W, b, X);
}

/** `out[i] = 1` when draw `offset + i` of (seed, stream) is below `p[i]`, else 0; `out` may be `p`. */
export function rbmSampleBernoulli(p: F32, seed: number, stream: number, offset = 0, out: F32 = p, device: Device = 'cpu'): F32 {
  const n = native();
  (onGpu('rbmSampleBernoulli', device) ? n.rbmSampleBernoulliCuda : n.rbmSampleBernoulli)(seed, stream, offset, p, out);
  return out;
}

/**
 * `F[N]`: free energy of each row, `-b.v - sum softplus(c + W v)` (Bernoulli) or
 * `|v - b|^2 / 2 - sum softplus(c + W v)` (Gaussian); higher = less probable under the model.
 */
export function rbmFreeEnergy(
  visible: RbmVisible, N: number, V: number, H: number, x: F32, W: F32, b: F32, c: F32, F: F32, device: Device = 'cpu',
): void {
  const n = native();
  (onGpu('rbmFreeEnergy', device) ? n.rbmFreeEnergyCuda : n.rbmFreeEnergy)(visible, N, V, H, x, W, b, c, F);
}

export async function rbmFreeEnergyAsync(
  visible: RbmVisible, N: number, V: number, H: number, x: F32, W: F32, b: F32, c: F32, F: F32, device: Device = 'cpu',
): Promise<void> {
  const n = native();
  return (onGpu('rbmFreeEnergyAsync', device) ? n.rbmFreeEnergyCudaAsync : n.rbmFreeEnergyAsync)(visible, N, V, H, x, W, b, c, F);
}

/** The Gibbs chain of a contrastive-divergence gradient. */
export interface RbmChainOptions {
  visible: RbmVisible;
  /** k of CD-k, in [1, 1000]. */
  gibbsSteps: number;
  /** Persistent CD: the chain starts from (and updates) `chain` instead of the data's hidden sample. */
  persistent: boolean;
}

export interface RbmModel {
  V: number;
  H: number;
  W: F32;
  b: F32;
  c: F32;
}

export interface RbmGradient {
  dW: F32;
  db: F32;
  dc: F32;
  /** Summed squared reconstruction error of the batch (see rbmCdGradient). */
  stats: F32;
}

/** Options bags must be objects: reading fields of anything else would fail with a message that names nothing. */
function objects(fn: string, args: Record<string, unknown>): void {
  for (const [name, v] of Object.entries(args)) {
    if (v === null || typeof v !== 'object') throw new TypeError(`${fn}: ${name} must be an object, got ${v === null ? 'null' : typeof v}`);
  }
}

function gradientArgs(o: RbmChainOptions, m: number, model: RbmModel, v0: F32, chain: F32 | null, seed: number, stream: number, g: RbmGradient): unknown[] {
  objects('rbmCdGradient', { options: o, model, gradient: g });
  return [o.visible, o.gibbsSteps, o.persistent, m, model.V, model.H, v0, model.W, model.b, model.c, chain ?? null, seed, stream, g.dW, g.db, g.dc, g.stats];
}

/**
 * The CD-k (or PCD-k) gradient of one batch `v0[m, V]`, ascent direction, written into `g`:
 * `dW = (p0ᵀ v0 - pkᵀ vk) / m`, `db = mean(v0 - vk)`, `dc = mean(p0 - pk)` with hidden
 * probabilities p. Draws lie in stream `stream` at the offsets native/cpu/rbm.h lists. `chain`
 * ([m, H] persistent hidden states, updated) only with `persistent`.
 */
export function rbmCdGradient(
  o: RbmChainOptions, m: number, model: RbmModel, v0: F32, chain: F32 | null, seed: number, stream: number, g: RbmGradient,
  device: Device = 'cpu',
): void {
  const n = native();
  (onGpu('rbmCdGradient', device) ? n.rbmCdGradientCuda : n.rbmCdGradient)(...gradientArgs(o, m, model, v0, chain, seed, stream, g));
}

export async function rbmCdGradientAsync(
  o: RbmChainOptions, m: number, model: RbmModel, v0: F32, chain: F32 | null, seed: number, stream: number, g: RbmGradient,
  device: Device = 'cpu',
): Promise<void> {
  const n = native();
  return (onGpu('rbmCdGradientAsync', device) ? n.rbmCdGradientCudaAsync : n.rbmCdGradientAsync)(
    ...gradientArgs(o, m, model, v0, chain, seed, stream, g));
}

export interface RbmEpochOptions extends RbmChainOptions {
  batchSize: number;
  learningRate: number;
  /** In [0, 1). */
  momentum: number;
  /** L2 penalty on W (biases are not decayed). */
  weightDecay: number;
  seed: number;
  /** Selects the epoch's streams (rbmBatchStream), in [0, 2^20). */
  epoch: number;
}

/** Velocities of the momentum updates, same shapes as W, b, c. */
export interface RbmVelocity {
  W: F32;
  b: F32;
  c: F32;
}

/** Philox stream of batch `batch` in epoch `epoch` of rbmTrainEpoch: 2^52 + epoch·2^32 + batch. */
export function rbmBatchStream(epoch: number, batch: number): number {
  return 2 ** 52 + epoch * 2 ** 32 + batch;
}

function epochArgs(o: RbmEpochOptions, N: number, model: RbmModel, x: F32, order: Int32Array, vel: RbmVelocity, chain: F32 | null, stats: F32): unknown[] {
  objects('rbmTrainEpoch', { options: o, model, velocity: vel });
  return [o.visible, o.gibbsSteps, o.persistent, N, model.V, model.H, x, order, model.W, model.b, model.c, vel.W, vel.b, vel.c, chain ?? null,
    o.batchSize, o.learningRate, o.momentum, o.weightDecay, o.seed, o.epoch, stats];
}

/**
 * One training epoch over rows `x[order[i]]` in batches of `batchSize`, each a momentum step
 * `vel = momentum·vel + lr·(grad - weightDecay·W)`, `param += vel` on the CD/PCD gradient (batch t
 * uses stream rbmBatchStream(epoch, t)). Updates the model, the velocities and `chain`
 * ([min(batchSize, N), H], persistent only) in place; `stats[0]` receives the epoch's mean squared
 * reconstruction error.
 */
export function rbmTrainEpoch(o: RbmEpochOptions, N: number, model: RbmModel, x: F32, order: Int32Array, vel: RbmVelocity, chain: F32 | null, stats: F32): void {
  native().rbmTrainEpoch(...epochArgs(o, N, model, x, order, vel, chain, stats));
}

export async function rbmTrainEpochAsync(o: RbmEpochOptions, N: number, model: RbmModel, x: F32, order: Int32Array, vel: RbmVelocity, chain: F32 | null, stats: F32): Promise<void> {
  return native().rbmTrainEpochAsync(...epochArgs(o, N, model, x, order, vel, chain, stats));
}
