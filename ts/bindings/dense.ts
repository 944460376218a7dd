// Fully connected layer y = x Wᵀ + b (PyTorch Linear layout: W [out, in], b [out]).
// `device` (default 'cpu'; 'auto' as resolveDevice) on every function: 'cuda' runs native/cuda/dense.cu
// (the SGEMM kernel, a bias-add grid, the bias gradient's column sums in the CPU's order: db is the
// CPU's bits, dX and dW within ~1e-6), copying the operands up and the results back for each call.
import { addon } from './addon.ts';
import { onDevice } from './device.ts';
import type { Device } from './device.ts';

type F32 = Float32Array;
interface DenseAddon {
  denseForward(N: number, inF: number, outF: number, x: F32, W: F32, b: F32 | null, y: F32): void;
  denseForwardAsync(N: number, inF: number, outF: number, x: F32, W: F32, b: F32 | null, y: F32): Promise<void>;
  denseBackward(N: number, inF: number, outF: number, x: F32, W: F32, dY: F32, dX: F32 | null, dW: F32 | null, db: F32 | null): void;
  denseBackwardAsync(
    N: number, inF: number, outF: number, x: F32, W: F32, dY: F32, dX: F32 | null, dW: F32 | null, db: F32 | null,
  ): Promise<void>;
}

const native = () => addon<DenseAddon>();
const on = <K extends keyof DenseAddon & string>(name: K, device: Device) => onDevice(native(), name, device);

/** `y[N, out] = x[N, in] · Wᵀ + b`; pass `b = null` for no bias. */
export function denseForward(N: number, inF: number, outF: number, x: F32, W: F32, b: F32 | null, y: F32, device: Device = 'cpu'): void {
  on('denseForward', device)(N, inF, outF, x, W, b ?? null, y);
}

export async function denseForwardAsync(N: number, inF: number, outF: number, x: F32, W: F32, b: F32 | null, y: F32, device: Device = 'cpu'): Promise<void> {
  return on('denseForwardAsync', device)(N, inF, outF, x, W, b ?? null, y);
}

/**
 * Gradients from `dY[N, out]`, each overwritten and skipped when null: `dX = dY·W` `[N, in]`,
 * `dW = dYᵀ·x` `[out, in]`, `db = column sums of dY` `[out]`. Bit-identical for any thread count.
 */
export function denseBackward(
  N: number, inF: number, outF: number, x: F32, W: F32, dY: F32, dX: F32 | null, dW: F32 | null, db: F32 | null, device: Device = 'cpu',
): void {
  on('denseBackward', device)(N, inF, outF, x, W, dY, dX ?? null, dW ?? null, db ?? null);
}

export async function denseBackwardAsync(
  N: number, inF: number, outF: number, x: F32, W: F32, dY: F32, dX: F32 | null, dW: F32 | null, db: F32 | null, device: Device = 'cpu',
): Promise<void> {
  return on('denseBackwardAsync', device)(N, inF, outF, x, W, dY, dX ?? null, dW ?? null, db ?? null);
}
