// Extended isolation forest (extensionLevel > 0, Hariri, Kind & Brunner 2018): native scores against
// a float64 walk of the trees the detector exposes, the trees' structure (hyperplane slices, leaf
// sizes that match the walk), determinism, the option's checks, save/load, ONNX refusal, and the
// paper's qualitative property: no axis-aligned artefacts in the score map.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  averagePathLength, createForest, iforestFit, iforestScore, PackedForest,
} from '../ts/bindings/iforest.ts';
import type { Forest } from '../ts/bindings/iforest.ts';
import { addon } from '../ts/bindings/addon.ts';
import { getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import { randomNormal } from '../ts/bindings/random.ts';
import { loadDetector } from '../ts/models/detectors/detector.ts';
import { IsolationForest } from '../ts/models/detectors/iforest.ts';
import { detectorToOnnx } from '../ts/models/onnx/detectors/index.ts';
import { tensor } from '../ts/models/tensor.ts';
import { decodeModelFile, encodeModelFile, ModelFileError } from '../ts/models/serialize.ts';
import type { DetectorJSON, WeightRecord } from '../ts/models/serialize.ts';
import { throwsError, rejectsError } from './helpers/errors.ts';
import { randomF32, rng } from './helpers/random.ts';

const FLT_MAX = 3.4028234663852886e38;

/** E[h(x)] of every row: the hyperplane walk in float64 (Σ normal·x in slice order, left iff <= offset). */
function pathLengthsRef(f: Forest, rows: number, cols: number, x: Float32Array): Float32Array {
  const inner = 2 ** f.height - 1;
  const k = f.extensionLevel! + 1;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let t = 0; t < f.trees; t++) {
      let i = 0;
      for (let l = 0; l < f.height; l++) {
        const base = (t * inner + i) * k;
        let v = 0;
        for (let j = 0; j < k; j++) v += f.normal![base + j] * x[r * cols + f.normalFeature![base + j]];
        i = 2 * i + (v <= f.threshold[t * inner + i] ? 1 : 2);
      }
      sum += f.leafValue[t * (inner + 1) + i - inner];
    }
    out[r] = sum / f.trees;
  }
  return out;
}

function grown(rows: number, cols: number, x: Float32Array, trees: number, maxSamples: number, level: number, maxFeatures = cols, seed = 3) {
  const f = createForest(trees, maxSamples, level);
  f.threshold.fill(NaN);
  f.leafValue.fill(NaN);
  f.normal!.fill(NaN);
  f.normalFeature!.fill(-1);
  iforestFit(rows, cols, x, f, { maxFeatures, bootstrap: false, seed }, 0, trees);
  return f;
}

test('native scores equal a float64 walk of the same trees; path lengths within [1, height + c(maxSamples)]', () => {
  const r = rng(201);
  // rows, cols, trees, maxSamples, extensionLevel, maxFeatures, held-out rows
  const shapes = [[600, 5, 30, 256, 1, 5, 131], [600, 5, 30, 256, 4, 5, 67], [300, 9, 12, 100, 2, 4, 50], [40, 2, 7, 40, 1, 2, 65],
    [900, 3, 5, 700, 2, 3, 20]];
  for (const [rows, cols, trees, maxSamples, level, maxFeatures, n] of shapes) {
    const x = randomF32(r, rows * cols, -2, 2);
    const f = grown(rows, cols, x, trees, maxSamples, level, maxFeatures);
    const packed = new PackedForest(f, cols);
    assert.is(packed.extensionLevel, level);
    const q = randomF32(r, n * cols, -4, 4);
    const pl = new Float32Array(n);
    const score = new Float32Array(n);
    iforestScore(packed, n, q, pl, score);
    assert.equal(pl, pathLengthsRef(f, n, cols, q), `${rows}x${cols}, extensionLevel ${level}`);
    const c = averagePathLength(maxSamples);
    for (let i = 0; i < n; i++) {
      assert.ok(pl[i] >= 1 && pl[i] <= f.height + c + 1e-5, `path length ${pl[i]}`);
      assert.ok(Math.abs(score[i] - 2 ** (-pl[i] / c)) < 1e-6);
    }
    // The training rows too: they sit on the hyperplanes' sides exactly as when the tree was grown.
    const plx = new Float32Array(rows);
    iforestScore(packed, rows, x, plx, null);
    assert.equal(plx, pathLengthsRef(f, rows, cols, x));
  }
});

