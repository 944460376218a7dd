// The detector interface shared by every detector: thresholds, predict/decisionFunction signs,
// input checks, save/load by model type. Exercised through a tiny distance-from-the-mean detector.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Detector, loadDetector, registerDetector } from '../ts/models/detectors/detector.ts';
import type { DetectorFitOptions, DetectorState } from '../ts/models/detectors/detector.ts';
import { toMatrix } from '../ts/models/detectors/matrix.ts';
import type { TabularInput } from '../ts/models/detectors/matrix.ts';
import { quantile } from '../ts/models/detectors/threshold.ts';
import type { ThresholdOptions } from '../ts/models/detectors/threshold.ts';
import { ModelFileError } from '../ts/models/serialize.ts';
import { tensor } from '../ts/models/tensor.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { detached, randomF32, rng } from './helpers/random.ts';

/** Squared distance to the training mean. */
class MeanDistance extends Detector<TabularInput> {
  readonly modelType = 'TestMeanDistance';
  mean: Float32Array | null = null;

  constructor(opts: ThresholdOptions = {}) {
    super('MeanDistance', opts);
  }

  protected async train(x: TabularInput, opts: DetectorFitOptions): Promise<Float32Array> {
    const m = toMatrix('MeanDistance.fit', 'x', x);
    const mean = new Float32Array(m.cols);
    for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) mean[j] += m.data[i * m.cols + j] / m.rows;
    opts.onProgress?.(1, 1);
    this.mean = mean;
    return this.distances(m.data, m.rows);
  }

  protected async score(x: TabularInput): Promise<Float32Array> {
    const m = toMatrix('MeanDistance.scoreSamples', 'x', x, this.mean!.length);
    return this.distances(m.data, m.rows);
  }

  private distances(data: Float32Array, rows: number): Float32Array {
    const mean = this.mean!;
    const out = new Float32Array(rows);
    for (let i = 0; i < rows; i++) for (let j = 0; j < mean.length; j++) out[i] += (data[i * mean.length + j] - mean[j]) ** 2;
    return out;
  }

  protected state(): DetectorState {
    const r = this.thresholdRule;
    return {
      config: r.kind === 'quantile' ? { thresholdQuantile: r.value } : { contamination: r.value },
      fitted: { features: this.mean!.length },
      weights: [{ name: 'mean', shape: [this.mean!.length], value: this.mean! }],
    };
  }
}
registerDetector('TestMeanDistance', ({ config, weights }) => {
  const d = new MeanDistance(config as ThresholdOptions);
  d.mean = weights.get('mean')!;
  return d as Detector<never>;
});

function table(seed: number, rows: number, cols: number) {
  return tensor(randomF32(rng(seed), rows * cols, -2, 2), [rows, cols]);
}

test('quantile interpolates linearly between order statistics (numpy.quantile)', () => {
  // numpy.quantile([3, 1, 4, 1, 5], q) for q = 0, 0.1, 0.5, 0.9, 1 -> 1, 1, 3, 4.6, 5
  const v = [3, 1, 4, 1, 5];
  const want = [[0, 1], [0.1, 1], [0.5, 3], [0.9, 4.6], [1, 5]];
  for (const [q, e] of want) assert.ok(Math.abs(quantile(v, q) - e) < 1e-12, `q=${q}: ${quantile(v, q)} != ${e}`);
  assert.is(quantile([7], 0.999), 7);
  throwsError(() => quantile([], 0.5), RangeError, /no values/);
  throwsError(() => quantile([1, NaN], 0.5), RangeError, /NaN/);
});

test('quantile equals the sorted-order definition on random values, with ties and at q = 0 and 1', () => {
  const r = rng(5);
  for (let t = 0; t < 2000; t++) {
    const n = 1 + Math.floor(r() * 60);
    const ties = t % 2 === 0;
    const v = Array.from({ length: n }, () => (ties ? Math.floor(r() * 4) : r() * 10 - 5));
    const q = t % 7 === 0 ? (t % 14 === 0 ? 0 : 1) : r();
    const s = [...v].sort((a, b) => a - b);
    const at = q * (n - 1), lo = Math.floor(at), hi = Math.min(lo + 1, n - 1);
    const want = s[lo] + (at - lo) * (s[hi] - s[lo]);
    assert.is(quantile(v, q), want, `${JSON.stringify(v)} q=${q}`);
  }
});

test('contamination flags that share of the training rows; thresholdQuantile sets the quantile', async () => {
  const x = table(1, 1000, 3);
  const d = await new MeanDistance({ contamination: 0.05 }).fit(x);
  const flagged = (await d.predict(x)).reduce((a, b) => a + b, 0);
  assert.ok(flagged >= 49 && flagged <= 50, `flagged ${flagged} of 1000 at contamination 0.05`);
  const q = await new MeanDistance({ thresholdQuantile: 0.999 }).fit(x);
  const scores = await q.scoreSamples(x);
  assert.ok(Math.abs(q.threshold - quantile(scores, 0.999)) < 1e-6);
  assert.is((await q.predict(x)).reduce((a, b) => a + b, 0), 1);
  // Default: contamination 0.1.
  const dflt = await new MeanDistance().fit(x);
  assert.ok(Math.abs(dflt.threshold - quantile(await dflt.scoreSamples(x), 0.9)) < 1e-6);
});

