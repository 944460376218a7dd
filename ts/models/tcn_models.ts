// Ready-made sequence classifiers of the credit-card TCN recipe (SEEDS.md `creditcard-tcn`):
//
// - dilatedTcnClassifier: a stack of causal Conv1D layers with growing dilation (1, 2, 4, 8 by
//   default), ReLU and an L2 kernel penalty, each followed by SpatialDropout1D, then Flatten and a
//   softmax Dense: the book's dilated TCN.
// - edTcnClassifier: the encoder-decoder TCN of Lea et al. (2017) in its causal form. Encoder, per
//   entry of `filters`: causal Conv1D -> SpatialDropout1D -> MaxPooling1D(2); decoder, in reverse
//   order: UpSampling1D(2) -> causal Conv1D -> SpatialDropout1D. Lea et al. end with a per-step
//   TimeDistributed(Dense(softmax)) because they label every frame; the recipe labels whole
//   sequences, so the head here is Flatten -> Dense(classes, softmax). Their normalised ReLU
//   (activation 'norm_relu': Conv1D -> SpatialDropout1D -> NormalizedReLU, in their order) is an
//   option; the default is a plain ReLU, as the book's Keras code allows with activation='relu'
//   (the normalised one scored lower on the credit-card validation rows, README "creditcard-tcn").
//   Their defaults are kept where the recipe says nothing:
//   filters [64, 96], SpatialDropout 0.3; kernelSize defaults to 3 (their 25 is for video frames,
//   wider than a 31-step row). Pooling pads odd lengths ('same') instead of dropping the last step:
//   after causal convolutions the last step is the only one that has seen the end of the sequence.
// - TcnClassifier: either model behind fit / predictProba / save / load, standardising its input
//   with a StandardScaler fitted on the training rows (each (step, channel) position is a column,
//   so a table read as a sequence gets the per-column scaling the book applies before reshaping;
//   `standardize: false` takes the input as the caller scaled it).
import { checkAttached } from '../bindings/check.ts';
import { firstNonFinite } from '../bindings/scan.ts';
import type { Callback, EpochLogs } from './callbacks.ts';
import { Conv1D } from './layers/conv1d.ts';
import { Dense } from './layers/dense.ts';
import { Flatten } from './layers/flatten.ts';
import type { ConfigValue, Layer } from './layers/layer.ts';
import { NormalizedReLU } from './layers/normalized_relu.ts';
import { MaxPooling1D, UpSampling1D } from './layers/sampling1d.ts';
import { SpatialDropout1D } from './layers/spatial_dropout.ts';
import { knownOptions, optionNames } from './options.ts';
import type { OptimizerSpec } from './optimizers.ts';
import { StandardScaler } from './preprocessing/scalers.ts';
import type { StandardScalerJSON } from './preprocessing/scalers.ts';
import { Sequential } from './sequential.ts';
import type { History } from './sequential.ts';
import { ModelFileError } from './serialize.ts';
import type { Tensor } from './tensor.ts';

export interface DilatedTcnOptions {
  timesteps: number;
  channels: number;
  classes: number;
  /** Filters of every Conv1D (default 128). */
  filters?: number;
  /** Default 2. */
  kernelSize?: number;
  /** One causal Conv1D per entry (default [1, 2, 4, 8]). */
  dilations?: readonly number[];
  /** L2 factor of every Conv1D kernel (default 0.01; 0 = none). */
  l2?: number;
  /** SpatialDropout1D rate after every Conv1D (default 0.05). */
  spatialDropout?: number;
  /** Weight-initialisation and dropout seed of the Sequential (default 0). */
  seed?: number;
}

export interface EdTcnOptions {
  timesteps: number;
  channels: number;
  classes: number;
  /** Filters of each encoder level; the decoder mirrors them (default [64, 96]). */
  filters?: readonly number[];
  /** Default 3. */
  kernelSize?: number;
  /** L2 factor of every Conv1D kernel (default 0: Lea et al. use none). */
  l2?: number;
  /** SpatialDropout1D rate after every Conv1D (default 0.3, as Lea et al.). */
  spatialDropout?: number;
  /**
   * Padding of the MaxPooling1D layers (default 'same'): 'valid' drops the last step of an
   * odd-length input, which after causal convolutions is the one that has seen the latest steps
   * (a 30-step row loses its last two features at the second pooling).
   */
  poolPadding?: 'same' | 'valid';
  /**
   * 'relu' (default): Conv1D(relu) -> SpatialDropout1D; 'norm_relu': Lea et al.'s Conv1D ->
   * SpatialDropout1D -> NormalizedReLU (each step divided by its largest channel).
   */
  activation?: 'relu' | 'norm_relu';
  seed?: number;
}

