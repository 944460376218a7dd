// Float64 references for Conv1D (channels-last x [B, T, Cin], W [Cout, Cin, K]) and the time-axis
// layers next to it (MaxPooling1D, UpSampling1D), written from the definitions, loop by loop.
import type { Conv1dShape } from '../../ts/bindings/conv1d.ts';
import type { MaxPool1dShape } from '../../ts/bindings/pool1d.ts';

/** Keras' left padding: causal pads the whole span on the left, same the smaller half of it. */
export function padLeftRef(s: Conv1dShape): number {
  const span = (s.kernelSize - 1) * s.dilation;
  return s.padding === 'causal' ? span : s.padding === 'same' ? Math.floor(span / 2) : 0;
}

export function conv1dRef(
  s: Conv1dShape, x: ArrayLike<number>, W: ArrayLike<number>, b: ArrayLike<number> | null,
): Float64Array {
  const { batch: B, time: T, inChannels: C, outChannels: O, kernelSize: K, dilation: d } = s;
  const Tout = s.padding === 'valid' ? T - (K - 1) * d : T;
  const pad = padLeftRef(s);
  const y = new Float64Array(B * Tout * O);
  for (let n = 0; n < B; n++) {
    for (let t = 0; t < Tout; t++) {
      for (let o = 0; o < O; o++) {
        let sum = b ? b[o] : 0;
        for (let k = 0; k < K; k++) {
          const u = t + k * d - pad;
          if (u < 0 || u >= T) continue;
          for (let c = 0; c < C; c++) sum += W[(o * C + c) * K + k] * x[(n * T + u) * C + c];
        }
        y[(n * Tout + t) * O + o] = sum;
      }
    }
  }
  return y;
}

/** The exact float64 gradients of sum(y * dY) (dY [B, Tout, Cout]): dX, dW [Cout, Cin, K], db. */
export function conv1dBackwardRef(
  s: Conv1dShape, x: ArrayLike<number>, W: ArrayLike<number>, dY: ArrayLike<number>,
): { dX: Float64Array; dW: Float64Array; db: Float64Array } {
  const { batch: B, time: T, inChannels: C, outChannels: O, kernelSize: K, dilation: d } = s;
  const Tout = s.padding === 'valid' ? T - (K - 1) * d : T;
  const pad = padLeftRef(s);
  const dX = new Float64Array(B * T * C), dW = new Float64Array(O * C * K), db = new Float64Array(O);
  for (let n = 0; n < B; n++) {
    for (let t = 0; t < Tout; t++) {
      for (let o = 0; o < O; o++) {
        const g = dY[(n * Tout + t) * O + o];
        db[o] += g;
        for (let k = 0; k < K; k++) {
          const u = t + k * d - pad;
          if (u < 0 || u >= T) continue;
          for (let c = 0; c < C; c++) {
            dX[(n * T + u) * C + c] += g * W[(o * C + c) * K + k];
            dW[(o * C + c) * K + k] += g * x[(n * T + u) * C + c];
          }
        }
      }
    }
  }
  return { dX, dW, db };
}

/** Window maxima and the earliest step holding each, padded steps excluded (Keras' 'same'). */
export function maxPool1dRef(s: MaxPool1dShape, x: ArrayLike<number>): { y: Float64Array; argmax: Int32Array } {
  const { batch: B, time: T, channels: C, poolSize: P } = s;
  const S = s.strides ?? P;
  const Tout = s.padding === 'same' ? Math.ceil(T / S) : Math.floor((T - P) / S) + 1;
  const pad = s.padding === 'same' ? Math.floor(Math.max((Tout - 1) * S + P - T, 0) / 2) : 0;
  const y = new Float64Array(B * Tout * C), argmax = new Int32Array(B * Tout * C);
  for (let n = 0; n < B; n++) {
    for (let t = 0; t < Tout; t++) {
      for (let c = 0; c < C; c++) {
        let best = -Infinity, at = -1;
        for (let u = t * S - pad; u < t * S - pad + P; u++) {
          if (u < 0 || u >= T) continue;
          const v = x[(n * T + u) * C + c];
          if (v > best) [best, at] = [v, u];
        }
        y[(n * Tout + t) * C + c] = best;
        argmax[(n * Tout + t) * C + c] = at;
      }
    }
  }
  return { y, argmax };
}

export function upSampling1dRef(B: number, T: number, C: number, size: number, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(B * T * size * C);
  for (let n = 0; n < B; n++)
    for (let t = 0; t < T * size; t++)
      for (let c = 0; c < C; c++) y[(n * T * size + t) * C + c] = x[(n * T + Math.floor(t / size)) * C + c];
  return y;
}
