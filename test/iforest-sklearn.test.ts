// vigil's isolation forest against scikit-learn 1.2 (fixture: test/fixtures/make_iforest_fixtures.py).
// 1. sklearn's own trees, converted to vigil's layout, must give sklearn's score_samples to 1e-6:
//    this checks the walk (x <= threshold, thresholds rounded to float32), the feature subsets and
//    the path-length correction c(n) exactly. 2. vigil's own training must separate planted
//    outliers as well as sklearn's and give the same score levels.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { averagePathLength, createForest, forestHeight, iforestScore, PackedForest } from '../ts/bindings/iforest.ts';
import type { Forest } from '../ts/bindings/iforest.ts';
import { IsolationForest } from '../ts/models/detectors/iforest.ts';
import { thresholdFor } from '../ts/models/detectors/threshold.ts';
import { rocAuc } from '../ts/models/metrics.ts';
import { tensor } from '../ts/models/tensor.ts';
import { forEachSimd } from './helpers/simd.ts';

interface SkTree {
  childrenLeft: number[];
  childrenRight: number[];
  feature: number[];
  threshold: number[];
  nNodeSamples: number[];
  features: number[];
}
interface SkForest {
  name: string;
  params: { contamination?: number | 'auto' };
  rows: number;
  cols: number;
  maxSamples: number;
  height: number;
  subsampleFeatures: boolean;
  trees: SkTree[];
  xTrain: number[];
  xTest: number[];
  scoreSamples: number[];
  offset: number;
  trainScoreSamples: number[];
}
interface Fixture {
  forests: SkForest[];
  planted: { rows: number; cols: number; x: number[]; y: number[]; rocAuc: number[]; inlierMeanScore: number[]; outlierMeanScore: number[] };
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/iforest_sklearn.json', import.meta.url), 'utf8')) as Fixture;

const FLT_MAX = 3.4028234663852886e38;
const bits = new Float32Array(1);
const ints = new Int32Array(bits.buffer);

/** The largest float32 <= t: float32 rows compare with it as they do with the double t. */
function floorFloat32(t: number): number {
  const f = Math.fround(t);
  if (f <= t) return f;
  if (f === 0) return -1.401298464324817e-45;
  bits[0] = f;
  ints[0] += f > 0 ? -1 : 1;
  return bits[0];
}

/** sklearn's trees in vigil's layout: splits in place, leaves as pass-through chains to the bottom level. */
function fromSklearn(c: SkForest): Forest {
  const forest = createForest(c.trees.length, c.maxSamples);
  const h = forest.height;
  const inner = 2 ** h - 1;
  c.trees.forEach((t, k) => {
    const F = forest.feature.subarray(k * inner, (k + 1) * inner);
    const T = forest.threshold.subarray(k * inner, (k + 1) * inner);
    const L = forest.leafValue.subarray(k * (inner + 1), (k + 1) * (inner + 1));
    const visit = (node: number, pos: number, depth: number): void => {
      if (t.childrenLeft[node] === -1) {
        assert.ok(depth <= h, `${c.name}: a leaf below the height limit`);
        const rank = pos - (2 ** depth - 1);
        for (let l = depth; l < h; l++) {
          const first = 2 ** l - 1 + rank * 2 ** (l - depth);
          F.fill(0, first, first + 2 ** (l - depth));
          T.fill(FLT_MAX, first, first + 2 ** (l - depth));
        }
        L.fill(depth + averagePathLength(t.nNodeSamples[node]), rank * 2 ** (h - depth), (rank + 1) * 2 ** (h - depth));
        return;
      }
      F[pos] = c.subsampleFeatures ? t.features[t.feature[node]] : t.feature[node];
      T[pos] = floorFloat32(t.threshold[node]);
      visit(t.childrenLeft[node], 2 * pos + 1, depth + 1);
      visit(t.childrenRight[node], 2 * pos + 2, depth + 1);
    };
    visit(0, 0, 0);
  });
  return forest;
}

test('sklearn trees in vigil\'s layout give sklearn\'s score_samples (to 1e-6) on every SIMD path', () => {
  for (const c of fixture.forests) {
    assert.is(forestHeight(c.maxSamples), c.height, `${c.name}: height`);
    const packed = new PackedForest(fromSklearn(c), c.cols);
    const x = Float32Array.from(c.xTest);
    const rows = x.length / c.cols;
    forEachSimd((level) => {
      const score = new Float32Array(rows).fill(NaN);
      const pathLength = new Float32Array(rows).fill(NaN);
      iforestScore(packed, rows, x, pathLength, score);
      for (let r = 0; r < rows; r++) {
        const want = -c.scoreSamples[r];
        assert.ok(Math.abs(score[r] - want) < 1e-6, `${c.name} (${level}) row ${r}: ${score[r]} vs sklearn ${want}`);
        // score = 2^(-E[h] / c(maxSamples)), and 2^-1 for a forest grown on one row.
        const cn = averagePathLength(c.maxSamples);
        assert.ok(Math.abs((cn > 0 ? 2 ** (-pathLength[r] / cn) : 0.5) - want) < 1e-6, `${c.name} row ${r}: path length`);
      }
    });
  }
});

test('thresholds match sklearn\'s offset_ (threshold = -offset_ with a contamination share)', () => {
  for (const c of fixture.forests) {
    const packed = new PackedForest(fromSklearn(c), c.cols);
    const x = Float32Array.from(c.xTrain);
    const score = new Float32Array(c.rows);
    iforestScore(packed, c.rows, x, null, score);
    for (let r = 0; r < c.rows; r++) assert.ok(Math.abs(score[r] + c.trainScoreSamples[r]) < 1e-6, `${c.name} training row ${r}`);
    const contamination = c.params.contamination ?? 'auto';
    if (contamination === 'auto') {
      assert.is(c.offset, -0.5);
    } else {
      const t = thresholdFor({ kind: 'contamination', value: contamination }, score);
      assert.ok(Math.abs(t + c.offset) < 1e-6, `${c.name}: threshold ${t} vs -offset_ ${-c.offset}`);
    }
  }
});

test('vigil\'s own forests separate planted outliers as sklearn\'s do (ROC AUC, mean scores over 10 vs 20 seeds)', async () => {
  const p = fixture.planted;
  const x = tensor(Float32Array.from(p.x), [p.rows, p.cols]);
  const aucs: number[] = [];
  const inlier: number[] = [];
  const outlier: number[] = [];
  for (let seed = 0; seed < 10; seed++) {
    const s = await (await new IsolationForest({ seed }).fit(x)).scoreSamples(x);
    aucs.push(rocAuc(p.y, s));
    const mean = (label: number) => {
      let sum = 0;
      let n = 0;
      s.forEach((v, i) => {
        if (p.y[i] === label) (sum += v), n++;
      });
      return sum / n;
    };
    inlier.push(mean(0));
    outlier.push(mean(1));
  }
  const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  // Seed-to-seed spread (sklearn, 40 seeds): AUC 0.0105, inlier mean 0.0035, outlier mean 0.0047. The
  // bounds are ~3.5 standard deviations of the difference of a mean of 10 and a mean of 20.
  assert.ok(Math.abs(avg(aucs) - avg(p.rocAuc)) < 0.015, `AUC ${avg(aucs)} vs sklearn ${avg(p.rocAuc)}`);
  assert.ok(Math.abs(avg(inlier) - avg(p.inlierMeanScore)) < 0.005, `inlier mean ${avg(inlier)} vs sklearn ${avg(p.inlierMeanScore)}`);
  assert.ok(Math.abs(avg(outlier) - avg(p.outlierMeanScore)) < 0.007, `outlier mean ${avg(outlier)} vs sklearn ${avg(p.outlierMeanScore)}`);
});

test.run();
