// Embedding lookup and its gradient (token ids -> rows of a [V, E] table).
// `device` (default 'cpu'; 'auto' as resolveDevice) on every function: 'cuda' runs
// native/cuda/embedding.cu, copying the operands up and the result back for each call; the gradient
// is the CPU's bits (each row summed in sample order, no atomics).
import { addon } from './addon.ts';
import { onDevice } from './device.ts';
import type { Device } from './device.ts';

interface EmbeddingAddon {
  embeddingForward(V: number, E: number, N: number, ids: Int32Array, table: Float32Array, out: Float32Array): void;
  embeddingForwardAsync(V: number, E: number, N: number, ids: Int32Array, table: Float32Array, out: Float32Array): Promise<void>;
  embeddingBackward(V: number, E: number, N: number, ids: Int32Array, dOut: Float32Array, dTable: Float32Array): void;
  embeddingBackwardAsync(V: number, E: number, N: number, ids: Int32Array, dOut: Float32Array, dTable: Float32Array): Promise<void>;
}

const native = () => addon<EmbeddingAddon>();
const on = <K extends keyof EmbeddingAddon & string>(name: K, device: Device) => onDevice(native(), name, device);

/**
 * Gathers `out[n, :] = table[ids[n], :]` for a `[V, E]` table and `N` ids.
 * Throws RangeError for any id outside `[0, V)`.
 */
export function embeddingForward(V: number, E: number, N: number, ids: Int32Array, table: Float32Array, out: Float32Array, device: Device = 'cpu'): void {
  on('embeddingForward', device)(V, E, N, ids, table, out);
}

export async function embeddingForwardAsync(
  V: number, E: number, N: number, ids: Int32Array, table: Float32Array, out: Float32Array, device: Device = 'cpu',
): Promise<void> {
  return on('embeddingForwardAsync', device)(V, E, N, ids, table, out);
}

/**
 * Gradient of the table: `dTable[v, :] = sum of dOut[n, :] over n with ids[n] == v` (overwritten;
 * unused rows become 0). Bit-identical for any thread count.
 */
export function embeddingBackward(V: number, E: number, N: number, ids: Int32Array, dOut: Float32Array, dTable: Float32Array, device: Device = 'cpu'): void {
  on('embeddingBackward', device)(V, E, N, ids, dOut, dTable);
}

export async function embeddingBackwardAsync(
  V: number, E: number, N: number, ids: Int32Array, dOut: Float32Array, dTable: Float32Array, device: Device = 'cpu',
): Promise<void> {
  return on('embeddingBackwardAsync', device)(V, E, N, ids, dOut, dTable);
}
