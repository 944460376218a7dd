// A user's own table: read a CSV, fit one of the tabular detectors on its rows and save a model
// file that scores raw CSV rows (the TabularPipeline travels in the file as the detector's
// preprocessing). `vigil train --detector` is a thin flag parser over this module; `vigil score`
// reads the file back through loadDetector.
//
// Documented behaviour:
// - the feature columns are the ones named (in that order), else every column but the label
//   and id columns;
// - a column is categorical when any of its training cells is not a decimal number; categories
//   get ordinal codes in sorted order, and a category never seen in training scores as code -1;
// - the isolation forest takes the codes and numbers as they are (its splits need no common
//   scale); the one-class SVM, the RBM and the autoencoder take them standardised (mean 0,
//   variance 1 over the training rows), as their kernels and unit-variance visibles assume;
// - training is unsupervised: a label column is only left out of the features.
import { Autoencoder } from '../models/detectors/autoencoder.ts';
import type { Detector } from '../models/detectors/detector.ts';
import { IsolationForest } from '../models/detectors/iforest.ts';
import type { TabularInput } from '../models/detectors/matrix.ts';
import { OneClassSVM } from '../models/detectors/ocsvm.ts';
import { RBM } from '../models/detectors/rbm.ts';
import { TabularPipeline } from '../models/preprocessing/tabular_pipeline.ts';
import type { TableData } from './table_csv.ts';

// The CSV reader lives in its own module, free of the detectors, so its async form's worker loads little.
export { readTable, readTableAsync } from './table_csv.ts';
export type { ReadTableOptions, TableData } from './table_csv.ts';

export const DETECTOR_KINDS = ['iforest', 'ocsvm', 'rbm', 'autoencoder'] as const;
export type DetectorKind = (typeof DETECTOR_KINDS)[number];

export interface TrainDetectorOptions {
  /** The expected share of anomalies among the training rows (the threshold; default 0.1). */
  contamination?: number;
  /** Seed of the detector (default 0). */
  seed?: number;
  /** Autoencoder epochs (default 50); RBM epochs (default 20). */
  epochs?: number;
  /** Isolation forest only: the extended forest's level (default 0, axis-parallel splits). */
  extensionLevel?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** The unfitted detector of a kind, with vigil's defaults. */
export function newDetector(kind: DetectorKind, opts: TrainDetectorOptions): Detector<TabularInput> {
  const common = { contamination: opts.contamination, seed: opts.seed };
  switch (kind) {
    case 'iforest': return new IsolationForest({ ...common, extensionLevel: opts.extensionLevel });
    case 'ocsvm': return new OneClassSVM({ contamination: opts.contamination }) as Detector<TabularInput>;
    case 'rbm': return new RBM({ ...common, epochs: opts.epochs }) as Detector<TabularInput>;
    case 'autoencoder': return new Autoencoder({ ...common, epochs: opts.epochs }) as Detector<TabularInput>;
    default: throw new RangeError(`detector must be one of ${DETECTOR_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  }
}

/** Fits a detector of `kind` on the table's rows, its preprocessing with it; resolves to the fitted detector. */
export async function trainDetector(kind: DetectorKind, table: TableData, opts: TrainDetectorOptions = {}): Promise<Detector<TabularInput>> {
  const det = newDetector(kind, opts);
  det.preprocessing = new TabularPipeline({
    columns: table.features, categorical: table.categorical, scale: kind === 'iforest' ? null : 'standard',
  });
  await det.fit(table.rows, { onProgress: opts.onProgress, signal: opts.signal });
  return det;
}
