// Float64 references for activations and softmax.
export type Kind = 'sigmoid' | 'tanh' | 'relu';

export function activationRef(kind: Kind, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = kind === 'sigmoid' ? (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))) : kind === 'tanh' ? Math.tanh(v) : Math.max(v, 0);
  }
  return y;
}

export function softmaxRef(N: number, C: number, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x[n * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += y[n * C + c] = Math.exp(x[n * C + c] - m);
    for (let c = 0; c < C; c++) y[n * C + c] /= s;
  }
  return y;
}
