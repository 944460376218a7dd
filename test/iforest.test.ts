// Isolation-forest kernels (ts/bindings/iforest.ts): the grown trees' structure, scores against a
// plain walk of the layout, determinism (seeds, threads, SIMD paths, tree chunks) and bad input.
import { test } from 'uvu';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as assert from 'uvu/assert';
import {
  averagePathLength, createForest, forestHeight, iforestFit, iforestFitAsync, iforestScore, iforestScoreAsync, PackedForest,
} from '../ts/bindings/iforest.ts';
import type { Forest, GrowOptions } from '../ts/bindings/iforest.ts';
import { getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { allWritten, detached, detachedI32, nanF32, randomF32, rng } from './helpers/random.ts';
import { forEachSimd } from './helpers/simd.ts';

const FLT_MAX = 3.4028234663852886e38;
const grow = (o: Partial<GrowOptions> & { maxFeatures: number }): GrowOptions => ({ bootstrap: false, seed: 1, ...o });

function fit(rows: number, cols: number, x: Float32Array, trees: number, maxSamples: number, o: GrowOptions): Forest {
  const f = createForest(trees, maxSamples);
  f.feature.fill(-7);
  f.threshold.fill(NaN);
  f.leafValue.fill(NaN);
  iforestFit(rows, cols, x, f, o);
  return f;
}

interface Leaf {
  depth: number;
  size: number;
}

/** The leaf size n with fround(depth + c(n)) = value (c is increasing), or -1. */
function leafSize(value: number, depth: number, maxSamples: number): number {
  for (let n = 1; n <= maxSamples; n++) {
    const v = Math.fround(depth + averagePathLength(n));
    if (v === value) return n;
    if (v > value) return -1;
  }
  return -1;
}

/** Reads one tree back: its leaves (depth, size recovered from the value) and split features, checking the layout. */
function inspect(f: Forest, t: number, cols: number): { leaves: Leaf[]; features: Set<number> } {
  const h = f.height;
  const inner = 2 ** h - 1;
  const F = f.feature.subarray(t * inner, (t + 1) * inner);
  const T = f.threshold.subarray(t * inner, (t + 1) * inner);
  const L = f.leafValue.subarray(t * (inner + 1), (t + 1) * (inner + 1));
  const leaves: Leaf[] = [];
  const features = new Set<number>();
  const visit = (pos: number, depth: number): void => {
    if (depth < h && T[pos] !== FLT_MAX) {
      assert.ok(F[pos] >= 0 && F[pos] < cols, `tree ${t} node ${pos}: feature ${F[pos]}`);
      assert.ok(Number.isFinite(T[pos]), `tree ${t} node ${pos}: threshold ${T[pos]}`);
      features.add(F[pos]);
      visit(2 * pos + 1, depth + 1);
      visit(2 * pos + 2, depth + 1);
      return;
    }
    // A leaf: pass-through nodes down to the bottom level, its value in every bottom slot below it.
    const rank = pos - (2 ** depth - 1);
    for (let l = depth; l < h; l++) {
      const first = 2 ** l - 1 + rank * 2 ** (l - depth);
      for (let i = first; i < first + 2 ** (l - depth); i++) assert.ok(F[i] === 0 && T[i] === FLT_MAX, `tree ${t} pass-through ${i}`);
    }
    const lo = rank * 2 ** (h - depth);
    const value = L[lo];
    for (let i = lo; i < lo + 2 ** (h - depth); i++) assert.is(L[i], value, `tree ${t} leaf slot ${i}`);
    const size = leafSize(value, depth, f.maxSamples);
    assert.ok(size >= 1, `tree ${t}: leaf value ${value} at depth ${depth} is not depth + c(n)`);
    leaves.push({ depth, size });
  };
  visit(0, 0);
  return { leaves, features };
}

/** E[h(x)] of every row by a plain walk of the layout, summed in double in tree order as the kernel does. */
function pathLengthsRef(f: Forest, rows: number, cols: number, x: Float32Array): Float32Array {
  const inner = 2 ** f.height - 1;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let t = 0; t < f.trees; t++) {
      let i = 0;
      for (let l = 0; l < f.height; l++) i = 2 * i + (x[r * cols + f.feature[t * inner + i]] <= f.threshold[t * inner + i] ? 1 : 2);
      sum += f.leafValue[t * (inner + 1) + i - inner];
    }
    out[r] = sum / f.trees;
  }
  return out;
}

test('height limit and c(n) follow scikit-learn', () => {
  assert.equal([1, 2, 3, 4, 5, 255, 256, 257].map(forestHeight), [1, 1, 2, 2, 3, 8, 8, 9]);
  assert.is(averagePathLength(0), 0);
  assert.is(averagePathLength(1), 0);
  assert.is(averagePathLength(2), 1);
  // c(256) = 2 (ln 255 + 0.5772...) - 2 * 255 / 256
  assert.ok(Math.abs(averagePathLength(256) - 10.244770920119917) < 1e-12);
});

