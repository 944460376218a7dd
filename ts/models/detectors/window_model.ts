// What the series detectors that learn a network over windows share (LstmForecaster,
// TcnForecaster, LstmAutoencoder): the window and training options, the scaler fitted inside, the
// Keras-style model they train, async training with abort and progress, further training on new
// data (partialFit), and their model files. A subclass says what reads a window (its encoder:
// an LSTM, a TCN) and what the model predicts from it (the next steps, the window itself).
//
// Scores are in scaled units (the fitted scaler's), one per time step; a step that no complete
// window reaches scores NaN, and NaN is never above the threshold, so predict() leaves it 0.
import { Dropout } from '../layers/dropout.ts';
import type { ConfigValue, Layer } from '../layers/layer.ts';
import { MinMaxScaler, StandardScaler } from '../preprocessing/scalers.ts';
import { Sequential } from '../sequential.ts';
import type { Tensor } from '../tensor.ts';
import { knownOptions, optionNames } from '../options.ts';
import { Detector, DETECTOR_FIT_OPTIONS } from './detector.ts';
import type { DetectorFitOptions, DetectorState, JSONObject } from './detector.ts';
import { toSeries } from './series.ts';
import type { Series, SeriesInput } from './series.ts';
import { THRESHOLD_OPTIONS, thresholdConfig } from './threshold.ts';
import type { ThresholdOptions } from './threshold.ts';

export type ScalerName = 'minmax' | 'standard';

export interface WindowModelOptions extends ThresholdOptions {
  /** Steps per input window (default 48, the book's). */
  window?: number;
  /** Dropout rate after the encoder (default 0.2). */
  dropout?: number;
  /** Training epochs of fit() (default 20). */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Adam's step size (default 1e-3, Keras'). */
  learningRate?: number;
  /** Training loss (default 'mae', the book's). Scores are absolute errors either way. */
  loss?: 'mae' | 'mse';
  /** Scaler fitted on the training series (default 'minmax': [0, 1]). */
  scaler?: ScalerName;
  /** NaN values: 'error' (default) or 'interpolate' (see slidingWindows). */
  nan?: 'error' | 'interpolate';
  /** Seed of the weights, shuffling and dropout (default 0). */
  seed?: number;
}

export const WINDOW_MODEL_OPTIONS = optionNames<WindowModelOptions>()([
  'window', 'dropout', 'epochs', 'batchSize', 'learningRate', 'loss', 'scaler', 'nan', 'seed', ...THRESHOLD_OPTIONS,
]);

/** The checked options, every default filled in. */
export type WindowModelConfig = Required<Omit<WindowModelOptions, keyof ThresholdOptions>>;

export interface PartialFitOptions extends DetectorFitOptions {
  /** Epochs over the new series (default: the detector's epochs). */
  epochs?: number;
}

const PARTIAL_FIT_OPTIONS = optionNames<PartialFitOptions>()([...DETECTOR_FIT_OPTIONS, 'epochs']);

