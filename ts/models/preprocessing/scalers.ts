// Feature scaling with scikit-learn's semantics, for the detectors' tables.
//
// Tables arrive as the detectors take them (toMatrix: float32, finite, rectangular); statistics
// are then computed in float64 over rows in ascending order, so the numbers are those of
// scikit-learn run on the float64 copy of the same float32 table:
// - StandardScaler: the population variance (ddof = 0) by the corrected two-pass algorithm
//   scikit-learn uses (Chan, Golub & LeVeque), so a column far from 0 with a tiny spread (around
//   1e6, float32 steps of 1/16 apart) keeps its digits; a column whose variance lies within the
//   float64 error bound of zero (scikit-learn's _is_constant_feature: a constant column, or one
//   value a step off among a million rows) gets scale 1, so it is centred but not blown up.
// - MinMaxScaler: x * scale + min with scale = (hi - lo) / (max - min); a range below 10 float64
//   epsilons counts as zero and gets 1 (_handle_zeros_in_scale), so a constant column maps to lo.
// Outputs are rounded to float32 once, from the float64 result.
import { toMatrix } from '../detectors/matrix.ts';
import type { Matrix, TabularInput } from '../detectors/matrix.ts';
import type { Tensor } from '../tensor.ts';
import { knownOptions, optionNames } from '../options.ts';

const FORMAT_VERSION = 1;
const EPS = 2 ** -52;

export interface StandardScalerOptions {
  /** Subtract each column's mean (default true). */
  withMean?: boolean;
  /** Divide by each column's population standard deviation (default true). */
  withStd?: boolean;
}

export interface MinMaxScalerOptions {
  /** The [lo, hi] range training columns are mapped onto (default [0, 1]); lo < hi. */
  featureRange?: readonly [number, number];
  /** Clip transformed values into featureRange (default false: unseen extremes fall outside). */
  clip?: boolean;
}

const STANDARD_OPTIONS = optionNames<StandardScalerOptions>()(['withMean', 'withStd']);
const MIN_MAX_OPTIONS = optionNames<MinMaxScalerOptions>()(['featureRange', 'clip']);

export type StandardScalerJSON = {
  type: 'StandardScaler';
  version: number;
  config: { withMean: boolean; withStd: boolean };
  nSamplesSeen: number;
  nFeatures: number;
  /** Per column; null when neither withMean nor withStd (scikit-learn leaves mean_ None then). */
  mean: number[] | null;
  /** Per column; null without withStd. */
  var: number[] | null;
  scale: number[] | null;
};

export type MinMaxScalerJSON = {
  type: 'MinMaxScaler';
  version: number;
  config: { featureRange: [number, number]; clip: boolean };
  nSamplesSeen: number;
  nFeatures: number;
  dataMin: number[];
  dataMax: number[];
};

function flag(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${fn}: ${name} must be a boolean, got ${typeof v}`);
  return v;
}

function options<T>(fn: string, opts: T, names: readonly string[]): T {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn}: options must be an object`);
  knownOptions(fn, opts, names);
  return opts;
}

/** The table in `x`, as wide as the fit when `cols` is given (RangeError naming `x` otherwise). */
function table(fn: string, x: unknown, cols?: number): Matrix {
  const m = toMatrix(fn, 'x', x);
  if (cols !== undefined && m.cols !== cols) {
    throw new RangeError(`${fn}: x has ${m.cols} features per row, the scaler was fitted on ${cols}`);
  }
  return m;
}

/** out[i][j] = (x[i][j] - a[j]) / b[j], or x[i][j] * a[j] + b[j] when `inverse`; rounded to float32 once. */
function affine(m: Matrix, a: Float64Array, b: Float64Array, inverse: boolean): Tensor<Float32Array> {
  const { data, rows, cols } = m;
  const out = new Float32Array(rows * cols);
  for (let i = 0, k = 0; i < rows; i++) {
    if (inverse) for (let j = 0; j < cols; j++, k++) out[k] = data[k] * a[j] + b[j];
    else for (let j = 0; j < cols; j++, k++) out[k] = (data[k] - a[j]) / b[j];
  }
  return { data: out, shape: [rows, cols] };
}