test('grown trees: k distinct increasing features per node from the tree\'s subset; leaf values are depth + c(rows the walk brings there)', () => {
  const [rows, cols, trees, level] = [200, 6, 8, 2];
  const k = level + 1;
  const x = randomF32(rng(202), rows * cols, -1, 1);
  // maxSamples = rows: every row is in every tree's sample, so walking them all recounts the leaves.
  const f = grown(rows, cols, x, trees, rows, level, 4);
  const inner = 2 ** f.height - 1;
  for (let t = 0; t < trees; t++) {
    const used = new Set<number>();
    const passThrough = (i: number) => {
      const s = f.normal!.subarray((t * inner + i) * k, (t * inner + i + 1) * k);
      return s.every((v) => v === 0) && f.threshold[t * inner + i] === Math.fround(FLT_MAX);
    };
    for (let i = 0; i < inner; i++) {
      assert.is(f.feature[t * inner + i], 0);
      if (passThrough(i)) continue;
      const nf = Array.from(f.normalFeature!.subarray((t * inner + i) * k, (t * inner + i + 1) * k));
      for (let j = 0; j < k; j++) {
        assert.ok(nf[j] >= 0 && nf[j] < cols && (j === 0 || nf[j] > nf[j - 1]), `tree ${t} node ${i}: ${nf}`);
        used.add(nf[j]);
      }
      assert.ok(Number.isFinite(f.threshold[t * inner + i]));
    }
    assert.ok(used.size <= 4, `tree ${t} uses ${used.size} features, maxFeatures 4`);
    // Walk every row to its leaf (the first pass-through node, or the bottom) and count.
    const counts = new Map<number, { depth: number; n: number; slot: number }>();
    for (let r = 0; r < rows; r++) {
      let i = 0;
      let leaf = -1;
      let depth = f.height;
      for (let l = 0; l < f.height; l++) {
        if (leaf < 0 && passThrough(i)) [leaf, depth] = [i, l];
        const base = (t * inner + i) * k;
        let v = 0;
        for (let j = 0; j < k; j++) v += f.normal![base + j] * x[r * cols + f.normalFeature![base + j]];
        i = 2 * i + (v <= f.threshold[t * inner + i] ? 1 : 2);
      }
      const key = leaf < 0 ? i : leaf;
      const e = counts.get(key) ?? { depth, n: 0, slot: i };
      e.n++;
      counts.set(key, e);
    }
    let total = 0;
    for (const { depth, n, slot } of counts.values()) {
      total += n;
      assert.is(f.leafValue[t * (inner + 1) + slot - inner], Math.fround(depth + averagePathLength(n)), `tree ${t}: leaf of ${n} rows at depth ${depth}`);
    }
    assert.is(total, rows);
  }
});

test('seeded, and the same forest for 1, 2 and 3 threads and any split of the trees over calls', () => {
  const [rows, cols, trees] = [2000, 7, 24];
  const x = randomF32(rng(203), rows * cols, -3, 3);
  const keep = getNumThreads();
  try {
    const forests = [1, 2, 3].map((n) => {
      setNumThreads(n);
      return grown(rows, cols, x, trees, 256, 3, 5, 11);
    });
    const chunked = createForest(trees, 256, 3);
    for (const [first, count] of [[10, 14], [0, 4], [4, 6]]) iforestFit(rows, cols, x, chunked, { maxFeatures: 5, bootstrap: false, seed: 11 }, first, count);
    for (const f of [...forests.slice(1), chunked]) {
      for (const name of ['threshold', 'leafValue', 'normalFeature', 'normal'] as const) assert.equal(f[name], forests[0][name], name);
    }
    const scores = [1, 2, 3].map((n) => {
      setNumThreads(n);
      const s = new Float32Array(rows);
      iforestScore(new PackedForest(forests[0], cols), rows, x, s, null);
      return s;
    });
    assert.equal(scores[1], scores[0]);
    assert.equal(scores[2], scores[0]);
  } finally {
    setNumThreads(keep);
  }
  const other = grown(rows, cols, x, trees, 256, 3, 5, 12);
  assert.not.equal(other.normal, grown(rows, cols, x, trees, 256, 3, 5, 11).normal);
});

