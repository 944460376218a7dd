// Embedding lookup and its gradient (token ids -> rows of a [V, E] table).
import { addon } from './addon.ts';

interface EmbeddingAddon {
  embeddingForward(V: number, E: number, N: number, ids: Int32Array, table: Float32Array, out: Float32Array): void;
  embeddingForwardAsync(V: number, E: number, N: number, ids: Int32Array, table: Float32Array, out: Float32Array): Promise<void>;
  embeddingBackward(V: number, E: number, N: number, ids: Int32Array, dOut: Float32Array, dTable: Float32Array): void;
  embeddingBackwardAsync(V: number, E: number, N: number, ids: Int32Array, dOut: Float32Array, dTable: Float32Array): Promise<void>;
}

const native = () => addon<EmbeddingAddon>();

/**
 * Gathers `out[n, :] = table[ids[n], :]` for a `[V, E]` table and `N` ids.
 * Throws RangeError for any id outside `[0, V)`.
 */
export function embeddingForward(V: number, E: number, N: number, ids: Int32Array, table: Float32Array, out: Float32Array): void {
  native().embeddingForward(V, E, N, ids, table, out);
}

export async function embeddingForwardAsync(
  V: number, E: number, N: number, ids: Int32Array, table: Float32Array, out: Float32Array,
): Promise<void> {
  return native().embeddingForwardAsync(V, E, N, ids, table, out);
}

/**
 * Gradient of the table: `dTable[v, :] = sum of dOut[n, :] over n with ids[n] == v` (overwritten;
 * unused rows become 0). Bit-identical for any thread count.
 */
export function embeddingBackward(V: number, E: number, N: number, ids: Int32Array, dOut: Float32Array, dTable: Float32Array): void {
  native().embeddingBackward(V, E, N, ids, dOut, dTable);
}

export async function embeddingBackwardAsync(
  V: number, E: number, N: number, ids: Int32Array, dOut: Float32Array, dTable: Float32Array,
): Promise<void> {
  return native().embeddingBackwardAsync(V, E, N, ids, dOut, dTable);
}
