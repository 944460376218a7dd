// What standard tabular classifiers reach on creditcard-tcn's own splits: a ceiling for the TCNs'
// ROC AUC on the bundled sample (README "creditcard-tcn"). The splits are made here exactly as
// `vigil eval creditcard-tcn --seed N` makes them (stratified 60/40, seeded); scikit-learn (under
// /usr/bin/python3, as for the bench's peers) fits each model on the training rows and scores the
// test rows. A measurement for the README, not a test: nothing in vigil depends on Python.
//
//   npx tsx scripts/creditcard-tcn-ceiling.mts [SPLIT_SEEDS]      e.g. 42,7,1,2,3 (the default)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PYTHON } from '../bench/python.ts';
import { trainTestSplit } from '../ts/models/preprocessing/split.ts';
import { loadCreditcard } from '../ts/models/tabular_datasets.ts';

const seeds = (process.argv[2] ?? '42,7,1,2,3').split(',').map(Number);
const d = loadCreditcard();
const W = d.names.length;
const rows = Array.from({ length: d.labels.length }, (_, r) => Array.from(d.features.data.subarray(r * W, (r + 1) * W)));
const splits = seeds.map((seed) => {
  const s = trainTestSplit(d.labels.length, { testSize: 0.4, seed, stratify: d.labels });
  return { seed, train: Array.from(s.train), test: Array.from(s.test) };
});
const script = fileURLToPath(new URL('./creditcard_tcn_ceiling.py', import.meta.url));
const run = spawnSync(PYTHON, [script], { input: JSON.stringify({ rows, labels: Array.from(d.labels), splits }), stdio: ['pipe', 'inherit', 'inherit'] });
process.exit(run.status ?? 1);
