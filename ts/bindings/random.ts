// The shared Philox generator (native/cpu/philox.h) from TypeScript: a (seed, stream) pair gives
// the same numbers here, in every kernel that draws from it, and on CUDA.
import { addon } from './addon.ts';

interface RandomAddon {
  randomUniform(seed: number, stream: number, lo: number, hi: number, out: Float32Array): void;
  randomNormal(seed: number, stream: number, mean: number, std: number, out: Float32Array): void;
}

const native = () => addon<RandomAddon>();

/** Fills `out` with uniform numbers in [lo, hi) from stream `stream` of `seed`. */
export function randomUniform(out: Float32Array, seed: number, stream: number, lo = 0, hi = 1): Float32Array {
  native().randomUniform(seed, stream, lo, hi, out);
  return out;
}

/** Fills `out` with normal numbers N(mean, std²) from stream `stream` of `seed`. */
export function randomNormal(out: Float32Array, seed: number, stream: number, mean = 0, std = 1): Float32Array {
  native().randomNormal(seed, stream, mean, std, out);
  return out;
}
