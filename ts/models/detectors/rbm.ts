// Restricted Boltzmann machine as an anomaly detector: the free energy F(v) is -log p(v) up to a
// constant, so the higher it is, the less probable the row is under the model of the training data.
// `scoring: 'reconstruction'` scores a row instead by how far it lies from its mean-field
// reconstruction E[v | h = p(h | v)], the mean over features of the squared difference: no
// sampling, so deterministic like the free energy. On creditcard-rbm's validation carves it ranked
// frauds better than the free energy of the same RBMs (README "Tabular detectors").
//
// Binary hidden units; visible units Bernoulli (features in [0, 1], scikit-learn's BernoulliRBM)
// or Gaussian with unit variance (standardise the features first: StandardScaler). Trained by
// contrastive divergence, CD-k, or persistent CD (`persistent: true`), with momentum SGD and L2
// weight decay on W, in the native kernels (native/cpu/rbm.h): Gibbs steps, Philox samples and
// updates run off the event loop, one epoch per call, bit-identical for any thread count.
//
// Against scikit-learn: with `visible: 'bernoulli'`, weights W [hiddenUnits, features] are
// components_, `b` intercept_visible_, `c` intercept_hidden_; scoreSamples (default scoring) is scikit-learn's
// _free_energy (its score_samples is a stochastic pseudo-likelihood, not offered here) and
// transform() its transform. Initialisation follows Hinton's practical guide rather than
// scikit-learn: W ~ N(0, 0.01²), hidden biases 0, visible biases at the data's means (Gaussian)
// or their log-odds (Bernoulli).
import { firstOutside } from '../../bindings/scan.ts';
import { randomNormal } from '../../bindings/random.ts';
import { checkDevice } from '../../bindings/device.ts';
import type { Device } from '../../bindings/device.ts';
import { rbmFreeEnergyAsync, rbmHiddenProbsAsync, rbmTrainEpochAsync } from '../../bindings/rbm.ts';
import type { RbmModel, RbmVisible } from '../../bindings/rbm.ts';
import { rbmVisibleMeansAsync } from '../../bindings/rbm.ts';
import { knownOptions, optionNames } from '../options.ts';
import { permutation } from '../preprocessing/split.ts';
import type { Tensor } from '../tensor.ts';
import { Detector, DETECTOR_FIT_OPTIONS, preprocessed, registerDetector } from './detector.ts';
import type { DetectorFitOptions, DetectorState, JSONObject, RawRows } from './detector.ts';
import { toMatrix } from './matrix.ts';
import type { Matrix, TabularInput } from './matrix.ts';
import { THRESHOLD_OPTIONS, thresholdConfig } from './threshold.ts';
import type { ThresholdOptions } from './threshold.ts';

/** What scoreSamples returns: the free energy, or the mean-field reconstruction error. */
export type RbmScoring = 'freeEnergy' | 'reconstruction';

export interface RBMOptions extends ThresholdOptions {
  /** Hidden units (default 64). */
  hiddenUnits?: number;
  /** 'gaussian' (unit variance; default) or 'bernoulli' (features in [0, 1]). */
  visible?: RbmVisible;
  /** k of CD-k: Gibbs steps per gradient (default 1). */
  gibbsSteps?: number;
  /** Persistent contrastive divergence: the negative chains carry over between batches (default false). */
  persistent?: boolean;
  /** Default 0.01. */
  learningRate?: number;
  /** In [0, 1); default 0.5. */
  momentum?: number;
  /** L2 penalty on the weights (not the biases); default 0.0001. */
  weightDecay?: number;
  /** Default 64. */
  batchSize?: number;
  /** Default 20. */
  epochs?: number;
  /** Seeds the initial weights, the epochs' row orders and the Gibbs samples (default 0). */
  seed?: number;
  /**
   * The anomaly score: 'freeEnergy' (default) or 'reconstruction', the mean over features of
   * (v - E[v | h])² with h = p(h | v). Training is the same either way.
   */
  scoring?: RbmScoring;
  /**
   * Where scoring (free energy or reconstruction) and transform run; training stays on the CPU: 'auto' (default)
   * = the GPU when vigil was built with CUDA and one is usable, else the CPU; 'cpu'; 'cuda' (an
   * Error when unavailable). Scores agree to ~1e-6 relative. Not saved with the model.
   */
  device?: Device;
}

