// ν-one-class SVM (Schölkopf et al. 2001) with scikit-learn's OneClassSVM semantics: the same
// options and defaults, the dual solved by libsvm's SMO (same path, same support vectors,
// native/cpu/ocsvm.h) and the same decision function.
//
// Mapping onto scikit-learn (checked against it in test/ocsvm-sklearn.test.ts):
//   decisionValues(x)  = Σ_i α_i K(sv_i, x) - ρ             = sklearn.decision_function(x)
//   scoreSamples(x)    = ρ - Σ_i α_i K(sv_i, x)             = -sklearn.decision_function(x)
//                                                           = sklearn.offset_ - sklearn.score_samples(x)
//   rho                = ρ                                  = sklearn.offset_ = -sklearn.intercept_
//   dualCoef, support  = α of the support vectors, their rows = sklearn.dual_coef_[0], support_
//   threshold          = quantile(training scores, 1 - contamination) (every vigil detector's rule)
//   decisionFunction   = scoreSamples - threshold          (> 0 flagged, PyOD's sign)
// scikit-learn's own boundary (predict = -1 where decision_function < 0) is `threshold: 'rho'`:
// the threshold is then 0 on vigil's scale, and predict flags exactly the rows scikit-learn does.
import { ocsvmDecision, ocsvmDecisionAsync, ocsvmFitAsync, OCSVM_CTRL } from '../../bindings/ocsvm.ts';
import type { OcsvmFitResult, OcsvmStatus, SvmKernelName, SvmKernelSpec } from '../../bindings/ocsvm.ts';
import { checkDevice } from '../../bindings/device.ts';
import type { Device } from '../../bindings/device.ts';
import { Detector, preprocessed, registerDetector } from './detector.ts';
import type { DetectorFitOptions, DetectorState, JSONObject, RawRows } from './detector.ts';
import { toMatrix } from './matrix.ts';
import type { Matrix, TabularInput } from './matrix.ts';
import { knownOptions, optionNames } from '../options.ts';
import { THRESHOLD_OPTIONS, thresholdConfig } from './threshold.ts';
import type { ThresholdOptions } from './threshold.ts';

export interface OneClassSVMOptions extends ThresholdOptions {
  /** 'rbf' (default), 'linear', 'poly' or 'sigmoid'. */
  kernel?: SvmKernelName;
  /**
   * Kernel coefficient for rbf, poly and sigmoid: a number > 0, 'scale' (default) =
   * 1 / (features · variance of all training values), or 'auto' = 1 / features.
   */
  gamma?: number | 'scale' | 'auto';
  /** Degree of the poly kernel, an integer >= 0 (default 3). */
  degree?: number;
  /** Independent term of poly and sigmoid (default 0). */
  coef0?: number;
  /** In (0, 1] (default 0.5): at most this share of training rows fall outside, at least this share are support vectors. */
  nu?: number;
  /** Stopping tolerance on the maximal KKT violation, > 0 (default 1e-3). */
  tol?: number;
  /** Kernel-row cache in MiB, > 0 (default 200). */
  cacheSize?: number;
  /** Cap on SMO iterations, or -1 (default) for none. */
  maxIter?: number;
  /** Shrinking heuristic (default true): same solution, usually faster. */
  shrinking?: boolean;
  /**
   * 'rho': flag rows by the SVM's own boundary (scikit-learn's predict) instead of a quantile of
   * the training scores; excludes contamination and thresholdQuantile.
   */
  threshold?: 'rho';
  /**
   * Where scoring runs (training stays on the CPU): 'auto' (default) = the GPU for the rbf kernel
   * when vigil was built with CUDA and one is usable, else the CPU; 'cpu'; 'cuda' (rbf only; an
   * Error when unavailable). Not saved with the model: a loaded model starts at 'auto'.
   */
  device?: Device;
}

const OPTIONS = optionNames<OneClassSVMOptions>()([
  'kernel', 'gamma', 'degree', 'coef0', 'nu', 'tol', 'cacheSize', 'maxIter', 'shrinking', 'threshold', 'device', ...THRESHOLD_OPTIONS,
]);

const FN = 'OneClassSVM';
const KERNELS: readonly SvmKernelName[] = ['linear', 'poly', 'rbf', 'sigmoid'];

