// Runs a check on every CPU kernel path this machine has (AVX-512, AVX2, portable), best first.
import { backend, setSimdCap, type SimdLevel } from '../../ts/bindings/backend.ts';

const ORDER: SimdLevel[] = ['avx512', 'avx2', 'generic'];

/** The paths this processor can run, best first; the portable one is always there. */
export function simdPaths(): SimdLevel[] {
  return ORDER.slice(ORDER.indexOf(backend().simdHardware));
}

/** Runs fn with kernels capped at `level`, then restores the best path. */
export function withSimd<T>(level: SimdLevel, fn: () => T): T {
  const active = setSimdCap(level);
  if (active !== level) throw new Error(`cannot select the ${level} path (got ${active})`);
  try {
    return fn();
  } finally {
    setSimdCap('avx512');
  }
}

/** Calls body once per path (see simdPaths) with that path selected. */
export function forEachSimd(body: (level: SimdLevel) => void): void {
  for (const level of simdPaths()) withSimd(level, () => body(level));
}
