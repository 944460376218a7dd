// IsolationForest (ts/models/detectors/iforest.ts): the Detector interface over the kernels, its
// options, input checks, progress/abort and save/load.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { averagePathLength } from '../ts/bindings/iforest.ts';
import { loadDetector } from '../ts/models/detectors/detector.ts';
import { IsolationForest } from '../ts/models/detectors/iforest.ts';
import type { IsolationForestOptions } from '../ts/models/detectors/iforest.ts';
import { quantile } from '../ts/models/detectors/threshold.ts';
import { decodeModelFile, encodeModelFile, ModelFileError } from '../ts/models/serialize.ts';
import type { DetectorJSON, WeightRecord } from '../ts/models/serialize.ts';
import { tensor } from '../ts/models/tensor.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { randomF32, rng } from './helpers/random.ts';

function table(seed: number, rows: number, cols: number) {
  return tensor(randomF32(rng(seed), rows * cols, -2, 2), [rows, cols]);
}

test('fit, scoreSamples, pathLengths, predict and decisionFunction agree with each other', async () => {
  const x = table(1, 800, 5);
  const d = await new IsolationForest({ contamination: 0.05, seed: 3 }).fit(x);
  const s = await d.scoreSamples(x);
  const pl = await d.pathLengths(x);
  const c = averagePathLength(256);
  for (let i = 0; i < s.length; i++) assert.ok(Math.abs(s[i] - 2 ** (-pl[i] / c)) < 1e-6);
  assert.ok(Math.abs(d.threshold - quantile(s, 0.95)) < 1e-7);
  const flagged = (await d.predict(x)).reduce((a, b) => a + b, 0);
  assert.ok(flagged >= 39 && flagged <= 40, `flagged ${flagged} of 800`);
  const f = await d.decisionFunction(x);
  f.forEach((v, i) => assert.ok(Math.abs(v - (s[i] - d.threshold)) < 1e-6));
  // A far-away row is flagged, the centre is not.
  assert.equal(Array.from(await d.predict([[9, 9, 9, 9, 9], [0, 0, 0, 0, 0]])), [1, 0]);
  assert.equal(d.scoreSamplesSync(x), s);
  assert.equal(d.scoreSamplesSync([[0.5, -1, 2, 0, 1]]), await d.scoreSamples([[0.5, -1, 2, 0, 1]]));
  assert.is(d.nFeatures, 5);
  assert.is(d.forest.trees, 100);
  assert.is(d.forest.height, 8);
});

test('options map onto the forest: maxSamples, maxFeatures, nEstimators, seed', async () => {
  const x = table(2, 300, 6);
  const base = await new IsolationForest({ nEstimators: 7, maxSamples: 64, seed: 1 }).fit(x);
  assert.is(base.forest.trees, 7);
  assert.is(base.forest.maxSamples, 64);
  assert.is(base.forest.height, 6);
  assert.is((await new IsolationForest({ maxSamples: 0.5 }).fit(x)).forest.maxSamples, 150);
  assert.is((await new IsolationForest({ maxSamples: 1 }).fit(x)).forest.maxSamples, 300);
  assert.is((await new IsolationForest({ maxSamples: 0.001 }).fit(x)).forest.maxSamples, 1);
  assert.is((await new IsolationForest().fit(table(3, 40, 2))).forest.maxSamples, 40);
  // Same options and seed: the same forest; another seed: another forest.
  const again = await new IsolationForest({ nEstimators: 7, maxSamples: 64, seed: 1 }).fit(x);
  assert.equal(again.forest, base.forest);
  const other = await new IsolationForest({ nEstimators: 7, maxSamples: 64, seed: 2 }).fit(x);
  assert.not.equal(other.forest.threshold, base.forest.threshold);
  // maxFeatures 0.5 of 6 = 3 features per tree.
  const sub = await new IsolationForest({ nEstimators: 20, maxFeatures: 0.5 }).fit(x);
  const inner = 2 ** sub.forest.height - 1;
  for (let t = 0; t < 20; t++) {
    const used = new Set<number>();
    for (let i = 0; i < inner; i++) if (sub.forest.threshold[t * inner + i] < 3e38) used.add(sub.forest.feature[t * inner + i]);
    assert.ok(used.size <= 3, `tree ${t} uses ${used.size} features`);
  }
  const boot = await new IsolationForest({ nEstimators: 5, bootstrap: true }).fit(x);
  assert.not.equal(boot.forest.leafValue, (await new IsolationForest({ nEstimators: 5 }).fit(x)).forest.leafValue);
});

