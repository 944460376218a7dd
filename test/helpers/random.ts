// Seeded random numbers for tests (mulberry32): deterministic inputs, never zeros.
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Float32Array of n uniform values in [lo, hi). */
export function randomF32(r: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** Largest |a - b| / max(1, |b|) over the elements. */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

/** Central-difference gradient of a float64 function: the check every backward kernel is held to. */
export function numericGrad(f: (x: Float64Array) => number, x: Float64Array, eps = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  const p = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const keep = p[i];
    p[i] = keep + eps;
    const up = f(p);
    p[i] = keep - eps;
    const down = f(p);
    p[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

/** Largest |a - b| / max(|a|, |b|, floor): relative error that ignores values near zero. */
export function gradRelErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(floor, Math.abs(a[i]), Math.abs(b[i])));
  }
  return m;
}

/** Random integers in [0, n) as an Int32Array. */
export function randomInts(r: () => number, len: number, n: number): Int32Array {
  const out = new Int32Array(len);
  for (let i = 0; i < len; i++) out[i] = Math.min(n - 1, Math.floor(r() * n));
  return out;
}

/** Float32Array of NaN: outputs start poisoned so a test sees any element a kernel skipped. */
export function nanF32(n: number): Float32Array {
  return new Float32Array(n).fill(Number.NaN);
}

/** True when no element is NaN. */
export function allWritten(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (Number.isNaN(a[i])) return false;
  return true;
}

/** A typed array whose buffer has been transferred away (detached). */
export function detached(n: number): Float32Array {
  const a = new Float32Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

/** Same, for Int32Array arguments. */
export function detachedI32(n: number): Int32Array {
  const a = new Int32Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}


