// Isolation forests (native/cpu/iforest.h): training and scoring over a flat forest layout.
//
// Every tree is a perfect binary tree of depth `height`, implicitly indexed (node i has children
// 2i+1 and 2i+2), stored back to back across the forest:
//   feature   Int32Array   [trees, 2^height - 1]  split feature; a row goes left iff x[feature] <= threshold
//   threshold Float32Array [trees, 2^height - 1]
//   leafValue Float32Array [trees, 2^height]      depth + c(leaf size) of the leaf a walk ends in
// Leaves above the height limit are pass-through chains (feature 0, threshold 3.4e38) down to the
// bottom level.
//
// An extended forest (extensionLevel > 0, Hariri, Kind & Brunner 2018) splits on hyperplanes: node i
// of a tree owns slice [i k, (i + 1) k), k = extensionLevel + 1, of
//   normalFeature Int32Array   [trees, 2^height - 1, k]  features of the normal's non-zero components
//   normal        Float32Array [trees, 2^height - 1, k]  those components
// and threshold[i] is the offset p . n: a row goes left iff Σ_j normal[j] x[normalFeature[j]] <= it,
// summed in float64 in slice order. feature is unused (0); pass-through nodes have a zero normal.
import { addon } from './addon.ts';
import { isDetached } from './check.ts';
import { onDevice } from './device.ts';
import type { Device } from './device.ts';

type F32 = Float32Array;
type I32 = Int32Array;
declare const packedBrand: unique symbol;
/** A native forest handle (opaque). */
type Handle = { readonly [packedBrand]: true };

interface IForestAddon {
  iforestFit(rows: number, cols: number, firstTree: number, trees: number, maxSamples: number, maxFeatures: number, bootstrap: boolean,
    seed: number, x: F32, feature: I32, threshold: F32, leafValue: F32, extensionLevel: number, normalFeature: I32 | null, normal: F32 | null): void;
  iforestFitAsync(rows: number, cols: number, firstTree: number, trees: number, maxSamples: number, maxFeatures: number, bootstrap: boolean,
    seed: number, x: F32, feature: I32, threshold: F32, leafValue: F32, extensionLevel: number, normalFeature: I32 | null,
    normal: F32 | null): Promise<void>;
  iforestPack(cols: number, trees: number, height: number, maxSamples: number, feature: I32, threshold: F32, leafValue: F32,
    extensionLevel: number, normalFeature: I32 | null, normal: F32 | null): Handle;
  iforestScore(forest: Handle, rows: number, cols: number, x: F32, pathLength: F32 | null, score: F32 | null): void;
  iforestScoreAsync(forest: Handle, rows: number, cols: number, x: F32, pathLength: F32 | null, score: F32 | null): Promise<void>;
  iforestScoreCuda: IForestAddon['iforestScore'];
  iforestScoreCudaAsync: IForestAddon['iforestScoreAsync'];
}

const native = () => addon<IForestAddon>();

/** A forest in the flat layout. */
export interface Forest {
  trees: number;
  height: number;
  /** Rows each tree was grown on: c(maxSamples) normalises the scores. */
  maxSamples: number;
  feature: I32;
  threshold: F32;
  leafValue: F32;
  /** Hyperplane splits with extensionLevel + 1 non-zero components each (absent or 0: axis-parallel splits). */
  extensionLevel?: number;
  /** [trees, 2^height - 1, extensionLevel + 1] when extensionLevel > 0. */
  normalFeature?: I32;
  /** [trees, 2^height - 1, extensionLevel + 1] when extensionLevel > 0. */
  normal?: F32;
}

export interface GrowOptions {
  /** Features each tree draws its splits from (1 to cols; all of them: no subsetting). */
  maxFeatures: number;
  /** Draw each tree's rows with replacement. */
  bootstrap: boolean;
  seed: number;
}

/** The height limit of trees grown on `maxSamples` rows: ceil(log2(max(maxSamples, 2))), scikit-learn's max_depth. */
export function forestHeight(maxSamples: number): number {
  let h = 1;
  while (2 ** h < maxSamples) h++;
  return h;
}

/** c(n) = 2 (ln(n - 1) + γ) - 2 (n - 1) / n, c(0) = c(1) = 0, c(2) = 1: the path-length normaliser. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + 0.5772156649015329) - (2 * (n - 1)) / n;
}

/**
 * A forest of `trees` trees for `maxSamples` rows each, every array zero: iforestFit fills it.
 * extensionLevel > 0 adds the hyperplanes' arrays of an extended forest. `fn` names the caller in
 * the RangeError for a forest too large to hold (the kernels index its arrays with int32).
 */
export function createForest(trees: number, maxSamples: number, extensionLevel = 0, fn = 'createForest'): Forest {
  const height = forestHeight(maxSamples);
  const inner = 2 ** height - 1;
  const largest = trees * Math.max(inner + 1, extensionLevel > 0 ? inner * (extensionLevel + 1) : 0);
  const too = (why: string) => new RangeError(`${fn}: a forest of ${trees} trees (nEstimators) of ${maxSamples} rows each (maxSamples) ` +
    `needs arrays of ${largest} values${why}: use fewer trees or a smaller maxSamples`);
  if (largest > 2 ** 31 - 1) throw too(', more than the 2^31 - 1 the kernels index');
  let f: Forest;
  try {
    f = {
      trees, height, maxSamples,
      feature: new Int32Array(trees * inner), threshold: new Float32Array(trees * inner), leafValue: new Float32Array(trees * (inner + 1)),
    };
    if (extensionLevel > 0) {
      const k = extensionLevel + 1;
      Object.assign(f, { extensionLevel, normalFeature: new Int32Array(trees * inner * k), normal: new Float32Array(trees * inner * k) });
    }
  } catch (err) {
    // Under the int32 limit, memory can still run out ('Array buffer allocation failed').
    if (err instanceof RangeError) throw Object.assign(too(`, which memory does not hold (${err.message})`), { cause: err });
    throw err;
  }
  return f;
}

