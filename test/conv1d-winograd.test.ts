// The Winograd F(4,3) forward (native/cpu/conv1d_winograd.cc), forced on every shape with
// kernelSize 3, against the float64 reference and the direct kernel.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  conv1dBackward, conv1dForward, conv1dOutputLength, setConv1dAlgorithm, type Conv1dAlgorithm, type Conv1dPadding, type Conv1dShape,
} from '../ts/bindings/conv1d.ts';
import { backend, getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import { forEachSimd } from './helpers/simd.ts';
import { allWritten, maxRelErr, nanF32, randomF32, rng } from './helpers/random.ts';
import { conv1dBackwardRef, conv1dRef } from './reference/conv1d.ts';

const PADDINGS: Conv1dPadding[] = ['causal', 'same', 'valid'];
// Float32 error grows with the magnitudes the sums add up, not with what they cancel to. Winograd
// mixes the six input rows of a tile (outputs t, t+d, t+2d, t+3d read rows t-pad+j*d, j < 6)
// before the products, so an output's error scales with that whole window, not only with the three
// rows it reads: one step 1e4 times its neighbours gives the other outputs of its tile ~8e-4 of
// their own sum |W x| (the direct kernel: ~3e-7). The bound is therefore relative to
// windowScale; the worst seen over 300+ shapes, 1 to 200 channels, with and without such a step,
// was 7.9e-7 (forward) and 1.2e-6 (dX).
const TOL = 2e-6;

/**
 * Per output of a pass over `inp` [B, Tin, Cin] (weights w(j, c, k), j < Cout): |bias[j]| + sum over
 * the rows r of the output's tile window inside [0, Tin) of sum_c |inp[r, c]| max_k |w(j, c, k)|.
 */
function windowScale(B: number, Tin: number, Cin: number, Tout: number, Cout: number, d: number, pad: number,
  inp: Float32Array, wmax: (j: number, c: number) => number, bias: Float32Array | null): Float64Array {
  const wm = Float64Array.from({ length: Cout * Cin }, (_, i) => wmax(Math.floor(i / Cin), i % Cin));
  const out = new Float64Array(B * Tout * Cout);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Tout; t++) {
      const start = Math.floor(t / (4 * d)) * 4 * d + (t % d) - pad;
      for (let j = 0; j < Cout; j++) {
        let a = bias ? Math.abs(bias[j]) : 0;
        for (let k = 0; k < 6; k++) {
          const r = start + k * d;
          if (r < 0 || r >= Tin) continue;
          for (let c = 0; c < Cin; c++) a += Math.abs(inp[(b * Tin + r) * Cin + c]) * wm[j * Cin + c];
        }
        out[(b * Tout + t) * Cout + j] = a;
      }
    }
  }
  return out;
}
const wmaxOf = (W: Float32Array, C: number) => (o: number, c: number) =>
  Math.max(Math.abs(W[(o * C + c) * 3]), Math.abs(W[(o * C + c) * 3 + 1]), Math.abs(W[(o * C + c) * 3 + 2]));
const span = (s: Conv1dShape) => 2 * s.dilation;
const padLeft = (s: Conv1dShape) => (s.padding === 'causal' ? span(s) : s.padding === 'same' ? Math.floor(span(s) / 2) : 0);

/** Largest |y - ref| / windowScale over the forward's outputs. */
function scaledErr(s: Conv1dShape, y: Float32Array, ref: Float64Array, x: Float32Array, W: Float32Array, b: Float32Array | null): number {
  const C = s.inChannels, O = s.outChannels;
  const scale = windowScale(s.batch, s.time, C, conv1dOutputLength(s), O, s.dilation, padLeft(s), x, wmaxOf(W, C), b);
  let worst = 0;
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - ref[i]) / Math.max(scale[i], 1e-30));
  return worst;
}

/** The same for dX: the pass over dY with the kernel flipped and the padding mirrored. */
function scaledErrDx(s: Conv1dShape, dX: Float32Array, ref: Float64Array, g: Float32Array, W: Float32Array): number {
  const C = s.inChannels, O = s.outChannels, w = wmaxOf(W, C);
  const scale = windowScale(s.batch, conv1dOutputLength(s), O, s.time, C, s.dilation, span(s) - padLeft(s), g, (c, o) => w(o, c), null);
  let worst = 0;
  for (let i = 0; i < dX.length; i++) worst = Math.max(worst, Math.abs(dX[i] - ref[i]) / Math.max(scale[i], 1e-30));
  return worst;
}

/** x with step t of sequence 0 scaled by `by` (all channels): the neighbours of a large step. */
function withStep(x: Float32Array, C: number, t: number, by: number): Float32Array {
  const out = x.slice();
  for (let c = 0; c < C; c++) out[t * C + c] *= by;
  return out;
}

