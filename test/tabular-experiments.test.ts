// The tabular experiments on real data in seconds: KDD Cup 99 http rows (a 463-row sample of the
// bundled file, test/fixtures/make_tabular_fixtures.py) and the bundled credit-card subsample,
// through runTabular and through `vigil eval` (flags, --json, --seeds, exit codes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../ts/cli.ts';
import { loadCreditcard } from '../ts/models/tabular_datasets.ts';
import { KDD_BASIC_HTTP, kddHttp, kddPipeline, KDD_CLIP } from '../ts/experiments/tabular/kdd.ts';
import { atFullSetShare, BOOK_SCORE_CUT, bookAuc, EXTENDED_LEVEL, FULL_SET_ATTACK_RATIO } from '../ts/experiments/tabular/kdd-iforest.ts';
import { CREDITCARD_RBM_BOOK_STEPS, CREDITCARD_RBM_MEMBERS, CREDITCARD_RBM_STEPS, creditcardRbmEpochs } from '../ts/experiments/tabular/creditcard-rbm.ts';
import type { RbmEnsemble } from '../ts/models/detectors/rbm_ensemble.ts';
import { runTabular, spreadOf, TABULAR_EXPERIMENTS, tabularReportJSON, thresholdedAuc } from '../ts/experiments/tabular/index.ts';
import type { TabularReport } from '../ts/experiments/tabular/index.ts';

