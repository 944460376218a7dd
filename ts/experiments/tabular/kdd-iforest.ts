// kdd-iforest (SEEDS.md): IsolationForest(n_estimators=100, max_samples=256, contamination=0.1)
// on the KDD Cup 99 http rows, fitted on every training row (attacks included: unsupervised).
// The book shuffled the 623,091 rows of the full set, split 500,000 of them 80/20 into train and
// test and kept the rest for validation; here the same shares of the 10% set's http rows
// (500,000 / 623,091 = 80.2% of the rows, 80/20 of those). Its "AUC" 0.9982 (test) / 0.9981
// (validation) is the ROC AUC of thresholded labels, anomaly = scikit-learn decision_function
// < -0.19, which is vigil's decisionFunction > 0.19 (the forest's scores equal scikit-learn's,
// sign flipped). vigil reports the ROC AUC and PR AUC of the continuous scores beside it. Features:
// the label-encoded columns, unscaled, as the book (see kdd.ts).
import type { Detector } from '../../models/detectors/detector.ts';
import { IsolationForest } from '../../models/detectors/iforest.ts';
import type { TabularInput } from '../../models/detectors/matrix.ts';
import { rocAuc } from '../../models/metrics.ts';
import { permutation, takeRows } from '../../models/preprocessing/split.ts';
import { countLine, kddFit, kddHttp, kddTable } from './kdd.ts';
import { thresholdedAuc } from './run.ts';
import type { BookFigure, LabelledTable, PreparedData, PrepareOptions, TabularExperiment } from './run.ts';

const MAIN_SHARE = 500_000 / 623_091;
const BOOK_CUT = 0.19;

async function bookAuc(det: Detector<TabularInput>, t: LabelledTable): Promise<number> {
  const d = await det.decisionFunction(t.x);
  return thresholdedAuc(t.labels, Array.from(d, (v) => (v > BOOK_CUT ? 1 : 0)));
}

export const kddIforest: TabularExperiment = {
  id: 'kdd-iforest',
  title: 'KDD Cup 99 http connections: isolation forest',
  protocol: 'http rows shuffled; the first 80.2% split 80/20 into train and test, the rest validation; fitted on all training rows',
  model: 'IsolationForest(nEstimators 100, maxSamples 256, contamination 0.1); book threshold: decisionFunction > 0.19',
  defaultSeed: 42,
  randomised: true,
  prepare({ dataPath, testPath, seed }: PrepareOptions): PreparedData {
    const data = kddHttp(dataPath);
    const n = data.rows.length;
    if (testPath !== undefined) {
      const all = Int32Array.from(data.labels.keys());
      const { features, train } = kddFit(data, all, false);
      const test = kddTable(features, kddHttp(testPath));
      return { train, test, extra: {}, describe: `fit on all ${n} http rows of the data, scored on ${testPath}: ${countLine(test.labels)}` };
    }
    const perm = permutation(n, seed);
    const main = Math.round(n * MAIN_SHARE);
    const cut = Math.round(main * 0.8);
    const { features, train } = kddFit(data, perm.subarray(0, cut), false);
    const test = kddTable(features, data, perm.subarray(cut, main));
    const validation = kddTable(features, data, perm.subarray(main));
    return {
      train, test, extra: { validation },
      describe: `train ${countLine(takeRows(data.labels, perm.subarray(0, cut)))}; test ${countLine(test.labels)}; validation ${countLine(validation.labels)}`,
    };
  },
  detector: async (seed) => new IsolationForest({ nEstimators: 100, maxSamples: 256, contamination: 0.1, seed }) as Detector<TabularInput>,
  passes: () => 1,
  async book(det, data) {
    const figures: BookFigure[] = [{ name: 'ROC AUC of the thresholded labels (test)', value: await bookAuc(det, data.test), published: 0.9982 }];
    const v = data.extra.validation;
    if (v) {
      figures.push({ name: 'ROC AUC of the thresholded labels (validation)', value: await bookAuc(det, v), published: 0.9981 });
      const s = await det.scoreSamples(v.x);
      figures.push({ name: 'ROC AUC (validation)', value: rocAuc(v.labels, s), published: null });
    }
    return figures;
  },
};
