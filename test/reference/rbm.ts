// Float64 reference of the RBM kernels (native/cpu/rbm.h), written from the definitions:
// conditionals, free energy, and the CD-k / PCD-k gradient with the kernel's draws replayed.
type Num = ArrayLike<number>;
export type Visible = 'bernoulli' | 'gaussian';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/** p(h = 1 | v) for rows x [N, V]: [N, H]. */
export function hiddenProbsRef(N: number, V: number, H: number, x: Num, W: Num, c: Num): Float64Array {
  const out = new Float64Array(N * H);
  for (let r = 0; r < N; r++) {
    for (let j = 0; j < H; j++) {
      let z = c[j];
      for (let i = 0; i < V; i++) z += W[j * V + i] * x[r * V + i];
      out[r * H + j] = sigmoid(z);
    }
  }
  return out;
}

/** E[v | h] for rows h [N, H]: [N, V]. */
export function visibleMeansRef(vis: Visible, N: number, V: number, H: number, h: Num, W: Num, b: Num): Float64Array {
  const out = new Float64Array(N * V);
  for (let r = 0; r < N; r++) {
    for (let i = 0; i < V; i++) {
      let z = b[i];
      for (let j = 0; j < H; j++) z += h[r * H + j] * W[j * V + i];
      out[r * V + i] = vis === 'bernoulli' ? sigmoid(z) : z;
    }
  }
  return out;
}

/** The mean-field reconstruction error of rows x [N, V] (RBM scoring 'reconstruction'): mean over features of (x - E[v | h = p(h | x)])². */
export function reconstructionErrorRef(vis: Visible, N: number, V: number, H: number, x: Num, W: Num, b: Num, c: Num): Float64Array {
  const R = visibleMeansRef(vis, N, V, H, hiddenProbsRef(N, V, H, x, W, c), W, b);
  return Float64Array.from({ length: N }, (_, r) => {
    let s = 0;
    for (let i = 0; i < V; i++) s += (x[r * V + i] - R[r * V + i]) ** 2;
    return s / V;
  });
}

export function freeEnergyRef(vis: Visible, N: number, V: number, H: number, x: Num, W: Num, b: Num, c: Num): Float64Array {
  const out = new Float64Array(N);
  for (let r = 0; r < N; r++) {
    let f = 0;
    for (let i = 0; i < V; i++) {
      const v = x[r * V + i];
      f += vis === 'gaussian' ? 0.5 * (v - b[i]) ** 2 : -v * b[i];
    }
    for (let j = 0; j < H; j++) {
      let z = c[j];
      for (let i = 0; i < V; i++) z += W[j * V + i] * x[r * V + i];
      f -= softplus(z);
    }
    out[r] = f;
  }
  return out;
}

export interface CdRef {
  dW: Float64Array;
  db: Float64Array;
  dc: Float64Array;
  /** Summed squared reconstruction error. */
  err: number;
  /** The persistent chain's new hidden states (PCD), else null. */
  chain: Float64Array | null;
}

/**
 * The CD-k / PCD-k gradient of one batch v0 [m, V], with `u` the stream's uniforms replayed from
 * index 0 (randomUniform(seed, stream)): at least (k + 1) (mH + mV) of them. Draw layout and chain
 * as native/cpu/rbm.h describes.
 */
export function cdGradientRef(vis: Visible, k: number, persistent: boolean, m: number, V: number, H: number, v0: Num, W: Num, b: Num, c: Num,
  chain: Num | null, u: Num): CdRef {
  const S = m * H + m * V;
  const draw = (p: Float64Array, off: number) => p.map((q, i) => (u[off + i] < q ? 1 : 0));
  const p0 = hiddenProbsRef(m, V, H, v0, W, c);
  let h: Float64Array = draw(p0, 0);
  let vm: Float64Array = visibleMeansRef(vis, m, V, H, h, W, b);
  let err = 0;
  for (let i = 0; i < m * V; i++) err += (v0[i] - vm[i]) ** 2;
  if (persistent) h = Float64Array.from(chain!);
  let vk: Float64Array = new Float64Array(0);
  let pk: Float64Array = new Float64Array(0);
  for (let s = 0; s < k; s++) {
    if (s > 0 || persistent) vm = visibleMeansRef(vis, m, V, H, h, W, b);
    vk = vis === 'bernoulli' ? draw(vm, s * S + m * H) : vm;
    pk = hiddenProbsRef(m, V, H, vk, W, c);
    if (s + 1 < k) h = draw(pk, (s + 1) * S);
  }
  const dW = new Float64Array(H * V);
  const db = new Float64Array(V);
  const dc = new Float64Array(H);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < V; i++) dW[j * V + i] += (p0[r * H + j] * v0[r * V + i] - pk[r * H + j] * vk[r * V + i]) / m;
      dc[j] += (p0[r * H + j] - pk[r * H + j]) / m;
    }
    for (let i = 0; i < V; i++) db[i] += (v0[r * V + i] - vk[r * V + i]) / m;
  }
  return { dW, db, dc, err, chain: persistent ? draw(pk, k * S) : null };
}
