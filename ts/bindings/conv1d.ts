// 1-D convolution, stride 1, channels-last as Keras: x [B, T, Cin] -> y [B, Tout, Cout], weights in
// PyTorch's layout W [Cout, Cin, K], optional bias [Cout], any kernel size and dilation.
import { addon } from './addon.ts';
import { onDevice } from './device.ts';
import type { Device } from './device.ts';

type F32 = Float32Array;
export type Conv1dPadding = 'valid' | 'same' | 'causal';

/** The shape of one convolution: batch, time, channels in and out, kernel size, dilation, padding. */
export interface Conv1dShape {
  batch: number;
  time: number;
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  dilation: number;
  padding: Conv1dPadding;
}

/** An activation the forward pass applies as it stores each output (no second pass over y). */
export type Conv1dActivation = 'linear' | 'relu';

/**
 * The ReLU that followed the convolution, for the backward pass: `out` is its output (the forward
 * pass's y with activation 'relu'), and `dZ [B, Tout, Cout]` receives the gradient of the
 * convolution's own output, dY where out > 0 and 0 elsewhere (it may be dY itself).
 */
export interface Conv1dRelu {
  out: F32;
  dZ: F32;
}

type Dims = [number, number, number, number, number, number, Conv1dPadding];
type Grads = [F32, F32, F32, F32 | null, F32 | null, F32 | null, F32 | null, F32 | null];
interface Conv1dAddon {
  conv1dForward(...a: [...Dims, F32, F32, F32 | null, F32, Conv1dActivation]): void;
  conv1dForwardAsync(...a: [...Dims, F32, F32, F32 | null, F32, Conv1dActivation]): Promise<void>;
  conv1dBackward(...a: [...Dims, ...Grads]): void;
  conv1dBackwardAsync(...a: [...Dims, ...Grads]): Promise<void>;
  conv1dForwardCuda: Conv1dAddon['conv1dForward'];
  conv1dForwardCudaAsync: Conv1dAddon['conv1dForwardAsync'];
  conv1dBackwardCuda: Conv1dAddon['conv1dBackward'];
  conv1dBackwardCudaAsync: Conv1dAddon['conv1dBackwardAsync'];
  _setConv1dAlgorithm(a: Conv1dAlgorithm): Conv1dAlgorithm;
}

/**
 * Which CPU kernel conv1dForward and conv1dBackward's input gradient run: 'auto' (default) picks by
 * shape, 'direct' the direct kernel, 'winograd' the Winograd F(4,3) kernel wherever it applies
 * (kernelSize 3 on the AVX2 and AVX-512 paths; elsewhere the direct kernel still runs). Winograd's
 * rounding is relative to each output's 6-step input window, not to the output itself: beside a
 * step thousands of times larger than its neighbours their outputs' relative error reaches ~1e-3
 * (the direct kernel's stays ~1e-7). Process-wide.
 */
export type Conv1dAlgorithm = 'auto' | 'direct' | 'winograd';

const native = () => addon<Conv1dAddon>();
const dims = (s: Conv1dShape): Dims => [s.batch, s.time, s.inChannels, s.outChannels, s.kernelSize, s.dilation, s.padding];

/**
 * Output length: `time - (kernelSize - 1) * dilation` for 'valid' (must be >= 1), else `time`.
 * 'causal' pads `(kernelSize - 1) * dilation` steps on the left (Keras, keras-tcn); 'same' pads the
 * same total, `floor(total / 2)` of it on the left (Keras, TensorFlow).
 */
export function conv1dOutputLength(s: Pick<Conv1dShape, 'time' | 'kernelSize' | 'dilation' | 'padding'>): number {
  return s.padding === 'valid' ? s.time - (s.kernelSize - 1) * s.dilation : s.time;
}

/**
 * `y[b, t, o] = act(b[o] + Σ_{k,c} W[o, c, k] · x[b, t + k·dilation − padLeft, c])`; `b = null` for
 * no bias; `activation` 'linear' (default) or 'relu'.
 *
 * `device` (default 'cpu'; 'auto' as resolveDevice): 'cuda' runs native/cuda/conv1d.cu, copying the
 * operands to the GPU and y back for each call; a float32 fmaf chain per output in (tap, channel)
 * order, within ~1e-6 relative of the CPU. A CUDA failure throws an Error naming the kernel and shape.
 */
export function conv1dForward(
  s: Conv1dShape, x: F32, W: F32, b: F32 | null, y: F32, activation: Conv1dActivation = 'linear', device: Device = 'cpu',
): void {
  const n = native();
  onDevice(n, 'conv1dForward', device)(...dims(s), x, W, b ?? null, y, activation);
}

export async function conv1dForwardAsync(
  s: Conv1dShape, x: F32, W: F32, b: F32 | null, y: F32, activation: Conv1dActivation = 'linear', device: Device = 'cpu',
): Promise<void> {
  const n = native();
  return onDevice(n, 'conv1dForwardAsync', device)(
    ...dims(s), x, W, b ?? null, y, activation);
}

/**
 * Gradients from `dY [B, Tout, Cout]`, each overwritten (not accumulated) and skipped when null:
 * `dX [B, T, Cin]`, `dW [Cout, Cin, K]`, `db [Cout]`. Bit-identical for any thread count. With
 * `relu`, dY is the gradient of the ReLU's output and the mask is applied first (see Conv1dRelu).
 * `device` as conv1dForward; on the GPU dW and db are block reductions in an order fixed by the
 * shape (the same bits on every run), within ~1e-5 relative of the CPU's.
 */
export function conv1dBackward(
  s: Conv1dShape, x: F32, W: F32, dY: F32, dX: F32 | null, dW: F32 | null, db: F32 | null, relu: Conv1dRelu | null = null,
  device: Device = 'cpu',
): void {
  const n = native();
  onDevice(n, 'conv1dBackward', device)(
    ...dims(s), x, W, dY, dX ?? null, dW ?? null, db ?? null, relu?.out ?? null, relu?.dZ ?? null);
}

export async function conv1dBackwardAsync(
  s: Conv1dShape, x: F32, W: F32, dY: F32, dX: F32 | null, dW: F32 | null, db: F32 | null, relu: Conv1dRelu | null = null,
  device: Device = 'cpu',
): Promise<void> {
  const n = native();
  return onDevice(n, 'conv1dBackwardAsync', device)(
    ...dims(s), x, W, dY, dX ?? null, dW ?? null, db ?? null, relu?.out ?? null, relu?.dZ ?? null);
}

/** Selects the CPU Conv1D kernel (see Conv1dAlgorithm) for every later call; returns the previous selection. */
export function setConv1dAlgorithm(a: Conv1dAlgorithm): Conv1dAlgorithm {
  return native()._setConv1dAlgorithm(a);
}
