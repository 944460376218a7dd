// The element-wise activations layers apply after their linear part (Dense, Conv1D, TCN blocks):
// one place that picks the sync or Async kernel by size.
import {
  activationBackward, activationBackwardAsync, activationForward, activationForwardAsync,
} from '../../bindings/activation.ts';
import { ASYNC_WORK } from './layer.ts';

export type ElementwiseActivation = 'linear' | 'relu' | 'sigmoid' | 'tanh';
export const ELEMENTWISE: readonly string[] = ['linear', 'relu', 'sigmoid', 'tanh'];

/** y = act(z) over n values ('linear': not called; callers keep z). */
export async function activate(kind: Exclude<ElementwiseActivation, 'linear'>, n: number, z: Float32Array, y: Float32Array): Promise<void> {
  if (n > ASYNC_WORK) await activationForwardAsync(kind, n, z, y);
  else activationForward(kind, n, z, y);
}

/** dZ = act'(z) * dY from the activation's output y. */
export async function activateBackward(
  kind: Exclude<ElementwiseActivation, 'linear'>, n: number, y: Float32Array, dY: Float32Array, dZ: Float32Array,
): Promise<void> {
  if (n > ASYNC_WORK) await activationBackwardAsync(kind, n, y, dY, dZ);
  else activationBackward(kind, n, y, dY, dZ);
}
