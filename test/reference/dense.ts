// Float64 reference for the dense layer: y = x W^T + b, W [out, in].
export function denseRef(
  N: number, inF: number, outF: number, x: ArrayLike<number>, W: ArrayLike<number>, b: ArrayLike<number> | null,
): Float64Array {
  const y = new Float64Array(N * outF);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inF; i++) s += x[n * inF + i] * W[o * inF + i];
      y[n * outF + o] = s;
    }
  }
  return y;
}
