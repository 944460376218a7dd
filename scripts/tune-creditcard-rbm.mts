// Chooses creditcard-rbm's settings on validation rows only. `vigil eval creditcard-rbm` fits on the
// legitimate rows of the training period (the first 70.2% of the rows by Time) and scores the rest;
// this script never reads the rest. It holds out a fifth of the period's legitimate rows (carve
// 'time': the latest fifth, as the test rows are later than the training rows; carves 'rN': a
// random fifth drawn with seed N), fits on the other four fifths and scores the held-out rows plus
// the period's frauds (none of which are fitted on either way). Prints one JSON line per (config,
// carve, detector seed): validation ROC AUC at each checkpoint (in gradient steps) and the
// free-energy gap, mean F of the held-out legitimate rows minus mean F of the fitted rows.
//
//   npx tsx scripts/tune-creditcard-rbm.mts CONFIG[,CONFIG...] [SPLIT_SEEDS] [DETECTOR SEEDS PER CARVE]
//   e.g. npx tsx scripts/tune-creditcard-rbm.mts book,z,h32 42,7,1,2,3 2
//
// Each checkpoint is a separate fit of the same RBM for fewer epochs, which replays the longer fit's
// first epochs exactly (the row orders and Gibbs samples depend on the seed and the epoch only).
import { RBM } from '../ts/models/detectors/rbm.ts';
import type { RBMOptions } from '../ts/models/detectors/rbm.ts';
import { rocAuc } from '../ts/models/metrics.ts';
import { StandardScaler } from '../ts/models/preprocessing/scalers.ts';
import { permutation } from '../ts/models/preprocessing/split.ts';
import { loadCreditcard } from '../ts/models/tabular_datasets.ts';
import type { Tensor } from '../ts/models/tensor.ts';
import { CREDITCARD_PCA } from '../ts/experiments/tabular/creditcard.ts';

interface Config {
  /** z-score V1..V28 on the fitted rows (the book feeds them as they are). */
  z?: boolean;
  options: RBMOptions;
  /** Gradient steps at which to score. */
  steps: number[];
}

const BOOK: RBMOptions = { visible: 'gaussian', hiddenUnits: 10, gibbsSteps: 4, learningRate: 0.001, momentum: 0.95, batchSize: 512, weightDecay: 1e-4 };
const CONFIGS: Record<string, Config> = {
  book: { options: BOOK, steps: [40, 2000, 7820, 15640] },
  z: { z: true, options: BOOK, steps: [40, 2000, 7820, 15640] },
  h32: { options: { ...BOOK, hiddenUnits: 32 }, steps: [7820, 15640, 31280] },
  'z-h32': { z: true, options: { ...BOOK, hiddenUnits: 32 }, steps: [7820, 15640] },
  h64: { options: { ...BOOK, hiddenUnits: 64 }, steps: [7820, 15640] },
  'z-h64': { z: true, options: { ...BOOK, hiddenUnits: 64 }, steps: [7820, 15640] },
  'z-cd1': { z: true, options: { ...BOOK, gibbsSteps: 1 }, steps: [7820, 15640] },
  'z-pcd4': { z: true, options: { ...BOOK, persistent: true }, steps: [7820, 15640] },
  'z-lr3e-3': { z: true, options: { ...BOOK, learningRate: 0.003 }, steps: [7820, 15640] },
  // Bernoulli visibles on min-max scaled columns, clipped to [0, 1] where held-out rows fall outside.
  'bernoulli-minmax': { options: { ...BOOK, visible: 'bernoulli', learningRate: 0.01 }, steps: [7820, 15640] },
};

const d = loadCreditcard();
const W = d.names.length;
const time = d.names.indexOf('Time');
// The training period exactly as creditcardSplit cuts it.
const byTime = Int32Array.from(d.labels.keys()).sort((a, b) => d.features.data[a * W + time] - d.features.data[b * W + time] || a - b);
const period = Array.from(byTime.subarray(0, Math.round(d.labels.length * (200_000 / 284_807))));
const legit = period.filter((i) => d.labels[i] === 0);
const frauds = period.filter((i) => d.labels[i] === 1);

function table(idx: readonly number[]): Tensor<Float32Array> {
  const cols = CREDITCARD_PCA.map((f) => d.names.indexOf(f));
  const out = new Float32Array(idx.length * cols.length);
  idx.forEach((r, i) => cols.forEach((j, k) => (out[i * cols.length + k] = d.features.data[r * W + j])));
  return { data: out, shape: [idx.length, cols.length] };
}

function minMax(fit: Tensor<Float32Array>): (x: Tensor<Float32Array>) => Tensor<Float32Array> {
  const V = fit.shape[1];
  const lo = new Float64Array(V).fill(Infinity);
  const hi = new Float64Array(V).fill(-Infinity);
  fit.data.forEach((v, k) => { lo[k % V] = Math.min(lo[k % V], v); hi[k % V] = Math.max(hi[k % V], v); });
  return (x) => ({ data: x.data.map((v, k) => Math.min(1, Math.max(0, (v - lo[k % V]) / (hi[k % V] - lo[k % V])))), shape: x.shape });
}

interface Carve { name: string; fit: number[]; held: number[] }

function carves(splitSeeds: number[]): Carve[] {
  const nHeld = legit.length - Math.round(legit.length * 0.8);
  const out: Carve[] = [{ name: 'time', fit: legit.slice(0, legit.length - nHeld), held: legit.slice(legit.length - nHeld) }];
  for (const s of splitSeeds) {
    const held = new Set(permutation(legit.length, s, 7777).subarray(0, nHeld));
    out.push({ name: `r${s}`, fit: legit.filter((_, i) => !held.has(i)), held: legit.filter((_, i) => held.has(i)) });
  }
  return out;
}

function mean(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}

const [names = 'book', seedList = '42,7,1,2,3', perCarve = '2'] = process.argv.slice(2);
for (const name of names.split(',')) {
  const cfg = CONFIGS[name];
  if (!cfg) throw new RangeError(`unknown config ${name}; choose from ${Object.keys(CONFIGS).join(', ')}`);
  for (const carve of carves(seedList.split(',').map(Number))) {
    const fitRows = table(carve.fit);
    const scale = cfg.options.visible === 'bernoulli' ? minMax(fitRows)
      : cfg.z ? ((s) => (x: Tensor<Float32Array>) => s.transform(x))(new StandardScaler().fit(fitRows)) : (x: Tensor<Float32Array>) => x;
    const x = scale(fitRows);
    const held = scale(table(carve.held));
    const val = scale(table([...carve.held, ...frauds]));
    const labels = Int32Array.from([...carve.held.map(() => 0), ...frauds.map(() => 1)]);
    const batches = Math.ceil(carve.fit.length / (cfg.options.batchSize ?? 512));
    const first = carve.name === 'time' ? 42 : Number(carve.name.slice(1));
    for (let k = 0; k < Number(perCarve); k++) {
      const seed = first + k;
      const points = [];
      for (const steps of cfg.steps) {
        const rbm = await new RBM({ ...cfg.options, epochs: Math.max(1, Math.round(steps / batches)), seed }).fit(x);
        const gap = mean(await rbm.scoreSamples(held)) - mean(await rbm.scoreSamples(x));
        points.push({ steps, auc: rocAuc(labels, await rbm.scoreSamples(val)), gap });
      }
      console.log(JSON.stringify({ config: name, carve: carve.name, seed, points }));
    }
  }
}
