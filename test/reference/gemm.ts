// Float64 reference for gemm: the textbook triple loop over dense row-major matrices.

/**
 * alpha * op(A) * op(B) + beta * C in float64 (C is not read when beta is 0).
 * A is M x K (K x M when transA), B is K x N (N x K when transB), C is M x N.
 */
export function gemmRef(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, A: ArrayLike<number>, B: ArrayLike<number>, beta: number, C: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const a = transA ? A[k * M + i] : A[i * K + k];
        const b = transB ? B[j * K + k] : B[k * N + j];
        s += a * b;
      }
      out[i * N + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * N + j]);
    }
  }
  return out;
}