/** One training epoch. */
export interface RBMEpoch {
  /** Mean squared difference between the training rows and E[v | h] with h sampled from p(h | v). */
  reconstructionError: number;
  seconds: number;
}

export interface RBMFitOptions extends DetectorFitOptions {
  /** Called after each epoch (0-based), before onProgress. */
  onEpochEnd?: (epoch: number, logs: RBMEpoch) => void;
}

const DEFAULTS = {
  hiddenUnits: 64, visible: 'gaussian' as RbmVisible, gibbsSteps: 1, persistent: false, learningRate: 0.01, momentum: 0.5,
  weightDecay: 1e-4, batchSize: 64, epochs: 20, seed: 0, scoring: 'freeEnergy' as RbmScoring,
};

export const RBM_OPTIONS = optionNames<RBMOptions>()([
  'hiddenUnits', 'visible', 'gibbsSteps', 'persistent', 'learningRate', 'momentum', 'weightDecay', 'batchSize', 'epochs', 'seed', 'scoring',
  'device', ...THRESHOLD_OPTIONS,
]);
export const RBM_FIT_OPTIONS = optionNames<RBMFitOptions>()([...DETECTOR_FIT_OPTIONS, 'onEpochEnd']);

// The streams initialisation and shuffling draw from; the kernels' batch streams start at 2^52.
const INIT_STREAM = 0;
const shuffleStream = (epoch: number) => 1 + epoch;
const MAX_EPOCHS = 2 ** 20;

/** An integer option in [lo, hi]: a TypeError for a non-number, a RangeError naming the option otherwise. */
export function int(fn: string, name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${fn}: ${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  return v;
}

function real(fn: string, name: string, v: unknown, ok: (x: number) => boolean, range: string): number {
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!ok(v)) throw new RangeError(`${fn}: ${name} must be ${range}, got ${v}`);
  return v;
}

export class RBM extends Detector<TabularInput> {
  readonly modelType = 'RBM';
  readonly hiddenUnits: number;
  readonly visible: RbmVisible;
  readonly gibbsSteps: number;
  readonly persistent: boolean;
  readonly learningRate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly batchSize: number;
  readonly epochs: number;
  readonly seed: number;
  readonly scoring: RbmScoring;
  /** The fitted parameters: W [hiddenUnits, features], b [features], c [hiddenUnits]; null before fit. */
  weights: RbmModel | null = null;
  /** The last fit's epochs. */
  history: RBMEpoch[] = [];
  /** Where scoring runs (see RBMOptions.device); may be changed at any time. */
  device: Device;
  override readonly fitOptionNames: readonly string[] = RBM_FIT_OPTIONS;

