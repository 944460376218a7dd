// Isolation forest (Liu, Ting & Zhou 2008) with scikit-learn's IsolationForest semantics: the same
// options, trees grown the same way (random feature among those not constant on the node, split
// uniform between its min and max, height limit ceil(log2(maxSamples))) and the same scores.
//
// Mapping onto scikit-learn (checked against it to 1e-6 in test/iforest-sklearn.test.ts):
//   scoreSamples(x)    = 2^(-E[h(x)] / c(maxSamples))  = -sklearn.score_samples(x)
//   pathLengths(x)     = E[h(x)], the mean path length over the trees
//   threshold          = quantile(training scores, 1 - contamination) = -sklearn.offset_
//   decisionFunction   = scoreSamples - threshold        = -sklearn.decision_function
//   predict            = 1 where sklearn.predict gives -1
// sklearn's default contamination='auto' (offset_ = -0.5) is vigil's contamination 'auto':
// threshold 0.5 whatever the training scores (a score above 0.5 means a path shorter than the
// average unsuccessful search in a binary search tree of maxSamples keys: Liu et al.'s rule); vigil's
// default stays a share, 0.1, as every vigil detector's.
//
// extensionLevel > 0 is the extended isolation forest (Hariri, Kind & Brunner 2018), which
// scikit-learn does not have: each node splits on a random hyperplane whose normal has
// extensionLevel + 1 non-zero N(0, 1) components, through a point drawn uniformly in the node's
// range of those features; the scores keep the same formula. Its score maps lose the axis-aligned
// bands of the plain forest. ONNX's TreeEnsemble cannot express it (detectorToOnnx refuses it).
import {
  createForest, extensionOf, forestHeight, iforestFitAsync, iforestScore, iforestScoreAsync, PackedForest,
} from '../../bindings/iforest.ts';
import type { Forest } from '../../bindings/iforest.ts';
import { checkDevice } from '../../bindings/device.ts';
import type { Device } from '../../bindings/device.ts';
import { Detector, preprocessed, registerDetector } from './detector.ts';
import type { DetectorFitOptions, DetectorState, JSONObject, RawRows } from './detector.ts';
import { toMatrix } from './matrix.ts';
import type { Matrix, TabularInput } from './matrix.ts';
import { knownOptions, optionNames } from '../options.ts';
import { THRESHOLD_OPTIONS, thresholdConfig } from './threshold.ts';
import type { ThresholdOptions } from './threshold.ts';

export interface IsolationForestOptions extends ThresholdOptions {
  /** Trees in the forest (default 100). */
  nEstimators?: number;
  /**
   * Rows each tree is grown on: 'auto' (default) = min(256, rows); a number in (0, 1] = that share
   * of the rows (at least one); an integer > 1 = that many rows, or all rows (with a warning, as
   * scikit-learn) when there are fewer.
   */
  maxSamples?: 'auto' | number;
  /**
   * Features each tree draws its splits from: a number in (0, 1] = that share of the features (at
   * least one; default 1 = all of them), an integer > 1 = that many (at most the features).
   * scikit-learn tells an int 1 from a float 1.0; JavaScript cannot, so 1 means all features.
   */
  maxFeatures?: number;
  /** Draw each tree's rows with replacement (default false). */
  bootstrap?: boolean;
  /** Seed of the trees' random streams (default 0): a seed gives one forest on any thread count. */
  seed?: number;
  /**
   * Extended isolation forest (Hariri et al. 2018): each split is a random hyperplane whose normal
   * has extensionLevel + 1 non-zero components (default 0: scikit-learn's axis-parallel splits; at
   * most the features each tree draws from, minus one: full extension). Scored on the CPU only.
   */
  extensionLevel?: number;
  /**
   * Where scoring runs (training stays on the CPU): 'auto' (default) = the GPU when vigil was built
   * with CUDA and one is usable, else the CPU; 'cpu'; 'cuda' (an Error when unavailable). Path
   * lengths are the same on both. Not saved with the model: a loaded model starts at 'auto'.
   */
  device?: Device;
}

const FN = 'IsolationForest';
const OPTIONS = optionNames<IsolationForestOptions>()([
  'nEstimators', 'maxSamples', 'maxFeatures', 'bootstrap', 'seed', 'extensionLevel', 'device', ...THRESHOLD_OPTIONS,
]);
/** contamination 'auto': scikit-learn's offset_ = -0.5. */
const AUTO_THRESHOLD = 0.5;
const MAX_SEED = 2 ** 53 - 1;