// Checks of JSON read back from a model file: each names the field.
function corrupt(type: string, what: string): never {
  throw new TypeError(`${type}.fromJSON: ${what}`);
}

function header(type: string, json: unknown): Record<string, unknown> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) corrupt(type, 'expected an object');
  const j = json as Record<string, unknown>;
  if (j.type !== type) corrupt(type, `type must be "${type}", got ${JSON.stringify(j.type)}`);
  if (!Number.isInteger(j.version) || (j.version as number) < 1) corrupt(type, `bad version ${JSON.stringify(j.version)}`);
  if ((j.version as number) > FORMAT_VERSION) {
    throw new RangeError(`${type}.fromJSON: format version ${j.version} is newer than this vigil reads (${FORMAT_VERSION})`);
  }
  if (j.config === null || typeof j.config !== 'object') corrupt(type, 'config missing');
  for (const k of ['nSamplesSeen', 'nFeatures']) {
    if (!Number.isInteger(j[k]) || (j[k] as number) < 1) corrupt(type, `bad ${k} ${JSON.stringify(j[k])}`);
  }
  return j;
}

function floats(type: string, name: string, v: unknown, n: number, positive = false): Float64Array {
  if (!Array.isArray(v) || v.length !== n) {
    corrupt(type, `${name} must be an array of ${n} numbers, got ${Array.isArray(v) ? `${v.length} values` : typeof v}`);
  }
  const a = v as unknown[];
  a.forEach((x, k) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || (positive && !(x > 0))) {
      corrupt(type, `${name}[${k}] must be a ${positive ? 'positive' : 'finite'} number, got ${JSON.stringify(x)}`);
    }
  });
  return Float64Array.from(a as number[]);
}

function notFitted(type: string, what: string): never {
  throw new Error(`${type}.${what}: not fitted yet: call fit() first`);
}

/** Centres and scales columns to mean 0 and (population) standard deviation 1. */
export class StandardScaler {
  readonly withMean: boolean;
  readonly withStd: boolean;
  /** Column means (float64); null before fit, or when neither withMean nor withStd. */
  mean: Float64Array | null = null;
  /** Column population variances; null without withStd. */
  var: Float64Array | null = null;
  /** Column divisors: the standard deviation, or 1 for a (near-)constant column; null without withStd. */
  scale: Float64Array | null = null;
  nSamplesSeen = 0;
  nFeatures = 0;

  constructor(opts: StandardScalerOptions = {}) {
    const { withMean = true, withStd = true } = options('StandardScaler', opts, STANDARD_OPTIONS);
    this.withMean = flag('StandardScaler', 'withMean', withMean);
    this.withStd = flag('StandardScaler', 'withStd', withStd);
  }

  get fitted(): boolean {
    return this.nSamplesSeen > 0;
  }

  fit(x: TabularInput): this {
    const m = table('StandardScaler.fit', x);
    const { rows: n, cols: c, data } = m;
    this.mean = this.var = this.scale = null;
    if (this.withMean || this.withStd) {
      const sum = new Float64Array(c);
      for (let i = 0, k = 0; i < n; i++) for (let j = 0; j < c; j++, k++) sum[j] += data[k];
      const mean = sum.map((s) => s / n);
      this.mean = mean;
      if (this.withStd) {
        // sum((x - mean)^2) minus the rounding error of the mean, (sum(x - mean))^2 / n.
        const dev = new Float64Array(c);
        const sq = new Float64Array(c);
        for (let i = 0, k = 0; i < n; i++) {
          for (let j = 0; j < c; j++, k++) {
            const d = data[k] - mean[j];
            dev[j] += d;
            sq[j] += d * d;
          }
        }
        const variance = sq.map((s, j) => (s - (dev[j] * dev[j]) / n) / n);
        this.var = variance;
        this.scale = variance.map((v, j) => {
          const bound = n * EPS * v + (n * mean[j] * EPS) ** 2;
          return v <= bound ? 1 : Math.sqrt(v);
        });
      }
    }
    this.nSamplesSeen = n;
    this.nFeatures = c;
    return this;
  }

