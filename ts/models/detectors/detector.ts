// The one interface of every vigil detector (tabular and time series), after scikit-learn and PyOD:
//
//   await det.fit(x)              trains, then sets `threshold` from the training scores
//   await det.scoreSamples(x)     anomaly scores: HIGHER = MORE ANOMALOUS, for every detector
//   await det.decisionFunction(x) scoreSamples - threshold: > 0 is flagged (PyOD's sign)
//   await det.predict(x)          1 = anomaly, 0 = normal (PyOD's labels; scikit-learn says -1/1)
//   await det.save(path)          one model file (serialize.ts), written atomically
//   await loadDetector(path)      any detector back, by the type written in the file
//
// Raw rows: set `det.preprocessing = new TabularPipeline({ columns, categorical, scale, ... })`
// and every call above takes rows as a CSV gives them (strings and numbers): fit() fits the
// pipeline on the training rows when it is not fitted yet, the other calls run rows through it,
// and the pipeline travels in the model file, so a loaded detector scores raw rows too.
//
// scikit-learn's own score_samples and decision_function are "higher = more normal"; a detector
// that mirrors a scikit-learn estimator says in its docs how its numbers map onto scikit-learn's.
// A row is flagged when its score is strictly above the threshold, as scikit-learn flags scores
// strictly below its offset_.
import type { ConfigValue } from '../layers/layer.ts';
import type { Cell } from '../preprocessing/encoders.ts';
import { TabularPipeline } from '../preprocessing/tabular_pipeline.ts';
import {
  decodeDetectorState, decodePreprocessing, encodeModelFile, ModelFileError, Preprocessing, readModelFile, saveModelFile,
} from '../serialize.ts';
import type { DecodedModelFile, DetectorJSON, WeightRecord } from '../serialize.ts';
import { streamScores } from '../stream/pipeline.ts';
import type { ScoredBatch } from '../stream/pipeline.ts';
import { detectorModel } from '../stream/models.ts';
import type { DetectorStreamOptions } from '../stream/models.ts';
import type { StreamInput } from '../stream/source.ts';
import type { TabularInput } from './matrix.ts';
import { knownOptions, optionNames } from '../options.ts';
import { thresholdFor, thresholdRule } from './threshold.ts';
import type { ThresholdOptions, ThresholdRule } from './threshold.ts';

export type JSONObject = { [key: string]: ConfigValue };

/** Table rows as a CSV reader gives them: what a detector with `preprocessing` takes. */
export type RawRows = ArrayLike<ArrayLike<Cell>>;

export interface DetectorFitOptions {
  /** Stops training at the next check; fit() then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called as training advances: `done` of `total` units (trees, epochs, ...). */
  onProgress?: (done: number, total: number) => void;
}

export const DETECTOR_FIT_OPTIONS = optionNames<DetectorFitOptions>()(['signal', 'onProgress']);

/** What a detector writes into its model file. */
export interface DetectorState {
  /** The constructor options, so that `new Class(config)` rebuilds an unfitted twin. */
  config: JSONObject;
  /** Fitted values that are not arrays of floats (feature count, offsets, ...). */
  fitted: JSONObject;
  /** Fitted float arrays (trees, support vectors, weights). */
  weights: WeightRecord[];
}

/** A fitted detector as plain values: what save() writes, and what other file formats (ONNX) carry. */
export interface FittedDetectorState extends DetectorState {
  threshold: number;
}

/** How a detector class is rebuilt from its file. */
export type DetectorFactory = (state: { config: JSONObject; fitted: JSONObject; weights: Map<string, Float32Array> }) => Detector<never>;

const factories = new Map<string, DetectorFactory>();

/** Makes `loadDetector` able to read files of `modelType`; each detector module registers itself. */
export function registerDetector(modelType: string, factory: DetectorFactory): void {
  if (factories.has(modelType)) throw new Error(`registerDetector: '${modelType}' is already registered`);
  factories.set(modelType, factory);
}

export abstract class Detector<X> {
  /** The type written in model files (unique per class, e.g. 'IsolationForest'). */
  abstract readonly modelType: string;
  readonly thresholdRule: ThresholdRule;
  #threshold: number | null = null;
  #preprocessing: TabularPipeline | null = null;
  /** The option names fit() takes (it refuses others): a subclass with fit options of its own (onEpochEnd) lists them all. */
  readonly fitOptionNames: readonly string[] = DETECTOR_FIT_OPTIONS;