function positiveInt(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${FN}: ${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${FN}: ${name} must be an integer >= 1, got ${v}`);
  return v;
}

/** A count option: a share in (0, 1] or an integer > 1. */
function shareOrCount(name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${FN}: ${name} must be a number, got ${typeof v}`);
  if (!(v > 0) || (v > 1 && !Number.isInteger(v)) || !Number.isFinite(v)) {
    throw new RangeError(`${FN}: ${name} must be a share in (0, 1] or an integer > 1, got ${v}`);
  }
  return v;
}

/** scikit-learn's int(share * n), at least 1. */
function resolve(v: number, n: number): number {
  return v <= 1 ? Math.max(1, Math.floor(v * n)) : v;
}

export class IsolationForest extends Detector<TabularInput> {
  readonly modelType = 'IsolationForest';
  readonly nEstimators: number;
  readonly maxSamples: 'auto' | number;
  readonly maxFeatures: number;
  readonly bootstrap: boolean;
  readonly seed: number;
  readonly extensionLevel: number;
  /** Where scoring runs (see IsolationForestOptions.device); may be changed at any time. */
  device: Device;
  #forest: Forest | null = null;
  #packed: PackedForest | null = null;

  constructor(opts: IsolationForestOptions = {}) {
    super(FN, opts, AUTO_THRESHOLD);
    knownOptions(FN, opts, OPTIONS);
    this.nEstimators = positiveInt('nEstimators', opts.nEstimators, 100);
    const ms = opts.maxSamples ?? 'auto';
    this.maxSamples = ms === 'auto' ? ms : shareOrCount('maxSamples', ms);
    this.maxFeatures = shareOrCount('maxFeatures', opts.maxFeatures ?? 1);
    if (opts.bootstrap !== undefined && typeof opts.bootstrap !== 'boolean') throw new TypeError(`${FN}: bootstrap must be a boolean`);
    this.bootstrap = opts.bootstrap ?? false;
    const seed = opts.seed ?? 0;
    if (typeof seed !== 'number') throw new TypeError(`${FN}: seed must be a number, got ${typeof seed}`);
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
      throw new RangeError(`${FN}: seed must be an integer in [0, 2^53), got ${seed}`);
    }
    this.seed = seed;
    const level = opts.extensionLevel ?? 0;
    if (typeof level !== 'number') throw new TypeError(`${FN}: extensionLevel must be a number, got ${typeof level}`);
    if (!Number.isInteger(level) || level < 0) {
      throw new RangeError(`${FN}: extensionLevel must be an integer >= 0 (at most the features minus one), got ${level}`);
    }
    this.extensionLevel = level;
    this.device = checkDevice(FN, opts.device);
    // The GPU walk is axis-parallel only: refused here rather than at the end of a fit.
    if (this.device === 'cuda' && level > 0) {
      throw new RangeError(`${FN}: device 'cuda' scores axis-parallel forests only; extensionLevel ${level} runs on the CPU (device 'cpu' or 'auto')`);
    }
  }

  /** The fitted forest in the flat layout of ts/bindings/iforest.ts (read-only: copy before changing it). */
  get forest(): Forest {
    return this.#fitted('forest').forest;
  }

  /** Features the forest was fitted on. */
  get nFeatures(): number {
    return this.#fitted('nFeatures').packed.cols;
  }

  /** The mean path length E[h(x)] of every row over the trees (lower = isolated sooner). */
  async pathLengths(x: TabularInput | RawRows): Promise<Float32Array> {
    const { packed } = this.#fitted('pathLengths');
    const m = toMatrix(`${FN}.pathLengths`, 'x', preprocessed(this, `${FN}.pathLengths`, x), packed.cols);
    const out = new Float32Array(m.rows);
    await iforestScoreAsync(packed, m.rows, m.data, out, null, this.#device('pathLengths'));
    return out;
  }

  /**
   * scoreSamples on the calling thread: for a few rows scored in-process, where a worker
   * round trip would cost more than the trees (one row through 100 trees takes microseconds).
   */
  scoreSamplesSync(x: TabularInput | RawRows): Float32Array {
    const { packed } = this.#fitted('scoreSamplesSync');
    const m = toMatrix(`${FN}.scoreSamplesSync`, 'x', preprocessed(this, `${FN}.scoreSamplesSync`, x), packed.cols);
    const out = new Float32Array(m.rows);
    iforestScore(packed, m.rows, m.data, null, out, this.#device('scoreSamplesSync'));
    return out;
  }

  protected async train(x: TabularInput, opts: DetectorFitOptions): Promise<Float32Array> {
    const m = toMatrix(`${FN}.fit`, 'x', x);
    if (m.cols >= 2 ** 24) throw new RangeError(`${FN}.fit: at most 2^24 - 1 features, got ${m.cols}`);
    const maxSamples = this.#rowsPerTree(m.rows);
    const maxFeatures = resolve(this.maxFeatures, m.cols);
    if (maxFeatures > m.cols) throw new RangeError(`${FN}.fit: maxFeatures (${maxFeatures}) is more than the ${m.cols} features of x`);
    if (this.extensionLevel >= maxFeatures) {
      const of = maxFeatures < m.cols ? `the ${maxFeatures} features each tree draws from (maxFeatures)` : `the ${m.cols} features of x`;
      throw new RangeError(`${FN}.fit: extensionLevel must be below ${of}, got ${this.extensionLevel}`);
    }
    const forest = createForest(this.nEstimators, maxSamples, this.extensionLevel, `${FN}.fit`);
    const grow = { maxFeatures, bootstrap: this.bootstrap, seed: this.seed };
    // Trees in about ten calls: progress and the abort signal are looked at between them.
    const step = Math.max(1, Math.ceil(this.nEstimators / 10));
    for (let first = 0; first < this.nEstimators; first += step) {
      opts.signal?.throwIfAborted();
      const count = Math.min(step, this.nEstimators - first);
      await iforestFitAsync(m.rows, m.cols, m.data, forest, grow, first, count);
      opts.onProgress?.(first + count, this.nEstimators);
    }
    this.#set(forest, m.cols);
    return this.#scores(m);
  }

  protected async score(x: TabularInput): Promise<Float32Array> {
    return this.#scores(toMatrix(`${FN}.scoreSamples`, 'x', x, this.#fitted('scoreSamples').packed.cols));
  }

  protected state(): DetectorState {
    const f = this.forest;
    const config: JSONObject = {
      nEstimators: this.nEstimators, maxSamples: this.maxSamples, maxFeatures: this.maxFeatures, bootstrap: this.bootstrap, seed: this.seed,
      // Only when set: files of axis-parallel forests stay as they were.
      ...(this.extensionLevel > 0 ? { extensionLevel: this.extensionLevel } : {}),
      ...thresholdConfig(this.thresholdRule),
    };
    const inner = 2 ** f.height - 1;
    const level = extensionOf(f);
    const weights = [
      // Feature indices are below 2^24 (checked at fit), so float32 holds them exactly.
      { name: 'feature', shape: [f.trees, inner], value: Float32Array.from(f.feature) },
      { name: 'threshold', shape: [f.trees, inner], value: f.threshold },
      { name: 'leafValue', shape: [f.trees, inner + 1], value: f.leafValue },
    ];
    if (level > 0) {
      weights.push({ name: 'normalFeature', shape: [f.trees, inner, level + 1], value: Float32Array.from(f.normalFeature!) });
      weights.push({ name: 'normal', shape: [f.trees, inner, level + 1], value: f.normal! });
    }
    return { config, fitted: { features: this.nFeatures, maxSamples: f.maxSamples, height: f.height, trees: f.trees }, weights };
  }

  /** Rebuilds the fitted state from a model file's parts (loadDetector). */
  static fromState(config: JSONObject, fitted: JSONObject, weights: Map<string, Float32Array>): IsolationForest {
    const d = new IsolationForest(config as IsolationForestOptions);
    const int = (name: string, min: number) => {
      const v = fitted[name];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
        throw new RangeError(`fitted.${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
      }
      return v;
    };
    const features = int('features', 1);
    if (features >= 2 ** 24) throw new RangeError(`fitted.features must be below 2^24, got ${features}`);
    const maxSamples = int('maxSamples', 1), height = int('height', 1), trees = int('trees', 1);
    if (trees !== d.nEstimators) throw new RangeError(`fitted.trees (${trees}) differs from nEstimators (${d.nEstimators})`);
    if (height !== forestHeight(maxSamples)) throw new RangeError(`fitted.height (${height}) does not fit maxSamples ${maxSamples}`);
    if (d.extensionLevel >= features) {
      throw new RangeError(`config.extensionLevel (${d.extensionLevel}) must be below fitted.features (${features})`);
    }
    // The stored weights' sizes are checked before the forest is allocated from the header's
    // numbers, so a crafted header cannot ask for gigabytes (an error naming the weight instead).
    const inner = 2 ** height - 1;
    const sizes: Array<[string, number]> = [['feature', trees * inner], ['threshold', trees * inner], ['leafValue', trees * (inner + 1)]];
    if (d.extensionLevel > 0) sizes.push(['normalFeature', trees * inner * (d.extensionLevel + 1)], ['normal', trees * inner * (d.extensionLevel + 1)]);
    for (const [name, len] of sizes) {
      const w = weights.get(name);
      if (w && w.length !== len) throw new RangeError(`weight '${name}' has ${w.length} values, expected ${len}`);
    }
    const forest = createForest(trees, maxSamples, d.extensionLevel);
    const take = (name: string, len: number) => {
      const w = weights.get(name);
      if (!w) throw new RangeError(`weight '${name}' is missing`);
      if (w.length !== len) throw new RangeError(`weight '${name}' has ${w.length} values, expected ${len}`);
      return w;
    };
    const indices = (name: string, into: Int32Array) => {
      const v = take(name, into.length);
      for (let i = 0; i < v.length; i++) {
        if (!Number.isInteger(v[i])) throw new RangeError(`weight '${name}' holds ${v[i]} at ${i}, not a feature index`);
        into[i] = v[i];
      }
    };
    indices('feature', forest.feature);
    forest.threshold.set(take('threshold', forest.threshold.length));
    forest.leafValue.set(take('leafValue', forest.leafValue.length));
    if (d.extensionLevel > 0) {
      indices('normalFeature', forest.normalFeature!);
      forest.normal!.set(take('normal', forest.normal!.length));
    } else {
      for (const name of ['normalFeature', 'normal']) {
        if (weights.has(name)) throw new RangeError(`weight '${name}' belongs to an extended forest, but config.extensionLevel is 0`);
      }
    }
    d.#set(forest, features); // iforestPack checks the indices and values
    return d;
  }

  #rowsPerTree(rows: number): number {
    if (this.maxSamples === 'auto') return Math.min(256, rows);
    if (this.maxSamples <= 1) return resolve(this.maxSamples, rows);
    if (this.maxSamples > rows) {
      process.emitWarning(`${FN}.fit: maxSamples (${this.maxSamples}) is greater than the number of rows (${rows}); ` +
        `each tree uses all ${rows} rows`, { code: 'VIGIL_IFOREST_MAX_SAMPLES' });
      return rows;
    }
    return this.maxSamples;
  }

  #set(forest: Forest, cols: number): void {
    this.#packed = new PackedForest(forest, cols);
    this.#forest = forest;
  }

  async #scores(m: Matrix): Promise<Float32Array> {
    const out = new Float32Array(m.rows);
    await iforestScoreAsync(this.#packed!, m.rows, m.data, null, out, this.#device('scoreSamples'));
    return out;
  }

  /** The device option, checked again: it is a public field. An extended forest stays on the CPU under 'auto'. */
  #device(what: string): Device {
    const device = checkDevice(`${FN}.${what}`, this.device);
    if (device === 'cuda' && this.extensionLevel > 0) {
      throw new Error(`${FN}.${what}: device 'cuda' scores axis-parallel forests only; this one has extensionLevel ${this.extensionLevel} (use 'cpu' or 'auto')`);
    }
    return device;
  }

  #fitted(what: string): { forest: Forest; packed: PackedForest } {
    if (this.#forest === null || this.#packed === null) throw new Error(`${FN}.${what}: not fitted yet: call fit() first`);
    return { forest: this.#forest, packed: this.#packed };
  }
}

registerDetector('IsolationForest', ({ config, fitted, weights }) => IsolationForest.fromState(config, fitted, weights) as Detector<never>);

