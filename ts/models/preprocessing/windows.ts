// Sliding windows over a time series, and the way back from per-window scores to one score per
// time step, which is what a time-series detector reports (NAB scores every record).
//
// Layout is the Keras one: windows are [N, window, features], batch-major, channels-last.
// Window n covers steps starts[n] .. starts[n] + window - 1, with starts[n] = n * stride; the
// windows stop where the next one (and its horizon) would run past the end, so the last
// (length - window - horizon) % stride steps may belong to no window.
//
// Look-ahead: with reduce 'max' or 'mean', step t takes scores from windows that reach up to
// t + window - 1, i.e. from data after t: fine offline, not for streaming or NAB, which forbid
// looking ahead. reduce 'last' gives step t the score of the window that ENDS at t, computed
// from steps t - window + 1 .. t only; the first window - 1 steps then have no score.
import { checkAttached } from '../../bindings/check.ts';
import type { Tensor } from '../tensor.ts';
import { knownOptions, optionNames } from '../options.ts';

export type NanPolicy = 'error' | 'interpolate';

export interface WindowOptions {
  /** Steps per window, >= 1. */
  window: number;
  /** Steps between window starts, >= 1 (default 1). */
  stride?: number;
  /** Steps after each window returned as its forecasting target y (default 0: no y). */
  horizon?: number;
  /**
   * NaN values: 'error' (default) names the first one; 'interpolate' fills each gap linearly
   * between its neighbours (in time when timestamps are given, by step otherwise) and holds the
   * first/last value over gaps at the ends. Infinite values are always an error.
   */
  nan?: NanPolicy;
  /** One time per step (e.g. Date.parse values), strictly increasing; returned with the windows. */
  timestamps?: ArrayLike<number>;
}

const WINDOW_OPTIONS = optionNames<WindowOptions>()(['window', 'stride', 'horizon', 'nan', 'timestamps']);

export interface Windows {
  /** [N, window, features]. */
  x: Tensor<Float32Array>;
  /** [N, horizon, features]: the steps right after each window; only when horizon > 0. */
  y?: Tensor<Float32Array>;
  /** First step of each window. */
  starts: Int32Array;
  /** Steps in the series. */
  length: number;
  features: number;
  /** The timestamps option, checked, as float64. */
  timestamps?: Float64Array;
}

/** The end of the NaN error under nan 'error': callers without a nan option replace it. */
export const NAN_HINT = " (pass nan: 'interpolate' to fill gaps)";

// Typed arrays of up to 2^31 - 1 elements are what every kernel indexes with int32.
const MAX_ELEMENTS = 2 ** 31 - 1;

function count(fn: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < min || v > MAX_ELEMENTS) throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** The series as [T, F] float32 values (a Float32Array is one feature). */
function seriesOf(fn: string, series: unknown): { data: Float32Array; steps: number; features: number } {
  if (series instanceof Float32Array) {
    checkAttached(fn, 'series', series);
    return { data: series, steps: series.length, features: 1 };
  }
  if (series === null || typeof series !== 'object' || !('data' in series) || !('shape' in series)) {
    throw new TypeError(`${fn}: series must be a Float32Array or a [steps, features] tensor`);
  }
  const { data, shape } = series as Tensor;
  if (!(data instanceof Float32Array)) throw new TypeError(`${fn}: series.data must be a Float32Array`);
  checkAttached(fn, 'series.data', data);
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 2 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`${fn}: series must be a [steps, features] tensor, got shape [${String(shape)}]`);
  }
  const [steps, features = 1] = shape;
  if (steps * features !== data.length) throw new RangeError(`${fn}: series.shape [${shape.join(', ')}] does not match ${data.length} values`);
  return { data, steps, features };
}

function checkTimestamps(fn: string, ts: unknown, steps: number): Float64Array {
  if (ts === null || typeof ts !== 'object' || typeof (ts as ArrayLike<number>).length !== 'number') {
    throw new TypeError(`${fn}: timestamps must be an array of numbers`);
  }
  checkAttached(fn, 'timestamps', ts);
  const a = ts as ArrayLike<unknown>;
  if (a.length !== steps) throw new RangeError(`${fn}: timestamps has ${a.length} values for ${steps} steps`);
  const out = new Float64Array(steps);
  for (let i = 0; i < steps; i++) {
    const v = a[i];
    if (typeof v !== 'number') throw new TypeError(`${fn}: timestamps[${i}] must be a number, got ${typeof v}`);
    if (!Number.isFinite(v)) throw new RangeError(`${fn}: timestamps[${i}] is ${v}`);
    if (i > 0 && !(v > out[i - 1])) {
      throw new RangeError(`${fn}: timestamps[${i}] (${v}) ${v === out[i - 1] ? 'repeats' : 'comes before'} timestamps[${i - 1}] (${out[i - 1]}): timestamps must be strictly increasing`);
    }
    out[i] = v;
  }
  return out;
}

