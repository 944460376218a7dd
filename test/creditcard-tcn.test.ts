// creditcard-tcn on real rows in about a second: the 120-row credit-card sample
// (test/fixtures/make_tabular_fixtures.py), a few epochs, through runCreditcardTcn and `vigil eval`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../ts/cli.ts';
import { rocAuc } from '../ts/models/metrics.ts';
import { bookThresholdedAuc, runCreditcardTcn } from '../ts/experiments/tabular/creditcard-tcn.ts';
import { rejectsError } from './helpers/errors.ts';

const SAMPLE = fileURLToPath(new URL('./fixtures/creditcard_sample_small.csv', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-cc-tcn-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, progressStream: null },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

test('both TCNs on real credit-card rows: stratified 60/40 split, fraud scores rank above legitimate ones, a seed repeats itself', async () => {
  const epochs: string[] = [];
  const starts: string[] = [];
  const r = await runCreditcardTcn({
    dataPath: SAMPLE, seed: 3, epochs: 4, onStart: (i) => starts.push(i.describe), onEpochEnd: (k, e) => epochs.push(`${k}${e}`),
  });
  assert.equal(r.map((x) => x.variant), ['dilated', 'ed']);
  for (const x of r) {
    // 120 rows (40 frauds): ceil(0.4 * 120) = 48 test rows keeping the third that are frauds.
    assert.is(x.trainRows, 72);
    assert.is(x.testRows, 48);
    assert.is(x.testAnomalies, 16);
    assert.ok(x.metrics.rocAuc > 0.8, `${x.variant}: ROC AUC ${x.metrics.rocAuc}`);
    for (const v of [x.metrics.prAuc, x.metrics.accuracy, x.trainSeconds, x.scoreSeconds, x.samplesPerSecond]) assert.ok(Number.isFinite(v));
    // The book's figure from the confusion table: (TP / flagged + TN / passed) / 2.
    const m = x.metrics;
    const tp = m.recall * x.testAnomalies;
    const fp = tp / m.precision - tp;
    const tn = m.accuracy * x.testRows - tp;
    const fn = x.testAnomalies - tp;
    assert.ok(Math.abs(x.book[0].value - (tp / (tp + fp) + tn / (tn + fn)) / 2) < 1e-9, `${x.variant}: ${x.book[0].value}`);
    assert.is(x.book[1].value, x.metrics.accuracy);
  }
  assert.equal(r.map((x) => x.book[1].published), [0.965, 0.99]);
  assert.equal(epochs, ['dilated0', 'dilated1', 'dilated2', 'dilated3', 'ed0', 'ed1', 'ed2', 'ed3']);
  assert.match(starts[0], /stratified 60\/40 split \(seed 3\): train 72 rows \(24 frauds\)/);
  const again = await runCreditcardTcn({ dataPath: SAMPLE, seed: 3, epochs: 4, kinds: ['ed'] });
  assert.equal(again[0].metrics, r[1].metrics);
  const other = await runCreditcardTcn({ dataPath: SAMPLE, seed: 4, epochs: 4, kinds: ['ed'] });
  assert.not.equal(other[0].metrics, r[1].metrics);
  // --test: every row of the data trains, the other file's rows are scored.
  const t = await runCreditcardTcn({ dataPath: SAMPLE, testPath: SAMPLE, seed: 3, epochs: 2, kinds: ['dilated'] });
  assert.is(t[0].trainRows, 120);
  assert.is(t[0].testRows, 120);
  await rejectsError(runCreditcardTcn({ dataPath: SAMPLE, seed: -1 }), RangeError, /seed must be a non-negative integer/);
  await rejectsError(runCreditcardTcn({ dataPath: SAMPLE, epochs: 0 }), RangeError, /epochs must be a positive integer/);
});

test('the book\'s "AUC" is roc_auc_score with predictions and labels swapped: (precision + NPV) / 2', () => {
  const labels = Int32Array.from([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
  const scores = Float32Array.from([0.9, 0.8, 0.2, 0.7, 0.6, 0.1, 0.3, 0.2, 0.4, 0.1]);
  // Flagged: rows 0, 1, 3, 4 (2 frauds of 4); passed: 6 rows, 5 legitimate.
  assert.ok(Math.abs(bookThresholdedAuc(labels, scores) - (2 / 4 + 5 / 6) / 2) < 1e-12);
  const predictions = Int32Array.from(scores, (p) => (p > 0.5 ? 1 : 0));
  assert.ok(Math.abs(bookThresholdedAuc(labels, scores) - rocAuc(predictions, labels)) < 1e-12);
  // Not the balanced accuracy (TPR + TNR) / 2 that rocAuc(labels, predictions) gives.
  assert.ok(Math.abs(rocAuc(labels, predictions) - (2 / 3 + 5 / 7) / 2) < 1e-12);
  assert.ok(Math.abs(rocAuc(labels, predictions) - bookThresholdedAuc(labels, scores)) > 0.01);
  assert.ok(Number.isNaN(bookThresholdedAuc(labels, new Float32Array(10))));
});

test('vigil eval creditcard-tcn: both rows, --json with the dilated TCN on top and both variants, --seeds spread', async () => {
  const c = capture();
  const json = join(dir, 'cc.json');
  assert.is(await main(['eval', 'creditcard-tcn', '--data', SAMPLE, '--epochs', '2', '--seeds', '2', '--json', json, '-v'], c.io), 0);
  assert.match(c.out(), /creditcard-tcn \[dilated\] \(seed 42\): 72 training rows, 48 test rows \(16 anomalies\)/);
  assert.match(c.out(), /creditcard-tcn \[ed\] \(seed 43\)/);
  assert.match(c.out(), /the book's "AUC" \(\(precision \+ NPV\) \/ 2 at 0.5\) +[\d.]+ \(book: 0.9864\)/);
  assert.match(c.out(), /the book's "AUC" .* against its 0.9741 to 0.9902 +[\d.]+\n/);
  assert.match(c.out(), /creditcard-tcn \[ed\] over 2 seeds \(42, 43\): mean ± sd/);
  assert.match(c.err(), /ed epoch 2, .* val loss/);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.is(j.experiment, 'creditcard-tcn');
  assert.equal(j.seeds, [42, 43]);
  for (const k of ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'prAuc']) {
    assert.type(j.metrics[k], 'number');
    assert.type(j.variants.ed.metrics[k], 'number');
  }
  assert.equal(j.metrics, j.variants.dilated.metrics);
  assert.is(j.variants.ed.runs.length, 2);
  for (const k of ['trainSeconds', 'scoreSeconds', 'samplesPerSecond']) assert.type(j[k], 'number');

  for (const argv of [['eval', 'creditcard-tcn', '--epochs', '0'], ['eval', 'creditcard-tcn', '--seeds', 'x'], ['eval', 'creditcard-tcn', '--protocol', 'seed']]) {
    const u = capture();
    assert.is(await main(argv, u.io), 2, argv.join(' '));
    assert.match(u.err(), /vigil: /);
  }
  const missing = capture();
  assert.is(await main(['eval', 'creditcard-tcn', '--data', join(dir, 'nope.csv')], missing.io), 1);
  assert.match(missing.err(), /--data .*nope\.csv: no such file/);
  const h = capture();
  assert.is(await main(['eval', 'creditcard-tcn', '--help'], h.io), 0);
  assert.match(h.out(), /stratified 60\/40 split/);
});

test.run();
