// Inverted dropout on the Philox stream: element i is kept iff philoxUniform(seed, stream, i) >= rate,
// kept values scaled by 1 / (1 - rate). The mask is a pure function of (seed, stream, i).
// `device` (default 'cpu'; 'auto' as resolveDevice) on every function: 'cuda' runs
// native/cuda/dropout.cu, copying the operands up and the results back for each call; the same seed
// and stream give the CPU's masks, bit for bit.
import { addon } from './addon.ts';
import { onDevice } from './device.ts';
import type { Device } from './device.ts';

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
const on = <K extends keyof DropoutAddon & string>(name: K, device: Device) => onDevice(native(), name, device);

/**
 * `y = x * mask` with `mask[i] = 1/(1-rate)` if kept else 0; `rate` in [0, 1), `seed` and `stream`
 * integers in [0, 2^53). `mask`, when given, receives the factors for `dropoutApplyMask`.
 */
export function dropoutForward(n: number, rate: number, seed: number, stream: number, x: F32, y: F32, mask: F32 | null = null, device: Device = 'cpu'): void {
  on('dropoutForward', device)(n, rate, seed, stream, x, y, mask);
}

export async function dropoutForwardAsync(
  n: number, rate: number, seed: number, stream: number, x: F32, y: F32, mask: F32 | null = null, device: Device = 'cpu',
): Promise<void> {
  return on('dropoutForwardAsync', device)(n, rate, seed, stream, x, y, mask);
}

/** Gradient with the mask regenerated from the forward call's `rate`, `seed` and `stream`. */
export function dropoutBackward(n: number, rate: number, seed: number, stream: number, dY: F32, dX: F32, device: Device = 'cpu'): void {
  on('dropoutBackward', device)(n, rate, seed, stream, dY, dX);
}

export async function dropoutBackwardAsync(n: number, rate: number, seed: number, stream: number, dY: F32, dX: F32, device: Device = 'cpu'): Promise<void> {
  return on('dropoutBackwardAsync', device)(n, rate, seed, stream, dY, dX);
}

/** Gradient from a saved mask: `dX = dY * mask`. */
export function dropoutApplyMask(n: number, mask: F32, dY: F32, dX: F32, device: Device = 'cpu'): void {
  on('dropoutApplyMask', device)(n, mask, dY, dX);
}

export async function dropoutApplyMaskAsync(n: number, mask: F32, dY: F32, dX: F32, device: Device = 'cpu'): Promise<void> {
  return on('dropoutApplyMaskAsync', device)(n, mask, dY, dX);
}

/**
 * Dropout on 'pre'-padded sequences x [B, T, F] with valid lengths [B] (each in [0, T]): the valid
 * steps get exactly dropoutForward's factors for their element index, padded steps are written as
 * 0 and cost nothing. The same call maps dY to dX in the backward.
 */
export function dropoutSequences(
  B: number, T: number, F: number, lengths: Int32Array, rate: number, seed: number, stream: number, x: F32, y: F32, device: Device = 'cpu',
): void {
  on('dropoutSequences', device)(B, T, F, lengths, rate, seed, stream, x, y);
}

export async function dropoutSequencesAsync(
  B: number, T: number, F: number, lengths: Int32Array, rate: number, seed: number, stream: number, x: F32, y: F32, device: Device = 'cpu',
): Promise<void> {
  return on('dropoutSequencesAsync', device)(B, T, F, lengths, rate, seed, stream, x, y);
}