/** A copy with each feature's NaN gaps filled (see WindowOptions.nan). */
function interpolate(fn: string, data: Float32Array, steps: number, features: number, ts: Float64Array | undefined): Float32Array {
  const out = Float32Array.from(data);
  const at = (t: number): number => (ts ? ts[t] : t);
  for (let f = 0; f < features; f++) {
    let prev = -1;
    for (let t = 0; t <= steps; t++) {
      if (t < steps && Number.isNaN(data[t * features + f])) continue;
      if (t - prev > 1) {
        if (prev < 0 && t === steps) throw new RangeError(`${fn}: feature ${f} of the series is NaN at every step: nothing to interpolate from`);
        const a = prev < 0 ? t : prev;
        const b = t === steps ? prev : t;
        const va = data[a * features + f];
        const vb = data[b * features + f];
        for (let k = prev + 1; k < t; k++) {
          out[k * features + f] = a === b ? va : va + ((vb - va) * (at(k) - at(a))) / (at(b) - at(a));
        }
      }
      prev = t;
    }
  }
  return out;
}

/** The windows of a series, with forecasting targets when horizon > 0 (see WindowOptions). */
export function slidingWindows(series: Float32Array | Tensor<Float32Array>, opts: WindowOptions): Windows {
  const fn = 'slidingWindows';
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn}: options { window } must be an object`);
  knownOptions(fn, opts, WINDOW_OPTIONS);
  const window = count(fn, 'window', opts.window, 1);
  const stride = count(fn, 'stride', opts.stride ?? 1, 1);
  const horizon = count(fn, 'horizon', opts.horizon ?? 0, 0);
  const nan = opts.nan ?? 'error';
  if (nan !== 'error' && nan !== 'interpolate') throw new RangeError(`${fn}: nan must be 'error' or 'interpolate', got ${JSON.stringify(nan)}`);
  const s = seriesOf(fn, series);
  const { steps, features } = s;
  const timestamps = opts.timestamps === undefined ? undefined : checkTimestamps(fn, opts.timestamps, steps);
  let data = s.data;
  let gaps = false;
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    if (Number.isFinite(v)) continue;
    const where = features === 1 ? `series[${k}]` : `series[${Math.floor(k / features)}][${k % features}]`;
    if (!Number.isNaN(v)) throw new RangeError(`${fn}: ${where} is ${v}: values must be finite`);
    if (nan === 'error') throw new RangeError(`${fn}: ${where} is NaN${NAN_HINT}`);
    gaps = true;
  }
  if (gaps) data = interpolate(fn, data, steps, features, timestamps);
  if (steps < window + horizon) {
    throw new RangeError(`${fn}: the series has ${steps} steps, fewer than window ${window}${horizon > 0 ? ` + horizon ${horizon}` : ''}`);
  }
  const n = Math.floor((steps - window - horizon) / stride) + 1;
  if (n * window * features > MAX_ELEMENTS) {
    throw new RangeError(`${fn}: ${n} windows of ${window} x ${features} values exceed ${MAX_ELEMENTS} elements; use a larger stride`);
  }
  const row = window * features;
  const x = new Float32Array(n * row);
  const y = horizon > 0 ? new Float32Array(n * horizon * features) : null;
  const starts = new Int32Array(n);
  const target = horizon * features;
  // Plain loops: a subarray per window costs more than copying a short window.
  for (let i = 0, o = 0, p = 0; i < n; i++) {
    const from = i * stride * features;
    starts[i] = i * stride;
    for (let k = 0; k < row; k++) x[o++] = data[from + k];
    if (y) for (let k = 0; k < target; k++) y[p++] = data[from + row + k];
  }
  const out: Windows = { x: { data: x, shape: [n, window, features] }, starts, length: steps, features };
  if (y) out.y = { data: y, shape: [n, horizon, features] };
  if (timestamps) out.timestamps = timestamps;
  return out;
}

export type StepReduce = 'max' | 'mean' | 'last';

export interface StepScoreOptions {
  /** Steps per window, as given to slidingWindows. */
  window: number;
  /** Steps in the series: the length of the result. */
  length: number;
  /**
   * How the scores of the windows covering a step combine: 'max' or 'mean' over them (these look
   * ahead), or 'last': only the window ending at the step (no look-ahead; see the file comment).
   */
  reduce: StepReduce;
  /** The score of steps that no window gives one (default NaN). */
  fill?: number;
}

const STEP_SCORE_OPTIONS = optionNames<StepScoreOptions>()(['window', 'length', 'reduce', 'fill']);

/**
 * One score per time step from window scores. `scores` holds one score per window ([N]), or one
 * per window step ([N, window] tensor: score[n][k] belongs to step starts[n] + k; 'last' then
 * takes the window's final step). For a forecaster whose error belongs to the predicted steps,
 * pass starts[n] + window as the starts and horizon as the window.
 */
export function stepScores(scores: ArrayLike<number> | Tensor<Float32Array>, starts: ArrayLike<number>, opts: StepScoreOptions): Float32Array {
  const fn = 'stepScores';
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn}: options { window, length, reduce } must be an object`);
  knownOptions(fn, opts, STEP_SCORE_OPTIONS);
  const window = count(fn, 'window', opts.window, 1);
  const length = count(fn, 'length', opts.length, 1);
  const { reduce, fill = NaN } = opts;
  if (reduce !== 'max' && reduce !== 'mean' && reduce !== 'last') {
    throw new RangeError(`${fn}: reduce must be 'max', 'mean' or 'last', got ${JSON.stringify(reduce)}`);
  }
  if (typeof fill !== 'number') throw new TypeError(`${fn}: fill must be a number, got ${typeof fill}`);
  if (window > length) throw new RangeError(`${fn}: window ${window} is longer than the series (length ${length})`);
  if (starts === null || typeof starts !== 'object' || typeof starts.length !== 'number') throw new TypeError(`${fn}: starts must be an array of integers`);
  checkAttached(fn, 'starts', starts);
  const n = starts.length;
  let values: ArrayLike<number>;
  let perStep: boolean;
  if (scores !== null && typeof scores === 'object' && 'shape' in scores && 'data' in scores) {
    const { data, shape } = scores as Tensor;
    if (!(data instanceof Float32Array)) throw new TypeError(`${fn}: scores.data must be a Float32Array`);
    checkAttached(fn, 'scores.data', data);
    perStep = shape.length === 2;
    const want = perStep ? [n, window] : [n];
    if (shape.length !== want.length || shape.some((d, k) => d !== want[k]) || data.length !== n * (perStep ? window : 1)) {
      throw new RangeError(`${fn}: scores must be [${n}] or [${n}, ${window}] (one per window, or per window step), got shape [${String(shape)}]`);
    }
    values = data;
  } else if (scores !== null && typeof scores === 'object' && typeof (scores as ArrayLike<number>).length === 'number') {
    checkAttached(fn, 'scores', scores);
    values = scores as ArrayLike<number>;
    perStep = false;
    if (values.length !== n) throw new RangeError(`${fn}: scores has ${values.length} values for ${n} starts`);
  } else {
    throw new TypeError(`${fn}: scores must be an array of numbers or a Float32Array tensor`);
  }
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new RangeError(`${fn}: scores[${perStep ? `${Math.floor(k / window)}][${k % window}` : k}] is ${String(v)}: scores must be numbers`);
    }
  }
  for (let i = 0; i < n; i++) {
    const s = starts[i];
    if (!Number.isInteger(s) || s < 0 || s > length - window) {
      throw new RangeError(`${fn}: starts[${i}] is ${s}; a window of ${window} must start in [0, ${length - window}]`);
    }
    if (i > 0 && !(s > starts[i - 1])) throw new RangeError(`${fn}: starts[${i}] (${s}) is not after starts[${i - 1}] (${starts[i - 1]}): starts must increase`);
  }
  const out = new Float32Array(length).fill(fill);
  const w = perStep ? window : 1;
  if (reduce === 'last') {
    for (let i = 0; i < n; i++) out[starts[i] + window - 1] = values[i * w + w - 1];
    return out;
  }
  const acc = new Float64Array(length).fill(reduce === 'max' ? -Infinity : 0);
  const hits = new Int32Array(length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < window; k++) {
      const t = starts[i] + k;
      const v = values[i * w + (perStep ? k : 0)];
      acc[t] = reduce === 'max' ? Math.max(acc[t], v) : acc[t] + v;
      hits[t]++;
    }
  }
  for (let t = 0; t < length; t++) if (hits[t] > 0) out[t] = reduce === 'max' ? acc[t] : acc[t] / hits[t];
  return out;
}
