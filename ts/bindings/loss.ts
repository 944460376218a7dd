// Losses with their gradients in one call. Reduction is Keras' "sum_over_batch_size":
// loss = Σᵢ wᵢ·lᵢ / N over the N samples (wᵢ = 1 without sample weights; class weights map to
// sample weights with `classToSampleWeights`). The element-wise losses average over the C columns.
// `grad`, when given, is overwritten with d(loss)/d(predictions) (same shape as the predictions).
// `device` (default 'cpu'; 'auto' as resolveDevice) on every loss: 'cuda' runs native/cuda/loss.cu,
// copying the operands up and the gradient and value back for each call; per-sample losses in double
// as on the CPU, summed over samples by a fixed-order tree (the same value on every run, equal to the
// CPU's to double rounding). A CUDA failure throws an Error naming the kernel and the sizes.
import { addon } from './addon.ts';
import { onDevice } from './device.ts';
import type { Device } from './device.ts';

type F32 = Float32Array;
type Dense = (N: number, C: number, pred: F32, target: F32, weights: F32 | null, grad: F32 | null, out: F32) => void;
type DenseAsync = (...a: Parameters<Dense>) => Promise<void>;
type Sparse = (N: number, C: number, logits: F32, labels: Int32Array, weights: F32 | null, grad: F32 | null, out: F32) => void;
type SparseAsync = (...a: Parameters<Sparse>) => Promise<void>;

interface LossAddon {
  binaryCrossentropyLogits: Dense;
  binaryCrossentropyLogitsAsync: DenseAsync;
  categoricalCrossentropyLogits: Dense;
  categoricalCrossentropyLogitsAsync: DenseAsync;
  meanSquaredError: Dense;
  meanSquaredErrorAsync: DenseAsync;
  meanAbsoluteError: Dense;
  meanAbsoluteErrorAsync: DenseAsync;
  sparseCategoricalCrossentropyLogits: Sparse;
  sparseCategoricalCrossentropyLogitsAsync: SparseAsync;
}

const native = () => addon<LossAddon>();
const on = <K extends keyof LossAddon & string>(name: K, device: Device) => onDevice(native(), name, device);

// The native call writes the value into a 1-element array: the async form cannot return one.
function value(call: (out: F32) => void): number {
  const out = new Float32Array(1);
  call(out);
  return out[0];
}
async function valueAsync(call: (out: F32) => Promise<void>): Promise<number> {
  const out = new Float32Array(1);
  await call(out);
  return out[0];
}

/**
 * Binary cross-entropy on logits `z[N, C]` with targets in [0, 1] (Keras
 * `BinaryCrossentropy(from_logits=True)`), stable for any |z|. Returns the loss.
 */
export function binaryCrossentropyLogits(N: number, C: number, logits: F32, targets: F32, weights: F32 | null = null, grad: F32 | null = null, device: Device = 'cpu'): number {
  return value((out) => on('binaryCrossentropyLogits', device)(N, C, logits, targets, weights, grad, out));
}
export async function binaryCrossentropyLogitsAsync(
  N: number, C: number, logits: F32, targets: F32, weights: F32 | null = null, grad: F32 | null = null, device: Device = 'cpu',
): Promise<number> {
  return valueAsync((out) => on('binaryCrossentropyLogitsAsync', device)(N, C, logits, targets, weights, grad, out));
}

/**
 * Softmax cross-entropy on logits `[N, C]` with integer labels in [0, C) (Keras
 * `SparseCategoricalCrossentropy(from_logits=True)`). Returns the loss.
 */
export function sparseCategoricalCrossentropyLogits(
  N: number, C: number, logits: F32, labels: Int32Array, weights: F32 | null = null, grad: F32 | null = null, device: Device = 'cpu',
): number {
  return value((out) => on('sparseCategoricalCrossentropyLogits', device)(N, C, logits, labels, weights, grad, out));
}
export async function sparseCategoricalCrossentropyLogitsAsync(
  N: number, C: number, logits: F32, labels: Int32Array, weights: F32 | null = null, grad: F32 | null = null, device: Device = 'cpu',
): Promise<number> {
  return valueAsync((out) => on('sparseCategoricalCrossentropyLogitsAsync', device)(N, C, logits, labels, weights, grad, out));
}

/**
 * Softmax cross-entropy on logits `[N, C]` with one-hot or probability targets `[N, C]` (Keras
 * `CategoricalCrossentropy(from_logits=True)`). Returns the loss.
 */
export function categoricalCrossentropyLogits(
  N: number, C: number, logits: F32, targets: F32, weights: F32 | null = null, grad: F32 | null = null, device: Device = 'cpu',
): number {
  return value((out) => on('categoricalCrossentropyLogits', device)(N, C, logits, targets, weights, grad, out));
}
export async function categoricalCrossentropyLogitsAsync(
  N: number, C: number, logits: F32, targets: F32, weights: F32 | null = null, grad: F32 | null = null, device: Device = 'cpu',
): Promise<number> {
  return valueAsync((out) => on('categoricalCrossentropyLogitsAsync', device)(N, C, logits, targets, weights, grad, out));
}

/** Mean squared error over `[N, C]` (Keras `MeanSquaredError`). Returns the loss. */
export function meanSquaredError(N: number, C: number, pred: F32, targets: F32, weights: F32 | null = null, grad: F32 | null = null, device: Device = 'cpu'): number {
  return value((out) => on('meanSquaredError', device)(N, C, pred, targets, weights, grad, out));
}
export async function meanSquaredErrorAsync(
  N: number, C: number, pred: F32, targets: F32, weights: F32 | null = null, grad: F32 | null = null, device: Device = 'cpu',
): Promise<number> {
  return valueAsync((out) => on('meanSquaredErrorAsync', device)(N, C, pred, targets, weights, grad, out));
}

/** Mean absolute error over `[N, C]` (Keras `MeanAbsoluteError`; gradient sign(0) = 0). Returns the loss. */
export function meanAbsoluteError(N: number, C: number, pred: F32, targets: F32, weights: F32 | null = null, grad: F32 | null = null, device: Device = 'cpu'): number {
  return value((out) => on('meanAbsoluteError', device)(N, C, pred, targets, weights, grad, out));
}
export async function meanAbsoluteErrorAsync(
  N: number, C: number, pred: F32, targets: F32, weights: F32 | null = null, grad: F32 | null = null, device: Device = 'cpu',
): Promise<number> {
  return valueAsync((out) => on('meanAbsoluteErrorAsync', device)(N, C, pred, targets, weights, grad, out));
}

/** Keras `class_weight` as per-sample weights: `w[i] = classWeights[labels[i]]`. */
export function classToSampleWeights(labels: Int32Array, classWeights: ArrayLike<number>): Float32Array {
  const w = new Float32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l < 0 || l >= classWeights.length) {
      throw new RangeError(`classToSampleWeights: labels values must be in [0, ${classWeights.length - 1}], got ${l} at index ${i}`);
    }
    w[i] = classWeights[l];
  }
  return w;
}
