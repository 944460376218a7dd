// Element-wise activations and the row softmax, forward and backward (backward from the forward output).
import { addon } from './addon.ts';
import { onDevice } from './device.ts';
import type { Device } from './device.ts';

export type ActivationKind = 'sigmoid' | 'tanh' | 'relu';
const kinds: Record<ActivationKind, number> = { sigmoid: 0, tanh: 1, relu: 2 };

interface ActivationAddon {
  activationForward(kind: number, n: number, x: Float32Array, y: Float32Array): void;
  activationForwardAsync(kind: number, n: number, x: Float32Array, y: Float32Array): Promise<void>;
  activationBackward(kind: number, n: number, y: Float32Array, dY: Float32Array, dX: Float32Array): void;
  activationBackwardAsync(kind: number, n: number, y: Float32Array, dY: Float32Array, dX: Float32Array): Promise<void>;
  softmaxForward(N: number, C: number, x: Float32Array, y: Float32Array): void;
  softmaxForwardAsync(N: number, C: number, x: Float32Array, y: Float32Array): Promise<void>;
  softmaxBackward(N: number, C: number, y: Float32Array, dY: Float32Array, dX: Float32Array): void;
  softmaxBackwardAsync(N: number, C: number, y: Float32Array, dY: Float32Array, dX: Float32Array): Promise<void>;
}

const on = <K extends keyof ActivationAddon & string>(name: K, device: Device) => onDevice(addon<ActivationAddon>(), name, device);

function kindCode(fn: string, kind: unknown): number {
  if (typeof kind !== 'string') throw new TypeError(`${fn}: kind must be a string, got ${typeof kind}`);
  const code = (kinds as Record<string, number>)[kind];
  if (code === undefined || !Object.hasOwn(kinds, kind)) {
    throw new RangeError(`${fn}: kind must be one of ${Object.keys(kinds).join(', ')}, got "${kind}"`);
  }
  return code;
}

/**
 * `y = f(x)` element-wise over `n` values; sigmoid is stable for any |x|.
 *
 * `device` (default 'cpu'; 'auto' as resolveDevice) on every function here: 'cuda' runs
 * native/cuda/activation.cu, copying the operands to the GPU and the result back for each call
 * (within ~1e-6 relative of the CPU kernel: expf and tanhf differ from the CPU's SIMD versions in
 * the last bits). A CUDA failure throws an Error naming the kernel and the sizes.
 */
export function activationForward(kind: ActivationKind, n: number, x: Float32Array, y: Float32Array, device: Device = 'cpu'): void {
  on('activationForward', device)(kindCode('activationForward', kind), n, x, y);
}

export async function activationForwardAsync(kind: ActivationKind, n: number, x: Float32Array, y: Float32Array, device: Device = 'cpu'): Promise<void> {
  return on('activationForwardAsync', device)(kindCode('activationForwardAsync', kind), n, x, y);
}

/** `dX = dY * f'(x)`, computed from the forward output `y = f(x)`. */
export function activationBackward(kind: ActivationKind, n: number, y: Float32Array, dY: Float32Array, dX: Float32Array, device: Device = 'cpu'): void {
  on('activationBackward', device)(kindCode('activationBackward', kind), n, y, dY, dX);
}

export async function activationBackwardAsync(
  kind: ActivationKind, n: number, y: Float32Array, dY: Float32Array, dX: Float32Array, device: Device = 'cpu',
): Promise<void> {
  return on('activationBackwardAsync', device)(kindCode('activationBackwardAsync', kind), n, y, dY, dX);
}

/** Softmax over the last axis of `[N, C]` (row max subtracted first). */
export function softmaxForward(N: number, C: number, x: Float32Array, y: Float32Array, device: Device = 'cpu'): void {
  on('softmaxForward', device)(N, C, x, y);
}

export async function softmaxForwardAsync(N: number, C: number, x: Float32Array, y: Float32Array, device: Device = 'cpu'): Promise<void> {
  return on('softmaxForwardAsync', device)(N, C, x, y);
}

/** `dX = y * (dY - rowsum(dY * y))` from the forward output `y`. */
export function softmaxBackward(N: number, C: number, y: Float32Array, dY: Float32Array, dX: Float32Array, device: Device = 'cpu'): void {
  on('softmaxBackward', device)(N, C, y, dY, dX);
}

export async function softmaxBackwardAsync(N: number, C: number, y: Float32Array, dY: Float32Array, dX: Float32Array, device: Device = 'cpu'): Promise<void> {
  return on('softmaxBackwardAsync', device)(N, C, y, dY, dX);
}
