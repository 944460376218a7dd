// The experiment pipeline on a few hundred real rows of each bundled data set (one short epoch:
// a broken pipeline scores at chance), and the `vigil` CLI's argument handling, run in-process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../ts/cli.ts';
import { EXPERIMENTS, reportJSON, runExperiment } from '../ts/experiments/index.ts';
import type { ExperimentReport, Recipe } from '../ts/experiments/index.ts';
import { Dense, Embedding, LSTM } from '../ts/index.ts';
import { rejectsError } from './helpers/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-experiments-'));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, progressStream: null },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

const ROWS = 2000;
// Small and quick to learn, so one epoch over a few thousand rows is far from chance.
const smoke: Recipe = {
  describe: 'smoke',
  layers: (V) => [new Embedding(V, 16), new LSTM(32), new Dense(1, { activation: 'sigmoid' })],
  optimizer: { name: 'adam', learningRate: 1e-2 },
  epochs: 1,
  batchSize: 32,
  tokenizer: { oovToken: '<oov>' },
};
const reports: Record<string, ExperimentReport> = {};

// CSIC's attacks hide in long requests, and split by content group no held-out request has a twin
// in training: the small LSTM needs many passes over 1,500 rows (16 gave ROC AUC 0.77-0.82 and
// accuracy 0.69-0.73 on seeds 3-6; 6 gave 0.69-0.76, too close to the floors). ~2.5 s.
const EPOCHS: Record<string, number> = { 'log-breach-lstm': 16 };
// Accuracy floors: the majority class is 50% of the phishing rows, 62% of CSIC's, 38% of HttpParams'.
const MIN_ACCURACY: Record<string, number> = { 'phishing-lstm': 0.7, 'log-breach-lstm': 0.66, 'payload-lstm': 0.8 };

for (const id of Object.keys(EXPERIMENTS)) {
  const epochs = EPOCHS[id] ?? 1;
  test(`${id}: ${ROWS} real rows, ${epochs} short epoch(s), clearly above chance`, async () => {
    const r = await runExperiment(EXPERIMENTS[id], { recipe: smoke, limit: ROWS, seed: 3, epochs });
    reports[id] = r;
    assert.is(r.trainRows + r.testRows, ROWS);
    assert.is(r.epochsRun, epochs);
    assert.is(r.epochSeconds.length, epochs);
    assert.ok(r.metrics.rocAuc > 0.7, `ROC AUC ${r.metrics.rocAuc} (chance: 0.5)`);
    assert.ok(r.metrics.accuracy > MIN_ACCURACY[id], `accuracy ${r.metrics.accuracy}`);
    for (const k of ['accuracy', 'rocAuc', 'prAuc', 'f1'] as const) assert.ok(r.metrics[k] >= 0 && r.metrics[k] <= 1, k);
  });
}

test('a run is deterministic: same seed, same metrics', async () => {
  const again = await runExperiment(EXPERIMENTS['payload-lstm'], { recipe: smoke, limit: ROWS, seed: 3 });
  assert.equal(again.metrics, reports['payload-lstm'].metrics);
});

test('the seed protocol builds the notebook model', async () => {
  const r = await runExperiment(EXPERIMENTS['phishing-lstm'], { protocol: 'seed', epochs: 1, limit: 300 });
  assert.is(r.protocol, 'seed');
  assert.match(r.model, /Embedding\(V, 128\) -> LSTM\(32\) -> Dropout\(0.5\)/);
  assert.is(r.testRows, Math.ceil(0.33 * 300));
});

