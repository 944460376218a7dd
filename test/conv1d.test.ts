import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejectsError, throwsError } from './helpers/errors.ts';
import {
  conv1dBackward, conv1dBackwardAsync, conv1dForward, conv1dForwardAsync, conv1dOutputLength, type Conv1dPadding,
  type Conv1dShape,
} from '../ts/bindings/conv1d.ts';
import { getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import { forEachSimd } from './helpers/simd.ts';
import { allWritten, detached, gradRelErr, maxRelErr, nanF32, numericGrad, randomF32, rng } from './helpers/random.ts';
import { conv1dBackwardRef, conv1dRef } from './reference/conv1d.ts';

const PADDINGS: Conv1dPadding[] = ['causal', 'same', 'valid'];

function shape(B: number, T: number, C: number, O: number, K: number, d: number, padding: Conv1dPadding): Conv1dShape {
  return { batch: B, time: T, inChannels: C, outChannels: O, kernelSize: K, dilation: d, padding };
}
const outLen = (s: Conv1dShape) => conv1dOutputLength(s);
const sizes = (s: Conv1dShape) => ({
  x: s.batch * s.time * s.inChannels,
  w: s.outChannels * s.inChannels * s.kernelSize,
  y: s.batch * outLen(s) * s.outChannels,
});
const label = (s: Conv1dShape) =>
  `B${s.batch} T${s.time} C${s.inChannels} O${s.outChannels} K${s.kernelSize} d${s.dilation} ${s.padding}`;

// Edge cases named by the task, then seeded random shapes; every padding for each.
function cases(seed: number, random: number): Conv1dShape[] {
  const fixed: Array<[number, number, number, number, number, number]> = [
    [1, 1, 1, 1, 1, 1], // all ones
    [2, 5, 3, 4, 1, 1], // kernel size 1
    [1, 4, 2, 3, 3, 7], // dilation longer than the sequence
    [2, 1, 5, 6, 3, 2], // length 1
    [1, 9, 7, 13, 2, 3], // batch 1, channels not multiples of 8
    [3, 17, 9, 35, 3, 2], // past one 32-wide AVX-512 column block, a partial row tile
  ];
  const r = rng(seed);
  const pick = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const dims = [...fixed];
  for (let i = 0; i < random; i++) dims.push([pick(1, 3), pick(1, 12), pick(1, 10), pick(1, 11), pick(1, 4), pick(1, 5)]);
  const out: Conv1dShape[] = [];
  for (const [B, T, C, O, K, d] of dims) {
    for (const p of PADDINGS) {
      const s = shape(B, T, C, O, K, d, p);
      if (outLen(s) >= 1) out.push(s);
    }
  }
  return out;
}

test('forward matches the float64 reference on every SIMD path, with and without bias', () => {
  const r = rng(61);
  const all = cases(62, 8);
  assert.ok(all.length > 30);
  const inputs = all.map((s) => {
    const n = sizes(s);
    return { s, x: randomF32(r, n.x), W: randomF32(r, n.w), b: randomF32(r, s.outChannels) };
  });
  forEachSimd((level) => {
    for (const { s, x, W, b } of inputs) {
      for (const bias of [b, null]) {
        const y = nanF32(sizes(s).y);
        conv1dForward(s, x, W, bias, y);
        assert.ok(allWritten(y), `${level} ${label(s)}: every output written`);
        assert.ok(maxRelErr(y, conv1dRef(s, x, W, bias)) < 1e-5, `${level} ${label(s)}`);
      }
    }
  });
});

test('backward dX, dW, db match finite differences of sum(y * g) on every SIMD path', () => {
  const r = rng(63);
  const checked = cases(64, 4).map((s) => {
    const n = sizes(s);
    const x = randomF32(r, n.x), W = randomF32(r, n.w), b = randomF32(r, s.outChannels), g = randomF32(r, n.y);
    const dot = (y: Float64Array) => y.reduce((acc, v, i) => acc + v * g[i], 0);
    const fd = {
      dX: numericGrad((v) => dot(conv1dRef(s, v, W, b)), Float64Array.from(x)),
      dW: numericGrad((v) => dot(conv1dRef(s, x, v, b)), Float64Array.from(W)),
      db: numericGrad((v) => dot(conv1dRef(s, x, W, v)), Float64Array.from(b)),
    };
    return { s, x, W, g, fd };
  });
  forEachSimd((level) => {
    for (const { s, x, W, g, fd } of checked) {
      const n = sizes(s);
      const dX = nanF32(n.x), dW = nanF32(n.w), db = nanF32(s.outChannels);
      conv1dBackward(s, x, W, g, dX, dW, db);
      assert.ok(allWritten(dX) && allWritten(dW) && allWritten(db), `${level} ${label(s)}: every gradient written`);
      assert.ok(gradRelErr(dX, fd.dX) < 1e-3, `${level} dX ${label(s)}`);
      assert.ok(gradRelErr(dW, fd.dW) < 1e-3, `${level} dW ${label(s)}`);
      assert.ok(gradRelErr(db, fd.db) < 1e-3, `${level} db ${label(s)}`);
    }
  });
});

test('backward matches the exact reference at sizes with several work units and gradient groups', () => {
  const r = rng(65);
  // T = 1100 splits each sequence into several weight-gradient units, summed through partials.
  // C = 45 gives a full and a partial column block of the weight-gradient tile on every path.
  const shapes = [
    shape(3, 1100, 5, 6, 3, 3, 'causal'), shape(2, 300, 19, 40, 4, 2, 'same'), shape(5, 40, 8, 8, 5, 1, 'valid'),
    shape(2, 70, 45, 30, 3, 2, 'causal'),
  ];
  for (const s of shapes) {
    const n = sizes(s);
    const x = randomF32(r, n.x), W = randomF32(r, n.w), g = randomF32(r, n.y);
    const ref = conv1dBackwardRef(s, x, W, g);
    forEachSimd((level) => {
      const dX = nanF32(n.x), dW = nanF32(n.w), db = nanF32(s.outChannels);
      conv1dBackward(s, x, W, g, dX, dW, db);
      assert.ok(allWritten(dX) && allWritten(dW) && allWritten(db));
      assert.ok(maxRelErr(dX, ref.dX) < 1e-4, `${level} dX ${label(s)}`);
      assert.ok(maxRelErr(dW, ref.dW) < 1e-4, `${level} dW ${label(s)}`);
      assert.ok(maxRelErr(db, ref.db) < 1e-4, `${level} db ${label(s)}`);
    });
  }
});

test('any subset of the gradients may be skipped; the others are unchanged', () => {
  const r = rng(66);
  const s = shape(2, 13, 6, 7, 3, 2, 'causal');
  const n = sizes(s);
  const x = randomF32(r, n.x), W = randomF32(r, n.w), g = randomF32(r, n.y);
  const dX = nanF32(n.x), dW = nanF32(n.w), db = nanF32(s.outChannels);
  conv1dBackward(s, x, W, g, dX, dW, db);
  const dX2 = nanF32(n.x), dW2 = nanF32(n.w), db2 = nanF32(s.outChannels);
  conv1dBackward(s, x, W, g, dX2, null, null);
  conv1dBackward(s, x, W, g, null, dW2, null);
  conv1dBackward(s, x, W, g, null, null, db2);
  assert.equal(dX2, dX);
  assert.equal(dW2, dW);
  assert.equal(db2, db);
  // Gradients overwrite: a second call gives the same values, not twice them.
  conv1dBackward(s, x, W, g, dX2, dW2, db2);
  assert.equal(dW2, dW);
  assert.equal(db2, db);
});

test('bit-identical for 1, 2 and 3 threads', () => {
  const r = rng(67);
  const shapes = [shape(5, 300, 13, 37, 3, 2, 'causal'), shape(1, 2100, 9, 20, 2, 5, 'same'), shape(40, 64, 16, 16, 3, 4, 'valid')];
  const before = getNumThreads();
  try {
    for (const s of shapes) {
      const n = sizes(s);
      const x = randomF32(r, n.x), W = randomF32(r, n.w), b = randomF32(r, s.outChannels), g = randomF32(r, n.y);
      const runs: Float32Array[][] = [];
      for (const t of [1, 2, 3]) {
        setNumThreads(t);
        const y = nanF32(n.y), dX = nanF32(n.x), dW = nanF32(n.w), db = nanF32(s.outChannels);
        conv1dForward(s, x, W, b, y);
        conv1dBackward(s, x, W, g, dX, dW, db);
        runs.push([y, dX, dW, db]);
      }
      for (let k = 0; k < 4; k++) {
        assert.equal(runs[1][k], runs[0][k], `${label(s)} output ${k}, 2 threads`);
        assert.equal(runs[2][k], runs[0][k], `${label(s)} output ${k}, 3 threads`);
      }
    }
  } finally {
    setNumThreads(before);
  }
});

interface TorchCase {
  padding: Conv1dPadding;
  B: number; T: number; Cin: number; Cout: number; K: number; dilation: number;
  x: number[]; W: number[]; b: number[] | null; y: number[]; g: number[]; dX: number[]; dW: number[]; db: number[] | null;
}

test('matches torch.nn.functional.conv1d (causal, same, valid) and its autograd gradients', () => {
  const fx = JSON.parse(readFileSync(new URL('./fixtures/conv1d_torch.json', import.meta.url), 'utf8')) as TorchCase[];
  assert.ok(fx.length >= 8);
  assert.equal(new Set(fx.map((c) => c.padding)), new Set(PADDINGS));
  forEachSimd((level) => {
    for (const c of fx) {
      const s = shape(c.B, c.T, c.Cin, c.Cout, c.K, c.dilation, c.padding);
      const n = sizes(s);
      const x = Float32Array.from(c.x), W = Float32Array.from(c.W), b = c.b ? Float32Array.from(c.b) : null;
      const y = nanF32(n.y);
      conv1dForward(s, x, W, b, y);
      assert.is(y.length, c.y.length);
      assert.ok(maxRelErr(y, c.y) < 1e-5, `${level} y ${label(s)}`);
      const dX = nanF32(n.x), dW = nanF32(n.w), db = nanF32(s.outChannels);
      conv1dBackward(s, x, W, Float32Array.from(c.g), dX, dW, db);
      assert.ok(maxRelErr(dX, c.dX) < 1e-5, `${level} dX ${label(s)}`);
      assert.ok(maxRelErr(dW, c.dW) < 1e-5, `${level} dW ${label(s)}`);
      if (c.db) assert.ok(maxRelErr(db, c.db) < 1e-5, `${level} db ${label(s)}`);
    }
  });
});

test('fused ReLU: forward equals relu(conv), backward equals the separate mask then conv, on every SIMD path', () => {
  const r = rng(69);
  const shapes = [...cases(70, 3), shape(2, 300, 19, 40, 4, 2, 'same'), shape(3, 70, 45, 30, 3, 2, 'causal')];
  const inputs = shapes.map((s) => {
    const n = sizes(s);
    return { s, x: randomF32(r, n.x), W: randomF32(r, n.w), b: randomF32(r, s.outChannels), g: randomF32(r, n.y) };
  });
  let zeros = 0, positives = 0;
  forEachSimd((level) => {
    for (const { s, x, W, b, g } of inputs) {
      const n = sizes(s);
      const z = nanF32(n.y), y = nanF32(n.y);
      conv1dForward(s, x, W, b, z);
      conv1dForward(s, x, W, b, y, 'relu');
      assert.ok(allWritten(y), `${level} ${label(s)}: every output written`);
      assert.equal(y, z.map((v) => (v > 0 ? v : 0)), `${level} ${label(s)}: relu(conv)`);
      zeros += y.filter((v) => v === 0).length;
      positives += y.filter((v) => v > 0).length;
      // The separate path: dZ = g where y > 0, then the plain backward.
      const masked = g.map((v, i) => (y[i] > 0 ? v : 0));
      const want = [nanF32(n.x), nanF32(n.w), nanF32(s.outChannels)] as const;
      conv1dBackward(s, x, W, masked, ...want);
      const got = [nanF32(n.x), nanF32(n.w), nanF32(s.outChannels)] as const;
      const dZ = nanF32(n.y);
      conv1dBackward(s, x, W, g, ...got, { out: y, dZ });
      assert.equal(dZ, masked, `${level} ${label(s)}: dZ`);
      assert.equal(got, want, `${level} ${label(s)}: dX, dW, db`);
      // dZ may be dY itself (masked in place).
      const inPlace = Float32Array.from(g);
      const dW2 = nanF32(n.w);
      conv1dBackward(s, x, W, inPlace, null, dW2, null, { out: y, dZ: inPlace });
      assert.equal(inPlace, masked);
      assert.equal(dW2, want[1]);
    }
  });
  assert.ok(zeros > 1000 && positives > 1000, `both sides of the ReLU are exercised: ${zeros} zeros, ${positives} positive`);
});

test('the finite check finds the first NaN or infinity anywhere in a long buffer and names it', () => {
  const s = shape(4, 2000, 3, 2, 2, 1, 'causal');
  const n = sizes(s);
  const W = new Float32Array(n.w).fill(0.5), y = new Float32Array(n.y);
  for (const [at, v] of [[0, Number.NaN], [2047, Number.POSITIVE_INFINITY], [2048, Number.NEGATIVE_INFINITY], [n.x - 1, Number.NaN], [13_001, Number.NaN]] as const) {
    const x = new Float32Array(n.x).fill(3.3e38);
    x[at] = v;
    if (at === 13_001) x[20_000] = Number.POSITIVE_INFINITY; // two in different blocks: the first is named
    throwsError(() => conv1dForward(s, x, W, null, y), RangeError, new RegExp(`x must hold finite numbers, got ${String(v)} at index ${at}\\b`));
  }
  // Large finite values, subnormals and -0 pass.
  const ok = new Float32Array(n.x).fill(-3.4e38);
  ok[5] = 1e-45;
  ok[6] = -0;
  assert.not.throws(() => conv1dForward(s, ok, W, null, y));
});

test('async forms give the same results', async () => {
  const r = rng(68);
  const s = shape(3, 40, 5, 9, 3, 2, 'causal');
  const n = sizes(s);
  const x = randomF32(r, n.x), W = randomF32(r, n.w), b = randomF32(r, s.outChannels), g = randomF32(r, n.y);
  const y1 = nanF32(n.y), y2 = nanF32(n.y);
  conv1dForward(s, x, W, b, y1);
  await conv1dForwardAsync(s, x, W, b, y2);
  assert.equal(y2, y1);
  const a = [nanF32(n.x), nanF32(n.w), nanF32(s.outChannels)];
  const c = [nanF32(n.x), nanF32(n.w), nanF32(s.outChannels)];
  conv1dBackward(s, x, W, g, a[0], a[1], a[2]);
  await conv1dBackwardAsync(s, x, W, g, c[0], c[1], c[2]);
  assert.equal(c, a);
});

test('bad arguments throw TypeError/RangeError naming the argument', async () => {
  const s = shape(2, 6, 3, 4, 3, 2, 'causal');
  const n = sizes(s);
  const x = new Float32Array(n.x).fill(0.5), W = new Float32Array(n.w).fill(0.25), b = new Float32Array(4), y = new Float32Array(n.y);
  const g = new Float32Array(n.y).fill(1);
  const fwd = (sh: unknown, ...a: unknown[]) => () => (conv1dForward as (...a: unknown[]) => void)(sh, ...a);
  const bwd = (sh: unknown, ...a: unknown[]) => () => (conv1dBackward as (...a: unknown[]) => void)(sh, ...a);
  assert.not.throws(fwd(s, x, W, b, y));
  assert.not.throws(bwd(s, x, W, g, null, null, null));
  // Sizes: zero, negative, fractional, NaN, wrong type.
  throwsError(fwd({ ...s, batch: 0 }, x, W, b, y), RangeError, /batch/);
  throwsError(fwd({ ...s, time: -6 }, x, W, b, y), RangeError, /time/);
  throwsError(fwd({ ...s, inChannels: 2.5 }, x, W, b, y), RangeError, /inChannels/);
  throwsError(fwd({ ...s, outChannels: Number.NaN }, x, W, b, y), RangeError, /outChannels/);
  throwsError(fwd({ ...s, kernelSize: 0 }, x, W, b, y), RangeError, /kernelSize/);
  throwsError(fwd({ ...s, dilation: 0 }, x, W, b, y), RangeError, /dilation/);
  throwsError(fwd({ ...s, dilation: '2' }, x, W, b, y), TypeError, /dilation/);
  throwsError(fwd({ ...s, padding: 'full' }, x, W, b, y), RangeError, /padding/);
  throwsError(fwd({ ...s, padding: 1 }, x, W, b, y), TypeError, /padding/);
  throwsError(fwd(null, x, W, b, y), TypeError);
  // 'valid' needs time >= (K - 1) * d + 1 = 5.
  throwsError(fwd({ ...s, time: 4, padding: 'valid' }, new Float32Array(24), W, b, new Float32Array(0)), RangeError, /valid/);
  assert.not.throws(fwd({ ...s, time: 5, padding: 'valid' }, new Float32Array(30), W, b, new Float32Array(8)));
  // Buffers: length, type, NaN/Infinity, detached.
  throwsError(fwd(s, x.subarray(1), W, b, y), RangeError, /x/);
  throwsError(fwd(s, x, new Float32Array(n.w + 1), b, y), RangeError, /W/);
  throwsError(fwd(s, x, W, new Float32Array(5), y), RangeError, /\bb\b/);
  throwsError(fwd(s, x, W, b, new Float32Array(n.y - 1)), RangeError, /\by\b/);
  throwsError(fwd(s, Array.from(x), W, b, y), TypeError, /x/);
  throwsError(fwd(s, x, new Float64Array(n.w), b, y), TypeError, /W/);
  throwsError(fwd(s, x, W, 'b', y), TypeError, /\bb\b/);
  throwsError(fwd(s, Float32Array.from(x).fill(Number.NaN, 3, 4), W, b, y), RangeError, /x/);
  throwsError(fwd(s, x, Float32Array.from(W).fill(Number.POSITIVE_INFINITY, 0, 1), b, y), RangeError, /W/);
  throwsError(fwd(s, detached(n.x), W, b, y), TypeError, /detached/);
  throwsError(fwd(s, x, W, b, detached(n.y)), TypeError, /detached/);
  throwsError(bwd(s, x, W, new Float32Array(n.y + 1), null, null, null), RangeError, /dY/);
  throwsError(bwd(s, x, W, Float32Array.from(g).fill(Number.NaN, 0, 1), null, null, null), RangeError, /dY/);
  throwsError(bwd(s, x, W, g, new Float32Array(n.x - 1), null, null), RangeError, /dX/);
  throwsError(bwd(s, x, W, g, null, new Float32Array(n.w + 2), null), RangeError, /dW/);
  throwsError(bwd(s, x, W, g, null, null, new Float64Array(4)), TypeError, /db/);
  throwsError(bwd(s, x, W, g, null, null, detached(4)), TypeError, /detached/);
  throwsError(bwd(s, x, W, null, null, null, null), TypeError, /dY/);
  throwsError(bwd({ ...s, time: 4, padding: 'valid' }, new Float32Array(24), W, new Float32Array(0), null, null, null), RangeError, /valid/);
  // Async forms reject with the same classes.
  // The fused ReLU: activation names, reluOut and dZ lengths, dZ only with reluOut.
  throwsError(fwd(s, x, W, b, y, 'tanh'), RangeError, /activation must be one of 'linear', 'relu'/);
  throwsError(fwd(s, x, W, b, y, 1), TypeError, /activation/);
  throwsError(() => (conv1dBackward as (...a: unknown[]) => void)(s, x, W, g, null, null, null, { out: new Float32Array(n.y - 1), dZ: new Float32Array(n.y) }), RangeError, /reluOut/);
  throwsError(() => (conv1dBackward as (...a: unknown[]) => void)(s, x, W, g, null, null, null, { out: y, dZ: new Float32Array(2) }), RangeError, /dZ/);
  throwsError(() => (conv1dBackward as (...a: unknown[]) => void)(s, x, W, g, null, null, null, { out: y }), TypeError, /dZ/);
  throwsError(() => (conv1dBackward as (...a: unknown[]) => void)(s, x, W, g, null, null, null, { out: null, dZ: y }), TypeError, /dZ is written only with reluOut/);
  await rejectsError(conv1dForwardAsync(s, x, W, b, new Float32Array(1)), RangeError);
  await rejectsError(conv1dForwardAsync({ ...s, batch: 0 }, x, W, b, y), RangeError);
  await rejectsError(conv1dBackwardAsync(s, x, W, g, null, detached(n.w), null), TypeError);
  await rejectsError(() => (conv1dBackwardAsync as (...a: unknown[]) => Promise<void>)(undefined, x, W, g, null, null, null), TypeError);
});

test.run();