test('grown trees: valid splits, leaves of depth + c(n) whose sizes add up to the subsample', () => {
  const r = rng(101);
  for (const [rows, cols, maxSamples, maxFeatures] of [[300, 5, 256, 5], [97, 3, 97, 3], [50, 9, 17, 4], [1000, 2, 64, 1]]) {
    const x = randomF32(r, rows * cols, -3, 3);
    const f = fit(rows, cols, x, 7, maxSamples, grow({ maxFeatures }));
    const used = new Set<number>();
    for (let t = 0; t < f.trees; t++) {
      const { leaves, features } = inspect(f, t, cols);
      assert.is(leaves.reduce((s, l) => s + l.size, 0), maxSamples, `${rows}x${cols}: tree ${t} leaf sizes`);
      // Continuous data has no ties: a leaf holds several rows only at the height limit.
      for (const l of leaves) assert.ok(l.size === 1 || l.depth === f.height, `leaf of ${l.size} rows at depth ${l.depth}`);
      assert.ok(features.size <= maxFeatures, `tree ${t} splits on ${features.size} features, maxFeatures ${maxFeatures}`);
      features.forEach((v) => used.add(v));
    }
    if (maxFeatures < cols) assert.ok(used.size > maxFeatures, 'the trees draw different feature subsets');
  }
});

test('bootstrap: each tree holds the distinct rows of its draws; constant columns are never split on', () => {
  const r = rng(102);
  const rows = 120;
  const cols = 4;
  const x = randomF32(r, rows * cols, -1, 1);
  for (let i = 0; i < rows; i++) x[i * cols + 2] = 0.25;
  const f = fit(rows, cols, x, 10, 100, grow({ maxFeatures: cols, bootstrap: true }));
  const sizes: number[] = [];
  for (let t = 0; t < f.trees; t++) {
    const { leaves, features } = inspect(f, t, cols);
    assert.not.ok(features.has(2), `tree ${t} splits on the constant column`);
    sizes.push(leaves.reduce((s, l) => s + l.size, 0));
  }
  // 100 draws from 120 rows give ~63 distinct rows.
  for (const s of sizes) assert.ok(s > 40 && s < 90, `distinct rows ${s}`);
  // All columns constant: every tree is one leaf of all its rows.
  const c = new Float32Array(30 * 2).fill(3);
  const g = fit(30, 2, c, 3, 30, grow({ maxFeatures: 2 }));
  for (let t = 0; t < 3; t++) assert.equal(inspect(g, t, 2).leaves, [{ depth: 0, size: 30 }]);
});

test('scores equal a plain walk of the layout on every SIMD path; path lengths stay in [0, height + c(maxSamples)]', () => {
  const r = rng(103);
  // Heights 8 (the default), 6, 2, 1 and 10 (deeper than the unrolled AVX-512 walk), odd row counts.
  const shapes = [[400, 6, 25, 256, 133], [64, 1, 3, 64, 1], [500, 13, 9, 33, 67], [3, 2, 4, 3, 17], [40, 2, 3, 2, 50], [700, 3, 4, 600, 150]];
  for (const [rows, cols, trees, maxSamples, n] of shapes) {
    const x = randomF32(r, rows * cols, -2, 2);
    const f = fit(rows, cols, x, trees, maxSamples, grow({ maxFeatures: cols, seed: 5 }));
    const packed = new PackedForest(f, cols);
    // Held-out rows, some far outside the training range.
    const q = randomF32(r, n * cols, -4, 4);
    const want = pathLengthsRef(f, n, cols, q);
    const c = averagePathLength(maxSamples);
    forEachSimd((level) => {
      const pl = nanF32(n);
      const score = nanF32(n);
      iforestScore(packed, n, q, pl, score);
      assert.ok(allWritten(pl) && allWritten(score), level);
      assert.equal(pl, want, `${level}: ${rows}x${cols}`);
      for (let i = 0; i < n; i++) {
        assert.ok(pl[i] >= 0 && pl[i] <= f.height + c + 1e-5, `path length ${pl[i]}`);
        assert.ok(Math.abs(score[i] - 2 ** (-want[i] / c)) < 1e-6, `${level}: score ${score[i]}`);
      }
    });
  }
});

