// Philox4x32-10 in TypeScript (an independent rewrite of native/cpu/philox.h from the paper) and
// the dropout mask it defines.

// 32 x 32 -> 64-bit product as [hi, lo], through 16-bit halves (doubles are exact below 2^53).
function mulhilo(a: number, b: number): [number, number] {
  const aL = a & 0xffff, aH = a >>> 16, bL = b & 0xffff, bH = b >>> 16;
  const ll = aL * bL, lh = aL * bH, hl = aH * bL, hh = aH * bH;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  const hi = (hh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) >>> 0;
  return [hi, Math.imul(a, b) >>> 0];
}

function philox(c: [number, number, number, number], k0: number, k1: number): number[] {
  let [c0, c1, c2, c3] = c;
  for (let r = 0; r < 10; r++) {
    const [hi0, lo0] = mulhilo(0xd2511f53, c0);
    const [hi1, lo1] = mulhilo(0xcd9e8d57, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  return [c0, c1, c2, c3];
}

const split = (v: number): [number, number] => [v >>> 0, Math.floor(v / 4294967296) >>> 0];

/** philoxUniform(seed, stream, index) for index, seed, stream < 2^53. */
export function philoxUniformRef(seed: number, stream: number, index: number): number {
  const [b0, b1] = split(Math.floor(index / 4));
  const [s0, s1] = split(stream);
  const [k0, k1] = split(seed);
  return (philox([b0, b1, s0, s1], k0, k1)[index % 4] >>> 8) / 16777216;
}

/** The float32 factors dropoutForward multiplies by: 1/(1-rate) if kept, else 0. */
export function dropoutMaskRef(n: number, rate: number, seed: number, stream: number): Float32Array {
  const scale = Math.fround(1 / (1 - rate));
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = philoxUniformRef(seed, stream, i) >= rate ? scale : 0;
  return m;
}
