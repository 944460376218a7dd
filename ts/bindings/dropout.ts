// Inverted dropout on the Philox stream: element i is kept iff philoxUniform(seed, stream, i) >= rate,
// kept values scaled by 1 / (1 - rate). The mask is a pure function of (seed, stream, i).
import { addon } from './addon.ts';

type F32 = Float32Array;
interface DropoutAddon {
  dropoutForward(n: number, rate: number, seed: number, stream: number, x: F32, y: F32, mask: F32 | null): void;
  dropoutForwardAsync(n: number, rate: number, seed: number, stream: number, x: F32, y: F32, mask: F32 | null): Promise<void>;
  dropoutBackward(n: number, rate: number, seed: number, stream: number, dY: F32, dX: F32): void;
  dropoutBackwardAsync(n: number, rate: number, seed: number, stream: number, dY: F32, dX: F32): Promise<void>;
  dropoutApplyMask(n: number, mask: F32, dY: F32, dX: F32): void;
  dropoutApplyMaskAsync(n: number, mask: F32, dY: F32, dX: F32): Promise<void>;
  dropoutSequences(B: number, T: number, F: number, lengths: Int32Array, rate: number, seed: number, stream: number, x: F32, y: F32): void;
  dropoutSequencesAsync(
    B: number, T: number, F: number, lengths: Int32Array, rate: number, seed: number, stream: number, x: F32, y: F32,
  ): Promise<void>;
}

const native = () => addon<DropoutAddon>();

/**
 * `y = x * mask` with `mask[i] = 1/(1-rate)` if kept else 0; `rate` in [0, 1), `seed` and `stream`
 * integers in [0, 2^53). `mask`, when given, receives the factors for `dropoutApplyMask`.
 */
export function dropoutForward(n: number, rate: number, seed: number, stream: number, x: F32, y: F32, mask: F32 | null = null): void {
  native().dropoutForward(n, rate, seed, stream, x, y, mask);
}

export async function dropoutForwardAsync(
  n: number, rate: number, seed: number, stream: number, x: F32, y: F32, mask: F32 | null = null,
): Promise<void> {
  return native().dropoutForwardAsync(n, rate, seed, stream, x, y, mask);
}

/** Gradient with the mask regenerated from the forward call's `rate`, `seed` and `stream`. */
export function dropoutBackward(n: number, rate: number, seed: number, stream: number, dY: F32, dX: F32): void {
  native().dropoutBackward(n, rate, seed, stream, dY, dX);
}

export async function dropoutBackwardAsync(n: number, rate: number, seed: number, stream: number, dY: F32, dX: F32): Promise<void> {
  return native().dropoutBackwardAsync(n, rate, seed, stream, dY, dX);
}

/** Gradient from a saved mask: `dX = dY * mask`. */
export function dropoutApplyMask(n: number, mask: F32, dY: F32, dX: F32): void {
  native().dropoutApplyMask(n, mask, dY, dX);
}

export async function dropoutApplyMaskAsync(n: number, mask: F32, dY: F32, dX: F32): Promise<void> {
  return native().dropoutApplyMaskAsync(n, mask, dY, dX);
}

/**
 * Dropout on 'pre'-padded sequences x [B, T, F] with valid lengths [B] (each in [0, T]): the valid
 * steps get exactly dropoutForward's factors for their element index, padded steps are written as
 * 0 and cost nothing. The same call maps dY to dX in the backward.
 */
export function dropoutSequences(
  B: number, T: number, F: number, lengths: Int32Array, rate: number, seed: number, stream: number, x: F32, y: F32,
): void {
  native().dropoutSequences(B, T, F, lengths, rate, seed, stream, x, y);
}

export async function dropoutSequencesAsync(
  B: number, T: number, F: number, lengths: Int32Array, rate: number, seed: number, stream: number, x: F32, y: F32,
): Promise<void> {
  return native().dropoutSequencesAsync(B, T, F, lengths, rate, seed, stream, x, y);
}