export function int(fn: string, name: string, v: unknown, dflt: number, min: number, max = 1 << 20): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${fn}: ${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

function oneOf<T extends string>(fn: string, name: string, v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new RangeError(`${fn}: ${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** Checks the shared options; throws TypeError/RangeError naming `fn` and the option. */
export function windowModelConfig(fn: string, o: WindowModelOptions): WindowModelConfig {
  const dropout = o.dropout ?? 0.2;
  if (typeof dropout !== 'number') throw new TypeError(`${fn}: dropout must be a number, got ${typeof dropout}`);
  if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`${fn}: dropout must lie in [0, 1), got ${dropout}`);
  const learningRate = o.learningRate ?? 1e-3;
  if (typeof learningRate !== 'number') throw new TypeError(`${fn}: learningRate must be a number, got ${typeof learningRate}`);
  if (!(learningRate > 0 && Number.isFinite(learningRate))) throw new RangeError(`${fn}: learningRate must be a positive number, got ${learningRate}`);
  return {
    window: int(fn, 'window', o.window, 48, 1, 1 << 16),
    dropout,
    epochs: int(fn, 'epochs', o.epochs, 20, 1, 1 << 16),
    batchSize: int(fn, 'batchSize', o.batchSize, 32, 1),
    learningRate,
    loss: oneOf(fn, 'loss', o.loss, ['mae', 'mse'] as const, 'mae'),
    scaler: oneOf(fn, 'scaler', o.scaler, ['minmax', 'standard'] as const, 'minmax'),
    nan: oneOf(fn, 'nan', o.nan, ['error', 'interpolate'] as const, 'error'),
    seed: int(fn, 'seed', o.seed, 0, 0, 2 ** 31 - 1),
  };
}

export abstract class WindowModelDetector<C extends WindowModelConfig = WindowModelConfig> extends Detector<SeriesInput> {
  readonly config: C;
  /** The trained model; null before fit(). */
  model: Sequential | null = null;
  /** The scaler fitted on the training series; null before fit(). */
  scaler: MinMaxScaler | StandardScaler | null = null;
  /** Features per step of the training series (0 before fit()). */
  features = 0;

  /** `config`: windowModelConfig(fn, opts) and the subclass's own checked options; the subclass checks its option names first. */
  protected constructor(fn: string, opts: WindowModelOptions, config: C) {
    super(fn, opts);
    this.config = config;
  }

  /**
   * The network that reads a [window, features] input: the last step's summary [batch, width]
   * (returnSequences false) or one per step [batch, window, width].
   */
  protected abstract encoderCore(returnSequences: boolean): Layer[];
  /** The model's layers for `features` input features. */
  protected abstract layers(features: number): Layer[];
  /** Training pairs from a scaled series. */
  protected abstract pairs(s: Series): { x: Tensor<Float32Array>; y: Tensor<Float32Array> };
  /** One score per step of a scaled series (NaN where no window reaches). */
  protected abstract stepScores(s: Series): Promise<Float32Array>;
  /** Shortest series fit() can learn from. */
  protected abstract minTrainSteps(): number;
  /** Shortest series scoreSamples() scores. */
  protected abstract minScoreSteps(): number;
  /** Options that only the subclass has, as plain JSON (for model files). */
  protected abstract ownConfig(): JSONObject;

  private newScaler(): MinMaxScaler | StandardScaler {
    return this.config.scaler === 'standard' ? new StandardScaler() : new MinMaxScaler();
  }

  private scaled(s: Series): Series {
    const t = (this.scaler as MinMaxScaler).transform({ data: s.data, shape: [s.steps, s.features] });
    return { ...s, data: t.data };
  }

  private buildModel(features: number): Sequential {
    const model = new Sequential(this.layers(features), { seed: this.config.seed, name: this.modelType });
    model.build([this.config.window, features]);
    model.compile({ loss: this.config.loss, optimizer: { name: 'adam', learningRate: this.config.learningRate } });
    return model;
  }

  /** The encoder, then Dropout(dropout): what every model here starts with. */
  protected encoder(returnSequences: boolean): Layer[] {
    const out = this.encoderCore(returnSequences);
    if (this.config.dropout > 0) out.push(new Dropout(this.config.dropout));
    return out;
  }

  private async trainOn(model: Sequential, s: Series, epochs: number, opts: DetectorFitOptions): Promise<void> {
    const { x, y } = this.pairs(s);
    const history = await model.fit(x, y, {
      epochs,
      batchSize: this.config.batchSize,
      seed: this.config.seed,
      signal: opts.signal,
      callbacks: opts.onProgress ? [{ onEpochEnd: (e: number) => opts.onProgress!(e + 1, epochs) }] : [],
    });
    if (history.aborted) throw opts.signal?.reason ?? new DOMException('training was aborted', 'AbortError');
  }

  protected async train(x: SeriesInput, opts: DetectorFitOptions): Promise<Float32Array> {
    const fn = `${this.modelType}.fit`;
    const s = toSeries(fn, x, { minSteps: this.minTrainSteps(), nan: this.config.nan });
    const scaler = this.newScaler().fit({ data: s.data, shape: [s.steps, s.features] });
    const model = this.buildModel(s.features);
    // Trained into locals first: an aborted or failed fit leaves a fitted detector as it was.
    const prev = { scaler: this.scaler, model: this.model, features: this.features };
    this.scaler = scaler;
    this.features = s.features;
    try {
      const z = this.scaled(s);
      await this.trainOn(model, z, this.config.epochs, opts);
      this.model = model;
      const scores = await this.stepScores(z);
      const finite = scores.filter((v) => !Number.isNaN(v));
      if (finite.length === 0) throw new RangeError(`${fn}: no step of the training series has a score`);
      return finite;
    } catch (err) {
      Object.assign(this, prev);
      throw err;
    }
  }

  /**
   * Trains the fitted model further on `x` (e.g. the latest data of a stream), keeping the scaler
   * and the threshold: online updating without refitting from scratch.
   */
  async partialFit(x: SeriesInput, opts: PartialFitOptions = {}): Promise<this> {
    const fn = `${this.modelType}.partialFit`;
    this.requireFitted('partialFit');
    if (typeof opts !== 'object' || opts === null) throw new TypeError(`${fn}: options must be an object`);
    knownOptions(fn, opts, PARTIAL_FIT_OPTIONS);
    if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw new TypeError(`${fn}: signal must be an AbortSignal`);
    if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') throw new TypeError(`${fn}: onProgress must be a function`);
    const epochs = int(fn, 'epochs', opts.epochs, this.config.epochs, 1, 1 << 16);
    opts.signal?.throwIfAborted();
    const s = toSeries(fn, x, { minSteps: this.minTrainSteps(), features: this.features, nan: this.config.nan });
    await this.trainOn(this.model!, this.scaled(s), epochs, opts);
    return this;
  }

  protected async score(x: SeriesInput): Promise<Float32Array> {
    const s = toSeries(`${this.modelType}.scoreSamples`, x, { minSteps: this.minScoreSteps(), features: this.features, nan: this.config.nan });
    return this.stepScores(this.scaled(s));
  }

  /** Model predictions for a batch of windows. */
  protected async outputs(x: Tensor<Float32Array>): Promise<Float32Array> {
    return (await this.model!.predict(x, { batchSize: 256 })).data;
  }

  protected state(): DetectorState {
    const r = this.thresholdRule;
    const config: JSONObject = {
      ...(this.config as unknown as JSONObject),
      ...this.ownConfig(),
      ...thresholdConfig(r),
    };
    const model = this.model!;
    return {
      config,
      fitted: { features: this.features, scaler: this.scaler!.toJSON() as unknown as ConfigValue },
      weights: model.layers.flatMap((l) => l.weights.map((w) => ({ name: `${l.name}/${w.name}`, shape: w.shape, value: w.value }))),
    };
  }

  /** Puts a model file's fitted state into a new, unfitted detector (for loadDetector's factories). */
  loadState(fitted: JSONObject, weights: Map<string, Float32Array>): void {
    const features = fitted.features;
    if (!Number.isInteger(features) || (features as number) < 1) throw new RangeError(`features must be a positive integer, got ${JSON.stringify(features)}`);
    const sj = fitted.scaler as { type?: unknown } | null;
    const scaler = sj?.type === 'StandardScaler' ? StandardScaler.fromJSON(sj) : MinMaxScaler.fromJSON(sj);
    if ((scaler instanceof StandardScaler) !== (this.config.scaler === 'standard')) {
      throw new RangeError(`the file holds a ${scaler.constructor.name}, the config asks for scaler '${this.config.scaler}'`);
    }
    if (scaler.nFeatures !== features) throw new RangeError(`the scaler has ${scaler.nFeatures} features, the model ${String(features)}`);
    const model = this.buildModel(features as number);
    const names = model.layers.flatMap((l) => l.weights.map((w) => `${l.name}/${w.name}`));
    const extra = [...weights.keys()].filter((k) => !names.includes(k));
    if (extra.length) throw new RangeError(`unexpected weights ${extra.join(', ')}`);
    model.setWeights(names.map((n) => {
      const w = weights.get(n);
      if (!w) throw new RangeError(`weight ${n} is missing`);
      return w;
    }));
    this.model = model;
    this.scaler = scaler;
    this.features = features as number;
  }
}
