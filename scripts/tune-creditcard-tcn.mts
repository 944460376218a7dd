// Chooses creditcard-tcn's settings on validation rows only: for each split seed, the 60/40 split of
// `vigil eval creditcard-tcn` is made, its test rows are never touched, and a stratified quarter of
// its training rows is held out as validation; the model is fitted on the other three quarters the
// way the experiment fits (rows in Time order, the latest 10% of them shown as val loss or used for
// early stopping) and scored by ROC AUC on the validation quarter. Prints one JSON line per
// (config, split seed, model seed).
//
//   npx tsx scripts/tune-creditcard-tcn.mts CONFIG[,CONFIG...] [SPLIT_SEEDS] [MODEL_SEEDS]
//   e.g. npx tsx scripts/tune-creditcard-tcn.mts ed-base,ed-norm 42,7,1 0,1
import { EarlyStopping } from '../ts/models/callbacks.ts';
import { rocAuc } from '../ts/models/metrics.ts';
import { trainTestSplit } from '../ts/models/preprocessing/split.ts';
import { loadCreditcard } from '../ts/models/tabular_datasets.ts';
import { TcnClassifier } from '../ts/models/tcn_models.ts';
import type { TcnClassifierOptions } from '../ts/models/tcn_models.ts';
import { bookScaling, sequences } from '../ts/experiments/tabular/creditcard-tcn.ts';

interface Config {
  options: TcnClassifierOptions;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  classWeight?: [number, number];
  /** Early stopping on the latest `share` of the fitting rows (restoring the best weights). */
  early?: { patience: number; share: number };
  /** The book's scaling: Time and Amount standardised (on the fitting rows), V1..V28 as they are. */
  bookScale?: boolean;
}

const dilated = (o: object = {}): TcnClassifierOptions => ({ kind: 'dilated', ...o });
const ed = (o: object = {}): TcnClassifierOptions => ({ kind: 'ed', ...o });

const CONFIGS: Record<string, Config> = {
  'dil-base': { options: dilated() },
  'dil-e20': { options: dilated(), epochs: 20 },
  'dil-e50': { options: dilated(), epochs: 50 },
  'dil-lr3e-4-e50': { options: dilated(), epochs: 50, lr: 3e-4 },
  'dil-drop0.2': { options: dilated({ spatialDropout: 0.2 }) },
  'dil-l2-1e-3': { options: dilated({ l2: 0.001 }) },
  'dil-cw': { options: dilated(), classWeight: [1, 2.5] },
  'dil-es': { options: dilated(), epochs: 100, early: { patience: 10, share: 0.25 } },
  'ed-base': { options: ed() },
  'ed-norm': { options: ed({ activation: 'norm_relu' }) },
  'ed-norm-e50': { options: ed({ activation: 'norm_relu' }), epochs: 50 },
  'ed-norm-lr3e-3': { options: ed({ activation: 'norm_relu' }), lr: 3e-3 },
  'ed-e50': { options: ed(), epochs: 50 },
  'ed-e20': { options: ed(), epochs: 20 },
  'ed-drop0.1': { options: ed({ spatialDropout: 0.1 }) },
  'ed-drop0.5': { options: ed({ spatialDropout: 0.5 }) },
  'ed-lr3e-4-e50': { options: ed(), epochs: 50, lr: 3e-4 },
  'ed-cw': { options: ed(), classWeight: [1, 2.5] },
  'ed-l2-1e-3': { options: ed({ l2: 0.001 }) },
  'ed-k5': { options: ed({ kernelSize: 5 }) },
  'ed-norm-k5': { options: ed({ activation: 'norm_relu', kernelSize: 5 }) },
  'ed-norm-drop0.1': { options: ed({ activation: 'norm_relu', spatialDropout: 0.1 }) },
  'dil-e80': { options: dilated(), epochs: 80 },
  'ed-bookscale': { options: ed(), bookScale: true },
  'dil-bookscale': { options: dilated(), epochs: 50, bookScale: true },
  'ed-es': { options: ed(), epochs: 100, early: { patience: 10, share: 0.25 } },
  'ed-norm-es': { options: ed({ activation: 'norm_relu' }), epochs: 100, early: { patience: 10, share: 0.25 } },
};