function table(seed: number, rows: number, cols: number) {
  return tensor(randomF32(rng(seed), rows * cols, -2, 2), [rows, cols]);
}

test('extensionLevel 0 is the plain forest: the same trees and scores, no hyperplane arrays', async () => {
  const x = table(204, 700, 4);
  const plain = await new IsolationForest({ seed: 5, nEstimators: 40 }).fit(x);
  const zero = await new IsolationForest({ seed: 5, nEstimators: 40, extensionLevel: 0 }).fit(x);
  for (const name of ['feature', 'threshold', 'leafValue'] as const) assert.equal(zero.forest[name], plain.forest[name]);
  assert.is(zero.forest.normal, undefined);
  assert.equal(await zero.scoreSamples(x), await plain.scoreSamples(x));
  assert.equal(zero.fittedState().config, plain.fittedState().config);
  // And an extended forest does differ.
  const ext = await new IsolationForest({ seed: 5, nEstimators: 40, extensionLevel: 1 }).fit(x);
  assert.not.equal(await ext.scoreSamples(x), await plain.scoreSamples(x));
  assert.is(ext.forest.extensionLevel, 1);
  assert.equal(ext.scoreSamplesSync(x), await ext.scoreSamples(x));
});

test('a bad extensionLevel is refused with the option named', async () => {
  for (const v of [-1, 1.5, NaN, Infinity]) {
    throwsError(() => new IsolationForest({ extensionLevel: v }), RangeError, /IsolationForest: extensionLevel must be an integer >= 0/);
  }
  throwsError(() => new IsolationForest({ extensionLevel: '1' as unknown as number }), TypeError, /extensionLevel must be a number/);
  const x = table(205, 50, 3);
  await rejectsError(() => new IsolationForest({ extensionLevel: 3 }).fit(x), RangeError, /extensionLevel must be below the 3 features of x, got 3/);
  await rejectsError(() => new IsolationForest({ extensionLevel: 2, maxFeatures: 2 }).fit(x), RangeError,
    /extensionLevel must be below the 2 features each tree draws from \(maxFeatures\), got 2/);
  await new IsolationForest({ extensionLevel: 2 }).fit(x); // full extension: cols - 1
  // The kernels' own checks.
  const f = createForest(2, 10, 3);
  throwsError(() => iforestFit(10, 3, randomF32(rng(1), 30), f, { maxFeatures: 3, bootstrap: false, seed: 0 }), RangeError,
    /iforestFit: extensionLevel must be an integer in \[0, 2\], got 3/);
  const ok = grown(50, 3, x.data as Float32Array, 2, 10, 2);
  throwsError(() => new PackedForest({ ...ok, extensionLevel: 3 }, 3), RangeError, /iforestPack: extensionLevel must be an integer in \[0, 2\]/);
  throwsError(() => new PackedForest({ ...ok, normalFeature: ok.normalFeature!.map((v) => (v === 2 ? 3 : v)) }, 3), RangeError, /normalFeature/);
  throwsError(() => new PackedForest({ ...ok, normal: ok.normal!.subarray(1) }, 3), RangeError, /normal must be a Float32Array of length/);
  throwsError(() => new PackedForest({ ...ok, normal: ok.normal!.map((v, i) => (i === 4 ? NaN : v)) }, 3), RangeError, /normal must hold finite/);
  const a = addon<{ iforestPack(...args: unknown[]): unknown }>();
  throwsError(() => a.iforestPack(3, 2, ok.height, 10, ok.feature, ok.threshold, ok.leafValue, 2, null, null), TypeError,
    /normalFeature and normal must be typed arrays when extensionLevel > 0/);
});

