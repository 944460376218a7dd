// What the KDD Cup 1999 experiments share: the http rows (SEEDS.md: the book filtered the data to
// service == "http" and label-encoded the symbolic columns) and two feature sets, each a
// TabularPipeline fitted on the rows the detector trains on.
//
// For the detectors that assume a scale (the Gaussian RBM's unit-variance visibles, the RBF
// kernel's single gamma): every column (protocol_type and flag as ordinal codes),
//   1. log1p of duration, src_bytes and dst_bytes: seconds and bytes spanning up to six orders of
//      magnitude (among the normal http rows of the 10% set, dst_bytes runs from 0 to 3.9e6),
//      where a handful of huge values would otherwise set every other row's standardised value;
//   2. standardisation (StandardScaler: mean 0, variance 1 per column; constant columns are only
//      centred);
//   3. clipping to +-5 standard deviations. Many KDD columns are almost constant (root_shell,
//      num_compromised, hot: a handful of non-zero values in 50,000 normal rows), so one rare value
//      standardises to 80 or 100 and alone outweighs every other column (1/2 z^2 = 5,000 in a
//      Gaussian RBM's free energy, against ~20 for a typical row). Beyond 5 sd a value is an
//      outlier under any roughly Gaussian column (two-sided probability 6e-7); how far beyond
//      carries no further evidence, so it is capped there.
// For the isolation forest ('basic', kdd-iforest.ts says why): KDD's basic attributes of a TCP
// connection that vary among http rows, duration, flag, src_bytes and dst_bytes (protocol_type,
// land, wrong_fragment and urgent are constant there), flag as the book's label-encoded code and the
// other three through log1p, unscaled (its splits need no common scale). 'http3' (the literature's
// three log1p attributes, without flag) is kept for comparison.
import type { Cell } from '../../models/preprocessing/encoders.ts';
import { takeRows } from '../../models/preprocessing/split.ts';
import { TabularPipeline } from '../../models/preprocessing/tabular_pipeline.ts';
import { KDD_CATEGORICAL, readKddAsync } from '../../models/tabular_datasets.ts';
import type { KddRecords } from '../../models/tabular_datasets.ts';
import type { Tensor } from '../../models/tensor.ts';
import type { LabelledTable } from './run.ts';

export const KDD_SERVICE = 'http';
/** Columns taken through log1p (seconds and bytes). */
export const KDD_LOG_COLUMNS: readonly string[] = ['duration', 'src_bytes', 'dst_bytes'];
/** Standardised values are clipped to [-KDD_CLIP, KDD_CLIP]. */
export const KDD_CLIP = 5;

/** KDD's basic (intrinsic) connection attributes that vary among http rows, in the file's order. */
export const KDD_BASIC_HTTP: readonly string[] = ['duration', 'flag', 'src_bytes', 'dst_bytes'];

/**
 * 'all': every column, log1p, standardised and clipped; 'basic': KDD_BASIC_HTTP (flag label-encoded,
 * the others log1p), unscaled; 'http3': the three log1p byte/time columns, unscaled.
 */
export type KddFeatureSet = 'all' | 'basic' | 'http3';

/** The http rows of a KDD file (the bundled 10% set by default), read on a worker thread. */
export function kddHttp(path?: string, signal?: AbortSignal): Promise<KddRecords> {
  return readKddAsync(path, { service: KDD_SERVICE, signal });
}

/** The unfitted pipeline of a feature set for rows with these column names. */
export function kddPipeline(names: readonly string[], set: KddFeatureSet = 'all'): TabularPipeline {
  if (set === 'basic') return new TabularPipeline({ columns: names, features: KDD_BASIC_HTTP, categorical: ['flag'], log: KDD_LOG_COLUMNS });
  if (set === 'http3') return new TabularPipeline({ columns: names, features: KDD_LOG_COLUMNS, log: KDD_LOG_COLUMNS });
  return new TabularPipeline({
    columns: names,
    categorical: KDD_CATEGORICAL.filter((c) => names.includes(c)),
    log: KDD_LOG_COLUMNS.filter((c) => names.includes(c)),
    scale: 'standard',
    clip: KDD_CLIP,
  });
}

/** Row indices where labels[i] === want, in the order of `from`. */
export function rowsWithLabel(labels: ArrayLike<number>, from: ArrayLike<number>, want: number): Int32Array {
  return Int32Array.from(Array.from(from).filter((i) => labels[i] === want));
}

/** The rows at `idx` of a KDD file as a labelled table through a fitted pipeline. */
export function kddTable(f: TabularPipeline, r: KddRecords, idx?: ArrayLike<number>): LabelledTable {
  const rows = idx === undefined ? r.rows : takeRows(r.rows, idx);
  const labels = idx === undefined ? r.labels : takeRows(r.labels, idx);
  return { x: f.transform(rows), labels };
}

/** Fits a feature set's pipeline on the rows at `trainIdx` and returns them transformed. */
export function kddFit(r: KddRecords, trainIdx: ArrayLike<number>, set: KddFeatureSet = 'all'): { features: TabularPipeline; train: Tensor<Float32Array> } {
  const rows: Cell[][] = takeRows(r.rows, trainIdx);
  const features = kddPipeline(r.names, set);
  return { features, train: features.fitTransform(rows) };
}

/** "n rows (a attacks)". */
export function countLine(labels: ArrayLike<number>): string {
  let a = 0;
  for (let i = 0; i < labels.length; i++) a += labels[i];
  return `${labels.length} rows (${a} attacks)`;
}