test("the report carries the kept epoch's validation loss and accuracy (null without a validation split)", async () => {
  const seen: Array<{ valLoss?: number; valMetrics?: Record<string, number> }> = [];
  const cb = { onEpochEnd: (_e: number, logs: { valLoss?: number; valMetrics?: Record<string, number> }) => { seen.push(logs); } };
  // The notebook's recipe holds out a quarter of the training rows and keeps the last epoch.
  const r = await runExperiment(EXPERIMENTS['log-breach-lstm'], { protocol: 'seed', epochs: 2, limit: 300, callbacks: [cb] });
  assert.is(seen.length, 2);
  assert.ok(r.validation !== null);
  assert.is(r.validation.loss, seen[1].valLoss);
  assert.is(r.validation.metrics.accuracy, seen[1].valMetrics?.accuracy);
  assert.ok(r.validation.loss > 0 && Number.isFinite(r.validation.loss));
  assert.is(reports['payload-lstm'].validation, null);
});

test('runExperiment rejects a bad epoch count', async () => {
  await rejectsError(() => runExperiment(EXPERIMENTS['payload-lstm'], { epochs: 0 }), RangeError, /epochs/);
});

test('vigil eval --json writes exactly the documented keys', async () => {
  const file = join(dir, 'out.json');
  const c = capture();
  const code = await main(['eval', 'payload-lstm', '--limit', '300', '--epochs', '1', '--seed', '5', '--json', file], c.io);
  assert.is(code, 0, c.err());
  const j = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(Object.keys(j).sort(), ['experiment', 'metrics', 'samplesPerSecond', 'scoreSeconds', 'trainSeconds']);
  assert.is(j.experiment, 'payload-lstm');
  for (const k of ['accuracy', 'rocAuc', 'prAuc', 'f1']) assert.type(j.metrics[k], 'number');
  for (const k of ['trainSeconds', 'scoreSeconds', 'samplesPerSecond']) assert.ok(j[k] > 0, k);
  assert.match(c.out(), /accuracy\s+\d\.\d{4}/);
  assert.match(c.out(), /ROC AUC/);
  assert.equal(Object.keys(reportJSON(reports['payload-lstm'])).sort(), Object.keys(j).sort());
});

const usage: Array<[string, string[], RegExp]> = [
  ['no command', [], /usage: vigil eval/],
  ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
  ['no experiment', ['eval'], /needs an experiment/],
  ['an unknown experiment', ['eval', 'yelp-rnn'], /unknown experiment "yelp-rnn".*phishing-lstm/],
  ['two experiments', ['eval', 'phishing-lstm', 'payload-lstm'], /one experiment/],
  ['--epochs 0', ['eval', 'payload-lstm', '--epochs', '0'], /--epochs must be an integer >= 1 and <= 100000, got "0"/],
  ['--epochs abc', ['eval', 'payload-lstm', '--epochs', 'abc'], /--epochs must be an integer/],
  ['--epochs 2.5', ['eval', 'payload-lstm', '--epochs', '2.5'], /--epochs must be an integer/],
  ['--epochs without a value', ['eval', 'payload-lstm', '--epochs'], /--epochs/],
  ['--seed -1', ['eval', 'payload-lstm', '--seed', '-1'], /--seed/],
  ['an unknown flag', ['eval', 'payload-lstm', '--bogus'], /Unknown option '--bogus'/],
  ['an unknown protocol', ['eval', 'payload-lstm', '--protocol', 'best'], /--protocol must be seed or default, got "best"/],
  ['an empty --json', ['eval', 'payload-lstm', '--json', ''], /--json needs a file name/],
];
for (const [what, argv, pattern] of usage) {
  test(`vigil ${argv.join(' ')}: ${what} is a usage error (exit 2)`, async () => {
    const c = capture();
    assert.is(await main(argv, c.io), 2);
    assert.match(c.err(), pattern);
    assert.is(c.out(), '');
  });
}

test('vigil eval --help prints the usage and exits 0', async () => {
  const c = capture();
  assert.is(await main(['eval', '--help'], c.io), 0);
  assert.match(c.out(), /--protocol seed\|default/);
});

test('a missing --data file fails with exit 1 and names the file', async () => {
  const c = capture();
  const missing = join(dir, 'nope.csv');
  assert.is(await main(['eval', 'phishing-lstm', '--data', missing], c.io), 1);
  assert.is(c.err(), `vigil: --data ${missing}: no such file\n`);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