function shape(B: number, T: number, C: number, O: number, d: number, padding: Conv1dPadding): Conv1dShape {
  return { batch: B, time: T, inChannels: C, outChannels: O, kernelSize: 3, dilation: d, padding };
}
const label = (s: Conv1dShape) => `B${s.batch} T${s.time} C${s.inChannels} O${s.outChannels} d${s.dilation} ${s.padding}`;

function withAlgorithm<T>(a: Conv1dAlgorithm, fn: () => T): T {
  const prev = setConv1dAlgorithm(a);
  try {
    return fn();
  } finally {
    setConv1dAlgorithm(prev);
  }
}

const relu = (y: Float64Array) => y.map((v) => Math.max(v, 0));

// Edge cases (T below, at and around multiples of the tile, dilation past T, odd channel counts,
// several units and column blocks), then seeded random ones.
function cases(): Conv1dShape[] {
  const dims: Array<[number, number, number, number, number]> = [
    [1, 1, 1, 1, 1], [1, 2, 3, 2, 1], [1, 3, 5, 7, 1], [1, 5, 7, 9, 2], [2, 4, 3, 5, 1], [1, 6, 2, 3, 3],
    [1, 4, 6, 5, 9], [1, 9, 17, 33, 4], [2, 23, 31, 35, 3], [1, 37, 9, 17, 1], [2, 70, 13, 40, 2],
    [1, 290, 24, 64, 1], [3, 257, 20, 33, 8],
  ];
  const r = rng(71);
  const pick = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  for (let i = 0; i < 10; i++) dims.push([pick(1, 3), pick(1, 40), pick(1, 40), pick(1, 40), pick(1, 6)]);
  const out: Conv1dShape[] = [];
  for (const [B, T, C, O, d] of dims) {
    for (const p of PADDINGS) {
      const s = shape(B, T, C, O, d, p);
      if (conv1dOutputLength(s) >= 1) out.push(s);
    }
  }
  return out;
}

test('Winograd forward matches the float64 reference, bias or not, linear or ReLU, every output written', () => {
  const r = rng(72);
  const inputs = cases().flatMap((s, i) => {
    const W = randomF32(r, s.outChannels * s.inChannels * 3), b = randomF32(r, s.outChannels);
    const x = randomF32(r, s.batch * s.time * s.inChannels);
    // Every third shape also with a large step in the middle (the error bound's reason).
    return i % 3 === 0 ? [{ s, x, W, b }, { s, x: withStep(x, s.inChannels, s.time >> 1, 1e4), W, b }] : [{ s, x, W, b }];
  });
  assert.ok(inputs.length > 50);
  let worst = 0;
  withAlgorithm('winograd', () => forEachSimd((level) => {
    for (const { s, x, W, b } of inputs) {
      for (const bias of [b, null]) {
        const ref = conv1dRef(s, x, W, bias);
        for (const act of ['linear', 'relu'] as const) {
          const y = nanF32(s.batch * conv1dOutputLength(s) * s.outChannels);
          conv1dForward(s, x, W, bias, y, act);
          assert.ok(allWritten(y), `${level} ${act} ${label(s)}: every output written`);
          const err = scaledErr(s, y, act === 'relu' ? relu(ref) : ref, x, W, bias);
          worst = Math.max(worst, err);
          assert.ok(err < TOL, `${level} ${act} ${label(s)}: ${err}`);
        }
      }
    }
  }));
  assert.ok(worst > 0, 'the checks compared something');
});

test('Winograd input gradient matches the float64 reference, every element written; dW and db unchanged', () => {
  const r = rng(74);
  const inputs = cases().filter((_, i) => i % 2 === 0).map((s, i) => {
    const nx = s.batch * s.time * s.inChannels, Tout = conv1dOutputLength(s), ny = s.batch * Tout * s.outChannels;
    const x = randomF32(r, nx), W = randomF32(r, s.outChannels * s.inChannels * 3), r0 = randomF32(r, ny);
    const g = i % 3 === 0 ? withStep(r0, s.outChannels, Tout >> 1, 1e4) : r0;
    return { s, x, W, g, ref: conv1dBackwardRef(s, x, W, g) };
  });
  assert.ok(inputs.length > 25);
  withAlgorithm('winograd', () => forEachSimd((level) => {
    for (const { s, x, W, g, ref } of inputs) {
      const dX = nanF32(x.length), dW = nanF32(W.length), db = nanF32(s.outChannels);
      conv1dBackward(s, x, W, g, dX, dW, db);
      assert.ok(allWritten(dX), `${level} ${label(s)}: every element of dX written`);
      const worst = scaledErrDx(s, dX, ref.dX, g, W);
      assert.ok(worst < TOL, `${level} dX ${label(s)}: ${worst}`);
      assert.ok(maxRelErr(dW, ref.dW) < 1e-4 && maxRelErr(db, ref.db) < 1e-4, `${level} dW, db ${label(s)}`);
    }
  }));
});

