// What the credit-card fraud experiments share (creditcard-rbm, creditcard-autoencoder): SEEDS.md's
// split and the standardised feature columns.
//
// The book's split: rows in Time order, the first 200,000 of 284,807 for training, the rest for
// testing. The bundled file is a subsample (all 492 frauds, 1,230 legitimate rows: 28.6% fraud
// instead of 0.17%), so vigil keeps the split's share (70.2% of the rows by Time) and fits on the
// legitimate rows of the training period only: at the original rate the book's training rows
// were almost all legitimate, here training on 28.6% frauds would teach the model the frauds.
// The split does not depend on the seed. Columns are z-scored with the fitted rows' statistics
// unless `standardise` is false (creditcard-rbm: the book feeds V1..V28 as they are).
import { StandardScaler } from '../../models/preprocessing/scalers.ts';
import { loadCreditcardAsync } from '../../models/tabular_datasets.ts';
import type { CreditcardDataset } from '../../models/tabular_datasets.ts';
import type { Tensor } from '../../models/tensor.ts';
import type { PreparedData, PrepareOptions } from './run.ts';

const TRAIN_SHARE = 200_000 / 284_807;
/** The principal components V1..V28. */
export const CREDITCARD_PCA: readonly string[] = Array.from({ length: 28 }, (_, k) => `V${k + 1}`);

/** The columns `features` of the rows at `idx`. */
function pick(d: CreditcardDataset, idx: ArrayLike<number>, features: readonly string[]): Tensor<Float32Array> {
  const cols = features.map((f) => d.names.indexOf(f));
  const w = d.names.length;
  const out = new Float32Array(idx.length * cols.length);
  for (let r = 0; r < idx.length; r++) cols.forEach((j, k) => (out[r * cols.length + k] = d.features.data[idx[r] * w + j]));
  return { data: out, shape: [idx.length, cols.length] };
}

function frauds(labels: ArrayLike<number>): number {
  let a = 0;
  for (let i = 0; i < labels.length; i++) a += labels[i];
  return a;
}

const IDENTITY = { transform: (x: Tensor<Float32Array>) => x };

/** The split of SEEDS.md's credit-card protocol on columns `features`, z-scored on the fitted rows unless `standardise` is false. */
export async function creditcardSplit({ dataPath, testPath, signal }: PrepareOptions, features: readonly string[], standardise = true): Promise<PreparedData> {
  const d = await loadCreditcardAsync(dataPath, { signal });
  const n = d.labels.length;
  const time = (i: number) => d.features.data[i * d.names.length + d.names.indexOf('Time')];
  const byTime = Int32Array.from(d.labels.keys()).sort((a, b) => time(a) - time(b) || a - b);
  const cut = testPath === undefined ? Math.round(n * TRAIN_SHARE) : n;
  const fit = byTime.subarray(0, cut).filter((i) => d.labels[i] === 0);
  const scaler = standardise ? new StandardScaler().fit(pick(d, fit, features)) : IDENTITY;
  const train = scaler.transform(pick(d, fit, features));
  if (testPath !== undefined) {
    const t = await loadCreditcardAsync(testPath, { signal });
    const all = Int32Array.from(t.labels.keys());
    const test = { x: scaler.transform(pick(t, all, features)), labels: t.labels };
    return { train, test, extra: {}, describe: `fit on the ${fit.length} legitimate rows of the data, scored on ${testPath}: ${t.labels.length} rows (${frauds(t.labels)} frauds)` };
  }
  const rest = byTime.subarray(cut);
  const labels = Int32Array.from(rest, (i) => d.labels[i]);
  return {
    train,
    test: { x: scaler.transform(pick(d, rest, features)), labels },
    extra: {},
    describe: `fit on the ${fit.length} legitimate rows of the first ${cut} by Time; test = the last ${rest.length} rows (${frauds(labels)} frauds)`,
  };
}
