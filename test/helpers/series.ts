// Series for the series detectors' tests: a seeded noisy sine with an optional spike, a series
// changed after a step (for no-look-ahead checks) and comparisons that treat NaN as equal.
import { rng } from './random.ts';

/** A noisy sine of period 25; `spike` adds 1.5 at that step. */
export function sine(steps: number, seed: number, spike?: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(steps);
  for (let t = 0; t < steps; t++) x[t] = Math.sin((2 * Math.PI * t) / 25) + 0.05 * (r() - 0.5);
  if (spike !== undefined) x[spike] += 1.5;
  return x;
}

export function argmax(a: Float32Array): number {
  let best = -1;
  for (let i = 0; i < a.length; i++) if (!Number.isNaN(a[i]) && (best < 0 || a[i] > a[best])) best = i;
  return best;
}

/** Equal element for element, NaN equal to NaN. */
export function same(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && sameUpTo(a, b, a.length - 1);
}

export function changedAfter(x: Float32Array, t: number, seed: number): Float32Array {
  const r = rng(seed);
  const y = x.slice();
  for (let i = t + 1; i < y.length; i++) y[i] = 5 * (r() - 0.5);
  return y;
}

export function sameUpTo(a: Float32Array, b: Float32Array, t: number): boolean {
  for (let i = 0; i <= t; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
