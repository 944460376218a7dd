// Keras' default weight initialisers, drawn from the shared Philox generator so a seed gives the
// same weights on every machine and thread count.
import { randomNormal, randomUniform } from '../bindings/random.ts';

/** Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)); Keras' default kernel initialiser. */
export function glorotUniform(fanIn: number, fanOut: number, seed: number, stream: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return randomUniform(new Float32Array(fanIn * fanOut), seed, stream, -limit, limit);
}

/** U(lo, hi): Keras' Embedding default is U(-0.05, 0.05). */
export function uniform(n: number, lo: number, hi: number, seed: number, stream: number): Float32Array {
  return randomUniform(new Float32Array(n), seed, stream, lo, hi);
}

/**
 * Orthogonal matrix of shape [rows, cols] (row-major), Keras' default recurrent initialiser:
 * Q of the QR factorisation of a normal matrix, with column signs fixed by diag(R) so the
 * distribution is uniform over orthogonal matrices. rows >= cols gives orthonormal columns,
 * rows < cols orthonormal rows.
 */
export function orthogonal(rows: number, cols: number, seed: number, stream: number, gain = 1): Float32Array {
  const tall = rows >= cols;
  const m = tall ? rows : cols;
  const n = tall ? cols : rows;
  const a = Float64Array.from(randomNormal(new Float32Array(m * n), seed, stream)); // [m, n]
  // Modified Gram-Schmidt on the n columns of a (m x n), in float64.
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += a[i * n + k] * a[i * n + j];
      for (let i = 0; i < m; i++) a[i * n + j] -= dot * a[i * n + k];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += a[i * n + j] * a[i * n + j];
    norm = Math.sqrt(norm);
    // Gram-Schmidt's R has a positive diagonal, which is the sign convention Keras applies.
    for (let i = 0; i < m; i++) a[i * n + j] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const v = gain * a[i * n + j];
      if (tall) out[i * cols + j] = v;
      else out[j * cols + i] = v;
    }
  }
  return out;
}