test('forests and scores are identical for 1, 2 and 3 threads and for any split of the trees over calls', () => {
  const r = rng(104);
  const [rows, cols] = [3000, 7];
  const x = randomF32(r, rows * cols, -1, 1);
  const before = getNumThreads();
  const forests: Forest[] = [];
  const scores: Float32Array[] = [];
  try {
    for (const t of [1, 2, 3]) {
      setNumThreads(t);
      const f = fit(rows, cols, x, 37, 256, grow({ maxFeatures: 4, seed: 9 }));
      const s = nanF32(rows);
      iforestScore(new PackedForest(f, cols), rows, x, null, s);
      forests.push(f);
      scores.push(s);
    }
  } finally {
    setNumThreads(before);
  }
  for (const k of [1, 2]) {
    assert.equal(forests[k], forests[0]);
    assert.equal(scores[k], scores[0]);
  }
  const chunked = createForest(37, 256);
  for (const [first, count] of [[20, 17], [0, 5], [5, 15]]) iforestFit(rows, cols, x, chunked, grow({ maxFeatures: 4, seed: 9 }), first, count);
  assert.equal(chunked, forests[0]);
});

test('the same seed grows the same forest, another seed another one', async () => {
  const r = rng(105);
  const [rows, cols] = [500, 4];
  const x = randomF32(r, rows * cols, -1, 1);
  const a = fit(rows, cols, x, 10, 128, grow({ maxFeatures: cols, seed: 42 }));
  const b = createForest(10, 128);
  await iforestFitAsync(rows, cols, x, b, grow({ maxFeatures: cols, seed: 42 }));
  assert.equal(b, a);
  const c = fit(rows, cols, x, 10, 128, grow({ maxFeatures: cols, seed: 43 }));
  assert.not.equal(c.threshold, a.threshold);
  // Trees of one forest differ from each other too (stream = tree index).
  const inner = 2 ** a.height - 1;
  assert.not.equal(a.threshold.subarray(0, inner), a.threshold.subarray(inner, 2 * inner));
  const s1 = nanF32(rows);
  const s2 = nanF32(rows);
  const packed = new PackedForest(a, cols);
  iforestScore(packed, rows, x, s1, null);
  await iforestScoreAsync(packed, rows, x, s2, null);
  assert.equal(s2, s1);
});

test('one-row and constant tables work: a forest of one row scores 0.5', () => {
  const f = fit(1, 3, Float32Array.of(1, 2, 3), 4, 1, grow({ maxFeatures: 3 }));
  const s = nanF32(2);
  const pl = nanF32(2);
  iforestScore(new PackedForest(f, 3), 2, Float32Array.of(1, 2, 3, -5, 9, 0), pl, s);
  assert.equal(Array.from(s), [0.5, 0.5]);
  assert.equal(Array.from(pl), [0, 0]);
});

test('iforestFit rejects bad arguments', async () => {
  const x = randomF32(rng(106), 40, -1, 1);
  const f = createForest(2, 8);
  const o = grow({ maxFeatures: 4 });
  throwsError(() => iforestFit(0, 4, x, f, o), RangeError, /iforestFit: rows must be an integer/);
  throwsError(() => iforestFit(10, -1, x, f, o), RangeError, /cols must be an integer/);
  throwsError(() => iforestFit(10.5, 4, x, f, o), RangeError, /rows/);
  throwsError(() => iforestFit(10, 4, x, createForest(2, 11), o), RangeError, /maxSamples must be an integer in \[1, 10\], got 11/);
  throwsError(() => iforestFit(10, 4, x, f, grow({ maxFeatures: 5 })), RangeError, /maxFeatures must be an integer in \[1, 4\]/);
  throwsError(() => iforestFit(10, 4, x, f, grow({ maxFeatures: 0 })), RangeError, /maxFeatures/);
  throwsError(() => iforestFit(10, 4, x, f, { ...o, seed: -1 }), RangeError, /seed/);
  throwsError(() => iforestFit(10, 4, x, f, { ...o, bootstrap: 1 as unknown as boolean }), TypeError, /bootstrap must be a boolean/);
  throwsError(() => iforestFit(10, 4, x, f, o, 0, 0), RangeError, /trees/);
  throwsError(() => iforestFit(10, 4, x, f, o, 1, 2), RangeError, /feature must be an Int32Array of length/);
  throwsError(() => iforestFit(10, 4, x.subarray(1), f, o), RangeError, /x must be a Float32Array of length 40/);
  throwsError(() => iforestFit(10, 4, Array.from(x) as unknown as Float32Array, f, o), TypeError, /x must be a Float32Array/);
  const bad = Float32Array.from(x);
  bad[7] = NaN;
  throwsError(() => iforestFit(10, 4, bad, f, o), RangeError, /x must hold finite numbers, got NaN at index 7/);
  bad[7] = -Infinity;
  throwsError(() => iforestFit(10, 4, bad, f, o), RangeError, /x must hold finite numbers/);
  throwsError(() => iforestFit(10, 4, detached(40), f, o), TypeError, /x is backed by a detached ArrayBuffer/);
  throwsError(() => iforestFit(10, 4, x, { ...f, feature: detachedI32(f.feature.length) }, o), TypeError, /feature is backed by a detached/);
  throwsError(() => iforestFit(10, 4, x, { ...f, leafValue: detached(f.leafValue.length) }, o), TypeError, /leafValue is backed by a detached/);
  await rejectsError(iforestFitAsync(10, 4, detached(40), f, o), TypeError, /iforestFitAsync: x is backed by a detached/);
  await rejectsError(iforestFitAsync(0, 4, x, f, o), RangeError, /rows/);
});