  // Subtracting 0 and dividing by 1 change no value, so the absent steps take those.
  private centre(): Float64Array {
    return this.withMean ? this.mean! : new Float64Array(this.nFeatures);
  }

  private divisor(): Float64Array {
    return this.scale ?? new Float64Array(this.nFeatures).fill(1);
  }

  transform(x: TabularInput): Tensor<Float32Array> {
    if (!this.fitted) notFitted('StandardScaler', 'transform');
    return affine(table('StandardScaler.transform', x, this.nFeatures), this.centre(), this.divisor(), false);
  }

  fitTransform(x: TabularInput): Tensor<Float32Array> {
    return this.fit(x).transform(x);
  }

  inverseTransform(x: TabularInput): Tensor<Float32Array> {
    if (!this.fitted) notFitted('StandardScaler', 'inverseTransform');
    return affine(table('StandardScaler.inverseTransform', x, this.nFeatures), this.divisor(), this.centre(), true);
  }

  /** Plain-JSON state (it travels inside model files). */
  toJSON(): StandardScalerJSON {
    if (!this.fitted) notFitted('StandardScaler', 'toJSON');
    const list = (a: Float64Array | null) => (a ? Array.from(a) : null);
    return {
      type: 'StandardScaler',
      version: FORMAT_VERSION,
      config: { withMean: this.withMean, withStd: this.withStd },
      nSamplesSeen: this.nSamplesSeen,
      nFeatures: this.nFeatures,
      mean: list(this.mean),
      var: list(this.var),
      scale: list(this.scale),
    };
  }

  /** Rebuilds a fitted scaler from toJSON's output, checking every field. */
  static fromJSON(json: unknown): StandardScaler {
    const T = 'StandardScaler';
    const j = header(T, json);
    const cfg = j.config as Record<string, unknown>;
    let s: StandardScaler;
    try {
      s = new StandardScaler({ withMean: cfg.withMean as boolean, withStd: cfg.withStd as boolean });
    } catch (err) {
      corrupt(T, `bad config: ${(err as Error).message}`);
    }
    const hasMean = s.withMean || s.withStd;
    if (!hasMean && j.mean !== null) corrupt(T, 'mean must be null without withMean and withStd');
    if (!s.withStd && (j.var !== null || j.scale !== null)) corrupt(T, 'var and scale must be null without withStd');
    const n = j.nFeatures as number;
    if (hasMean) s.mean = floats(T, 'mean', j.mean, n);
    if (s.withStd) {
      s.var = floats(T, 'var', j.var, n);
      s.scale = floats(T, 'scale', j.scale, n, true);
    }
    s.nFeatures = n;
    s.nSamplesSeen = j.nSamplesSeen as number;
    return s;
  }
}

/** Maps each column's training range [min, max] linearly onto featureRange. */
export class MinMaxScaler {
  readonly featureRange: readonly [number, number];
  readonly clip: boolean;
  dataMin: Float64Array | null = null;
  dataMax: Float64Array | null = null;
  /** max - min per column. */
  dataRange: Float64Array | null = null;
  /** Per column: transform(x) = x * scale + min. */
  scale: Float64Array | null = null;
  min: Float64Array | null = null;
  nSamplesSeen = 0;
  nFeatures = 0;

