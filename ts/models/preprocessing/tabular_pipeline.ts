// The fitted chain that turns a table's raw rows (CSV cells: strings and numbers) into the float
// features a tabular detector takes, saved with the detector so that a loaded model scores raw
// rows (Detector.preprocessing). One chain for every use: the KDD evals, `vigil train --detector`.
//
//   1. pick the feature columns by name, in the order given (the other columns are never parsed);
//   2. ColumnEncoder: categorical columns as ordinal codes (-1 for a category fit never saw, so a
//      new value never fails a scoring run), the others parsed as numbers;
//   3. sign(x)·log1p(|x|) on the `log` columns: counts and sizes spanning orders of magnitude
//      (bytes, durations), monotone so order-based detectors keep their ranking within a column;
//   4. a scaler fitted on the training rows ('standard' or 'minmax'), for detectors that assume
//      one scale (RBF kernels, Gaussian RBMs, autoencoders);
//   5. clipping of the scaled values to [-clip, clip].
import type { Tensor } from '../tensor.ts';
import { ColumnEncoder } from './encoders.ts';
import type { Cell, ColumnEncoderJSON } from './encoders.ts';
import { MinMaxScaler, StandardScaler } from './scalers.ts';
import type { MinMaxScalerJSON, StandardScalerJSON } from './scalers.ts';

const FORMAT_VERSION = 1;
import { knownOptions, optionNames } from '../options.ts';

const FN = 'TabularPipeline';

export type TabularScale = 'standard' | 'minmax';

export interface TabularPipelineOptions {
  /** Names of the raw rows' columns, in order (a CSV header). */
  columns: readonly string[];
  /** The columns the detector sees, in this order (default: every column). */
  features?: readonly string[];
  /** Feature columns that hold categories (label-encoded); the others must hold numbers. */
  categorical?: readonly string[];
  /** Numeric feature columns taken through sign(x)·log1p(|x|). */
  log?: readonly string[];
  /** Scaler fitted on the training rows (default none). */
  scale?: TabularScale | null;
  /** Clip scaled values to [-clip, clip] (needs `scale`; default none). */
  clip?: number | null;
}

const OPTIONS = optionNames<TabularPipelineOptions>()(['columns', 'features', 'categorical', 'log', 'scale', 'clip']);

export type TabularPipelineJSON = {
  type: 'TabularPipeline';
  version: number;
  config: { columns: string[]; features: string[]; categorical: string[]; log: string[]; scale: TabularScale | null; clip: number | null };
  encoder: ColumnEncoderJSON;
  scaler: StandardScalerJSON | MinMaxScalerJSON | null;
};

function names(what: string, v: unknown, allowEmpty: boolean): string[] {
  if (!Array.isArray(v) || (!allowEmpty && v.length === 0) || v.some((c) => typeof c !== 'string')) {
    throw new TypeError(`${FN}: ${what} must be ${allowEmpty ? 'an' : 'a non-empty'} array of column names`);
  }
  const dup = v.findIndex((c, k) => v.indexOf(c) !== k);
  if (dup >= 0) throw new RangeError(`${FN}: ${what} names ${JSON.stringify(v[dup])} twice`);
  return [...(v as string[])];
}

function subset(what: string, v: readonly string[], of: readonly string[], ofName: string): void {
  const stray = v.find((c) => !of.includes(c));
  if (stray !== undefined) throw new RangeError(`${FN}: ${what} names ${JSON.stringify(stray)}, not one of the ${ofName}`);
}

export class TabularPipeline {
  readonly columns: readonly string[];
  readonly features: readonly string[];
  readonly categorical: readonly string[];
  readonly log: readonly string[];
  readonly scale: TabularScale | null;
  readonly clip: number | null;
  readonly #pick: number[];
  readonly #logAt: number[];
  #encoder: ColumnEncoder;
  #scaler: StandardScaler | MinMaxScaler | null = null;