  constructor(opts: RBMOptions = {}) {
    super('RBM', opts);
    const fn = 'RBM';
    knownOptions(fn, opts, RBM_OPTIONS);
    const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) };
    this.hiddenUnits = int(fn, 'hiddenUnits', o.hiddenUnits, 1, 1 << 20);
    if (o.visible !== 'gaussian' && o.visible !== 'bernoulli') {
      throw new RangeError(`${fn}: visible must be 'gaussian' or 'bernoulli', got ${JSON.stringify(o.visible)}`);
    }
    this.visible = o.visible;
    this.gibbsSteps = int(fn, 'gibbsSteps', o.gibbsSteps, 1, 1000);
    if (typeof o.persistent !== 'boolean') throw new TypeError(`${fn}: persistent must be a boolean, got ${typeof o.persistent}`);
    this.persistent = o.persistent;
    this.learningRate = real(fn, 'learningRate', o.learningRate, (v) => v > 0 && Number.isFinite(v), 'a finite number > 0');
    this.momentum = real(fn, 'momentum', o.momentum, (v) => v >= 0 && v < 1, 'in [0, 1)');
    this.weightDecay = real(fn, 'weightDecay', o.weightDecay, (v) => v >= 0 && Number.isFinite(v), 'a finite number >= 0');
    this.batchSize = int(fn, 'batchSize', o.batchSize, 1, 2 ** 31 - 1);
    this.epochs = int(fn, 'epochs', o.epochs, 1, MAX_EPOCHS);
    this.seed = int(fn, 'seed', o.seed, 0, Number.MAX_SAFE_INTEGER);
    if (o.scoring !== 'freeEnergy' && o.scoring !== 'reconstruction') {
      throw new RangeError(`${fn}: scoring must be 'freeEnergy' or 'reconstruction', got ${JSON.stringify(o.scoring)}`);
    }
    this.scoring = o.scoring;
    this.device = checkDevice(fn, opts.device);
  }

  /** The feature count fitted on. */
  get nFeatures(): number {
    if (!this.weights) throw new Error('RBM: not fitted yet: call fit() first');
    return this.weights.V;
  }

  override fit(x: TabularInput | RawRows, opts: RBMFitOptions = {}): Promise<this> {
    if (opts !== null && typeof opts === 'object' && opts.onEpochEnd !== undefined && typeof opts.onEpochEnd !== 'function') {
      return Promise.reject(new TypeError('RBM.fit: onEpochEnd must be a function'));
    }
    return super.fit(x, opts);
  }

  /** Checks a table: finite, as wide as the fit (when fitted), and in [0, 1] for Bernoulli visibles. */
  private table(fn: string, x: unknown, cols?: number): Matrix {
    const m = toMatrix(fn, 'x', x, cols);
    if (this.visible === 'bernoulli') {
      const k = firstOutside(m.data, 0, 1);
      if (k >= 0) {
        const i = Math.floor(k / m.cols);
        throw new RangeError(`${fn}: x[${i}][${k - i * m.cols}] is ${m.data[k]}: Bernoulli visible units take values in [0, 1] (scale the features, e.g. MinMaxScaler)`);
      }
    }
    return m;
  }

  protected async train(x: TabularInput, opts: RBMFitOptions): Promise<Float32Array> {
    const fn = 'RBM.fit';
    const m = this.table(fn, x);
    const { rows: N, cols: V } = m;
    const H = this.hiddenUnits;
    const model: RbmModel = {
      V, H,
      W: randomNormal(new Float32Array(H * V), this.seed, INIT_STREAM, 0, 0.01),
      b: this.initialVisibleBias(m),
      c: new Float32Array(H),
    };
    const vel = { W: new Float32Array(H * V), b: new Float32Array(V), c: new Float32Array(H) };
    const chain = this.persistent ? new Float32Array(Math.min(this.batchSize, N) * H) : null;
    const stats = new Float32Array(1);
    const history: RBMEpoch[] = [];
    for (let e = 0; e < this.epochs; e++) {
      opts.signal?.throwIfAborted();
      const t0 = performance.now();
      const order = permutation(N, this.seed, shuffleStream(e));
      await rbmTrainEpochAsync({
        visible: this.visible, gibbsSteps: this.gibbsSteps, persistent: this.persistent, batchSize: this.batchSize,
        learningRate: this.learningRate, momentum: this.momentum, weightDecay: this.weightDecay, seed: this.seed, epoch: e,
      }, N, model, m.data, order, vel, chain, stats);
      const err = stats[0];
      if (!Number.isFinite(err) || !model.W.every(Number.isFinite) || !model.b.every(Number.isFinite) || !model.c.every(Number.isFinite)) {
        throw new RangeError(`${fn}: training diverged in epoch ${e + 1} (reconstruction error ${err}); lower learningRate ` +
          `(now ${this.learningRate})${this.visible === 'gaussian' ? ' or standardise the features' : ''}`);
      }
      const logs = { reconstructionError: err, seconds: (performance.now() - t0) / 1000 };
      history.push(logs);
      opts.onEpochEnd?.(e, logs);
      opts.onProgress?.(e + 1, this.epochs);
    }
    opts.signal?.throwIfAborted();
    this.weights = model;
    this.history = history;
    return this.rowScores(m);
  }

  // Hinton's guide: visible biases start at the data's means (Gaussian) or log-odds (Bernoulli,
  // clipped so constant columns stay finite).
  private initialVisibleBias(m: Matrix): Float32Array {
    const mean = new Float64Array(m.cols);
    for (let i = 0, k = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++, k++) mean[j] += m.data[k];
    return Float32Array.from(mean, (s) => {
      const mu = s / m.rows;
      if (this.visible === 'gaussian') return mu;
      const p = Math.min(1 - 1e-3, Math.max(1e-3, mu));
      return Math.log(p / (1 - p));
    });
  }

  private async freeEnergy(m: Matrix): Promise<Float32Array> {
    const { V, H, W, b, c } = this.weights!;
    const F = new Float32Array(m.rows);
    await rbmFreeEnergyAsync(this.visible, m.rows, V, H, m.data, W, b, c, F, checkDevice('RBM', this.device));
    return F;
  }

  // The mean-field reconstruction error: P = p(h | v), R = E[v | h = P], mean over features of (v - R)².
  private async reconstructionError(m: Matrix): Promise<Float32Array> {
    const { V, H, W, b, c } = this.weights!;
    const device = checkDevice('RBM', this.device);
    const P = new Float32Array(m.rows * H);
    await rbmHiddenProbsAsync(m.rows, V, H, m.data, W, c, P, device);
    const R = new Float32Array(m.rows * V);
    await rbmVisibleMeansAsync(this.visible, m.rows, V, H, P, W, b, R, device);
    const err = new Float32Array(m.rows);
    for (let i = 0, k = 0; i < m.rows; i++) {
      let s = 0;
      for (let j = 0; j < V; j++, k++) s += (m.data[k] - R[k]) ** 2;
      err[i] = s / V;
    }
    return err;
  }

  private rowScores(m: Matrix): Promise<Float32Array> {
    return this.scoring === 'reconstruction' ? this.reconstructionError(m) : this.freeEnergy(m);
  }

  /** Free energy (or reconstruction error, `scoring: 'reconstruction'`) of each row: higher = more anomalous. */
  protected async score(x: TabularInput): Promise<Float32Array> {
    return this.rowScores(this.table('RBM.scoreSamples', x, this.weights!.V));
  }

  /** Hidden unit probabilities p(h = 1 | v), [rows, hiddenUnits] (scikit-learn's transform). */
  async transform(x: TabularInput | RawRows): Promise<Tensor<Float32Array>> {
    this.requireFitted('transform');
    const { V, H, W, c } = this.weights!;
    const m = this.table('RBM.transform', preprocessed(this, 'RBM.transform', x), V);
    const P = new Float32Array(m.rows * H);
    await rbmHiddenProbsAsync(m.rows, V, H, m.data, W, c, P, checkDevice('RBM', this.device));
    return { data: P, shape: [m.rows, H] };
  }

  protected state(): DetectorState {
    const { V, H, W, b, c } = this.weights!;
    const r = this.thresholdRule;
    const config: JSONObject = {
      hiddenUnits: H, visible: this.visible, gibbsSteps: this.gibbsSteps, persistent: this.persistent, learningRate: this.learningRate,
      momentum: this.momentum, weightDecay: this.weightDecay, batchSize: this.batchSize, epochs: this.epochs, seed: this.seed,
      scoring: this.scoring, ...thresholdConfig(r),
    };
    return {
      config,
      fitted: { features: V, reconstructionError: this.history.map((h) => h.reconstructionError) },
      weights: [
        { name: 'W', shape: [H, V], value: W },
        { name: 'b', shape: [V], value: b },
        { name: 'c', shape: [H], value: c },
      ],
    };
  }
}

