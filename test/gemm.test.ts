import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addon } from '../ts/bindings/addon.ts';
import { backend, getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import { forEachSimd } from './helpers/simd.ts';
import { gemm, gemmAsync } from '../ts/bindings/gemm.ts';
import { gemmCase } from './helpers/cuda-cases.ts';
import type { GemmCase } from './helpers/cuda-cases.ts';
import { maxRelErr } from './helpers/random.ts';

type GemmFn = typeof gemm;
// packB + sgemmPacked behind gemm's signature (test-only binding).
const gemmPacked = (addon<{ _gemmPacked: GemmFn }>()._gemmPacked) as GemmFn;

function run(c: GemmCase, fn: GemmFn = gemm): Float32Array {
  const C = c.C0.slice();
  fn(c.tA, c.tB, c.M, c.N, c.K, c.alpha, c.A, c.B, c.beta, C);
  return C;
}

function checkAgainstReference(c: GemmCase, C: Float32Array, what: string): void {
  for (let i = 0; i < C.length; i++) {
    if (!Number.isFinite(C[i])) assert.unreachable(`${what}: element ${i} not written (${C[i]})`);
  }
  const err = maxRelErr(C, c.want);
  assert.ok(err < 1e-4, `${what}: max relative error ${err}`);
}

const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);
const flags = [false, true];

// Shapes around the register tiles (6 x 16 portable/AVX2, 14 x 32 AVX-512) and the cache
// blocks (256 deep / 144 rows; AVX-512 192 deep / 504 rows).
const shapes: Array<[number, number, number]> = [
  [1, 1, 1], [1, 17, 5], [7, 1, 13], [13, 17, 19], [6, 16, 256], [5, 15, 257], [14, 32, 192], [15, 33, 193],
  [97, 131, 300], [145, 33, 513], [505, 40, 3],
];
const scalars: Array<[number, number]> = [[1, 0], [0.75, 0], [-1.25, 0.5], [1, 1]];

function sweep(path: string): void {
  let seed = 1;
  for (const [M, N, K] of shapes) {
    for (const tA of flags) {
      for (const tB of flags) {
        const [alpha, beta] = scalars[seed % scalars.length];
        const c = gemmCase(seed++, tA, tB, M, N, K, alpha, beta);
        checkAgainstReference(c, run(c), `${path} ${c.label}`);
        checkAgainstReference(c, run(c, gemmPacked), `${path} packed ${c.label}`);
      }
    }
  }
  // One product larger than a cache block in every dimension.
  const big = gemmCase(99, false, true, 300, 520, 270, 0.5, 0);
  checkAgainstReference(big, run(big), `${path} ${big.label}`);
}

test('matches the float64 reference: shapes, transposes, alpha/beta, on every SIMD path', () => {
  forEachSimd((level) => sweep(level));
  assert.is(backend().simd, backend().simdHardware);
});

test('packB + sgemmPacked gives the same bits as sgemm, on every SIMD path', () => {
  forEachSimd((level) => {
    for (const [M, N, K] of [[32, 256, 64], [128, 256, 64], [97, 131, 300], [29, 70, 400]]) {
      const c = gemmCase(M + N + K, false, true, M, N, K, 1, 0.5);
      assert.equal(bits(run(c, gemmPacked)), bits(run(c)), `${level} ${c.label}`);
    }
  });
});

test('bit-identical results for 1, 2 and 3 threads, on every SIMD path', () => {
  const before = getNumThreads();
  const cases = [
    gemmCase(7, false, false, 97, 131, 300, 1, 0), // split over rows
    gemmCase(8, true, true, 8, 600, 70, -0.5, 2), // few rows: split over columns
    gemmCase(9, false, true, 128, 256, 64, 1, 1), // LSTM-sized
    gemmCase(10, true, false, 300, 200, 530, 1, 0), // several k blocks
    gemmCase(12, false, false, 1100, 70, 200, 1, 0.5), // several row blocks per thread
  ];
  try {
    forEachSimd((level) => {
      for (const c of cases) {
        setNumThreads(1);
        const one = run(c);
        const onePacked = run(c, gemmPacked);
        for (const t of [2, 3]) {
          setNumThreads(t);
          assert.equal(bits(run(c)), bits(one), `${t} threads, ${level}, ${c.label}`);
          assert.equal(bits(run(c, gemmPacked)), bits(onePacked), `${t} threads packed, ${level}`);
        }
      }
    });
  } finally {
    setNumThreads(before);
  }
});