  constructor(opts: TabularPipelineOptions) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${FN}: options must be an object`);
    knownOptions(FN, opts, OPTIONS);
    this.columns = names('columns', opts.columns, false);
    this.features = opts.features === undefined ? [...this.columns] : names('features', opts.features, false);
    subset('features', this.features, this.columns, 'columns');
    this.categorical = names('categorical', opts.categorical ?? [], true);
    subset('categorical', this.categorical, this.features, 'features');
    this.log = names('log', opts.log ?? [], true);
    subset('log', this.log, this.features, 'features');
    const both = this.log.find((c) => this.categorical.includes(c));
    if (both !== undefined) throw new RangeError(`${FN}: ${JSON.stringify(both)} is categorical and cannot be in log`);
    const scale = opts.scale ?? null;
    if (scale !== null && scale !== 'standard' && scale !== 'minmax') {
      throw new RangeError(`${FN}: scale must be 'standard', 'minmax' or null, got ${JSON.stringify(scale)}`);
    }
    this.scale = scale;
    const clip = opts.clip ?? null;
    if (clip !== null) {
      if (typeof clip !== 'number') throw new TypeError(`${FN}: clip must be a number or null, got ${typeof clip}`);
      if (!(clip > 0) || !Number.isFinite(clip)) throw new RangeError(`${FN}: clip must be a positive finite number, got ${clip}`);
      if (scale === null) throw new TypeError(`${FN}: clip needs a scale`);
    }
    this.clip = clip;
    this.#pick = this.features.map((c) => this.columns.indexOf(c));
    this.#logAt = this.log.map((c) => this.features.indexOf(c));
    this.#encoder = new ColumnEncoder({
      columns: this.features, categorical: this.categorical, unknown: 'use-encoded-value', unknownValue: -1,
    });
  }

  get fitted(): boolean {
    return this.#encoder.fitted;
  }

  /** Width of the rows transform() returns. */
  get nFeatures(): number {
    return this.features.length;
  }

  /** Learns the categories and the scale from the training rows. */
  fit(rows: ArrayLike<ArrayLike<Cell>>): this {
    this.fitTransform(rows);
    return this;
  }

  fitTransform(rows: ArrayLike<ArrayLike<Cell>>): Tensor<Float32Array> {
    const t = this.#logged(this.#encoder.fitTransform(this.#picked(`${FN}.fit`, rows)));
    this.#scaler = this.scale === null ? null : this.scale === 'standard' ? new StandardScaler() : new MinMaxScaler();
    this.#scaler?.fit(t);
    return this.#scaled(t);
  }

  /** The feature table of raw rows (as wide as `columns`). */
  transform(rows: ArrayLike<ArrayLike<Cell>>): Tensor<Float32Array> {
    const fn = `${FN}.transform`;
    if (!this.fitted) throw new Error(`${fn}: not fitted yet: call fit() first`);
    return this.#scaled(this.#logged(this.#encoder.transform(this.#picked(fn, rows))));
  }

  #picked(fn: string, rows: ArrayLike<ArrayLike<Cell>>): Cell[][] {
    if (rows === null || typeof rows !== 'object' || typeof rows.length !== 'number') {
      throw new TypeError(`${fn}: rows must be an array of rows (arrays of strings or numbers)`);
    }
    if (rows.length === 0) throw new RangeError(`${fn}: rows is empty`);
    const w = this.columns.length;
    const out: Cell[][] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (r === null || typeof r !== 'object' || typeof r.length !== 'number') throw new TypeError(`${fn}: rows[${i}] must be an array of cells`);
      if (r.length !== w) throw new RangeError(`${fn}: rows[${i}] has ${r.length} columns, expected ${w} (${this.columns.join(', ')})`);
      out[i] = this.#pick.map((j) => r[j]);
    }
    return out;
  }

  #logged(t: Tensor<Float32Array>): Tensor<Float32Array> {
    const w = this.features.length;
    for (let i = 0; i < t.shape[0]; i++) {
      for (const j of this.#logAt) {
        const v = t.data[i * w + j];
        t.data[i * w + j] = Math.sign(v) * Math.log1p(Math.abs(v));
      }
    }
    return t;
  }

  #scaled(t: Tensor<Float32Array>): Tensor<Float32Array> {
    if (this.#scaler === null) return t;
    const s = this.#scaler.transform(t);
    const c = this.clip;
    if (c !== null) for (let k = 0; k < s.data.length; k++) s.data[k] = Math.min(c, Math.max(-c, s.data[k]));
    return s;
  }

  /** Plain-JSON state (it travels inside model files). */
  toJSON(): TabularPipelineJSON {
    if (!this.fitted) throw new Error(`${FN}.toJSON: not fitted yet: call fit() first`);
    return {
      type: 'TabularPipeline',
      version: FORMAT_VERSION,
      config: {
        columns: [...this.columns], features: [...this.features], categorical: [...this.categorical], log: [...this.log],
        scale: this.scale, clip: this.clip,
      },
      encoder: this.#encoder.toJSON(),
      scaler: this.#scaler?.toJSON() ?? null,
    };
  }

  /** Rebuilds a fitted pipeline from toJSON's output, checking every field. */
  static fromJSON(json: unknown): TabularPipeline {
    const bad = (what: string, cause?: unknown): never => {
      throw new TypeError(`${FN}.fromJSON: ${what}`, { cause });
    };
    if (json === null || typeof json !== 'object' || Array.isArray(json)) bad('expected an object');
    const j = json as Partial<TabularPipelineJSON>;
    if (j.type !== 'TabularPipeline') bad(`type must be "TabularPipeline", got ${JSON.stringify(j.type)}`);
    if (!Number.isInteger(j.version) || j.version! < 1) bad(`bad version ${JSON.stringify(j.version)}`);
    if (j.version! > FORMAT_VERSION) throw new RangeError(`${FN}.fromJSON: format version ${j.version} is newer than this vigil reads (${FORMAT_VERSION})`);
    let p: TabularPipeline;
    try {
      p = new TabularPipeline(j.config as TabularPipelineOptions);
    } catch (err) {
      return bad(`bad config: ${(err as Error).message}`, err);
    }
    let encoder: ColumnEncoder;
    try {
      encoder = ColumnEncoder.fromJSON(j.encoder);
    } catch (err) {
      return bad(`encoder: ${(err as Error).message}`, err);
    }
    const same = (a: readonly unknown[] | null, b: readonly unknown[]) => a !== null && a.length === b.length && a.every((v, k) => v === b[k]);
    if (!same(encoder.columns, p.features)) bad('encoder columns differ from the features');
    if (!same(encoder.categorical, p.categorical.map((c) => p.features.indexOf(c)).sort((a, b) => a - b))) {
      bad('encoder categorical columns differ from the config');
    }
    p.#encoder = encoder;
    const s = j.scaler ?? null;
    if ((s === null) !== (p.scale === null)) bad(`scaler ${s === null ? 'missing' : 'present'} with scale ${JSON.stringify(p.scale)}`);
    if (s !== null) {
      try {
        p.#scaler = p.scale === 'standard' ? StandardScaler.fromJSON(s) : MinMaxScaler.fromJSON(s);
      } catch (err) {
        return bad(`scaler: ${(err as Error).message}`, err);
      }
      if (s.nFeatures !== p.features.length) bad(`scaler has ${s.nFeatures} features, the pipeline ${p.features.length}`);
    }
    return p;
  }
}