/** The forest's extension level, 0 for axis-parallel splits. */
export function extensionOf(f: Forest): number {
  return f.extensionLevel ?? 0;
}

type FitArgs = Parameters<IForestAddon['iforestFit']>;

function fitArgs(fn: string, rows: number, cols: number, x: F32, f: Forest, o: GrowOptions, first: number, count: number): FitArgs {
  const inner = 2 ** f.height - 1;
  // subarray() of a detached array throws a bare TypeError: name the argument as the glue would.
  for (const name of ['feature', 'threshold', 'leafValue', 'normalFeature', 'normal'] as const) {
    const a = f[name] as unknown;
    if (ArrayBuffer.isView(a) && isDetached(a)) throw new TypeError(`${fn}: ${name} is backed by a detached ArrayBuffer`);
  }
  const nodes = (a: I32 | F32) => a.subarray(first * inner, (first + count) * inner);
  const level = extensionOf(f);
  const k = level + 1;
  const slices = (a: I32 | F32 | undefined) => (level > 0 && a ? a.subarray(first * inner * k, (first + count) * inner * k) : null);
  return [rows, cols, first, count, f.maxSamples, o.maxFeatures, o.bootstrap, o.seed, x, nodes(f.feature) as I32, nodes(f.threshold) as F32,
    f.leafValue.subarray(first * (inner + 1), (first + count) * (inner + 1)), level, slices(f.normalFeature) as I32 | null,
    slices(f.normal) as F32 | null];
}

/**
 * Grows trees [first, first + count) of `forest` (default: all) on x [rows, cols], scikit-learn's
 * IsolationForest training (1 <= forest.maxSamples <= rows). Tree t draws from Philox stream t of
 * `seed`: the forest is the same for any thread count and any split of its trees over calls.
 * A forest made by createForest(trees, maxSamples, extensionLevel > 0) grows hyperplane splits
 * (extensionLevel <= maxFeatures - 1).
 */
export function iforestFit(rows: number, cols: number, x: F32, forest: Forest, o: GrowOptions, first = 0, count = forest.trees - first): void {
  native().iforestFit(...fitArgs('iforestFit', rows, cols, x, forest, o, first, count));
}

export async function iforestFitAsync(rows: number, cols: number, x: F32, forest: Forest, o: GrowOptions, first = 0,
  count = forest.trees - first): Promise<void> {
  return native().iforestFitAsync(...fitArgs('iforestFitAsync', rows, cols, x, forest, o, first, count));
}

/**
 * A forest checked once (every feature in [0, cols), finite thresholds and leaf values) and copied
 * into native memory, so that scoring does no per-call work beyond the rows: a one-row score takes
 * microseconds. Freed with the object by the garbage collector.
 */
export class PackedForest {
  readonly cols: number;
  readonly trees: number;
  readonly height: number;
  readonly maxSamples: number;
  readonly extensionLevel: number;
  /** @internal */
  readonly handle: Handle;

  constructor(forest: Forest, cols: number) {
    const f = forest;
    const level = extensionOf(f);
    this.handle = native().iforestPack(cols, f.trees, f.height, f.maxSamples, f.feature, f.threshold, f.leafValue, level,
      level > 0 ? f.normalFeature ?? null : null, level > 0 ? f.normal ?? null : null);
    this.extensionLevel = level;
    this.cols = cols;
    this.trees = f.trees;
    this.height = f.height;
    this.maxSamples = f.maxSamples;
  }
}

/** 'auto' stays on the CPU for an extended forest, which the GPU walk does not score. */
function deviceFor(forest: PackedForest, device: Device): Device {
  return device === 'auto' && forest.extensionLevel > 0 ? 'cpu' : device;
}

/**
 * Scores x [rows, cols]: `pathLength[r]` = E[h(x_r)], the mean path length over the trees;
 * `score[r]` = 2^(-E[h]/c(maxSamples)) (higher = more anomalous), which is minus scikit-learn's
 * score_samples. Pass null to skip either output. Bit-identical for any thread count.
 *
 * `device` (default 'cpu'): 'cuda' walks the rows on the GPU (native/cuda/iforest.cu; the forest
 * is copied there on the first such call and stays with the PackedForest), 'auto' does when a GPU
 * is usable. The GPU walk sums the trees in the CPU's order and precision: the same path lengths.
 * An extended forest (extensionLevel > 0) is scored on the CPU only ('cuda' throws).
 */
export function iforestScore(forest: PackedForest, rows: number, x: F32, pathLength: F32 | null, score: F32 | null,
  device: Device = 'cpu'): void {
  const n = native();
  onDevice(n, 'iforestScore', deviceFor(forest, device))(
    forest.handle, rows, forest.cols, x, pathLength ?? null, score ?? null);
}

export async function iforestScoreAsync(forest: PackedForest, rows: number, x: F32, pathLength: F32 | null, score: F32 | null,
  device: Device = 'cpu'): Promise<void> {
  const n = native();
  return onDevice(n, 'iforestScoreAsync', deviceFor(forest, device))(
    forest.handle, rows, forest.cols, x, pathLength ?? null, score ?? null);
}