function num(name: string, v: unknown, dflt: number, ok: (x: number) => boolean, want: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${FN}: ${name} must be a number, got ${typeof v}`);
  if (!Number.isFinite(v) || !ok(v)) throw new RangeError(`${FN}: ${name} must be ${want}, got ${v}`);
  return v;
}

/** scikit-learn's gamma='scale': 1 / (features · var(all values)), 1 when the values are constant. */
function scaleGamma(m: Matrix): number {
  const n = m.data.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += m.data[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (m.data[i] - mean) ** 2;
  v /= n;
  return v !== 0 ? 1 / (m.cols * v) : 1;
}

interface Fitted {
  features: number;
  gamma: number;
  /** Support vectors [nSV, features]. */
  sv: Float32Array;
  coef: Float32Array;
  support: Int32Array;
  rho: number;
  iterations: number;
  status: OcsvmStatus;
}

export class OneClassSVM extends Detector<TabularInput> {
  readonly modelType = 'OneClassSVM';
  readonly kernel: SvmKernelName;
  readonly gamma: number | 'scale' | 'auto';
  readonly degree: number;
  readonly coef0: number;
  readonly nu: number;
  readonly tol: number;
  readonly cacheSize: number;
  readonly maxIter: number;
  readonly shrinking: boolean;
  /** True with `threshold: 'rho'`: fit() puts the threshold at the SVM's boundary (0). */
  readonly rhoThreshold: boolean;
  /** Where scoring runs (see OneClassSVMOptions.device); may be changed at any time. */
  device: Device;
  #fit: Fitted | null = null;

  constructor(opts: OneClassSVMOptions = {}) {
    if (typeof opts === 'object' && opts !== null && opts.threshold !== undefined) {
      if (opts.threshold !== 'rho') throw new TypeError(`${FN}: threshold must be 'rho' (or left out), got ${JSON.stringify(opts.threshold)}`);
      if (opts.contamination !== undefined || opts.thresholdQuantile !== undefined) {
        throw new TypeError(`${FN}: threshold 'rho' excludes contamination and thresholdQuantile`);
      }
    }
    super(FN, opts);
    knownOptions(FN, opts, OPTIONS);
    const kernel = opts.kernel ?? 'rbf';
    if (!KERNELS.includes(kernel)) throw new RangeError(`${FN}: kernel must be one of ${KERNELS.join(', ')}, got ${JSON.stringify(kernel)}`);
    this.kernel = kernel;
    const g = opts.gamma ?? 'scale';
    if (g !== 'scale' && g !== 'auto') num('gamma', g, 1, (x) => x > 0, "> 0, 'scale' or 'auto'");
    this.gamma = g;
    this.degree = num('degree', opts.degree, 3, (x) => Number.isInteger(x) && x >= 0 && x <= 2 ** 20, 'an integer in [0, 2^20]');
    this.coef0 = num('coef0', opts.coef0, 0, (x) => Math.abs(x) <= 3.4e38, 'a float32-range number');
    this.nu = num('nu', opts.nu, 0.5, (x) => x > 0 && x <= 1, 'in (0, 1]');
    this.tol = num('tol', opts.tol, 1e-3, (x) => x > 0, '> 0');
    this.cacheSize = num('cacheSize', opts.cacheSize, 200, (x) => x > 0 && x <= 2 ** 30, 'in (0, 2^30] MiB');
    this.maxIter = num('maxIter', opts.maxIter, -1, (x) => Number.isInteger(x) && x >= -1, 'an integer >= -1');
    if (opts.shrinking !== undefined && typeof opts.shrinking !== 'boolean') throw new TypeError(`${FN}: shrinking must be a boolean`);
    this.shrinking = opts.shrinking ?? true;
    this.rhoThreshold = opts.threshold === 'rho';
    this.device = checkDevice(FN, opts.device);
    if (this.device === 'cuda' && this.kernel !== 'rbf') throw new RangeError(`${FN}: device 'cuda' runs the rbf kernel only, got kernel '${this.kernel}'`);
  }

  /** Features the model was fitted on. */
  get nFeatures(): number {
    return this.#fitted('nFeatures').features;
  }

  /** The gamma the kernel uses ('scale' / 'auto' resolved at fit; scikit-learn's _gamma). */
  get gammaValue(): number {
    return this.#fitted('gammaValue').gamma;
  }

  /** Support vectors, [nSV, features] row-major (read-only: copy before changing it). */
  get supportVectors(): Float32Array {
    return this.#fitted('supportVectors').sv;
  }

  /** α of each support vector (libsvm's scaling: 0 < α <= 1, Σ α = ν n; scikit-learn's dual_coef_[0]). */
  get dualCoef(): Float32Array {
    return this.#fitted('dualCoef').coef;
  }

  /** Training rows of the support vectors, ascending (scikit-learn's support_). */
  get support(): Int32Array {
    return this.#fitted('support').support;
  }

  /** ρ, the offset of the decision function (scikit-learn's offset_). */
  get rho(): number {
    return this.#fitted('rho').rho;
  }

  /** SMO iterations of the fit (scikit-learn's n_iter_). */
  get nIter(): number {
    return this.#fitted('nIter').iterations;
  }

  /** 'converged', or 'maxIter' when the iteration cap stopped the solver first. */
  get fitStatus(): OcsvmStatus {
    return this.#fitted('fitStatus').status;
  }

  /**
   * Trains (see Detector.fit). The solver runs on a worker thread; `signal` stops it within
   * about 1000 SMO iterations, and `onProgress(iterations, total)` is called every 100 ms while
   * it runs and once at the end, where total is maxIter when one is set, otherwise Infinity
   * until the final call (iterations, iterations): SMO cannot tell in advance how many it needs.
   */
  override async fit(x: TabularInput | RawRows, opts: DetectorFitOptions = {}): Promise<this> {
    await super.fit(x, opts);
    if (this.rhoThreshold) this.threshold = 0;
    return this;
  }

  /** scikit-learn's decision_function: Σ α_i K(sv_i, x) - ρ, positive inside the learned region. */
  async decisionValues(x: TabularInput | RawRows): Promise<Float32Array> {
    const f = this.#fitted('decisionValues');
    const m = toMatrix(`${FN}.decisionValues`, 'x', preprocessed(this, `${FN}.decisionValues`, x), f.features);
    const out = new Float32Array(m.rows);
    await ocsvmDecisionAsync(m.rows, m.cols, f.coef.length, m.data, f.sv, f.coef, this.#kernel(f), f.rho, out, checkDevice(FN, this.device));
    return out;
  }

  /** scoreSamples on the calling thread, for a few rows where a worker round trip would cost more. */
  scoreSamplesSync(x: TabularInput | RawRows): Float32Array {
    const f = this.#fitted('scoreSamplesSync');
    const m = toMatrix(`${FN}.scoreSamplesSync`, 'x', preprocessed(this, `${FN}.scoreSamplesSync`, x), f.features);
    const out = new Float32Array(m.rows);
    ocsvmDecision(m.rows, m.cols, f.coef.length, m.data, f.sv, f.coef, this.#kernel(f), f.rho, out, checkDevice(FN, this.device));
    return negate(out);
  }

  protected async train(x: TabularInput, opts: DetectorFitOptions): Promise<Float32Array> {
    const m = toMatrix(`${FN}.fit`, 'x', x);
    const gamma = this.gamma === 'scale' ? scaleGamma(m) : this.gamma === 'auto' ? 1 / m.cols : this.gamma;
    const alpha = new Float32Array(m.rows);
    const ctrl = new Int32Array(4);
    const stop = () => Atomics.store(ctrl, OCSVM_CTRL.stop, 1);
    const total = this.maxIter >= 0 ? this.maxIter : Infinity;
    let progressError: unknown = null;
    const report = (done: number, all: number) => {
      try {
        opts.onProgress?.(done, all);
      } catch (err) {
        progressError ??= err;
        stop();
      }
    };
    opts.signal?.addEventListener('abort', stop, { once: true });
    const timer = opts.onProgress ? setInterval(() => report(Atomics.load(ctrl, OCSVM_CTRL.iterations), total), 100) : null;
    let res: OcsvmFitResult;
    try {
      res = await ocsvmFitAsync(m.rows, m.cols, m.data, {
        kernel: this.kernel, gamma, degree: this.degree, coef0: this.coef0,
        nu: this.nu, tol: this.tol, cacheMB: this.cacheSize, maxIter: this.maxIter, shrinking: this.shrinking,
      }, alpha, ctrl);
    } finally {
      if (timer) clearInterval(timer);
      opts.signal?.removeEventListener('abort', stop);
    }
    if (progressError !== null) throw progressError;
    // An abort that lands after the solver finished still wins: fit() rejects, the model is unchanged.
    opts.signal?.throwIfAborted();
    if (res.status === 'aborted') throw new Error(`${FN}.fit: the solver was stopped`);
    if (!Number.isFinite(res.rho)) {
      // No free variable and none at 0 (nu = 1 puts every row at its bound): libsvm's offset is
      // then the middle of an unbounded interval, which scikit-learn refuses as well.
      throw new RangeError(`${FN}.fit: the offset rho is not finite (every row is a support vector at its bound); lower nu below 1`);
    }
    report(res.iterations, res.status === 'maxIter' ? total : res.iterations);
    if (progressError !== null) throw progressError;
    if (res.status === 'maxIter') {
      process.emitWarning(`${FN}: the solver stopped at maxIter (${this.maxIter}) before converging; consider scaling the data or raising maxIter`,
        'ConvergenceWarning');
    }
    const support: number[] = [];
    for (let i = 0; i < alpha.length; i++) if (alpha[i] !== 0) support.push(i);
    const sv = new Float32Array(support.length * m.cols);
    const coef = new Float32Array(support.length);
    support.forEach((row, j) => {
      sv.set(m.data.subarray(row * m.cols, (row + 1) * m.cols), j * m.cols);
      coef[j] = alpha[row];
    });
    this.#fit = {
      features: m.cols, gamma, sv, coef, support: Int32Array.from(support), rho: res.rho, iterations: res.iterations, status: res.status,
    };
    return this.#scores(m);
  }

  protected async score(x: TabularInput): Promise<Float32Array> {
    return this.#scores(toMatrix(`${FN}.scoreSamples`, 'x', x, this.#fitted('scoreSamples').features));
  }

  protected state(): DetectorState {
    const f = this.#fitted('save');
    const r = this.thresholdRule;
    const config: JSONObject = {
      kernel: this.kernel, gamma: this.gamma, degree: this.degree, coef0: this.coef0, nu: this.nu, tol: this.tol,
      cacheSize: this.cacheSize, maxIter: this.maxIter, shrinking: this.shrinking,
      ...(this.rhoThreshold ? { threshold: 'rho' } : thresholdConfig(r)),
    };
    const nSV = f.coef.length;
    return {
      config,
      fitted: { features: f.features, gamma: f.gamma, rho: f.rho, iterations: f.iterations, status: f.status, supportVectors: nSV },
      weights: [
        { name: 'supportVectors', shape: [nSV, f.features], value: f.sv },
        { name: 'dualCoef', shape: [nSV], value: f.coef },
        // Row numbers below 2^24 are exact in float32; a fit on more rows saves them rounded.
        { name: 'support', shape: [nSV], value: Float32Array.from(f.support) },
      ],
    };
  }

  /** Rebuilds the fitted state from a model file's parts (loadDetector). */
  static fromState(config: JSONObject, fitted: JSONObject, weights: Map<string, Float32Array>): OneClassSVM {
    const d = new OneClassSVM(config as OneClassSVMOptions);
    const need = (name: string, ok: (v: number) => boolean, want: string): number => {
      const v = fitted[name];
      if (typeof v !== 'number' || !ok(v)) throw new RangeError(`fitted.${name} must be ${want}, got ${JSON.stringify(v)}`);
      return v;
    };
    const features = need('features', (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
    const nSV = need('supportVectors', (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
    const gamma = need('gamma', (v) => Number.isFinite(v) && v > 0, 'a number > 0');
    const rho = need('rho', Number.isFinite, 'a finite number');
    const iterations = need('iterations', (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
    const status = fitted.status;
    if (status !== 'converged' && status !== 'maxIter') throw new RangeError(`fitted.status must be 'converged' or 'maxIter', got ${JSON.stringify(status)}`);
    const take = (name: string, len: number) => {
      const w = weights.get(name);
      if (!w) throw new RangeError(`weight '${name}' is missing`);
      if (w.length !== len) throw new RangeError(`weight '${name}' has ${w.length} values, expected ${len}`);
      for (let i = 0; i < w.length; i++) if (!Number.isFinite(w[i])) throw new RangeError(`weight '${name}' holds ${w[i]} at ${i}`);
      return w;
    };
    const sv = take('supportVectors', nSV * features);
    const coef = take('dualCoef', nSV);
    const support = Int32Array.from(take('support', nSV));
    d.#fit = { features, gamma, sv, coef, support, rho, iterations, status };
    return d;
  }

  #kernel(f: Fitted): SvmKernelSpec {
    return { kernel: this.kernel, gamma: f.gamma, degree: this.degree, coef0: this.coef0 };
  }

  async #scores(m: Matrix): Promise<Float32Array> {
    const f = this.#fit!;
    const out = new Float32Array(m.rows);
    await ocsvmDecisionAsync(m.rows, m.cols, f.coef.length, m.data, f.sv, f.coef, this.#kernel(f), f.rho, out, checkDevice(FN, this.device));
    return negate(out);
  }

  #fitted(what: string): Fitted {
    if (!this.#fit) throw new Error(`${FN}.${what}: not fitted yet: call fit() first`);
    return this.#fit;
  }
}

function negate(a: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = -a[i];
  return a;
}

registerDetector('OneClassSVM', ({ config, fitted, weights }) => OneClassSVM.fromState(config, fitted, weights) as Detector<never>);
