// The expected outMax of a recurrent forward (GlobalMaxPooling1D fused into the kernel): each
// unit's maximum over the row's valid steps of the per-step outputs `out` [B, T, H], 0 for a row
// with none. A max of the same float32 values, so the kernel must match it bit for bit.
import { validRange } from '../reference/lstm.ts';
import type { RefArgs } from '../reference/lstm.ts';

export function maxOverSteps(a: RefArgs, out: Float32Array): Float32Array {
  const { B, T, H } = a;
  const m = new Float32Array(B * H);
  for (let b = 0; b < B; b++) {
    const [s, e] = validRange(a, b);
    for (let j = 0; j < H; j++) {
      let best = s < e ? -Infinity : 0;
      for (let t = s; t < e; t++) {
        const v = out[(b * T + t) * H + j];
        if (best === best && (v > best || v !== v)) best = v;
      }
      m[b * H + j] = best;
    }
  }
  return m;
}