test('maxSamples above the row count warns and uses every row, as scikit-learn', async () => {
  const warnings: string[] = [];
  const emit = process.emitWarning;
  process.emitWarning = ((w: string | Error) => warnings.push(String(w))) as typeof process.emitWarning;
  try {
    const d = await new IsolationForest({ maxSamples: 500, nEstimators: 3 }).fit(table(4, 50, 3));
    assert.is(d.forest.maxSamples, 50);
    assert.is(warnings.length, 1);
    assert.match(warnings[0], /maxSamples \(500\) is greater than the number of rows \(50\)/);
    await new IsolationForest({ maxSamples: 50, nEstimators: 3 }).fit(table(4, 50, 3));
    assert.is(warnings.length, 1);
  } finally {
    process.emitWarning = emit;
  }
});

test('one row, constant columns and repeated rows work', async () => {
  const one = await new IsolationForest().fit([[1, 2, 3]]);
  assert.equal(Array.from(await one.scoreSamples([[1, 2, 3], [100, -4, 0]])), [0.5, 0.5]);
  const x = table(5, 200, 4);
  for (let i = 0; i < 200; i++) x.data[i * 4 + 1] = 7;
  const d = await new IsolationForest({ nEstimators: 30 }).fit(x);
  const inner = 2 ** d.forest.height - 1;
  for (let i = 0; i < d.forest.feature.length; i++) {
    if (d.forest.threshold[i] < 3e38) assert.ok(d.forest.feature[i] !== 1, `node ${i % inner} splits on the constant column`);
  }
  // Identical rows cannot be split: every tree is one leaf of 20 rows, E[h] = c(20), and every row
  // scores 2^-1 (sklearn too).
  const same = await new IsolationForest({ nEstimators: 5 }).fit(Array.from({ length: 20 }, () => [1, 1]));
  for (const v of await same.scoreSamples([[1, 1], [5, -5]])) assert.ok(Math.abs(v - 0.5) < 1e-6, `${v}`);
});

test('bad input: non-finite values, empty tables, feature-count mismatch, unfitted use', async () => {
  const d = new IsolationForest({ nEstimators: 3 });
  await rejectsError(d.scoreSamples(table(6, 3, 2)), Error, /not fitted yet/);
  await rejectsError(d.pathLengths(table(6, 3, 2)), Error, /IsolationForest.pathLengths: not fitted yet/);
  throwsError(() => d.scoreSamplesSync(table(6, 3, 2)), Error, /IsolationForest.scoreSamplesSync: not fitted yet/);
  throwsError(() => d.forest, Error, /not fitted yet/);
  await rejectsError(d.fit([[1, NaN]]), RangeError, /IsolationForest.fit: x\[0\]\[1\] is NaN/);
  await rejectsError(d.fit([[1, 2], [Infinity, 0]]), RangeError, /x\[1\]\[0\] is Infinity/);
  await rejectsError(d.fit([]), RangeError, /no rows/);
  await rejectsError(d.fit([[]]), RangeError, /0 features/);
  await d.fit(table(7, 30, 2));
  await rejectsError(d.scoreSamples(table(8, 4, 3)), RangeError, /3 features per row, the detector was fitted on 2/);
  throwsError(() => d.scoreSamplesSync([[1, 2, 3]]), RangeError, /3 features per row/);
  throwsError(() => d.scoreSamplesSync([[1, NaN]]), RangeError, /IsolationForest.scoreSamplesSync: x\[0\]\[1\] is NaN/);
  await rejectsError(d.pathLengths([[1]]), RangeError, /1 features per row/);
  await rejectsError(new IsolationForest({ maxFeatures: 5 }).fit(table(9, 10, 3)), RangeError, /maxFeatures \(5\) is more than the 3 features/);
  // A forest too large for int32-indexed arrays is named by its options, not by 'Invalid typed array length'.
  await rejectsError(new IsolationForest({ nEstimators: 1e9 }).fit(table(10, 30, 2)), RangeError,
    /^IsolationForest\.fit: a forest of 1000000000 trees \(nEstimators\) of 30 rows each \(maxSamples\) needs arrays of 32000000000 values, more than/);
});

test('bad options are refused with the option named', () => {
  const bad: Array<[IsolationForestOptions, ErrorConstructor, RegExp]> = [
    [{ nEstimators: 0 }, RangeError, /nEstimators must be an integer >= 1, got 0/],
    [{ nEstimators: 2.5 }, RangeError, /nEstimators/],
    [{ nEstimators: '10' as unknown as number }, TypeError, /nEstimators must be a number/],
    [{ maxSamples: 0 }, RangeError, /maxSamples must be a share in \(0, 1\] or an integer > 1, got 0/],
    [{ maxSamples: -3 }, RangeError, /maxSamples/],
    [{ maxSamples: 2.5 }, RangeError, /maxSamples/],
    [{ maxSamples: NaN }, RangeError, /maxSamples/],
    [{ maxSamples: Infinity }, RangeError, /maxSamples/],
    [{ maxSamples: 'all' as unknown as number }, TypeError, /maxSamples must be a number/],
    [{ maxFeatures: 0 }, RangeError, /maxFeatures/],
    [{ maxFeatures: 1.5 }, RangeError, /maxFeatures/],
    [{ bootstrap: 'yes' as unknown as boolean }, TypeError, /bootstrap must be a boolean/],
    [{ seed: -1 }, RangeError, /seed must be an integer in \[0, 2\^53\)/],
    [{ seed: 0.5 }, RangeError, /seed/],
    [{ contamination: 0.6 }, RangeError, /contamination must lie in \(0, 0.5\]/],
    [{ contamination: 'auto', thresholdQuantile: 0.9 }, TypeError, /not both/],
    [{ contamination: 'Auto' as unknown as number }, TypeError, /contamination must be a number/],
    [{ contamination: 0.1, thresholdQuantile: 0.9 }, TypeError, /not both/],
  ];
  for (const [opts, cls, re] of bad) throwsError(() => new IsolationForest(opts), cls, re);
  throwsError(() => new IsolationForest(null as unknown as IsolationForestOptions), TypeError, /options must be an object/);
});