const KDD_SAMPLE = fileURLToPath(new URL('./fixtures/kdd_http_sample.csv', import.meta.url));
const CC_SAMPLE = fileURLToPath(new URL('./fixtures/creditcard_sample_small.csv', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-tabular-exp-'));
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

function sane(r: TabularReport): void {
  for (const v of [r.metrics.rocAuc, r.metrics.prAuc, r.metrics.accuracy, r.trainSeconds, r.scoreSeconds, r.samplesPerSecond]) {
    assert.ok(Number.isFinite(v), `${r.experiment}: ${v}`);
  }
  assert.ok(r.testAnomalies > 0 && r.testAnomalies < r.testRows);
  assert.ok(r.book.length > 0 && r.book.every((b) => Number.isFinite(b.value)));
}

test('the KDD pipeline: encoded, log1p of the byte counts, standardised on the training rows, clipped at 5 sd', async () => {
  const d = await kddHttp(KDD_SAMPLE);
  const f = kddPipeline(d.names).fit(d.rows);
  const x = f.transform(d.rows);
  const V = d.names.length;
  const src = d.names.indexOf('src_bytes');
  const logs = d.rows.map((r) => Math.log1p(r[src] as number));
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((a, v) => a + (v - mean) ** 2, 0) / logs.length);
  for (let i = 0; i < d.rows.length; i += 17) {
    const want = (logs[i] - mean) / sd;
    assert.ok(Math.abs(x.data[i * V + src] - Math.max(-KDD_CLIP, Math.min(KDD_CLIP, want))) < 1e-4);
  }
  assert.ok(x.data.every((v) => Math.abs(v) <= KDD_CLIP));
  assert.ok(x.data.some((v) => v === KDD_CLIP), 'the sample has values beyond 5 sd');
  // The isolation forest's: the three log1p columns, unscaled.
  const h = kddPipeline(d.names, 'http3').fit(d.rows).transform(d.rows);
  assert.equal(h.shape, [d.rows.length, 3]);
  assert.ok(Math.abs(h.data[1] - Math.log1p(d.rows[0][src] as number)) < 1e-6);
});

test('the isolation forest\'s KDD features: duration, flag, src_bytes, dst_bytes; flag as its sorted code, the counts log1p, unscaled', async () => {
  const d = await kddHttp(KDD_SAMPLE);
  assert.equal(KDD_BASIC_HTTP, ['duration', 'flag', 'src_bytes', 'dst_bytes']);
  const x = kddPipeline(d.names, 'basic').fit(d.rows).transform(d.rows);
  assert.equal(x.shape, [d.rows.length, 4]);
  const at = (c: string) => d.names.indexOf(c);
  const flags = [...new Set(d.rows.map((r) => r[at('flag')] as string))].sort();
  assert.ok(flags.includes('REJ') && flags.includes('SF'), `the sample's flags: ${flags}`);
  for (let i = 0; i < d.rows.length; i += 13) {
    const r = d.rows[i];
    assert.ok(Math.abs(x.data[i * 4] - Math.log1p(r[at('duration')] as number)) < 1e-5);
    assert.is(x.data[i * 4 + 1], flags.indexOf(r[at('flag')] as string));
    assert.ok(Math.abs(x.data[i * 4 + 2] - Math.log1p(r[at('src_bytes')] as number)) < 1e-5);
    assert.ok(Math.abs(x.data[i * 4 + 3] - Math.log1p(r[at('dst_bytes')] as number)) < 1e-5);
  }
});

test('the book\'s iforest AUC as its notebook computes it: score >= 0.69 flags, roc_auc_score(predicted normal, actually normal)', () => {
  assert.ok(Math.abs(BOOK_SCORE_CUT - 0.69) < 1e-12);
  // 4 attacks, 6 normal rows; flagged (score >= 0.69): 3 attacks and 1 normal row, the 0.69 itself included.
  const labels = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
  const scores = [0.8, 0.75, 0.69, 0.5, 0.7, 0.4, 0.45, 0.3, 0.6, 0.55];
  const precision = 3 / 4;
  const npv = 5 / 6;
  assert.ok(Math.abs(bookAuc(labels, scores) - (precision + npv) / 2) < 1e-12);
  const other = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const otherScores = [0.8, 0.7, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
  assert.ok(Math.abs(bookAuc(other, otherScores) - (1 / 3 + 1) / 2) < 1e-12, 'precision 1/3, NPV 1');
  // Not (recall + specificity) / 2 = (1 + 7/9) / 2, the ROC AUC of the flags with truth and prediction in their places.
  assert.ok(Math.abs(thresholdedAuc(other, otherScores.map((v) => (v >= 0.69 ? 1 : 0))) - (1 + 7 / 9) / 2) < 1e-12);
  // No row flagged, or every row: scikit-learn raises (one class); vigil gives NaN.
  assert.ok(Number.isNaN(bookAuc(labels, scores.map(() => 0.1))));
  assert.ok(Number.isNaN(bookAuc(labels, scores.map(() => 0.9))));
});

test('kdd-iforest fits on the full set\'s attack share: every normal row, the first attacks in the given order', () => {
  const labels = Int32Array.from({ length: 2000 }, (_, i) => (i % 10 === 3 ? 1 : 0)); // 10% attacks
  const idx = Int32Array.from({ length: 2000 }, (_, i) => 1999 - i);
  const fit = atFullSetShare(labels, idx);
  const attacks = Array.from(fit).filter((i) => labels[i] === 1);
  assert.is(fit.length - attacks.length, 1800);
  assert.is(attacks.length, Math.round(1800 * FULL_SET_ATTACK_RATIO));
  assert.equal(attacks, Array.from(idx).filter((i) => labels[i] === 1).slice(0, attacks.length));
  assert.ok(Array.from(fit).every((v, k) => k === 0 || v < fit[k - 1]), 'order kept');
});

test('kdd-rbm on real KDD rows: fitted on normal rows only, attacks score higher; a seed repeats itself', async () => {
  const starts: string[] = [];
  const epochs: number[] = [];
  const r = await runTabular(TABULAR_EXPERIMENTS['kdd-rbm'], {
    dataPath: KDD_SAMPLE, seed: 3, onStart: (i) => starts.push(i.describe), onEpochEnd: (e) => epochs.push(e),
  });
  sane(r);
  assert.is(r.testRows, 92);
  assert.is(r.testAnomalies, 12);
  assert.ok(r.trainRows === 320, `${r.trainRows} normal training rows`);
  assert.ok(r.metrics.rocAuc > 0.85, `ROC AUC ${r.metrics.rocAuc}`);
  assert.is(epochs.length, 20);
  assert.match(starts[0], /fit on 320 normal rows of the 80%/);
  const again = await runTabular(TABULAR_EXPERIMENTS['kdd-rbm'], { dataPath: KDD_SAMPLE, seed: 3 });
  assert.equal(again.metrics, r.metrics);
  // --test: fitted on every normal row of the data, all rows of the other file scored.
  const t = await runTabular(TABULAR_EXPERIMENTS['kdd-rbm'], { dataPath: KDD_SAMPLE, testPath: KDD_SAMPLE, seed: 3 });
  assert.is(t.trainRows, 400);
  assert.is(t.testRows, 460);
  assert.ok(t.metrics.rocAuc > 0.85);
});

test('kdd-iforest on real KDD rows, with the book\'s thresholded figures for test and validation', async () => {
  const r = await runTabular(TABULAR_EXPERIMENTS['kdd-iforest'], { dataPath: KDD_SAMPLE, seed: 5 });
  sane(r);
  const main = Math.round(460 * 500_000 / 623_091);
  assert.is(r.testRows, main - Math.round(main * 0.8));
  assert.ok(r.trainRows < Math.round(main * 0.8), 'attacks cut to the full set\'s share');
  assert.match(r.model, /duration, flag, src_bytes, dst_bytes/);
  assert.equal(r.book.map((b) => b.published), [0.9982, 0.9981, null, null, null, null, null, null]);
  assert.ok(r.metrics.rocAuc > 0.8, `ROC AUC ${r.metrics.rocAuc}`);
  // The extended forest's extra rows: its own AUCs on the same test and validation rows.
  const ext = r.book.filter((b) => b.name.startsWith(`extended forest (extensionLevel ${EXTENDED_LEVEL})`));
  assert.equal(ext.map((b) => b.name.slice(b.name.indexOf(') ') + 2)), ['ROC AUC (test)', 'PR AUC (test)', 'ROC AUC (validation)', 'PR AUC (validation)']);
  assert.ok(ext[0].value > 0.8, `extended ROC AUC ${ext[0].value}`);
});

test('kdd-ocsvm on real KDD rows: novelty set of every attack and as many unused normal rows', async () => {
  const r = await runTabular(TABULAR_EXPERIMENTS['kdd-ocsvm'], { dataPath: KDD_SAMPLE, seed: 1 });
  sane(r);
  // Half of the 400 normal rows at the book's 60/15/25 shares; the novelty set is every attack and as many spare normal rows.
  assert.is(r.trainRows, 120);
  assert.is(r.testAnomalies, 60);
  assert.is(r.testRows, 120);
  assert.ok(r.metrics.rocAuc > 0.9, `ROC AUC ${r.metrics.rocAuc}`);
  assert.equal(r.book.map((b) => b.published), [0.8909, 0.8949, 0.9583]);
});

test('creditcard-rbm counts gradient steps, not epochs: twice the book\'s 7,820 (20 epochs of 200,000 rows), 32 hidden units, mean reconstruction error of 5 RBMs', async () => {
  assert.is(CREDITCARD_RBM_BOOK_STEPS, 20 * 391);
  assert.is(CREDITCARD_RBM_STEPS, 2 * 20 * 391);
  assert.is(creditcardRbmEpochs(200_000), 40);
  assert.is(creditcardRbmEpochs(199_615), 40);
  assert.is(creditcardRbmEpochs(828), 7820);
  assert.is(creditcardRbmEpochs(512), 15640);
  assert.is(creditcardRbmEpochs(10_000_000), 1);
  const det = (await TABULAR_EXPERIMENTS['creditcard-rbm'].detector(3, 828)) as unknown as RbmEnsemble;
  assert.is(CREDITCARD_RBM_MEMBERS, 5);
  assert.is(det.members, 5);
  assert.equal([0, 4].map((i) => det.memberSeed(i)), [15, 19]);
  const o = det.memberOptions;
  assert.equal([o.epochs, o.batchSize, o.hiddenUnits, o.gibbsSteps, o.learningRate, o.scoring], [7820, 512, 32, 4, 0.001, 'reconstruction']);
});

test('creditcard-rbm takes V1..V28 unscaled (the book\'s notebook), creditcard-autoencoder z-scores its columns', async () => {
  const d = loadCreditcard();
  const W = d.names.length;
  const t = d.names.indexOf('Time');
  let first = -1;
  for (let i = 0; i < d.labels.length; i++) {
    if (d.labels[i] === 0 && (first < 0 || d.features.data[i * W + t] < d.features.data[first * W + t])) first = i;
  }
  const rbm = await TABULAR_EXPERIMENTS['creditcard-rbm'].prepare({ seed: 1 });
  assert.is(rbm.train.shape[1], 28);
  for (let k = 0; k < 28; k++) assert.is(rbm.train.data[k], d.features.data[first * W + d.names.indexOf(`V${k + 1}`)]);
  const ae = await TABULAR_EXPERIMENTS['creditcard-autoencoder'].prepare({ seed: 1 });
  const n = ae.train.shape[0];
  const cols = ae.train.shape[1];
  let mean = 0;
  for (let i = 0; i < n; i++) mean += ae.train.data[i * cols];
  assert.ok(Math.abs(mean / n) < 1e-5, `column 0 mean ${mean / n}`);
});

test('creditcard-rbm on the bundled subsample: split by Time, fitted on legitimate rows', async () => {
  const r = await runTabular(TABULAR_EXPERIMENTS['creditcard-rbm'], { seed: 1 });
  sane(r);
  assert.is(r.testRows, 1722 - Math.round(1722 * 200_000 / 284_807));
  assert.ok(r.metrics.rocAuc > 0.9, `ROC AUC ${r.metrics.rocAuc}`);
  assert.is(r.book[0].value, r.metrics.rocAuc);
  assert.ok(r.book[1].value > 0.9 && r.book[1].value !== r.book[0].value, `one RBM's ROC AUC ${r.book[1].value}`);
  assert.ok(r.book[2].value > 0.9 && r.book[2].value !== r.book[0].value, `free energy ROC AUC ${r.book[2].value}`);
  const t = await runTabular(TABULAR_EXPERIMENTS['creditcard-rbm'], { dataPath: CC_SAMPLE, testPath: CC_SAMPLE, seed: 1 });
  assert.is(t.trainRows, 80);
  assert.is(t.testRows, 120);
});

test('creditcard-autoencoder on the bundled subsample: the autoencoder and, as the book\'s figures, its variants and the VAE', async () => {
  const r = await runTabular(TABULAR_EXPERIMENTS['creditcard-autoencoder'], { seed: 3 });
  sane(r);
  assert.is(r.testRows, 1722 - Math.round(1722 * 200_000 / 284_807));
  assert.equal(r.book.map((b) => b.published), [0.86, null, null, null, 0.93]);
  assert.is(r.book[0].value, r.metrics.rocAuc);
  for (const b of r.book) assert.ok(b.value > 0.9, `${b.name}: ${b.value}`);
});

test('vigil eval kdd-rbm: report, --json with the other experiments\' keys, --seeds with the spread', async () => {
  const c = capture();
  const json = join(dir, 'one.json');
  assert.is(await main(['eval', 'kdd-rbm', '--data', KDD_SAMPLE, '--seed', '2', '--json', json, '-v'], c.io), 0);
  assert.match(c.out(), /kdd-rbm \(seed 2\): 320 training rows, 92 test rows \(12 anomalies\)/);
  assert.match(c.out(), /ROC AUC of the thresholded labels +[\d.]+ \(book: 0.9946\)/);
  assert.match(c.err(), /epoch 20, .* reconstruction error/);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  for (const k of ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'prAuc']) assert.type(j.metrics[k], 'number');
  for (const k of ['trainSeconds', 'scoreSeconds', 'samplesPerSecond']) assert.type(j[k], 'number');
  assert.is(j.experiment, 'kdd-rbm');
  assert.is(j.seed, 2);

  const c2 = capture();
  const json2 = join(dir, 'three.json');
  assert.is(await main(['eval', 'kdd-rbm', '--data', KDD_SAMPLE, '--seed', '2', '--seeds', '3', '--json', json2], c2.io), 0);
  assert.match(c2.out(), /kdd-rbm over 3 seeds \(2, 3, 4, split seed 2\): mean ± sd/);
  const j2 = JSON.parse(readFileSync(json2, 'utf8'));
  assert.equal(j2.seeds, [2, 3, 4]);
  assert.is(j2.runs.length, 3);
  assert.equal(j2.runs[0].metrics, j.metrics);
  assert.ok(Math.abs(j2.metrics.rocAuc - spreadOf(j2.runs.map((r: { metrics: { rocAuc: number } }) => r.metrics.rocAuc)).mean) < 1e-12);
  assert.type(j2.spread.prAuc.sd, 'number');
});

test('vigil eval tabular usage errors exit 2, bad data exits 1', async () => {
  for (const argv of [['eval', 'kdd-rbm', '--seeds', '0'], ['eval', 'kdd-rbm', '--seed', '-1'], ['eval', 'kdd-rbm', '--protocol', 'seed'],
    ['eval', 'kdd-rbm', 'creditcard-rbm'], ['eval', 'kdd-rbm', '--data', '']]) {
    const c = capture();
    assert.is(await main(argv, c.io), 2, argv.join(' '));
    assert.match(c.err(), /vigil: /);
  }
  const c = capture();
  assert.is(await main(['eval', 'kdd-rbm', '--data', join(dir, 'nope.csv')], c.io), 1);
  assert.match(c.err(), /--data .*nope\.csv: no such file/);
  const h = capture();
  assert.is(await main(['eval', 'kdd-iforest', '--help'], h.io), 0);
  assert.match(h.out(), /--seeds K/);
  const u = capture();
  assert.is(await main(['eval', '--help'], u.io), 0);
  assert.match(u.out(), /tabular detector experiments: kdd-rbm, kdd-iforest, kdd-ocsvm, creditcard-rbm/);
});

test('spreadOf and the multi-seed JSON', () => {
  assert.equal(spreadOf([1, 2, 3]), { mean: 2, sd: 1, min: 1, max: 3 });
  assert.equal(spreadOf([5]), { mean: 5, sd: 0, min: 5, max: 5 });
  const base = { experiment: 'x', model: 'm', describe: 'd', splitSeed: 1, threshold: 0, trainRows: 1, testRows: 2, testAnomalies: 1, book: [] };
  const m = (v: number) => ({ accuracy: v, precision: v, recall: v, f1: v, rocAuc: v, prAuc: v });
  const runs = [
    { ...base, seed: 1, metrics: m(0.5), trainSeconds: 1, scoreSeconds: 1, samplesPerSecond: 1 },
    { ...base, seed: 2, metrics: m(1), trainSeconds: 3, scoreSeconds: 3, samplesPerSecond: 3 },
  ];
  const j = tabularReportJSON(runs) as { metrics: { rocAuc: number }; trainSeconds: number; seeds: number[] };
  assert.is(j.metrics.rocAuc, 0.75);
  assert.is(j.trainSeconds, 2);
  assert.equal(j.seeds, [1, 2]);
  assert.equal(Object.keys(tabularReportJSON([runs[0]])), ['experiment', 'metrics', 'trainSeconds', 'scoreSeconds', 'samplesPerSecond', 'seed', 'splitSeed', 'book']);
});

test('runTabular hands onEpochEnd only to detectors that train in epochs (fit refuses options it does not know)', async () => {
  const epochs: number[] = [];
  await runTabular(TABULAR_EXPERIMENTS['kdd-iforest'], { dataPath: KDD_SAMPLE, seed: 5, onEpochEnd: (e) => epochs.push(e) });
  assert.equal(epochs, []);
  await runTabular(TABULAR_EXPERIMENTS['kdd-rbm'], { dataPath: KDD_SAMPLE, testPath: KDD_SAMPLE, seed: 3, onEpochEnd: (e) => epochs.push(e) });
  assert.ok(epochs.length > 0);
});

test.run();
