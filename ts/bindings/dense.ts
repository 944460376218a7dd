// Fully connected layer y = x Wᵀ + b (PyTorch Linear layout: W [out, in], b [out]).
import { addon } from './addon.ts';

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

/** `y[N, out] = x[N, in] · Wᵀ + b`; pass `b = null` for no bias. */
export function denseForward(N: number, inF: number, outF: number, x: F32, W: F32, b: F32 | null, y: F32): void {
  native().denseForward(N, inF, outF, x, W, b ?? null, y);
}

export async function denseForwardAsync(N: number, inF: number, outF: number, x: F32, W: F32, b: F32 | null, y: F32): Promise<void> {
  return native().denseForwardAsync(N, inF, outF, x, W, b ?? null, y);
}

/**
 * Gradients from `dY[N, out]`, each overwritten and skipped when null: `dX = dY·W` `[N, in]`,
 * `dW = dYᵀ·x` `[out, in]`, `db = column sums of dY` `[out]`. Bit-identical for any thread count.
 */
export function denseBackward(
  N: number, inF: number, outF: number, x: F32, W: F32, dY: F32, dX: F32 | null, dW: F32 | null, db: F32 | null,
): void {
  native().denseBackward(N, inF, outF, x, W, dY, dX ?? null, dW ?? null, db ?? null);
}

export async function denseBackwardAsync(
  N: number, inF: number, outF: number, x: F32, W: F32, dY: F32, dX: F32 | null, dW: F32 | null, db: F32 | null,
): Promise<void> {
  return native().denseBackwardAsync(N, inF, outF, x, W, dY, dX ?? null, dW ?? null, db ?? null);
}
