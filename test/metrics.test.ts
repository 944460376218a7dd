// Metrics against scikit-learn 1.2 (fixtures from test/fixtures/make_metrics_fixtures.py) and
// small cases worked out by hand.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  accuracy, argmaxRows, binaryCounts, binaryMetrics, classAccuracy, classificationReport, confusionMatrix, f1,
  prAuc, precision, recall, rocAuc, toPredictions,
} from '../ts/models/metrics.ts';
import { throwsError } from './helpers/errors.ts';

interface BinaryCase {
  name: string; yTrue: number[]; scores: number[]; rocAuc: number; prAuc: number; accuracy: number;
  precision: number; recall: number; f1: number; confusion: number[][]; report2: string; report4: string;
}
interface MultiCase {
  name: string; yTrue: number[]; yPred: number[]; targetNames: string[] | null; digits: number;
  accuracy: number; confusion: number[][]; report: string;
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/metrics_sklearn.json', import.meta.url), 'utf8')) as {
  binary: BinaryCase[]; multiclass: MultiCase[];
};
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12, `${what}: ${a} vs sklearn ${b}`);

test('binary metrics equal scikit-learn on tied, continuous and degenerate scores', () => {
  assert.ok(fx.binary.length >= 8);
  for (const c of fx.binary) {
    close(rocAuc(c.yTrue, c.scores), c.rocAuc, `${c.name} rocAuc`);
    close(prAuc(c.yTrue, c.scores), c.prAuc, `${c.name} prAuc`);
    close(accuracy(c.yTrue, c.scores), c.accuracy, `${c.name} accuracy`);
    close(precision(c.yTrue, c.scores), c.precision, `${c.name} precision`);
    close(recall(c.yTrue, c.scores), c.recall, `${c.name} recall`);
    close(f1(c.yTrue, c.scores), c.f1, `${c.name} f1`);
    const m = binaryMetrics(Float64Array.from(c.yTrue), c.scores);
    close(m.rocAuc, c.rocAuc, `${c.name} binaryMetrics`);
    close(m.f1, c.f1, `${c.name} binaryMetrics f1`);
    assert.equal(confusionMatrix(c.yTrue, toPredictions(c.scores), [0, 1]), c.confusion, `${c.name} confusion`);
  }
});

test('classification reports match scikit-learn character for character', () => {
  for (const c of fx.binary) {
    const pred = toPredictions(c.scores);
    assert.fixture(classificationReport(c.yTrue, pred), c.report2, `${c.name} digits 2`);
    assert.fixture(classificationReport(c.yTrue, pred, { digits: 4, targetNames: ['legitimate', 'phishing'] }), c.report4, `${c.name} digits 4`);
  }
  for (const c of fx.multiclass) {
    const opts = { digits: c.digits, ...(c.targetNames ? { targetNames: c.targetNames } : {}) };
    assert.fixture(classificationReport(c.yTrue, c.yPred, opts), c.report, c.name);
    assert.equal(confusionMatrix(c.yTrue, c.yPred), c.confusion, `${c.name} confusion`);
    close(classAccuracy(c.yTrue, c.yPred), c.accuracy, `${c.name} accuracy`);
  }
});

test('hand-worked ROC AUC and average precision', () => {
  // Ranking 0.8(+) 0.4(-) 0.35(+) 0.1(-): 3 of the 4 (pos, neg) pairs are ordered right.
  assert.is(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75);
  // Recall steps of 1/2 at precisions 1 and 2/3.
  close(prAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.5 * 1 + 0.5 * (2 / 3), 'ap');
  // A tie between a positive and a negative counts half.
  assert.is(rocAuc([0, 1], [0.5, 0.5]), 0.5);
  assert.is(rocAuc([1, 0], [0.9, 0.1]), 1);
  assert.is(rocAuc([1, 0], [0.1, 0.9]), 0);
  // Float32Array and Int32Array inputs work like arrays.
  assert.is(rocAuc(Int32Array.from([0, 0, 1, 1]), Float32Array.from([0.125, 0.5, 0.25, 0.75])), 0.75);
});

test('thresholding is strict (> 0.5) and counts add up', () => {
  assert.equal(Array.from(toPredictions([0.5, 0.50001, 0, 1])), [0, 1, 0, 1]);
  assert.equal(binaryCounts([1, 1, 0, 0, 1], [0.9, 0.2, 0.7, 0.1, 0.6]), { tp: 2, fp: 1, tn: 1, fn: 1 });
  assert.is(accuracy([1, 0], [0.3, 0.3], 0.25), 0.5);
  assert.is(precision([1, 0, 0], [0, 0, 0]), 0);
  assert.is(f1([0, 0], [0, 0]), 0);
  assert.equal(Array.from(argmaxRows([0.1, 0.7, 0.2, 0.5, 0.5, 0], 3)), [1, 0]);
});

test('bad input gives clear errors', () => {
  throwsError(() => rocAuc([0, 1, 1], [0.1, 0.2]), RangeError, /same length, got 3 and 2/);
  throwsError(() => rocAuc([1, 1, 1], [0.1, 0.2, 0.3]), RangeError, /only class 1/);
  throwsError(() => prAuc([0, 0], [0.1, 0.2]), RangeError, /only class 0/);
  throwsError(() => rocAuc([0, 1], [0.1, NaN]), RangeError, /yScore\[1\] is NaN/);
  throwsError(() => rocAuc([0, 1], [0.1, Infinity]), RangeError, /finite/);
  throwsError(() => accuracy([0, 2], [0.1, 0.9]), RangeError, /0 or 1, got yTrue\[1\] = 2/);
  throwsError(() => accuracy([0, 0.5], [0.1, 0.9]), RangeError, /0 or 1/);
  throwsError(() => accuracy([], []), RangeError, /no samples/);
  throwsError(() => accuracy([0, 1], [0.1, 0.9], NaN), RangeError, /threshold/);
  throwsError(() => recall(null as unknown as number[], [1]), TypeError, /yTrue/);
  throwsError(() => confusionMatrix([0, 1], [0, -1]), RangeError, /yPred\[1\]/);
  throwsError(() => classificationReport([0, 1], [0, 1], { targetNames: ['a'] }), RangeError, /1 targetNames for 2 labels/);
  throwsError(() => argmaxRows([1, 2, 3], 2), RangeError, /does not divide/);
});

test.run();