test('decisionFunction = scoreSamples - threshold, positive exactly where predict flags', async () => {
  const x = table(2, 300, 4);
  const d = await new MeanDistance({ contamination: 0.2 }).fit(x);
  const s = await d.scoreSamples(x);
  const f = await d.decisionFunction(x);
  const p = await d.predict(x);
  for (let i = 0; i < s.length; i++) {
    assert.ok(Math.abs(f[i] - (s[i] - d.threshold)) < 1e-6);
    assert.is(p[i], f[i] > 0 ? 1 : 0);
  }
  d.threshold = -1;
  assert.ok((await d.predict(x)).every((v) => v === 1));
});

test('input is checked: shapes, widths, non-finite values, empty tables', async () => {
  const d = new MeanDistance();
  await rejectsError(d.scoreSamples(table(3, 4, 2)), Error, /not fitted yet/);
  throwsError(() => d.threshold, Error, /not fitted yet/);
  await rejectsError(d.fit([[1, 2], [3]]), RangeError, /x\[1\] has 1 values, row 0 has 2/);
  await rejectsError(d.fit([[1, NaN]]), RangeError, /x\[0\]\[1\] is NaN/);
  await rejectsError(d.fit([[1, 1e39]]), RangeError, /x\[0\]\[1\] is Infinity/);
  await rejectsError(d.fit([]), RangeError, /no rows/);
  await rejectsError(d.fit([[]]), RangeError, /0 features/);
  await rejectsError(d.fit('rows' as unknown as TabularInput), TypeError, /tensor or an array of rows/);
  await rejectsError(d.fit([[1, '2' as unknown as number]]), TypeError, /x\[0\]\[1\] must be a number/);
  await rejectsError(d.fit({ data: new Float32Array(6), shape: [6] }), RangeError, /\[rows, features\]/);
  // Detached buffers read as 0 values; they are named as detached, not as a shape or width mismatch.
  await rejectsError(d.fit({ data: detached(6), shape: [3, 2] }), TypeError, /MeanDistance\.fit: x\.data is backed by a detached ArrayBuffer/);
  await rejectsError(d.fit([new Float32Array(2), detached(2)]), TypeError, /x\[1\] is backed by a detached ArrayBuffer/);
  await rejectsError(d.fit([detached(2)]), TypeError, /x\[0\] is backed by a detached ArrayBuffer/);
  await d.fit(table(4, 10, 2));
  await rejectsError(d.scoreSamples(table(5, 3, 3)), RangeError, /3 features per row, the detector was fitted on 2/);
  throwsError(() => new MeanDistance({ contamination: 0.7 }), RangeError, /contamination must lie in \(0, 0.5\]/);
  throwsError(() => new MeanDistance({ contamination: 0 }), RangeError, /contamination/);
  throwsError(() => new MeanDistance({ thresholdQuantile: 1 }), RangeError, /thresholdQuantile must lie in \(0, 1\)/);
  throwsError(() => new MeanDistance({ contamination: 0.1, thresholdQuantile: 0.9 }), TypeError, /not both/);
  throwsError(() => { d.threshold = NaN; }, RangeError, /NaN/);
});

test('fit stops on an aborted signal and reports progress', async () => {
  const c = new AbortController();
  c.abort(new Error('stop now'));
  await rejectsError(new MeanDistance().fit(table(6, 5, 2), { signal: c.signal }), Error, /stop now/);
  const seen: number[] = [];
  await new MeanDistance().fit(table(6, 5, 2), { onProgress: (done) => seen.push(done) });
  assert.equal(seen, [1]);
  await rejectsError(new MeanDistance().fit(table(6, 5, 2), { signal: 'x' as unknown as AbortSignal }), TypeError, /signal/);
});

test('save/load round trip by model type; other types and broken files are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-det-'));
  try {
    const x = table(7, 200, 3);
    const d = await new MeanDistance({ thresholdQuantile: 0.99 }).fit(x);
    const path = join(dir, 'd.vigil');
    await d.save(path);
    const back = await loadDetector<MeanDistance>(path, 'TestMeanDistance');
    assert.ok(back instanceof MeanDistance);
    assert.is(back.threshold, d.threshold);
    assert.equal(back.thresholdRule, d.thresholdRule);
    assert.equal(await back.scoreSamples(x), await d.scoreSamples(x));
    await rejectsError(loadDetector(path, 'IsolationForest'), ModelFileError, /'TestMeanDistance' model file, not a IsolationForest/);
    const bytes = readFileSync(path);
    writeFileSync(join(dir, 'short.vigil'), bytes.subarray(0, bytes.length - 7));
    await rejectsError(loadDetector(join(dir, 'short.vigil')), ModelFileError, /truncated/);
    await rejectsError(new MeanDistance().save(join(dir, 'u.vigil')), Error, /not fitted yet/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
