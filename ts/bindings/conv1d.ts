// 1-D convolution, stride 1, channels-last as Keras: x [B, T, Cin] -> y [B, Tout, Cout], weights in
// PyTorch's layout W [Cout, Cin, K], optional bias [Cout], any kernel size and dilation.
import { addon } from './addon.ts';

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

type Dims = [number, number, number, number, number, number, Conv1dPadding];
interface Conv1dAddon {
  conv1dForward(...a: [...Dims, F32, F32, F32 | null, F32]): void;
  conv1dForwardAsync(...a: [...Dims, F32, F32, F32 | null, F32]): Promise<void>;
  conv1dBackward(...a: [...Dims, F32, F32, F32, F32 | null, F32 | null, F32 | null]): void;
  conv1dBackwardAsync(...a: [...Dims, F32, F32, F32, F32 | null, F32 | null, F32 | null]): Promise<void>;
}

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

/** `y[b, t, o] = b[o] + Σ_{k,c} W[o, c, k] · x[b, t + k·dilation − padLeft, c]`; `b = null` for no bias. */
export function conv1dForward(s: Conv1dShape, x: F32, W: F32, b: F32 | null, y: F32): void {
  native().conv1dForward(...dims(s), x, W, b ?? null, y);
}

export async function conv1dForwardAsync(s: Conv1dShape, x: F32, W: F32, b: F32 | null, y: F32): Promise<void> {
  return native().conv1dForwardAsync(...dims(s), x, W, b ?? null, y);
}

/**
 * Gradients from `dY [B, Tout, Cout]`, each overwritten (not accumulated) and skipped when null:
 * `dX [B, T, Cin]`, `dW [Cout, Cin, K]`, `db [Cout]`. Bit-identical for any thread count.
 */
export function conv1dBackward(s: Conv1dShape, x: F32, W: F32, dY: F32, dX: F32 | null, dW: F32 | null, db: F32 | null): void {
  native().conv1dBackward(...dims(s), x, W, dY, dX ?? null, dW ?? null, db ?? null);
}

export async function conv1dBackwardAsync(
  s: Conv1dShape, x: F32, W: F32, dY: F32, dX: F32 | null, dW: F32 | null, db: F32 | null,
): Promise<void> {
  return native().conv1dBackwardAsync(...dims(s), x, W, dY, dX ?? null, dW ?? null, db ?? null);
}
