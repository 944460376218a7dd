// float64 references of the LSTM forward and backward (BPTT), written for clarity, not speed:
// the native kernels are checked against them, and they are checked against finite differences.
// Also the Philox generator (the same numbers as native/cpu/philox.h) for the dropout masks.

export type Arr = ArrayLike<number>;

function mulhilo(a: number, b: number): [lo: number, hi: number] {
  const p = BigInt(a >>> 0) * BigInt(b >>> 0);
  return [Number(p & 0xffffffffn), Number(p >> 32n)];
}

/** philoxUniform(seed, stream, index) of native/cpu/philox.h (Philox4x32-10, top 24 bits). */
export function philoxUniform(seed: number, stream: number, index: number): number {
  const block = Math.floor(index / 4);
  let c0 = block >>> 0, c1 = Math.floor(block / 4294967296) >>> 0;
  let c2 = stream >>> 0, c3 = Math.floor(stream / 4294967296) >>> 0;
  let k0 = seed >>> 0, k1 = Math.floor(seed / 4294967296) >>> 0;
  for (let r = 0; r < 10; r++) {
    const [lo0, hi0] = mulhilo(0xd2511f53, c0);
    const [lo1, hi1] = mulhilo(0xcd9e8d57, c2);
    const n0 = (hi1 ^ c1 ^ k0) >>> 0, n1 = lo1, n2 = (hi0 ^ c3 ^ k1) >>> 0, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  const v = [c0, c1, c2, c3][index & 3];
  return (v >>> 8) / 16777216;
}

/** Inputs of one recurrent call (LSTM: G = 4H; RNN: G = H). */
export interface RefArgs {
  B: number; T: number; I: number; H: number;
  x?: Arr; wIh?: Arr; bias?: Arr | null;  // dense
  tokens?: Arr; table?: Arr; V?: number;   // gather
  wHh: Arr;
  h0?: Arr | null; c0?: Arr | null;
  lengths?: Arr | null;
  padding?: 'pre' | 'post';
  dropout?: number; seed?: number; stream?: number;
}

/** Valid steps [s, e) of sequence b. */
export function validRange(a: RefArgs, b: number): [number, number] {
  const len = a.lengths ? a.lengths[b] : a.T;
  return (a.padding ?? 'pre') === 'pre' ? [a.T - len, a.T] : [0, len];
}

/** Dropout mask [B, H] with the 1/(1-p) scale (all ones without dropout). */
export function dropoutMask(a: RefArgs): Float64Array {
  const m = new Float64Array(a.B * a.H).fill(1);
  const p = a.dropout ?? 0;
  if (p <= 0) return m;
  const pf = Math.fround(p);
  for (let i = 0; i < m.length; i++) m[i] = philoxUniform(a.seed ?? 0, a.stream ?? 0, i) >= pf ? 1 / (1 - p) : 0;
  return m;
}

/** Input projection of step (b, t): x_t W_ihᵀ + bias, or the table row. */
export function projection(a: RefArgs, G: number, b: number, t: number): Float64Array {
  const z = new Float64Array(G);
  if (a.tokens) {
    const tok = a.tokens[b * a.T + t];
    for (let j = 0; j < G; j++) z[j] = a.table![tok * G + j];
    return z;
  }
  for (let j = 0; j < G; j++) {
    let s = a.bias ? a.bias[j] : 0;
    for (let k = 0; k < a.I; k++) s += a.x![(b * a.T + t) * a.I + k] * a.wIh![j * a.I + k];
    z[j] = s;
  }
  return z;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

interface Step { b: number; t: number; gates: Float64Array; cPrev: Float64Array; c: Float64Array; hm: Float64Array }

export interface LstmRefOut { y: Float64Array; hLast: Float64Array; cLast: Float64Array; steps: Step[] }

export function lstmRefForward(a: RefArgs): LstmRefOut {
  const { B, T, H } = a, G = 4 * H;
  const mask = dropoutMask(a);
  const y = new Float64Array(B * T * H), hLast = new Float64Array(B * H), cLast = new Float64Array(B * H);
  const steps: Step[] = [];
  for (let b = 0; b < B; b++) {
    let h = Float64Array.from({ length: H }, (_, j) => (a.h0 ? a.h0[b * H + j] : 0));
    let c = Float64Array.from({ length: H }, (_, j) => (a.c0 ? a.c0[b * H + j] : 0));
    const [s, e] = validRange(a, b);
    for (let t = s; t < e; t++) {
      const hm = h.map((v, j) => v * mask[b * H + j]);
      const z = projection(a, G, b, t);
      for (let g = 0; g < G; g++) for (let k = 0; k < H; k++) z[g] += hm[k] * a.wHh[g * H + k];
      const gates = new Float64Array(G);
      const cn = new Float64Array(H), hn = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const i = sigmoid(z[j]), f = sigmoid(z[H + j]), gg = Math.tanh(z[2 * H + j]), o = sigmoid(z[3 * H + j]);
        gates[j] = i; gates[H + j] = f; gates[2 * H + j] = gg; gates[3 * H + j] = o;
        cn[j] = f * c[j] + i * gg;
        hn[j] = o * Math.tanh(cn[j]);
        y[(b * T + t) * H + j] = hn[j];
      }
      steps.push({ b, t, gates, cPrev: c, c: cn, hm });
      h = hn;
      c = cn;
    }
    hLast.set(h, b * H);
    cLast.set(c, b * H);
  }
  return { y, hLast, cLast, steps };
}

/** Gradients of the RNN/LSTM inputs given the gate pre-activation gradients of every step. */
export interface RefGrads {
  dX?: Float64Array; dWIh?: Float64Array; dTable?: Float64Array;
  dWHh: Float64Array; dBias: Float64Array; dh0: Float64Array; dc0?: Float64Array;
}

/** Accumulates the weight/input gradients of one step from its pre-activation gradient dz [G]. */
export function accumulateStep(a: RefArgs, G: number, r: RefGrads, b: number, t: number, dz: Float64Array, hm: Float64Array): void {
  const { H, I } = a;
  for (let g = 0; g < G; g++) {
    r.dBias[g] += dz[g];
    for (let k = 0; k < H; k++) r.dWHh[g * H + k] += dz[g] * hm[k];
    if (a.tokens) {
      r.dTable![a.tokens[b * a.T + t] * G + g] += dz[g];
    } else {
      for (let k = 0; k < I; k++) {
        r.dWIh![g * I + k] += dz[g] * a.x![(b * a.T + t) * I + k];
        r.dX![(b * a.T + t) * I + k] += dz[g] * a.wIh![g * I + k];
      }
    }
  }
}

export function emptyGrads(a: RefArgs, G: number, cell: boolean): RefGrads {
  const r: RefGrads = { dWHh: new Float64Array(G * a.H), dBias: new Float64Array(G), dh0: new Float64Array(a.B * a.H) };
  if (cell) r.dc0 = new Float64Array(a.B * a.H);
  if (a.tokens) r.dTable = new Float64Array(a.V! * G);
  else {
    r.dX = new Float64Array(a.B * a.T * a.I);
    r.dWIh = new Float64Array(G * a.I);
  }
  return r;
}

export function lstmRefBackward(a: RefArgs, fwd: LstmRefOut, dY: Arr | null, dHlast: Arr | null, dCn: Arr | null): RefGrads {
  const { B, T, H } = a, G = 4 * H;
  const mask = dropoutMask(a);
  const r = emptyGrads(a, G, true);
  for (let b = 0; b < B; b++) {
    const dh = Float64Array.from({ length: H }, (_, j) => (dHlast ? dHlast[b * H + j] : 0));
    const dc = Float64Array.from({ length: H }, (_, j) => (dCn ? dCn[b * H + j] : 0));
    const steps = fwd.steps.filter((s) => s.b === b).reverse();
    for (const st of steps) {
      const t = st.t;
      if (dY) for (let j = 0; j < H; j++) dh[j] += dY[(b * T + t) * H + j];
      const dz = new Float64Array(G);
      for (let j = 0; j < H; j++) {
        const i = st.gates[j], f = st.gates[H + j], gg = st.gates[2 * H + j], o = st.gates[3 * H + j];
        const tc = Math.tanh(st.c[j]);
        const dcj = dc[j] + dh[j] * o * (1 - tc * tc);
        dz[j] = dcj * gg * i * (1 - i);
        dz[H + j] = dcj * st.cPrev[j] * f * (1 - f);
        dz[2 * H + j] = dcj * i * (1 - gg * gg);
        dz[3 * H + j] = dh[j] * tc * o * (1 - o);
        dc[j] = dcj * f;
      }
      accumulateStep(a, G, r, b, t, dz, st.hm);
      for (let k = 0; k < H; k++) {
        let s = 0;
        for (let g = 0; g < G; g++) s += dz[g] * a.wHh[g * H + k];
        dh[k] = s * mask[b * H + k];
      }
    }
    r.dh0.set(dh, b * H);
    r.dc0!.set(dc, b * H);
  }
  return r;
}

/** Shape and options of a random test case. */
export interface CaseSpec {
  B: number; T: number; I: number; H: number; G: number; V?: number;
  gather?: boolean; lengths?: boolean; padding?: 'pre' | 'post';
  dropout?: number; h0?: boolean; c0?: boolean;
}

/** A random case (float32 values, seeded) usable by the native calls and the references. */
export function randomCase(r: () => number, s: CaseSpec): RefArgs & { V: number } {
  const f = (n: number, scale = 1) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = scale * (2 * r() - 1);
    return out;
  };
  const V = s.V ?? 7;
  const a: RefArgs & { V: number } = {
    B: s.B, T: s.T, I: s.I, H: s.H, V, wHh: f(s.G * s.H, 0.6), padding: s.padding ?? 'pre',
    dropout: s.dropout ?? 0, seed: 1234, stream: 5,
  };
  if (s.gather) {
    const tokens = new Int32Array(s.B * s.T);
    for (let i = 0; i < tokens.length; i++) tokens[i] = Math.floor(r() * V);
    a.tokens = tokens;
    a.table = f(V * s.G);
  } else {
    a.x = f(s.B * s.T * s.I);
    a.wIh = f(s.G * s.I, 0.6);
    a.bias = f(s.G, 0.5);
  }
  if (s.h0) a.h0 = f(s.B * s.H);
  if (s.c0) a.c0 = f(s.B * s.H);
  if (s.lengths) {
    const l = new Int32Array(s.B);
    for (let b = 0; b < s.B; b++) l[b] = Math.floor(r() * (s.T + 1));
    if (s.B > 1) l[0] = s.T; // one full sequence and (likely) some short or empty ones
    if (s.B > 2) l[1] = 0;
    a.lengths = l;
  }
  return a;
}