test('Winograd forward and input gradient are bit-identical at 1 and 2 threads', () => {
  // 8 x 2048 steps at 64 channels: 64 units of tiles, several per chunk, so 2 threads do split them.
  const r = rng(75);
  const s = shape(8, 2048, 64, 64, 2, 'same');
  const x = randomF32(r, 8 * 2048 * 64), W = randomF32(r, 64 * 64 * 3, -0.1, 0.1), b = randomF32(r, 64);
  const before = getNumThreads();
  try {
    withAlgorithm('winograd', () => {
      const run = (threads: number) => {
        setNumThreads(threads);
        const y = nanF32(x.length), dX = nanF32(x.length);
        conv1dForward(s, x, W, b, y, 'relu');
        conv1dBackward(s, x, W, y, dX, null, null);
        return { y, dX };
      };
      const one = run(1), two = run(2);
      assert.ok(allWritten(one.y) && allWritten(one.dX));
      // The input gradient did take the Winograd path (the direct one rounds differently).
      const direct = nanF32(x.length);
      withAlgorithm('direct', () => conv1dBackward(s, x, W, one.y, direct, null, null));
      if (backend().simd !== 'generic') assert.ok(maxRelErr(one.dX, direct) > 0, 'dX on the Winograd path');
      assert.equal(two.y, one.y);
      assert.equal(two.dX, one.dX);
    });
  } finally {
    setNumThreads(before);
  }
});

test('Winograd and direct forwards agree, and auto picks the one the shape calls for', () => {
  const r = rng(73);
  // The first meets every auto condition (Cin >= 16, >= 256 output rows, >= 16 d steps); the
  // second has 129 rows, the third 120. The two kernels round differently, so a path that silently
  // ran the direct kernel under 'winograd' shows as bit-equal outputs.
  const shapes: Array<[Conv1dShape, boolean]> = [
    [shape(2, 200, 64, 64, 4, 'causal'), true], [shape(1, 129, 48, 20, 1, 'same'), false], [shape(2, 64, 16, 16, 2, 'valid'), false],
  ];
  for (const [s, autoWino] of shapes) {
    const x = randomF32(r, s.batch * s.time * s.inChannels), W = randomF32(r, s.outChannels * s.inChannels * 3);
    const b = randomF32(r, s.outChannels);
    const n = s.batch * conv1dOutputLength(s) * s.outChannels;
    forEachSimd((level) => {
      const run = (a: Conv1dAlgorithm) => withAlgorithm(a, () => {
        const y = nanF32(n);
        conv1dForward(s, x, W, b, y, 'relu');
        return y;
      });
      const direct = run('direct'), wino = run('winograd'), auto = run('auto');
      const ref = relu(conv1dRef(s, x, W, b));
      assert.ok(scaledErr(s, wino, ref, x, W, b) < TOL && scaledErr(s, direct, ref, x, W, b) < TOL, `${level} ${label(s)}`);
      const simd = level !== 'generic';
      assert.is(maxRelErr(wino, direct) > 0, simd, `${level} ${label(s)}: 'winograd' ran the Winograd kernel`);
      assert.is(maxRelErr(auto, simd && autoWino ? wino : direct), 0, `${level} ${label(s)}: auto's choice`);
    });
  }
});

test('Winograd forward matches the torch.nn.functional.conv1d fixtures within their 1e-5', () => {
  // Small channel counts (<= 9) keep sum |W x| near |y|, so the direct kernel's fixture bound holds.
  interface TorchCase {
    padding: Conv1dPadding; B: number; T: number; Cin: number; Cout: number; K: number; dilation: number;
    x: number[]; W: number[]; b: number[] | null; y: number[];
  }
  const fx = JSON.parse(readFileSync(new URL('./fixtures/conv1d_torch.json', import.meta.url), 'utf8')) as TorchCase[];
  const k3 = fx.filter((c) => c.K === 3);
  assert.ok(k3.length >= 4);
  withAlgorithm('winograd', () => forEachSimd((level) => {
    for (const c of k3) {
      const s = shape(c.B, c.T, c.Cin, c.Cout, c.dilation, c.padding);
      const y = nanF32(c.y.length);
      conv1dForward(s, Float32Array.from(c.x), Float32Array.from(c.W), c.b ? Float32Array.from(c.b) : null, y);
      assert.ok(allWritten(y) && maxRelErr(y, c.y) < 1e-5, `${level} ${label(s)}`);
    }
  }));
});

test.run();