test('gemmAsync resolves with the same result', async () => {
  const c = gemmCase(11, true, false, 64, 48, 80, 1.5, -0.5);
  const want = run(c);
  const C = c.C0.slice();
  const p = gemmAsync(c.tA, c.tB, c.M, c.N, c.K, c.alpha, c.A, c.B, c.beta, C);
  assert.instance(p, Promise);
  assert.is(await p, undefined);
  assert.equal(bits(C), bits(want));
  // Two in flight at once on the pool (regions are serialised, results unaffected).
  const C1 = c.C0.slice();
  const C2 = c.C0.slice();
  await Promise.all([
    gemmAsync(c.tA, c.tB, c.M, c.N, c.K, c.alpha, c.A, c.B, c.beta, C1),
    gemmAsync(c.tA, c.tB, c.M, c.N, c.K, c.alpha, c.A, c.B, c.beta, C2),
  ]);
  assert.equal(bits(C1), bits(want));
  assert.equal(bits(C2), bits(want));
});

test('bad arguments throw TypeError / RangeError (sync) and reject (async)', async () => {
  const M = 3, N = 4, K = 5;
  const A = new Float32Array(M * K).fill(1);
  const B = new Float32Array(K * N).fill(1);
  const C = () => new Float32Array(M * N);
  type Args = Parameters<typeof gemm>;
  const good = (): Args => [false, false, M, N, K, 1, A, B, 0, C()];
  const withArg = (i: number, v: unknown): Args => {
    const a = good() as unknown[];
    a[i] = v;
    return a as Args;
  };
  const detached = () => {
    const x = new Float32Array(M * K).fill(1);
    structuredClone(x.buffer, { transfer: [x.buffer] });
    return x;
  };
  const nanA = A.slice();
  nanA[7] = Number.NaN;
  const infB = B.slice();
  infB[0] = Number.POSITIVE_INFINITY;
  const nanC = new Float32Array(M * N).fill(Number.NaN);
  const shared = new Float32Array(M * K + M * N).fill(1);
  const bad: Array<[string, Args, ErrorConstructor, RegExp]> = [
    ['transA not boolean', withArg(0, 1), TypeError, /transA must be a boolean/],
    ['transB not boolean', withArg(1, 'yes'), TypeError, /transB must be a boolean/],
    ['M zero', withArg(2, 0), RangeError, /M must be an integer/],
    ['N negative', withArg(3, -4), RangeError, /N must be an integer/],
    ['K fractional', withArg(4, 2.5), RangeError, /K must be an integer/],
    ['K NaN', withArg(4, Number.NaN), RangeError, /K must be/],
    ['M not a number', withArg(2, '3'), TypeError, /M must be a number/],
    ['alpha NaN', withArg(5, Number.NaN), RangeError, /alpha must be a finite number/],
    ['alpha beyond float', withArg(5, 1e39), RangeError, /alpha/],
    ['beta not a number', withArg(8, null), TypeError, /beta must be a number/],
    ['A wrong type', withArg(6, new Float64Array(M * K)), TypeError, /A must be a Float32Array/],
    ['A plain array', withArg(6, Array.from(A)), TypeError, /A must be a Float32Array/],
    ['A too short', withArg(6, A.subarray(1)), RangeError, /A must be a Float32Array of length 15/],
    ['B too long', withArg(7, new Float32Array(K * N + 1)), RangeError, /B must be a Float32Array of length 20/],
    ['C too short', withArg(9, new Float32Array(M * N - 1)), RangeError, /C must be a Float32Array of length 12/],
    ['C missing', withArg(9, undefined), TypeError, /C must be a Float32Array/],
    ['A with NaN', withArg(6, nanA), RangeError, /A must hold finite numbers/],
    ['B with Infinity', withArg(7, infB), RangeError, /B must hold finite numbers/],
    ['C with NaN read (beta != 0)', [false, false, M, N, K, 1, A, B, 0.5, nanC], RangeError, /C must hold finite/],
    ['A detached', withArg(6, detached()), TypeError, /detached/],
    ['C overlaps A', [false, false, M, N, K, 1, shared.subarray(0, M * K), B, 0, shared.subarray(M * K - 1, M * K - 1 + M * N)], RangeError, /share memory/],
    ['transposed sizes swapped', [true, false, M, N, K, 1, new Float32Array(K * M + 1), B, 0, C()], RangeError, /A must be/],
  ];
  for (const [what, args, cls, msg] of bad) {
    assert.throws(() => gemm(...args), (e: Error) => e instanceof cls && msg.test(e.message), `sync: ${what}`);
    let rejected: unknown = null;
    await gemmAsync(...args).catch((e) => (rejected = e));
    assert.ok(rejected instanceof cls && msg.test((rejected as Error).message), `async: ${what}: ${rejected}`);
  }
  // The good call still works after all that.
  const out = C();
  gemm(...good().slice(0, 9) as [boolean, boolean, number, number, number, number, Float32Array, Float32Array, number], out);
  assert.ok(out.every((v) => v === K));
});

test.run();