  constructor(opts: MinMaxScalerOptions = {}) {
    const { featureRange = [0, 1], clip = false } = options('MinMaxScaler', opts, MIN_MAX_OPTIONS);
    if (!Array.isArray(featureRange) || featureRange.length !== 2 || featureRange.some((v) => typeof v !== 'number')) {
      throw new TypeError(`MinMaxScaler: featureRange must be [lo, hi] numbers, got ${JSON.stringify(featureRange)}`);
    }
    const [lo, hi] = featureRange;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
      throw new RangeError(`MinMaxScaler: featureRange must be finite with lo < hi, got [${lo}, ${hi}]`);
    }
    this.featureRange = [lo, hi];
    this.clip = flag('MinMaxScaler', 'clip', clip);
  }

  get fitted(): boolean {
    return this.nSamplesSeen > 0;
  }

  fit(x: TabularInput): this {
    const m = table('MinMaxScaler.fit', x);
    const lo = m.data.subarray(0, m.cols);
    const dataMin = Float64Array.from(lo);
    const dataMax = Float64Array.from(lo);
    for (let i = 1, k = m.cols; i < m.rows; i++) {
      for (let j = 0; j < m.cols; j++, k++) {
        const v = m.data[k];
        if (v < dataMin[j]) dataMin[j] = v;
        if (v > dataMax[j]) dataMax[j] = v;
      }
    }
    this.setRange(dataMin, dataMax, m.rows);
    return this;
  }

  private setRange(dataMin: Float64Array, dataMax: Float64Array, n: number): void {
    const [lo, hi] = this.featureRange;
    this.dataMin = dataMin;
    this.dataMax = dataMax;
    this.dataRange = dataMax.map((v, j) => v - dataMin[j]);
    this.scale = this.dataRange.map((r) => (hi - lo) / (r < 10 * EPS ? 1 : r));
    this.min = dataMin.map((v, j) => lo - v * this.scale![j]);
    this.nSamplesSeen = n;
    this.nFeatures = dataMin.length;
  }

  transform(x: TabularInput): Tensor<Float32Array> {
    if (!this.fitted) notFitted('MinMaxScaler', 'transform');
    const t = affine(table('MinMaxScaler.transform', x, this.nFeatures), this.scale!, this.min!, true);
    if (this.clip) {
      const [lo, hi] = this.featureRange;
      const d = t.data;
      // lo and hi may not be float32 values: clip to their float32 roundings, which keeps the order.
      const flo = Math.fround(lo);
      const fhi = Math.fround(hi);
      for (let k = 0; k < d.length; k++) d[k] = d[k] < flo ? flo : d[k] > fhi ? fhi : d[k];
    }
    return t;
  }

  fitTransform(x: TabularInput): Tensor<Float32Array> {
    return this.fit(x).transform(x);
  }

  inverseTransform(x: TabularInput): Tensor<Float32Array> {
    if (!this.fitted) notFitted('MinMaxScaler', 'inverseTransform');
    return affine(table('MinMaxScaler.inverseTransform', x, this.nFeatures), this.min!, this.scale!, false);
  }

  /** Plain-JSON state: the column extremes (scale and min follow from them). */
  toJSON(): MinMaxScalerJSON {
    if (!this.fitted) notFitted('MinMaxScaler', 'toJSON');
    return {
      type: 'MinMaxScaler',
      version: FORMAT_VERSION,
      config: { featureRange: [this.featureRange[0], this.featureRange[1]], clip: this.clip },
      nSamplesSeen: this.nSamplesSeen,
      nFeatures: this.nFeatures,
      dataMin: Array.from(this.dataMin!),
      dataMax: Array.from(this.dataMax!),
    };
  }

  /** Rebuilds a fitted scaler from toJSON's output, checking every field. */
  static fromJSON(json: unknown): MinMaxScaler {
    const T = 'MinMaxScaler';
    const j = header(T, json);
    const cfg = j.config as Record<string, unknown>;
    let s: MinMaxScaler;
    try {
      s = new MinMaxScaler({ featureRange: cfg.featureRange as [number, number], clip: cfg.clip as boolean });
    } catch (err) {
      corrupt(T, `bad config: ${(err as Error).message}`);
    }
    const dataMin = floats(T, 'dataMin', j.dataMin, j.nFeatures as number);
    const dataMax = floats(T, 'dataMax', j.dataMax, j.nFeatures as number);
    const k = dataMin.findIndex((v, i) => v > dataMax[i]);
    if (k >= 0) corrupt(T, `dataMin[${k}] ${dataMin[k]} exceeds dataMax[${k}] ${dataMax[k]}`);
    s.setRange(dataMin, dataMax, j.nSamplesSeen as number);
    return s;
  }
}
