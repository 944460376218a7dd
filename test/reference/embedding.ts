// Float64 reference for the embedding kernels.
export function embeddingForwardRef(V: number, E: number, N: number, ids: ArrayLike<number>, table: ArrayLike<number>): Float64Array {
  const out = new Float64Array(N * E);
  for (let n = 0; n < N; n++) for (let k = 0; k < E; k++) out[n * E + k] = table[ids[n] * E + k];
  return out;
}

export function embeddingBackwardRef(V: number, E: number, N: number, ids: ArrayLike<number>, dOut: ArrayLike<number>): Float64Array {
  const d = new Float64Array(V * E);
  for (let n = 0; n < N; n++) for (let k = 0; k < E; k++) d[ids[n] * E + k] += dOut[n * E + k];
  return d;
}
