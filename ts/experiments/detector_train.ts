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
import { readDataText } from '../models/datasets.ts';
import { Autoencoder } from '../models/detectors/autoencoder.ts';
import type { Detector } from '../models/detectors/detector.ts';
import { IsolationForest } from '../models/detectors/iforest.ts';
import type { TabularInput } from '../models/detectors/matrix.ts';
import { OneClassSVM } from '../models/detectors/ocsvm.ts';
import { RBM } from '../models/detectors/rbm.ts';
import { csvRecords, DataFormatError, resolveColumn } from '../models/preprocessing/csv.ts';
import { parseNumberCell } from '../models/preprocessing/encoders.ts';
import { TabularPipeline } from '../models/preprocessing/tabular_pipeline.ts';
import { CustomDataError } from './custom.ts';

export const DETECTOR_KINDS = ['iforest', 'ocsvm', 'rbm', 'autoencoder'] as const;
export type DetectorKind = (typeof DETECTOR_KINDS)[number];

export interface ReadTableOptions {
  /** Feature columns: header names or 0-based indices (default: every column but `exclude`). */
  columns?: readonly string[];
  /** Columns never used as features (label, id). */
  exclude?: readonly string[];
  /** The first record names the columns (default true); without, columns are named by index. */
  header?: boolean;
  delimiter?: string;
}

export interface TableData {
  /** The feature columns' names (the header's, or "0", "1", ... without one), in the order the detector reads them. */
  features: string[];
  /** Feature columns holding anything but decimal numbers. */
  categorical: string[];
  /** Each data record's feature cells, in the order of `features`. */
  rows: string[][];
}

/** Reads a CSV table (gzip detected) and works out its feature columns. */
export function readTable(path: string, opts: ReadTableOptions = {}): TableData {
  const header = opts.header ?? true;
  const text = readDataText(path, 'vigil');
  const records = csvRecords(text, { source: path, delimiter: opts.delimiter ?? ',' });
  const first = records.next();
  if (first.done) throw new CustomDataError(`${path}: the file is empty (no records)`);
  const width = first.value.fields.length;
  const head = header ? first.value.fields.map((h) => h.trim()) : null;
  const names = head ?? Array.from({ length: width }, (_, j) => String(j));
  const dup = names.findIndex((c, k) => names.indexOf(c) !== k);
  if (dup >= 0) throw new CustomDataError(`${path}: the header names column ${JSON.stringify(names[dup])} twice`);
  const resolve = (spec: string, what: string) => {
    try {
      return resolveColumn(spec, head, width, what).index;
    } catch (err) {
      throw new CustomDataError(`${path}: ${(err as Error).message}`);
    }
  };
  const excluded = new Set((opts.exclude ?? []).map((c) => resolve(c, 'column')));
  const picked = opts.columns === undefined
    ? names.map((_, j) => j).filter((j) => !excluded.has(j))
    : opts.columns.map((c) => resolve(c, '--columns'));
  if (picked.length === 0) throw new CustomDataError(`${path}: no feature columns are left`);
  const twice = picked.find((j, k) => picked.indexOf(j) !== k);
  if (twice !== undefined) throw new CustomDataError(`${path}: --columns names column ${names[twice]} twice`);
  const clash = picked.find((j) => excluded.has(j));
  if (clash !== undefined) throw new CustomDataError(`${path}: column ${names[clash]} is both a feature and the label or id column`);

  const rows: string[][] = [];
  const take = (fields: string[], line: number) => {
    if (fields.length !== width) throw new DataFormatError(path, line, `${fields.length} field(s), the first record has ${width}`);
    rows.push(picked.map((j) => fields[j]));
  };
  if (!header) take(first.value.fields, first.value.line);
  for (const r of records) take(r.fields, r.line);
  if (rows.length < 2) throw new CustomDataError(`${path}: ${rows.length} data row(s); a detector needs at least 2`);
  const features = picked.map((j) => names[j]);
  const categorical = features.filter((_, k) => rows.some((r) => Number.isNaN(parseNumberCell(r[k]))));
  return { features, categorical, rows };
}

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
