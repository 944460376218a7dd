// Whole-array checks at memory speed (native/glue/scan.cc): detector tables and token ids are checked
// before any kernel runs, so their errors can name the row and column or the index.
import { addon } from './addon.ts';

interface ScanAddon {
  firstOutside(x: Float32Array, lo: number, hi: number): number;
  firstOutsideI32(x: Int32Array, min: number, max: number): number;
}

const F32_MAX = 3.4028234663852886e38;

/**
 * Index of the first value of `x` outside [lo, hi] (NaN is outside every range; a bound may be
 * infinite), or -1. The bounds are exact: a float32 value is compared with them as the number it is.
 */
export function firstOutside(x: Float32Array, lo: number, hi: number): number {
  if (x.length === 0) return -1;
  return addon<ScanAddon>().firstOutside(x, lo, hi);
}

/** Index of the first NaN or infinity in `x`, or -1. */
export function firstNonFinite(x: Float32Array): number {
  return firstOutside(x, -F32_MAX, F32_MAX);
}

/** Index of the first value of `x` outside the integer range [min, max], or -1. */
export function firstOutsideI32(x: Int32Array, min: number, max: number): number {
  if (x.length === 0) return -1;
  return addon<ScanAddon>().firstOutsideI32(x, min, max);
}
