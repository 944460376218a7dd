// What the KDD Cup 1999 experiments share: the http rows (SEEDS.md: the book filtered the data to
// service == "http" and label-encoded the symbolic columns) and the feature pipeline, fitted on the
// rows the detector trains on:
//   1. protocol_type and flag as ordinal codes (ColumnEncoder; -1 for a category the training
//      rows never had). This is all the isolation forest gets, as in the book: its splits are
//      drawn uniformly between a column's extremes, so it needs no common scale, and the far
//      values the next steps would compress are exactly what isolates a row quickly.
// For the detectors that assume a scale (the Gaussian RBM's unit-variance visibles, the RBF
// kernel's single gamma):
//   2. log1p of duration, src_bytes and dst_bytes: seconds and bytes spanning up to six orders of
//      magnitude (among the normal http rows of the 10% set, dst_bytes runs from 0 to 3.9e6),
//      where a handful of huge values would otherwise set every other row's standardised value;
//   3. standardisation (StandardScaler: mean 0, variance 1 per column; constant columns are only
//      centred);
//   4. clipping to +-5 standard deviations. Many KDD columns are almost constant (root_shell,
//      num_compromised, hot: a handful of non-zero values in 50,000 normal rows), so one rare value
//      standardises to 80 or 100 and alone outweighs every other column (1/2 z^2 = 5,000 in a
//      Gaussian RBM's free energy, against ~20 for a typical row). Beyond 5 sd a value is an
//      outlier under any roughly Gaussian column (two-sided probability 6e-7); how far beyond
//      carries no further evidence, so it is capped there.
import type { Cell, ColumnEncoder } from '../../models/preprocessing/encoders.ts';
import { StandardScaler } from '../../models/preprocessing/scalers.ts';
import { takeRows } from '../../models/preprocessing/split.ts';
import { kddEncoder, readKdd } from '../../models/tabular_datasets.ts';
import type { KddRecords } from '../../models/tabular_datasets.ts';
import type { Tensor } from '../../models/tensor.ts';
import type { LabelledTable } from './run.ts';

export const KDD_SERVICE = 'http';
/** Columns taken through log1p before scaling. */
export const KDD_LOG_COLUMNS: readonly string[] = ['duration', 'src_bytes', 'dst_bytes'];
/** Standardised values are clipped to [-KDD_CLIP, KDD_CLIP]. */
export const KDD_CLIP = 5;

/** The http rows of a KDD file (the bundled 10% set by default). */
export function kddHttp(path?: string): KddRecords {
  return readKdd(path, { service: KDD_SERVICE });
}

/** The fitted pipeline: encoder, then (when scaled) log columns, scaler and clip. */
export class KddFeatures {
  readonly names: readonly string[];
  readonly encoder: ColumnEncoder;
  /** Null when the features are only encoded (steps 2-4 skipped). */
  readonly scaler: StandardScaler | null;
  readonly #log: number[];

  /** Fits on `rows` (the rows the detector will be trained on). */
  constructor(names: readonly string[], rows: Cell[][], scaled = true) {
    this.names = [...names];
    this.#log = KDD_LOG_COLUMNS.map((c) => names.indexOf(c)).filter((j) => j >= 0);
    this.encoder = kddEncoder(names).fit(rows);
    this.scaler = scaled ? new StandardScaler().fit(this.encodeAndLog(rows)) : null;
  }

  private encodeAndLog(rows: Cell[][]): Tensor<Float32Array> {
    const t = this.encoder.transform(rows);
    const cols = t.shape[1];
    for (let i = 0; i < t.shape[0]; i++) {
      for (const j of this.#log) {
        const v = t.data[i * cols + j];
        // These columns are never negative in KDD; the sign keeps another file's odd value monotone.
        t.data[i * cols + j] = Math.sign(v) * Math.log1p(Math.abs(v));
      }
    }
    return t;
  }

  transform(rows: Cell[][]): Tensor<Float32Array> {
    if (this.scaler === null) return this.encoder.transform(rows);
    const t = this.scaler.transform(this.encodeAndLog(rows));
    const d = t.data;
    for (let k = 0; k < d.length; k++) d[k] = d[k] > KDD_CLIP ? KDD_CLIP : d[k] < -KDD_CLIP ? -KDD_CLIP : d[k];
    return t;
  }
}

/** Row indices where labels[i] === want, in the order of `from`. */
export function rowsWithLabel(labels: ArrayLike<number>, from: ArrayLike<number>, want: number): Int32Array {
  return Int32Array.from(Array.from(from).filter((i) => labels[i] === want));
}

/** The rows at `idx` of a KDD file as a labelled table through a fitted pipeline. */
export function kddTable(f: KddFeatures, r: KddRecords, idx?: ArrayLike<number>): LabelledTable {
  const rows = idx === undefined ? r.rows : takeRows(r.rows, idx);
  const labels = idx === undefined ? r.labels : takeRows(r.labels, idx);
  return { x: f.transform(rows), labels };
}

/** Fits the pipeline (encoding only unless `scaled`) on the rows at `trainIdx` and returns them transformed. */
export function kddFit(r: KddRecords, trainIdx: ArrayLike<number>, scaled = true): { features: KddFeatures; train: Tensor<Float32Array> } {
  const rows = takeRows(r.rows, trainIdx);
  const features = new KddFeatures(r.names, rows, scaled);
  return { features, train: features.transform(rows) };
}

/** "n rows (a attacks)". */
export function countLine(labels: ArrayLike<number>): string {
  let a = 0;
  for (let i = 0; i < labels.length; i++) a += labels[i];
  return `${labels.length} rows (${a} attacks)`;
}
