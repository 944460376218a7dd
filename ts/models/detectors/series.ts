// Time-series input for the detectors: one value per step (Float32Array), a [steps, features]
// tensor, or either with one timestamp per step. Checked once here, so every series detector
// refuses the same bad input with the same words: NaN (unless interpolated), infinities,
// timestamps that repeat or go back, a series shorter than what the detector needs.
import { checkAttached } from '../../bindings/check.ts';
import { slidingWindows } from '../preprocessing/windows.ts';
import type { NanPolicy } from '../preprocessing/windows.ts';
import type { Tensor } from '../tensor.ts';

/** Values [steps] or [steps, features]; float32. */
export type SeriesValues = Float32Array | Tensor<Float32Array>;

/** A series as the series detectors take it. */
export type SeriesInput = SeriesValues | { values: SeriesValues; timestamps?: ArrayLike<number> };

/** A checked series: row-major [steps, features] values, finite (gaps filled when asked). */
export interface Series {
  data: Float32Array;
  steps: number;
  features: number;
  /** Strictly increasing, when given. */
  timestamps: Float64Array | null;
}

function isValues(x: unknown): x is SeriesValues {
  return x instanceof Float32Array || (x !== null && typeof x === 'object' && 'data' in x && 'shape' in x);
}

/**
 * Checks a series and returns it as [steps, features] float32 values. `minSteps` is the shortest
 * series the caller can use; `features`, when given, is the width it was fitted on. NaN values are
 * an error unless `nan` is 'interpolate' (linear in time when timestamps are given, by step
 * otherwise; see slidingWindows).
 */
export function toSeries(fn: string, x: unknown, opts: { minSteps: number; features?: number; nan?: NanPolicy }): Series {
  let values: unknown = x;
  let timestamps: ArrayLike<number> | undefined;
  if (x !== null && typeof x === 'object' && !isValues(x) && 'values' in x) {
    values = (x as { values: unknown }).values;
    timestamps = (x as { timestamps?: ArrayLike<number> }).timestamps;
  }
  if (!isValues(values)) {
    throw new TypeError(`${fn}: series must be a Float32Array, a [steps, features] tensor, or { values, timestamps }`);
  }
  let w;
  try {
    // A detached buffer reads as empty: say which it is before the emptiness check below.
    if (values instanceof Float32Array) checkAttached(fn, 'series', values);
    else checkAttached(fn, 'series.data', values.data);
    // One window over the whole series: the checks and gap filling of slidingWindows, no copy per step.
    const probe = values instanceof Float32Array ? values.length : Array.isArray(values.shape) ? values.shape[0] : 0;
    if (probe === 0) throw new RangeError(`${fn}: the series is empty`);
    // A malformed shape gets window 1, so that slidingWindows names the shape problem.
    w = slidingWindows(values, { window: Number.isInteger(probe) && probe > 0 ? probe : 1, nan: opts.nan ?? 'error', timestamps });
  } catch (err) {
    throw rename(err, fn);
  }
  const steps = w.length;
  const features = w.features;
  if (opts.features !== undefined && features !== opts.features) {
    throw new RangeError(`${fn}: the series has ${features} feature${features === 1 ? '' : 's'} per step, the detector was fitted on ${opts.features}`);
  }
  if (steps < opts.minSteps) {
    throw new RangeError(`${fn}: the series has ${steps} steps, the detector needs at least ${opts.minSteps}`);
  }
  return { data: w.x.data, steps, features, timestamps: w.timestamps ?? null };
}

/** The same error, naming `fn` instead of slidingWindows. */
function rename(err: unknown, fn: string): unknown {
  if (err instanceof Error && err.message.startsWith('slidingWindows: ')) {
    const E = err.constructor as new (m: string) => Error;
    return new E(`${fn}: ${err.message.slice('slidingWindows: '.length)}`);
  }
  return err;
}