  /** `autoThreshold`: the fixed threshold of contamination 'auto', for detectors whose scores have one. */
  constructor(fn: string, opts: ThresholdOptions, autoThreshold?: number) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError(`${fn}: options must be an object`);
    this.thresholdRule = thresholdRule(fn, opts, autoThreshold);
  }

  /** Trains on `x` and resolves to the anomaly scores of the training data (for the threshold). */
  protected abstract train(x: X, opts: DetectorFitOptions): Promise<Float32Array>;
  /** Anomaly scores of `x` from a fitted model (higher = more anomalous); checks `x`. */
  protected abstract score(x: X): Promise<Float32Array>;
  /** The fitted model as file contents. */
  protected abstract state(): DetectorState;

  get fitted(): boolean {
    return this.#threshold !== null;
  }

  /** The score above which predict() flags a row; set by fit() or by hand. */
  get threshold(): number {
    if (this.#threshold === null) throw new Error(`${this.modelType}: not fitted yet: call fit() first`);
    return this.#threshold;
  }

  set threshold(value: number) {
    if (typeof value !== 'number') throw new TypeError(`${this.modelType}: threshold must be a number, got ${typeof value}`);
    if (Number.isNaN(value)) throw new RangeError(`${this.modelType}: threshold must not be NaN`);
    this.#threshold = value;
  }

  /**
   * Turns raw rows into the detector's features in every call (null: none; inputs are features).
   * An unfitted pipeline is fitted by fit() on the training rows; a fitted one is used as it is.
   */
  get preprocessing(): TabularPipeline | null {
    return this.#preprocessing;
  }

  set preprocessing(p: TabularPipeline | null) {
    if (p !== null && !(p instanceof TabularPipeline)) throw new TypeError(`${this.modelType}: preprocessing must be a TabularPipeline or null`);
    this.#preprocessing = p;
  }

  async fit(x: X | RawRows, opts: DetectorFitOptions = {}): Promise<this> {
    const fn = `${this.modelType}.fit`;
    if (typeof opts !== 'object' || opts === null) throw new TypeError(`${fn}: options must be an object`);
    knownOptions(fn, opts, this.fitOptionNames);
    if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw new TypeError(`${fn}: signal must be an AbortSignal`);
    if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') throw new TypeError(`${fn}: onProgress must be a function`);
    opts.signal?.throwIfAborted();
    const scores = await this.train(preprocessed(this, fn, x, true), opts);
    this.#threshold = thresholdFor(this.thresholdRule, scores);
    return this;
  }

  async scoreSamples(x: X | RawRows): Promise<Float32Array> {
    this.requireFitted('scoreSamples');
    return this.score(preprocessed(this, `${this.modelType}.scoreSamples`, x));
  }

  /** scoreSamples of features that went through the preprocessing already (it is not run again). */
  async scoreFeatures(x: X): Promise<Float32Array> {
    this.requireFitted('scoreFeatures');
    return this.score(x);
  }

  async decisionFunction(x: X | RawRows): Promise<Float32Array> {
    const t = this.threshold;
    return (await this.scoreSamples(x)).map((s) => s - t);
  }

  async predict(x: X | RawRows): Promise<Uint8Array> {
    const t = this.threshold;
    const s = await this.scoreSamples(x);
    return Uint8Array.from(s, (v) => (v > t ? 1 : 0));
  }

  /**
   * Scores a table far larger than memory, row by row: a file path or a Readable of CSV or JSON
   * lines (gzip recognised), a batch at a time through scoreSamples. Yields ScoredBatch objects
   * (scores and predictions) in input order; memory stays flat whatever the input's size
   * (models/stream/pipeline.ts). Tabular detectors only (IsolationForest, OneClassSVM, RBM): a
   * series detector's score depends on the steps before it. A malformed row stops the iteration
   * with a DataFormatError naming its line, or is skipped (`onError: 'skip'`, reported to `onSkip`).
   */
  scoreStream(input: StreamInput, options: DetectorStreamOptions = {}): AsyncGenerator<ScoredBatch> {
    const fn = `${this.modelType}.scoreStream`;
    return streamScores(fn, input, detectorModel(fn, this as unknown as Detector<TabularInput>, options), options);
  }

  /** Writes the fitted detector to `path` atomically (an existing file survives any failure). */
  async save(path: string): Promise<void> {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError(`${this.modelType}.save: path must be a non-empty string`);
    this.requireFitted('save');
    const p = this.#preprocessing;
    if (p !== null && !p.fitted) throw new Error(`${this.modelType}.save: the preprocessing is not fitted (fit the detector on raw rows, or fit the pipeline)`);
    const s = this.state();
    const model: DetectorJSON = { config: s.config, fitted: s.fitted, threshold: this.threshold };
    const preprocessing = p === null ? null : new Preprocessing({ table: p }).toJSON();
    await saveModelFile(path, encodeModelFile({ modelType: this.modelType, model, compile: null, preprocessing }, s.weights));
  }

  /** The fitted model as plain values (what save() writes), for writers of other formats such as ONNX. */
  fittedState(): FittedDetectorState {
    this.requireFitted('fittedState');
    return { ...this.state(), threshold: this.threshold };
  }

  protected requireFitted(what: string): void {
    if (this.#threshold === null) throw new Error(`${this.modelType}.${what}: not fitted yet: call fit() first`);
  }
}

/**
 * `x` through the detector's preprocessing (raw rows required then), or `x` itself without one;
 * `fitting` fits an unfitted pipeline on these rows. A function rather than a method so that
 * Detector<X> stays contravariant in X (Detector<never> is the type of any detector).
 */
export function preprocessed<X>(det: Detector<X>, fn: string, x: X | RawRows, fitting = false): X {
  const p = det.preprocessing;
  if (p === null) return x as X;
  if (!Array.isArray(x)) throw new TypeError(`${fn}: x must be raw rows (arrays of strings or numbers) when the detector has preprocessing`);
  const rows = x as unknown as RawRows;
  return (fitting && !p.fitted ? p.fitTransform(rows) : p.transform(rows)) as unknown as X;
}

/**
 * Loads any detector saved by save(). With `expected`, a file of another model type is refused
 * with a ModelFileError ('wrong-model-type') instead of being returned.
 */
export async function loadDetector<D extends Detector<never> = Detector<never>>(path: string, expected?: string): Promise<D> {
  return detectorFromFile<D>(await readModelFile(path), path, expected);
}

/** loadDetector on a file already read and decoded (callers that first looked at its header). */
export function detectorFromFile<D extends Detector<never> = Detector<never>>(file: DecodedModelFile, path: string, expected?: string): D {
  const type = file.header.modelType;
  if (expected !== undefined && type !== expected) {
    throw new ModelFileError(path, 'wrong-model-type', `this is a '${type}' model file, not a ${expected}`);
  }
  const factory = factories.get(type);
  if (!factory) {
    throw new ModelFileError(path, 'wrong-model-type', `'${type}' is not a detector type this vigil knows ` +
      `(known: ${[...factories.keys()].join(', ') || 'none'})`);
  }
  const s = decodeDetectorState(file, path);
  const preprocessing = decodePreprocessing(file, path);
  let det: Detector<never>;
  try {
    det = restoreDetector(type, s);
  } catch (err) {
    throw new ModelFileError(path, 'bad-config', `cannot rebuild the ${type}: ${(err as Error).message}`, err);
  }
  det.preprocessing = preprocessing?.table ?? null;
  return det as D;
}

/**
 * Rebuilds a fitted detector of a registered type from its state (loadDetector, ONNX import). Throws an
 * Error naming the type when it is unknown, or the factory's error when the state does not fit it.
 */
export function restoreDetector(type: string, s: { config: JSONObject; fitted: JSONObject; weights: Map<string, Float32Array>; threshold: number }): Detector<never> {
  const factory = factories.get(type);
  if (!factory) throw new Error(`'${type}' is not a detector type this vigil knows (known: ${[...factories.keys()].join(', ') || 'none'})`);
  const det = factory(s);
  det.threshold = s.threshold;
  return det;
}