/**
 * A fitted RBM's parameters and epochs from a saved state: the weights named W, b, c + `suffix`
 * (an RbmEnsemble saves member i's as W<i>, b<i>, c<i>), checked for size and finiteness, and the
 * epochs' reconstruction errors when saved. `V` is the fitted feature count, already checked.
 */
export function restoreRbm(rbm: RBM, V: number, weights: Map<string, Float32Array>, errs: unknown, suffix = ''): void {
  const H = rbm.hiddenUnits;
  const get = (name: string, len: number) => {
    const key = name + suffix;
    const w = weights.get(key);
    if (!w || w.length !== len) throw new RangeError(`weight '${key}' must hold ${len} values, got ${w ? w.length : 'none'}`);
    if (!w.every(Number.isFinite)) throw new RangeError(`weight '${key}' holds non-finite values`);
    return w;
  };
  rbm.weights = { V, H, W: get('W', H * V), b: get('b', V), c: get('c', H) };
  if (Array.isArray(errs)) rbm.history = errs.map((e) => ({ reconstructionError: Number(e), seconds: Number.NaN }));
}

registerDetector('RBM', ({ config, fitted, weights }) => {
  const rbm = new RBM(config as RBMOptions);
  const V = fitted.features;
  if (!Number.isInteger(V) || (V as number) < 1) throw new TypeError(`fitted.features must be a positive integer, got ${JSON.stringify(V)}`);
  restoreRbm(rbm, V as number, weights, fitted.reconstructionError);
  return rbm as Detector<never>;
});