test('the CUDA walk refuses an extended forest by name; device cuda on the detector too', () => {
  const x = randomF32(rng(206), 40 * 3);
  const f = grown(40, 3, x, 3, 20, 1);
  const packed = new PackedForest(f, 3);
  const a = addon<{ _cudaHostEmulateIforestScore(...args: unknown[]): void }>();
  throwsError(() => a._cudaHostEmulateIforestScore(packed.handle, 40, 3, x, new Float32Array(40), null), Error,
    /axis-parallel forests only; this forest has extensionLevel 1/);
  throwsError(() => new IsolationForest({ extensionLevel: 1, device: 'cuda' }), RangeError,
    /IsolationForest: device 'cuda' scores axis-parallel forests only; extensionLevel 1 runs on the CPU/);
  assert.is(new IsolationForest({ extensionLevel: 1, device: 'auto' }).device, 'auto');
});

test('save/load carries the extension; ONNX export refuses it naming extensionLevel', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-eif-'));
  try {
    const x = table(207, 600, 5);
    const d = await new IsolationForest({ seed: 2, nEstimators: 30, extensionLevel: 2, contamination: 0.05 }).fit(x);
    assert.is(d.fittedState().config.extensionLevel, 2);
    const path = join(dir, 'e.vigil');
    await d.save(path);
    const back = await loadDetector<IsolationForest>(path, 'IsolationForest');
    assert.is(back.extensionLevel, 2);
    assert.equal(back.forest, d.forest);
    assert.equal(await back.scoreSamples(x), await d.scoreSamples(x));
    assert.is(back.threshold, d.threshold);
    // A file without its normals, or an axis-parallel config with normals, is refused.
    const file = decodeModelFile(readFileSync(path), path);
    const model = file.header.model as DetectorJSON;
    const weights = file.header.weights.map((w, i): WeightRecord => ({ name: w.name, shape: w.shape, value: Float32Array.from(file.weights[i]) }));
    const write = (name: string, m: DetectorJSON, ws: WeightRecord[]) => {
      const p = join(dir, name);
      writeFileSync(p, encodeModelFile({ modelType: 'IsolationForest', model: m, compile: null, preprocessing: null }, ws));
      return p;
    };
    await rejectsError(loadDetector(write('n.vigil', model, weights.filter((w) => w.name !== 'normal'))), ModelFileError, /weight 'normal' is missing/);
    const plain = { ...model, config: { ...model.config, extensionLevel: 0 } };
    await rejectsError(loadDetector(write('p.vigil', plain, weights)), ModelFileError, /'normalFeature' belongs to an extended forest/);
    const nf = weights.find((w) => w.name === 'normalFeature')!;
    nf.value[0] = 5;
    await rejectsError(loadDetector(write('r.vigil', model, weights)), ModelFileError, /normalFeature values must be in \[0, 4\]/);
    throwsError(() => detectorToOnnx(d), Error, /extensionLevel 2 \(hyperplane splits\).*TreeEnsembleRegressor cannot express/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Two unit-variance blobs, at (0, 10) and (10, 0), as in the paper's Figure 5. */
function blobs(seed: number): Float32Array {
  const n = 500;
  const z = randomNormal(new Float32Array(4 * n), seed, 0);
  const x = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    x.set([z[2 * i], 10 + z[2 * i + 1]], 2 * i);
    x.set([10 + z[2 * (n + i)], z[2 * (n + i) + 1]], 2 * (n + i));
  }
  return x;
}

test('two blobs: the axis-parallel forest\'s ghost regions are gone from the extended forest\'s score map', async () => {
  // (0, 0) and (10, 10) lie where one blob's x band crosses the other's y band, 10 from both centres;
  // (5, 5) lies between the blobs, 7.1 from both, so a score that follows the density ranks the
  // ghosts as more anomalous than it. Axis-parallel cuts isolate the ghosts as slowly as the bands'
  // rows (Hariri et al., Figure 5): they score below (5, 5). Hyperplane cuts do not.
  const x = tensor(blobs(31), [1000, 2]);
  const contrast = async (extensionLevel: number) => {
    const d = await new IsolationForest({ nEstimators: 200, seed: 7, extensionLevel }).fit(x);
    const [g0, g1, between] = await d.scoreSamples([[0, 0], [10, 10], [5, 5]]);
    return (g0 + g1) / 2 - between;
  };
  const [axis, extended] = [await contrast(0), await contrast(1)];
  assert.ok(axis < -0.03, `axis-parallel: ghosts minus (5, 5) = ${axis}`);
  assert.ok(extended > 0.02, `extended: ghosts minus (5, 5) = ${extended}`);
});

test.run();
