// Float64 references for the losses (Keras sum_over_batch_size reduction).
type W = ArrayLike<number> | null;

function reduce(N: number, w: W, row: (i: number) => number): number {
  let s = 0;
  for (let i = 0; i < N; i++) s += (w ? w[i] : 1) * row(i);
  return s / N;
}

function lse(z: ArrayLike<number>, off: number, C: number): number {
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, z[off + c]);
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(z[off + c] - m);
  return m + Math.log(s);
}

export function bceRef(N: number, C: number, z: ArrayLike<number>, y: ArrayLike<number>, w: W): number {
  return reduce(N, w, (i) => {
    let s = 0;
    for (let c = i * C; c < (i + 1) * C; c++) {
      // -y log(sigmoid z) - (1-y) log(1 - sigmoid z), written without overflow.
      s += Math.max(z[c], 0) - z[c] * y[c] + Math.log1p(Math.exp(-Math.abs(z[c])));
    }
    return s / C;
  });
}

export function sparseCceRef(N: number, C: number, z: ArrayLike<number>, labels: ArrayLike<number>, w: W): number {
  return reduce(N, w, (i) => lse(z, i * C, C) - z[i * C + labels[i]]);
}

export function cceRef(N: number, C: number, z: ArrayLike<number>, t: ArrayLike<number>, w: W): number {
  return reduce(N, w, (i) => {
    const l = lse(z, i * C, C);
    let s = 0;
    for (let c = 0; c < C; c++) s -= t[i * C + c] * (z[i * C + c] - l);
    return s;
  });
}

export function mseRef(N: number, C: number, p: ArrayLike<number>, t: ArrayLike<number>, w: W): number {
  return reduce(N, w, (i) => {
    let s = 0;
    for (let c = i * C; c < (i + 1) * C; c++) s += (p[c] - t[c]) ** 2;
    return s / C;
  });
}

export function maeRef(N: number, C: number, p: ArrayLike<number>, t: ArrayLike<number>, w: W): number {
  return reduce(N, w, (i) => {
    let s = 0;
    for (let c = i * C; c < (i + 1) * C; c++) s += Math.abs(p[c] - t[c]);
    return s / C;
  });
}
