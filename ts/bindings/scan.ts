// Whole-array checks at memory speed (native/glue/scan.cc): the detectors' input tables are checked
// before any kernel runs, so their errors can name the row and column.
import { addon } from './addon.ts';

interface ScanAddon {
  firstOutside(x: Float32Array, lo: number, hi: number): number;
}

const F32_MAX = 3.4028234663852886e38;

/** Index of the first value of `x` outside [lo, hi] (NaN is outside every range), or -1. */
export function firstOutside(x: Float32Array, lo: number, hi: number): number {
  if (x.length === 0) return -1;
  return addon<ScanAddon>().firstOutside(x, Math.max(lo, -F32_MAX), Math.min(hi, F32_MAX));
}

/** Index of the first NaN or infinity in `x`, or -1. */
export function firstNonFinite(x: Float32Array): number {
  return firstOutside(x, -F32_MAX, F32_MAX);
}
