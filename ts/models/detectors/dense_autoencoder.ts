// What the dense autoencoder detectors share (Autoencoder, VariationalAutoencoder): options, the
// Keras-style model (Sequential of Dense layers) trained to reproduce its input with
// Sequential.fit, the score, and the model files.
//
// The score of a row is its mean squared reconstruction error over the features, the training
// loss of that row (without the penalties), in the units of the input: scale the features first
// (StandardScaler, or a TabularPipeline with scale 'standard' as detector.preprocessing).
// Architecture, by option (the book's variants):
//   simple     hidden: []           input -> code -> output
//   deep       hidden: [h1, h2...]  input -> h1 -> h2 -> ... -> code -> ... -> h2 -> h1 -> output
//   sparse     l1 > 0               an L1 activity penalty on the code (ActivityRegularization)
//   denoising  noise > 0            Gaussian noise of that standard deviation added to the
//                                   inputs while training (GaussianNoise), clean rows as targets
import { ActivityRegularization } from '../layers/activity_regularization.ts';
import { Dense } from '../layers/dense.ts';
import type { Activation } from '../layers/dense.ts';
import type { Layer } from '../layers/layer.ts';
import { GaussianNoise } from '../layers/noise.ts';
import { Sequential } from '../sequential.ts';
import type { Tensor } from '../tensor.ts';
import { optionNames } from '../options.ts';
import { Detector, DETECTOR_FIT_OPTIONS, preprocessed } from './detector.ts';
import type { DetectorFitOptions, DetectorState, JSONObject, RawRows } from './detector.ts';
import { toMatrix } from './matrix.ts';
import type { Matrix, TabularInput } from './matrix.ts';
import { THRESHOLD_OPTIONS, thresholdConfig } from './threshold.ts';
import type { ThresholdOptions } from './threshold.ts';

/**
 * Training whose values left float32's range, which unscaled features do (values near 1e6
 * overflow the VAE in its first epoch): said in the detector's words with the remedy, as RBM.fit
 * says it. A CPU kernel refuses the non-finite values (`err`, kept as the cause); a device step
 * may instead carry them into the loss.
 */
function diverged(fn: string, why: string, learningRate: number, err?: unknown): RangeError {
  return new RangeError(`${fn}: training diverged (${why}): standardise the features (StandardScaler, or a TabularPipeline ` +
    `with scale 'standard' as preprocessing) or lower learningRate (now ${learningRate})`, { cause: err });
}

function isNonFiniteError(err: unknown): err is RangeError {
  return err instanceof RangeError && err.message.includes('must hold finite numbers');
}

export type HiddenActivation = Exclude<Activation, 'softmax'>;
const ACTIVATIONS: readonly HiddenActivation[] = ['relu', 'tanh', 'sigmoid', 'linear'];

export interface DenseAutoencoderOptions extends ThresholdOptions {
  /** Units of the encoder's layers before the code; the decoder mirrors them (default []: 'simple'). */
  hidden?: readonly number[];
  /** Activation of the hidden layers (and the Autoencoder's code); default 'relu'. */
  activation?: HiddenActivation;
  /** Activation of the output layer (default 'linear', for standardised features). */
  outputActivation?: HiddenActivation;
  /** Standard deviation of the Gaussian noise added to training inputs (default 0: none). */
  noise?: number;
  /** Default 50. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Adam's step size (default 1e-3, Keras'). */
  learningRate?: number;
  /** Seed of the weights, shuffling and noise (default 0). */
  seed?: number;
}

export const DENSE_AUTOENCODER_OPTIONS = optionNames<DenseAutoencoderOptions>()([
  'hidden', 'activation', 'outputActivation', 'noise', 'epochs', 'batchSize', 'learningRate', 'seed', ...THRESHOLD_OPTIONS,
]);

/** The checked shared options, defaults filled in. */
export interface DenseAutoencoderConfig {
  hidden: number[];
  activation: HiddenActivation;
  outputActivation: HiddenActivation;
  noise: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
}

/** One training epoch: the mean training loss (reconstruction error plus penalties). */
export interface AutoencoderEpoch {
  reconstructionError: number;
  seconds: number;
}

export interface AutoencoderFitOptions extends DetectorFitOptions {
  /** Called after each epoch (0-based), before onProgress. */
  onEpochEnd?: (epoch: number, logs: AutoencoderEpoch) => void;
}

const FIT_OPTIONS = optionNames<AutoencoderFitOptions>()([...DETECTOR_FIT_OPTIONS, 'onEpochEnd']);

export function int(fn: string, name: string, v: unknown, dflt: number, min: number, max = 1 << 20): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${fn}: ${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

export function nonNegative(fn: string, name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`${fn}: ${name} must be a finite number >= 0, got ${v}`);
  return v;
}