test("contamination 'auto': scikit-learn's offset_ -0.5, a threshold of 0.5 whatever the training scores; saved and loaded", async () => {
  const x = table(12, 300, 3);
  const d = await new IsolationForest({ contamination: 'auto', nEstimators: 20 }).fit(x);
  assert.equal(d.thresholdRule, { kind: 'auto', value: 0.5 });
  assert.is(d.threshold, 0.5);
  const s = await d.scoreSamples(x);
  assert.equal(Array.from(await d.predict(x)), Array.from(s, (v) => (v > 0.5 ? 1 : 0)));
  const dir = mkdtempSync(join(tmpdir(), 'vigil-iforest-auto-'));
  try {
    await d.save(join(dir, 'a.vigil'));
    const back = await loadDetector<IsolationForest>(join(dir, 'a.vigil'));
    assert.equal(back.thresholdRule, d.thresholdRule);
    assert.is(back.threshold, 0.5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fit reports progress in trees and stops on an aborted signal', async () => {
  const x = table(10, 100, 3);
  const seen: Array<[number, number]> = [];
  await new IsolationForest({ nEstimators: 25 }).fit(x, { onProgress: (done, total) => seen.push([done, total]) });
  assert.equal(seen.map((s) => s[0]), [3, 6, 9, 12, 15, 18, 21, 24, 25]);
  assert.ok(seen.every((s) => s[1] === 25));
  const c = new AbortController();
  c.abort(new Error('stop now'));
  await rejectsError(new IsolationForest().fit(x, { signal: c.signal }), Error, /stop now/);
  const late = new AbortController();
  const d = new IsolationForest({ nEstimators: 50 });
  await rejectsError(d.fit(x, { signal: late.signal, onProgress: (done) => done >= 10 && late.abort(new Error('enough')) }), Error, /enough/);
  assert.not.ok(d.fitted);
});

test('save/load round trip; a tampered forest is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-iforest-'));
  try {
    const x = table(11, 400, 4);
    const d = await new IsolationForest({ nEstimators: 12, maxSamples: 100, maxFeatures: 0.75, bootstrap: true, seed: 8, thresholdQuantile: 0.99 }).fit(x);
    const path = join(dir, 'f.vigil');
    await d.save(path);
    const back = await loadDetector<IsolationForest>(path, 'IsolationForest');
    assert.ok(back instanceof IsolationForest);
    assert.is(back.threshold, d.threshold);
    assert.equal(back.thresholdRule, d.thresholdRule);
    assert.equal([back.nEstimators, back.maxSamples, back.maxFeatures, back.bootstrap, back.seed], [12, 100, 0.75, true, 8]);
    assert.equal(back.forest, d.forest);
    assert.equal(await back.scoreSamples(x), await d.scoreSamples(x));
    assert.equal(back.scoreSamplesSync(x), await d.scoreSamples(x));

    // Rewrite the file with one feature index out of range, then with a non-integer one.
    const file = decodeModelFile(readFileSync(path), path);
    const weights = file.header.weights.map((w, i): WeightRecord => ({ name: w.name, shape: w.shape, value: Float32Array.from(file.weights[i]) }));
    const model = file.header.model as DetectorJSON;
    const write = (name: string) => {
      const p = join(dir, name);
      writeFileSync(p, encodeModelFile({ modelType: 'IsolationForest', model, compile: null, preprocessing: null }, weights));
      return p;
    };
    weights[0].value[0] = 4;
    await rejectsError(loadDetector(write('range.vigil')), ModelFileError, /feature values must be in \[0, 3\]/);
    weights[0].value[0] = 1.5;
    await rejectsError(loadDetector(write('frac.vigil')), ModelFileError, /not a feature index/);
    weights[0].value[0] = 0;
    model.fitted.height = 5;
    await rejectsError(loadDetector(write('height.vigil')), ModelFileError, /fitted.height \(5\) does not fit maxSamples 100/);
    await rejectsError(new IsolationForest().save(join(dir, 'u.vigil')), Error, /not fitted yet/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
