// float64 reference of the SimpleRNN (tanh) forward and backward, on the LSTM reference's pieces.
import { accumulateStep, dropoutMask, emptyGrads, projection, validRange } from './lstm.ts';
import type { Arr, RefArgs, RefGrads } from './lstm.ts';

interface Step { b: number; t: number; h: Float64Array; hm: Float64Array }
export interface RnnRefOut { y: Float64Array; hLast: Float64Array; steps: Step[] }

export function rnnRefForward(a: RefArgs): RnnRefOut {
  const { B, T, H } = a;
  const mask = dropoutMask(a);
  const y = new Float64Array(B * T * H), hLast = new Float64Array(B * H);
  const steps: Step[] = [];
  for (let b = 0; b < B; b++) {
    let h = Float64Array.from({ length: H }, (_, j) => (a.h0 ? a.h0[b * H + j] : 0));
    const [s, e] = validRange(a, b);
    for (let t = s; t < e; t++) {
      const hm = h.map((v, j) => v * mask[b * H + j]);
      const z = projection(a, H, b, t);
      for (let g = 0; g < H; g++) for (let k = 0; k < H; k++) z[g] += hm[k] * a.wHh[g * H + k];
      h = z.map(Math.tanh);
      y.set(h, (b * T + t) * H);
      steps.push({ b, t, h, hm });
    }
    hLast.set(h, b * H);
  }
  return { y, hLast, steps };
}

export function rnnRefBackward(a: RefArgs, fwd: RnnRefOut, dY: Arr | null, dHlast: Arr | null): RefGrads {
  const { B, T, H } = a;
  const mask = dropoutMask(a);
  const r = emptyGrads(a, H, false);
  for (let b = 0; b < B; b++) {
    const dh = Float64Array.from({ length: H }, (_, j) => (dHlast ? dHlast[b * H + j] : 0));
    for (const st of fwd.steps.filter((s) => s.b === b).reverse()) {
      const dz = new Float64Array(H);
      for (let j = 0; j < H; j++) dz[j] = (dh[j] + (dY ? dY[(b * T + st.t) * H + j] : 0)) * (1 - st.h[j] * st.h[j]);
      accumulateStep(a, H, r, b, st.t, dz, st.hm);
      for (let k = 0; k < H; k++) {
        let s = 0;
        for (let g = 0; g < H; g++) s += dz[g] * a.wHh[g * H + k];
        dh[k] = s * mask[b * H + k];
      }
    }
    r.dh0.set(dh, b * H);
  }
  return r;
}