test('iforestPack and iforestScore reject bad forests, rows and handles', async () => {
  const r = rng(107);
  const x = randomF32(r, 60, -1, 1);
  const f = fit(20, 3, x, 3, 16, grow({ maxFeatures: 3 }));
  throwsError(() => new PackedForest(f, 2), RangeError, /iforestPack: feature values must be in \[0, 1\]/);
  throwsError(() => new PackedForest(f, 0), RangeError, /cols/);
  throwsError(() => new PackedForest({ ...f, height: 5 }, 3), RangeError, /feature must be an Int32Array of length 93/);
  throwsError(() => new PackedForest({ ...f, height: 31 }, 3), RangeError, /height must be an integer in \[1, 30\]/);
  throwsError(() => new PackedForest({ ...f, trees: 0 }, 3), RangeError, /trees/);
  throwsError(() => new PackedForest({ ...f, maxSamples: 0 }, 3), RangeError, /maxSamples/);
  const nanLeaf = Float32Array.from(f.leafValue);
  nanLeaf[3] = NaN;
  throwsError(() => new PackedForest({ ...f, leafValue: nanLeaf }, 3), RangeError, /leafValue must hold finite numbers/);
  const infThr = Float32Array.from(f.threshold);
  infThr[0] = Infinity;
  throwsError(() => new PackedForest({ ...f, threshold: infThr }, 3), RangeError, /threshold must hold finite numbers/);
  throwsError(() => new PackedForest({ ...f, threshold: detached(f.threshold.length) }, 3), TypeError, /threshold is backed by a detached/);
  throwsError(() => new PackedForest({ ...f, feature: Float32Array.from(f.feature) as unknown as Int32Array }, 3), TypeError, /feature must be an Int32Array/);

  const packed = new PackedForest(f, 3);
  // The handle is a copy: changing the arrays afterwards changes nothing.
  const before = nanF32(20);
  iforestScore(packed, 20, x, null, before);
  f.leafValue.fill(0);
  const after = nanF32(20);
  iforestScore(packed, 20, x, null, after);
  assert.equal(after, before);

  throwsError(() => iforestScore(packed, 21, x, null, nanF32(21)), RangeError, /iforestScore: x must be a Float32Array of length 63/);
  throwsError(() => iforestScore(packed, 20, x, null, nanF32(19)), RangeError, /score must be a Float32Array of length 20/);
  throwsError(() => iforestScore(packed, 0, x, null, null), RangeError, /rows/);
  throwsError(() => iforestScore({ ...packed, cols: 4 } as PackedForest, 15, x, null, null), RangeError, /cols must be 3 \(the forest's features\), got 4/);
  throwsError(() => iforestScore({ ...packed, handle: {} } as unknown as PackedForest, 20, x, null, null), TypeError, /forest must be a forest handle/);
  throwsError(() => iforestScore({ ...packed, handle: null } as unknown as PackedForest, 20, x, null, null), TypeError, /forest handle/);
  const nanX = Float32Array.from(x);
  nanX[59] = NaN;
  throwsError(() => iforestScore(packed, 20, nanX, null, null), RangeError, /x must hold finite numbers/);
  throwsError(() => iforestScore(packed, 20, detached(60), null, null), TypeError, /x is backed by a detached/);
  throwsError(() => iforestScore(packed, 20, x, detached(20), null), TypeError, /pathLength is backed by a detached/);
  await rejectsError(iforestScoreAsync(packed, 20, detached(60), null, null), TypeError, /iforestScoreAsync: x is backed by a detached/);
  await rejectsError(iforestScoreAsync({ ...packed, handle: 1 } as unknown as PackedForest, 20, x, null, null), TypeError, /forest handle/);
});

test('an async score keeps its forest alive after the handle is dropped', async () => {
  const r = rng(108);
  const [rows, cols] = [2000, 5];
  const x = randomF32(r, rows * cols, -1, 1);
  const f = fit(rows, cols, x, 50, 256, grow({ maxFeatures: cols }));
  const want = nanF32(rows);
  iforestScore(new PackedForest(f, cols), rows, x, null, want);
  const got = nanF32(rows);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const pending = iforestScoreAsync(new PackedForest(f, cols), rows, x, null, got);
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  await pending;
  assert.equal(got, want);
});

test.run();