const [names = '', splitArg = '42,7,1', modelArg = '0,1'] = process.argv.slice(2);
const unknown = names.split(',').filter((n) => !CONFIGS[n]);
if (!names || unknown.length) {
  console.error(`usage: tune-creditcard-tcn.mts CONFIG[,CONFIG...] [SPLIT_SEEDS] [MODEL_SEEDS]; configs: ${Object.keys(CONFIGS).join(', ')}`);
  process.exit(2);
}
// TUNE_ON=test: once the settings are chosen, the same fits on the whole training part scored on
// the test rows, for the spread over model seeds that `vigil eval` (model seed = split seed) lacks.
const onTest = process.env.TUNE_ON === 'test';
const d = loadCreditcard();
for (const name of names.split(',')) {
  const config = CONFIGS[name]!;
  for (const split of splitArg.split(',').map(Number)) {
    const outer = trainTestSplit(d.labels.length, { testSize: 0.4, seed: split, stratify: d.labels });
    const trainLabels = Int32Array.from(outer.train, (r) => d.labels[r]);
    const inner = trainTestSplit(outer.train.length, { testSize: 0.25, seed: split + 1000, stratify: trainLabels });
    const fitPart = onTest ? sequences(d, outer.train) : sequences(d, Int32Array.from(inner.train, (i) => outer.train[i]));
    const valPart = onTest ? sequences(d, outer.test) : sequences(d, Int32Array.from(inner.test, (i) => outer.train[i]));
    const [fitX, valX] = config.bookScale ? bookScaling(fitPart.x, fitPart.x, valPart.x) : [fitPart.x, valPart.x];
    // With several model seeds, also the ROC AUC of their averaged probabilities (a seed ensemble).
    const sum = new Float64Array(valPart.labels.length);
    const modelSeeds = modelArg.split(',').map(Number);
    for (const modelSeed of modelSeeds) {
      const seed = split * 100 + modelSeed;
      const clf = new TcnClassifier({
        ...config.options, seed, ...(config.bookScale ? { standardize: false } : {}), ...(config.lr ? { optimizer: { name: 'adam', learningRate: config.lr } } : {}),
      } as TcnClassifierOptions);
      const t0 = performance.now();
      const h = await clf.fit(fitX!, fitPart.labels, {
        epochs: config.epochs ?? 30, batchSize: config.batchSize ?? 32, validationSplit: config.early?.share ?? 0.1,
        classWeight: config.classWeight,
        callbacks: config.early ? [new EarlyStopping({ patience: config.early.patience, restoreBestWeights: true })] : [],
      });
      const p = await clf.predictProba(valX!);
      const auc = rocAuc(valPart.labels, Float32Array.from(valPart.labels, (_, i) => p.data[2 * i + 1]));
      sum.forEach((_, i) => { sum[i] += p.data[2 * i + 1]; });
      console.log(JSON.stringify({
        config: name, on: onTest ? 'test' : 'validation', split, modelSeed, auc: +auc.toFixed(5), epochs: h.epochs.length,
        seconds: +((performance.now() - t0) / 1000).toFixed(1), rows: valPart.labels.length, frauds: valPart.labels.reduce((a, b) => a + b, 0),
      }));
    }
    if (modelSeeds.length > 1) {
      const auc = rocAuc(valPart.labels, Float32Array.from(sum, (v) => v / modelSeeds.length));
      console.log(JSON.stringify({ config: name, on: onTest ? 'test' : 'validation', split, ensembleOf: modelSeeds.length, auc: +auc.toFixed(5) }));
    }
  }
}
