// kdd-rbm (SEEDS.md): an RBM with Gaussian visible units on the KDD Cup 99 http rows, free energy
// as the anomaly score; the book published AUC 0.9946. Its notebook ("RBM on kddcup final.ipynb")
// trains 20 hidden units with CD-4, learning rate 0.001, momentum 0.95, batch 512, 20 epochs, on
// 43,000 normal rows, and tests on 7,000 normal rows plus all 4,045 attacks (37% attacks), with 38
// columns standardised on train and test together (README "Tabular detectors"). vigil's protocol is
// instead the novelty setting of the book's one-class SVM: a stratified 80/20 split, the RBM
// fitted on the normal rows of the 80% only, and every row of the 20% (normal and attacks at the
// data's own rate) scored. The RBM takes vigil's default settings (64 hidden units, CD-1, learning
// rate 0.01, momentum 0.5, weight decay 1e-4, batch 64, 20 epochs); the threshold is the 0.99
// quantile of the training rows' free energies (1% of normal training rows flagged).
import type { TabularInput } from '../../models/detectors/matrix.ts';
import { RBM } from '../../models/detectors/rbm.ts';
import type { Detector } from '../../models/detectors/detector.ts';
import { trainTestSplit } from '../../models/preprocessing/split.ts';
import { countLine, kddFit, kddHttp, kddTable, rowsWithLabel } from './kdd.ts';
import { thresholdedAuc } from './run.ts';
import type { PreparedData, PrepareOptions, TabularExperiment } from './run.ts';

const TEST_SHARE = 0.2;

export const kddRbm: TabularExperiment = {
  id: 'kdd-rbm',
  title: 'KDD Cup 99 http connections: Gaussian RBM, free energy',
  protocol: 'http rows; stratified 80/20 split; RBM fitted on the normal rows of the 80%; all of the 20% scored',
  model: 'RBM(gaussian visibles, 64 hidden, CD-1, lr 0.01, momentum 0.5, weight decay 1e-4, batch 64, 20 epochs); score = free energy; threshold = 0.99 quantile of training scores',
  defaultSeed: 42,
  randomised: true,
  async prepare({ dataPath, testPath, seed, signal }: PrepareOptions): Promise<PreparedData> {
    const data = await kddHttp(dataPath, signal);
    const all = Int32Array.from(data.labels.keys());
    if (testPath !== undefined) {
      const normal = rowsWithLabel(data.labels, all, 0);
      const { features, train } = kddFit(data, normal);
      const test = kddTable(features, await kddHttp(testPath, signal));
      return { train, test, extra: {}, describe: `fit on the ${normal.length} normal http rows of the data, scored on ${testPath}: ${countLine(test.labels)}` };
    }
    const s = trainTestSplit(data.rows.length, { testSize: TEST_SHARE, seed, stratify: data.labels });
    const normal = rowsWithLabel(data.labels, s.train, 0);
    const { features, train } = kddFit(data, normal);
    const test = kddTable(features, data, s.test);
    return { train, test, extra: {}, describe: `fit on ${normal.length} normal rows of the 80%; test = the 20%: ${countLine(test.labels)}` };
  },
  detector: async (seed) => new RBM({ seed, thresholdQuantile: 0.99 }) as Detector<TabularInput>,
  passes: (det) => (det as RBM).epochs,
  async book(det, data) {
    const predicted = await det.predict(data.test.x);
    return [{ name: 'ROC AUC of the thresholded labels', value: thresholdedAuc(data.test.labels, predicted), published: 0.9946 }];
  },
};