const DILATED_OPTIONS = optionNames<DilatedTcnOptions>()([
  'timesteps', 'channels', 'classes', 'filters', 'kernelSize', 'dilations', 'l2', 'spatialDropout', 'seed',
]);
const ED_OPTIONS = optionNames<EdTcnOptions>()([
  'timesteps', 'channels', 'classes', 'filters', 'kernelSize', 'l2', 'spatialDropout', 'poolPadding', 'activation', 'seed',
]);

/** `opts` once checked to be an object of the keys `names` only. */
function object<T>(fn: string, opts: T, names: readonly string[]): T {
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${fn}: options must be an object`);
  knownOptions(fn, opts, names);
  return opts;
}

function int(fn: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

function ints(fn: string, name: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.length === 0) throw new TypeError(`${fn}: ${name} must be a non-empty array of integers`);
  return v.map((x, i) => int(fn, `${name}[${i}]`, x, 1));
}

function penalty(fn: string, l2: unknown): { l2: number } | null {
  if (typeof l2 !== 'number') throw new TypeError(`${fn}: l2 must be a number, got ${typeof l2}`);
  if (!(l2 >= 0 && Number.isFinite(l2))) throw new RangeError(`${fn}: l2 must be a finite number >= 0, got ${l2}`);
  return l2 > 0 ? { l2 } : null;
}

/** The book's dilated TCN classifier (uncompiled, built for [timesteps, channels]). */
export function dilatedTcnClassifier(opts: DilatedTcnOptions): Sequential {
  const fn = 'dilatedTcnClassifier';
  const o = object(fn, opts, DILATED_OPTIONS);
  const T = int(fn, 'timesteps', o.timesteps, 1);
  const C = int(fn, 'channels', o.channels, 1);
  const classes = int(fn, 'classes', o.classes, 2);
  const filters = int(fn, 'filters', o.filters ?? 128, 1);
  const k = int(fn, 'kernelSize', o.kernelSize ?? 2, 1);
  const dilations = ints(fn, 'dilations', o.dilations ?? [1, 2, 4, 8]);
  const reg = penalty(fn, o.l2 ?? 0.01);
  const rate = o.spatialDropout ?? 0.05;
  const layers: Layer[] = [];
  dilations.forEach((d, i) => {
    layers.push(new Conv1D(filters, k, {
      dilationRate: d, padding: 'causal', activation: 'relu', kernelRegularizer: reg, ...(i === 0 ? { inputShape: [T, C] } : {}),
    }));
    layers.push(new SpatialDropout1D(rate));
  });
  layers.push(new Flatten(), new Dense(classes, { activation: 'softmax' }));
  const m = new Sequential(layers, { seed: o.seed ?? 0, name: 'dilated_tcn' });
  m.build();
  return m;
}

/** The encoder-decoder TCN classifier (uncompiled, built); timesteps must be at least 2^levels. */
export function edTcnClassifier(opts: EdTcnOptions): Sequential {
  const fn = 'edTcnClassifier';
  const o = object(fn, opts, ED_OPTIONS);
  const T = int(fn, 'timesteps', o.timesteps, 1);
  const C = int(fn, 'channels', o.channels, 1);
  const classes = int(fn, 'classes', o.classes, 2);
  const filters = ints(fn, 'filters', o.filters ?? [64, 96]);
  const k = int(fn, 'kernelSize', o.kernelSize ?? 3, 1);
  const reg = penalty(fn, o.l2 ?? 0);
  const rate = o.spatialDropout ?? 0.3;
  const poolPadding = o.poolPadding ?? 'same';
  if (poolPadding !== 'same' && poolPadding !== 'valid') {
    throw new RangeError(`${fn}: poolPadding must be 'same' or 'valid', got ${JSON.stringify(poolPadding)}`);
  }
  if (T < 2 ** filters.length) {
    throw new RangeError(`${fn}: timesteps must be at least ${2 ** filters.length} for ${filters.length} pooling levels, got ${T}`);
  }
  const activation = o.activation ?? 'relu';
  if (activation !== 'relu' && activation !== 'norm_relu') {
    throw new RangeError(`${fn}: activation must be 'relu' or 'norm_relu', got ${JSON.stringify(activation)}`);
  }
  const norm = activation === 'norm_relu';
  // One convolution block: with norm_relu the Conv1D is linear and the ReLU comes after the dropout.
  const block = (f: number, first: boolean): Layer[] => [
    new Conv1D(f, k, {
      padding: 'causal', activation: norm ? 'linear' : 'relu', kernelRegularizer: reg, ...(first ? { inputShape: [T, C] } : {}),
    }),
    new SpatialDropout1D(rate),
    ...(norm ? [new NormalizedReLU()] : []),
  ];
  const layers: Layer[] = [];
  filters.forEach((f, i) => layers.push(...block(f, i === 0), new MaxPooling1D(2, { padding: poolPadding })));
  [...filters].reverse().forEach((f) => layers.push(new UpSampling1D(2), ...block(f, false)));
  layers.push(new Flatten(), new Dense(classes, { activation: 'softmax' }));
  const m = new Sequential(layers, { seed: o.seed ?? 0, name: 'ed_tcn' });
  m.build();
  return m;
}

export type TcnKind = 'dilated' | 'ed';

/** The model's options without the shapes, which fit() reads from the data. */
export type TcnClassifierOptions =
  | ({ kind?: 'dilated' } & Omit<DilatedTcnOptions, 'timesteps' | 'channels' | 'classes'> & TcnCommon)
  | ({ kind: 'ed' } & Omit<EdTcnOptions, 'timesteps' | 'channels' | 'classes'> & TcnCommon);

interface TcnCommon {
  /** Number of classes; default: largest label in fit()'s y + 1 (at least 2). */
  classes?: number;
  /** Default 'adam'. */
  optimizer?: OptimizerSpec;
  /**
   * Standardise each (step, channel) position on the training rows (default true); false feeds
   * the values as given (the caller has scaled them).
   */
  standardize?: boolean;
}

export interface TcnFitOptions {
  epochs?: number;
  batchSize?: number;
  validationSplit?: number;
  /** Weight of each class in the loss ({ 0: 1, 1: 3 } or [1, 3]; Keras' class_weight). */
  classWeight?: Record<number, number> | readonly number[];
  /** Aborting stops training between batches; fit then resolves with the epochs completed. */
  signal?: AbortSignal;
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  /** Further Keras-style callbacks (EarlyStopping, ReduceLROnPlateau), run before onEpochEnd. */
  callbacks?: Callback[];
}

const TCN_FIT_OPTIONS = optionNames<TcnFitOptions>()([
  'epochs', 'batchSize', 'validationSplit', 'classWeight', 'signal', 'onEpochEnd', 'callbacks',
]);
const COMMON_OPTIONS = optionNames<TcnCommon>()(['classes', 'optimizer', 'standardize']);
/** The classifier's options of each kind: the model's but the shapes, and the common ones. */
const classifierOptions = (model: readonly string[]) => [
  'kind', ...model.filter((k) => k !== 'timesteps' && k !== 'channels' && k !== 'classes'), ...COMMON_OPTIONS,
];
const CLASSIFIER_OPTIONS = { dilated: classifierOptions(DILATED_OPTIONS), ed: classifierOptions(ED_OPTIONS) };

/** Sequences [n, time, channels] or [n, time] (one channel). */
export type SequenceInput = Tensor<Float32Array>;

const EXTRA_KEY = 'tcnClassifier';

/** A TCN sequence classifier with its own input standardisation; one file holds both. */
export class TcnClassifier {
  readonly kind: TcnKind;
  readonly options: { [key: string]: ConfigValue };
  private readonly optimizer: OptimizerSpec;
  model: Sequential | null = null;
  scaler: StandardScaler | null = null;
  private shape: [number, number] | null = null;

  constructor(opts: TcnClassifierOptions = {}) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('TcnClassifier: options must be an object');
    const kind = opts.kind ?? 'dilated';
    if (kind !== 'dilated' && kind !== 'ed') throw new RangeError(`TcnClassifier: kind must be 'dilated' or 'ed', got ${JSON.stringify(kind)}`);
    const o = object('TcnClassifier', opts, CLASSIFIER_OPTIONS[kind]);
    this.kind = kind;
    const { kind: _k, optimizer, ...rest } = o as TcnClassifierOptions & { optimizer?: OptimizerSpec };
    this.optimizer = optimizer ?? 'adam';
    this.options = JSON.parse(JSON.stringify(rest)) as { [key: string]: ConfigValue };
    if (this.options.classes !== undefined) int('TcnClassifier', 'classes', this.options.classes, 2);
    const std = this.options.standardize;
    if (std !== undefined && typeof std !== 'boolean') throw new TypeError(`TcnClassifier: standardize must be a boolean, got ${typeof std}`);
    // Builds a throw-away model now so that bad options fail here, not after data preparation.
    this.build(Math.max(2, 2 ** ((this.options.filters as number[] | undefined)?.length ?? 2)), 1, (this.options.classes as number) ?? 2);
  }

  get fitted(): boolean {
    return this.model !== null && this.scaler !== null;
  }

  private build(T: number, C: number, classes: number): Sequential {
    const shapes = { timesteps: T, channels: C, classes };
    // standardize is the classifier's own (its scaler), not the model's.
    const { standardize: _s, ...model } = this.options;
    return this.kind === 'ed'
      ? edTcnClassifier({ ...(model as unknown as EdTcnOptions), ...shapes })
      : dilatedTcnClassifier({ ...(model as unknown as DilatedTcnOptions), ...shapes });
  }

  /** x as a [n, T * C] table and its T, C. */
  private table(fn: string, x: unknown, fitting = false): { rows: Tensor<Float32Array>; T: number; C: number } {
    const t = x as Tensor;
    if (typeof t !== 'object' || t === null || !(t.data instanceof Float32Array) || !Array.isArray(t.shape)) {
      throw new TypeError(`${fn}: x must be a tensor { data: Float32Array, shape: [n, time, channels] or [n, time] }`);
    }
    checkAttached(fn, 'x.data', t.data);
    if (t.shape.length !== 2 && t.shape.length !== 3) throw new RangeError(`${fn}: x must have shape [n, time, channels] or [n, time], got [${t.shape.join(', ')}]`);
    const [n, T, C = 1] = t.shape;
    if (![n, T, C].every((d) => Number.isInteger(d) && d >= 1)) throw new RangeError(`${fn}: x has a bad shape [${t.shape.join(', ')}]`);
    if (n * T * C !== t.data.length) throw new RangeError(`${fn}: x has shape [${t.shape.join(', ')}] but ${t.data.length} values`);
    if (!fitting && this.shape && (this.shape[0] !== T || this.shape[1] !== C)) {
      throw new RangeError(`${fn}: x rows must be [${this.shape[0]}, ${this.shape[1]}] (as fitted), got [${T}, ${C}]`);
    }
    // Checked here so that the error names this call and the [sequence][step][channel], not the
    // scaler's flattened row and column (and standardize: false checks too).
    const k = firstNonFinite(t.data);
    if (k >= 0) {
      const i = Math.floor(k / (T * C));
      const j = k - i * T * C;
      throw new RangeError(`${fn}: x[${i}][${Math.floor(j / C)}][${j % C}] is ${t.data[k]}: values must be finite`);
    }
    return { rows: { data: t.data, shape: [n, T * C] }, T, C };
  }

  private labels(fn: string, y: unknown, n: number): Int32Array {
    const v = y as ArrayLike<number>;
    if (!(y instanceof Int32Array || y instanceof Float32Array || Array.isArray(y))) throw new TypeError(`${fn}: y must be class labels (Int32Array or array of integers)`);
    checkAttached(fn, 'y', y);
    if (v.length !== n) throw new RangeError(`${fn}: x has ${n} rows but y has ${v.length} labels`);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (!Number.isInteger(v[i]) || v[i] < 0) throw new RangeError(`${fn}: y labels must be integers >= 0, got ${v[i]} at index ${i}`);
      out[i] = v[i];
    }
    return out;
  }

  /** Fits the scaler and trains a fresh model on (x, y); resolves with Keras-style history. */
  async fit(x: SequenceInput, y: Int32Array | Float32Array | readonly number[], opts: TcnFitOptions = {}): Promise<History> {
    const fn = 'TcnClassifier.fit';
    object(fn, opts, TCN_FIT_OPTIONS);
    if (opts.onEpochEnd !== undefined && typeof opts.onEpochEnd !== 'function') throw new TypeError(`${fn}: onEpochEnd must be a function`);
    if (opts.callbacks !== undefined && !Array.isArray(opts.callbacks)) throw new TypeError(`${fn}: callbacks must be an array`);
    // A refit may change the shape; a failed one leaves the fitted model as it was.
    const { rows, T, C } = this.table(fn, x, true);
    const n = rows.shape[0];
    const labels = this.labels(fn, y, n);
    let top = 1;
    for (const l of labels) top = Math.max(top, l);
    const classes = (this.options.classes as number | undefined) ?? top + 1;
    if (top >= classes) throw new RangeError(`${fn}: y has label ${top} but the classifier has ${classes} classes`);
    // Without standardising, an identity scaler keeps one code path and one file layout.
    const scaler = new StandardScaler(this.options.standardize === false ? { withMean: false, withStd: false } : {}).fit(rows);
    const model = this.build(T, C, classes);
    model.compile({ loss: 'sparse_categorical_crossentropy', optimizer: this.optimizer, metrics: ['accuracy'] });
    const scaled = scaler.transform(rows).data;
    const onEpochEnd = opts.onEpochEnd;
    const history = await model.fit({ data: scaled, shape: [n, T, C] }, labels, {
      epochs: opts.epochs, batchSize: opts.batchSize, validationSplit: opts.validationSplit, classWeight: opts.classWeight, signal: opts.signal,
      callbacks: [...(opts.callbacks ?? []), ...(onEpochEnd ? [{ onEpochEnd: (e: number, logs: EpochLogs) => onEpochEnd(e, logs) }] : [])],
    });
    this.model = model;
    this.scaler = scaler;
    this.shape = [T, C];
    return history;
  }

  private ready(fn: string): [Sequential, StandardScaler, number, number] {
    if (!this.model || !this.scaler || !this.shape) throw new Error(`${fn}: not fitted yet: call fit() first`);
    return [this.model, this.scaler, ...this.shape];
  }

  /** Class probabilities [n, classes]. */
  async predictProba(x: SequenceInput): Promise<Tensor<Float32Array>> {
    const fn = 'TcnClassifier.predictProba';
    const [model, scaler] = this.ready(fn);
    const { rows, T, C } = this.table(fn, x);
    const n = rows.shape[0];
    return model.predict({ data: scaler.transform(rows).data, shape: [n, T, C] }, { batchSize: 256 });
  }

  /** The most probable class of each row. */
  async predict(x: SequenceInput): Promise<Int32Array> {
    const p = await this.predictProba(x);
    const k = p.shape[1];
    const out = new Int32Array(p.shape[0]);
    for (let i = 0; i < out.length; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (p.data[i * k + j] > p.data[i * k + best]) best = j;
      out[i] = best;
    }
    return out;
  }

  /** One model file: the Sequential, with kind, options and scaler in preprocessing.extra. */
  async save(path: string): Promise<void> {
    const [model, scaler] = this.ready('TcnClassifier.save');
    const state = { kind: this.kind, options: this.options, scaler: scaler.toJSON() as unknown as ConfigValue };
    await model.save(path, { preprocessing: { extra: { [EXTRA_KEY]: state } } });
  }

  static async load(path: string): Promise<TcnClassifier> {
    const { model, preprocessing } = await Sequential.load(path);
    const state = preprocessing?.extra?.[EXTRA_KEY] as { kind?: unknown; options?: unknown; scaler?: unknown } | undefined;
    if (!state || typeof state !== 'object') {
      throw new ModelFileError(path, 'wrong-model-type', 'this model file holds no TcnClassifier state (a plain Sequential?)');
    }
    try {
      const c = new TcnClassifier({ ...(state.options as object), kind: state.kind } as TcnClassifierOptions);
      const scaler = StandardScaler.fromJSON(state.scaler as StandardScalerJSON);
      const [T, C] = model.layers[0].inputShape as [number, number];
      if (scaler.nFeatures !== T * C) throw new RangeError(`the scaler has ${scaler.nFeatures} features, the model takes ${T} x ${C}`);
      c.model = model;
      c.scaler = scaler;
      c.shape = [T, C];
      return c;
    } catch (err) {
      throw new ModelFileError(path, 'bad-config', `cannot rebuild the TcnClassifier: ${(err as Error).message}`, err);
    }
  }
}
