// creditcard-rbm (SEEDS.md): RBM with 28 Gaussian visible units (V1..V28, z-scored with the
// training rows' statistics, as the book's notebook) and 10 hidden units, CD-4, learning rate
// 0.001, momentum 0.95, batch 512, 20 epochs; score = free energy; the book's AUC 0.9584 is the ROC
// AUC of those scores. The split (creditcard.ts): rows in Time order, the first 70.2% the training
// period, fitted on its legitimate rows; the seed drives the RBM only.
import type { Detector } from '../../models/detectors/detector.ts';
import type { TabularInput } from '../../models/detectors/matrix.ts';
import { RBM } from '../../models/detectors/rbm.ts';
import { rocAuc } from '../../models/metrics.ts';
import { CREDITCARD_PCA, creditcardSplit } from './creditcard.ts';
import type { PreparedData, PrepareOptions, TabularExperiment } from './run.ts';

export const creditcardRbm: TabularExperiment = {
  id: 'creditcard-rbm',
  title: 'credit-card fraud: Gaussian RBM, free energy',
  protocol: 'rows in Time order; the first 70.2% (200,000 / 284,807) the training period; RBM fitted on its legitimate rows; the rest scored',
  model: 'RBM(28 gaussian visibles V1..V28 z-scored, 10 hidden, CD-4, lr 0.001, momentum 0.95, batch 512, 20 epochs); score = free energy; weight decay 1e-4 (vigil\'s default: the book gives none); threshold = 0.99 quantile of training scores',
  defaultSeed: 42,
  randomised: true,
  prepare(opts: PrepareOptions): PreparedData {
    return creditcardSplit(opts, CREDITCARD_PCA);
  },
  detector: async (seed) => new RBM({
    visible: 'gaussian', hiddenUnits: 10, gibbsSteps: 4, learningRate: 0.001, momentum: 0.95, batchSize: 512, epochs: 20, weightDecay: 1e-4, seed,
    thresholdQuantile: 0.99,
  }) as Detector<TabularInput>,
  passes: (det) => (det as RBM).epochs,
  async book(_det, data, scores) {
    return [{ name: 'ROC AUC of the free energies', value: rocAuc(data.test.labels, scores), published: 0.9584 }];
  },
};