function activation(fn: string, name: string, v: unknown, dflt: HiddenActivation): HiddenActivation {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !ACTIVATIONS.includes(v as HiddenActivation)) {
    throw new RangeError(`${fn}: ${name} must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as HiddenActivation;
}

function denseAutoencoderConfig(fn: string, o: DenseAutoencoderOptions): DenseAutoencoderConfig {
  const hidden = o.hidden ?? [];
  if (!Array.isArray(hidden)) throw new TypeError(`${fn}: hidden must be an array of layer sizes`);
  hidden.forEach((h, k) => int(fn, `hidden[${k}]`, h, 1, 1, 1 << 16));
  const learningRate = o.learningRate ?? 1e-3;
  if (typeof learningRate !== 'number') throw new TypeError(`${fn}: learningRate must be a number, got ${typeof learningRate}`);
  if (!(learningRate > 0 && Number.isFinite(learningRate))) throw new RangeError(`${fn}: learningRate must be a positive number, got ${learningRate}`);
  return {
    hidden: [...hidden],
    activation: activation(fn, 'activation', o.activation, 'relu'),
    outputActivation: activation(fn, 'outputActivation', o.outputActivation, 'linear'),
    noise: nonNegative(fn, 'noise', o.noise, 0),
    epochs: int(fn, 'epochs', o.epochs, 50, 1, 1 << 16),
    batchSize: int(fn, 'batchSize', o.batchSize, 32, 1),
    learningRate,
    seed: int(fn, 'seed', o.seed, 0, 0, 2 ** 31 - 1),
  };
}

export abstract class DenseAutoencoder extends Detector<TabularInput> {
  readonly config: DenseAutoencoderConfig;
  /** The trained model; null before fit(). */
  model: Sequential | null = null;
  /** Features of the training rows (0 before fit()). */
  features = 0;
  /** Each training epoch of the last fit. */
  history: AutoencoderEpoch[] = [];

  override readonly fitOptionNames: readonly string[] = FIT_OPTIONS;

  /** The subclass checks its option names (DENSE_AUTOENCODER_OPTIONS and its own) first. */
  protected constructor(fn: string, opts: DenseAutoencoderOptions) {
    super(fn, opts);
    this.config = denseAutoencoderConfig(fn, opts);
  }

  /** Features the model was fitted on. */
  get nFeatures(): number {
    this.requireFitted('nFeatures');
    return this.features;
  }

  /** The layers between the encoder's hidden layers and the decoder's, for `features` inputs. */
  protected abstract code(features: number): Layer[];
  /** Options only the subclass has, as plain JSON (for model files). */
  protected abstract ownConfig(): JSONObject;

  /** The whole stack for `features` inputs. */
  private layers(features: number): Layer[] {
    const c = this.config;
    const dense = (units: number) => new Dense(units, { activation: c.activation });
    return [
      ...(c.noise > 0 ? [new GaussianNoise(c.noise)] : []),
      ...c.hidden.map(dense),
      ...this.code(features),
      ...[...c.hidden].reverse().map(dense),
      new Dense(features, { activation: c.outputActivation }),
    ];
  }

  /** The code layer with an optional L1 activity penalty: the Autoencoder's bottleneck. */
  protected bottleneck(units: number, l1: number): Layer[] {
    const code = new Dense(units, { activation: this.config.activation });
    return l1 > 0 ? [code, new ActivityRegularization({ l1 })] : [code];
  }

  private buildModel(features: number): Sequential {
    const model = new Sequential(this.layers(features), { seed: this.config.seed, name: this.modelType });
    model.build([features]);
    model.compile({ loss: 'mse', optimizer: { name: 'adam', learningRate: this.config.learningRate } });
    return model;
  }

  override fit(x: TabularInput | RawRows, opts: AutoencoderFitOptions = {}): Promise<this> {
    if (opts !== null && typeof opts === 'object' && opts.onEpochEnd !== undefined && typeof opts.onEpochEnd !== 'function') {
      return Promise.reject(new TypeError(`${this.modelType}.fit: onEpochEnd must be a function`));
    }
    return super.fit(x, opts);
  }

  protected async train(x: TabularInput, opts: AutoencoderFitOptions): Promise<Float32Array> {
    const m = toMatrix(`${this.modelType}.fit`, 'x', x);
    const model = this.buildModel(m.cols);
    const t: Tensor<Float32Array> = { data: m.data, shape: [m.rows, m.cols] };
    const epochs = this.config.epochs;
    const history: AutoencoderEpoch[] = [];
    const h = await model.fit(t, t, {
      epochs,
      batchSize: this.config.batchSize,
      seed: this.config.seed,
      signal: opts.signal,
      callbacks: [{
        onEpochEnd: (e: number, logs: { loss: number; seconds: number }) => {
          history.push({ reconstructionError: logs.loss, seconds: logs.seconds });
          opts.onEpochEnd?.(e, history[e]);
          opts.onProgress?.(e + 1, epochs);
        },
      }],
    }).catch((err: unknown) => {
      throw isNonFiniteError(err) ? diverged(`${this.modelType}.fit`, err.message, this.config.learningRate, err) : err;
    });
    if (h.aborted) throw opts.signal?.reason ?? new DOMException('training was aborted', 'AbortError');
    const bad = history.findIndex((e) => !Number.isFinite(e.reconstructionError));
    if (bad >= 0) throw diverged(`${this.modelType}.fit`, `reconstruction error ${history[bad].reconstructionError} in epoch ${bad + 1}`, this.config.learningRate);
    // Only a finished fit replaces the model: an aborted or failed one leaves a fitted detector as it was.
    const prev = { model: this.model, features: this.features, history: this.history };
    this.model = model;
    this.features = m.cols;
    this.history = history;
    try {
      const scores = await this.errors(m);
      // Weights gone non-finite in the last step leave the epoch's loss finite but not the scores.
      if (scores.some(Number.isNaN)) throw diverged(`${this.modelType}.fit`, 'NaN reconstruction errors of the training rows', this.config.learningRate);
      return scores;
    } catch (err) {
      Object.assign(this, prev);
      throw isNonFiniteError(err) ? diverged(`${this.modelType}.fit`, err.message, this.config.learningRate, err) : err;
    }
  }

  protected async score(x: TabularInput): Promise<Float32Array> {
    return this.errors(toMatrix(`${this.modelType}.scoreSamples`, 'x', x, this.features));
  }

  /** Reconstructions of the rows (inference mode: no noise, the VAE's code at its mean). */
  async reconstruct(x: TabularInput | RawRows): Promise<Tensor<Float32Array>> {
    this.requireFitted('reconstruct');
    const m = toMatrix(`${this.modelType}.reconstruct`, 'x', preprocessed(this, `${this.modelType}.reconstruct`, x), this.features);
    return this.model!.predict({ data: m.data, shape: [m.rows, m.cols] }, { batchSize: 1024 });
  }

  /** Mean squared reconstruction error of each row. */
  private async errors(m: Matrix): Promise<Float32Array> {
    const rec = (await this.model!.predict({ data: m.data, shape: [m.rows, m.cols] }, { batchSize: 1024 })).data;
    const out = new Float32Array(m.rows);
    const F = m.cols;
    for (let i = 0; i < m.rows; i++) {
      let e = 0;
      for (let j = 0; j < F; j++) {
        const d = m.data[i * F + j] - rec[i * F + j];
        e += d * d;
      }
      out[i] = e / F;
    }
    return out;
  }

  protected state(): DetectorState {
    const model = this.model!;
    return {
      config: { ...(this.config as unknown as JSONObject), ...this.ownConfig(), ...thresholdConfig(this.thresholdRule) },
      fitted: { features: this.features, reconstructionError: this.history.map((h) => h.reconstructionError) },
      weights: model.layers.flatMap((l) => l.weights.map((w) => ({ name: `${l.name}/${w.name}`, shape: w.shape, value: w.value }))),
    };
  }

  /** Puts a model file's fitted state into a new, unfitted detector (for loadDetector's factories). */
  loadState(fitted: JSONObject, weights: Map<string, Float32Array>): void {
    const features = fitted.features;
    if (!Number.isInteger(features) || (features as number) < 1) throw new RangeError(`features must be a positive integer, got ${JSON.stringify(features)}`);
    const model = this.buildModel(features as number);
    const names = model.layers.flatMap((l) => l.weights.map((w) => `${l.name}/${w.name}`));
    const extra = [...weights.keys()].filter((k) => !names.includes(k));
    if (extra.length) throw new RangeError(`unexpected weights ${extra.join(', ')}`);
    model.setWeights(names.map((n) => {
      const w = weights.get(n);
      if (!w) throw new RangeError(`weight ${n} is missing`);
      if (!w.every(Number.isFinite)) throw new RangeError(`weight ${n} holds non-finite values`);
      return w;
    }));
    this.model = model;
    this.features = features as number;
    const errs = fitted.reconstructionError;
    if (Array.isArray(errs)) this.history = errs.map((e) => ({ reconstructionError: Number(e), seconds: Number.NaN }));
  }
}
