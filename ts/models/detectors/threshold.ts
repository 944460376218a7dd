// Where a detector draws the line between normal and anomalous, from its training scores.
//
// Two ways to say it, as scikit-learn/PyOD and the book do:
// - `contamination` c in (0, 0.5]: the expected share of anomalies in the training data; the
//   threshold is the (1 - c) quantile of the training scores (scikit-learn's offset_, PyOD's
//   threshold_). Default 0.1, scikit-learn's and PyOD's default.
// - `thresholdQuantile` q in (0, 1): the q quantile of the training scores directly (the book uses
//   the 99.9th percentile of a model's reconstruction errors on normal data: q = 0.999).
// - `contamination: 'auto'`: a fixed threshold that does not look at the training scores, for the
//   detectors whose scores have a scale of their own (the isolation forest's: scikit-learn's
//   contamination='auto' puts offset_ at -0.5, i.e. vigil's threshold at 0.5). A detector without
//   such a scale refuses 'auto'.
// Quantiles interpolate linearly between order statistics (numpy's default, which scikit-learn
// uses), so thresholds compare one to one with theirs.
import type { ConfigValue } from '../layers/layer.ts';
import { optionNames } from '../options.ts';

export interface ThresholdOptions {
  contamination?: number | 'auto';
  thresholdQuantile?: number;
}

export const THRESHOLD_OPTIONS = optionNames<ThresholdOptions>()(['contamination', 'thresholdQuantile']);

export type ThresholdRule =
  | { kind: 'contamination'; value: number }
  | { kind: 'quantile'; value: number }
  | { kind: 'auto'; value: number };

export const DEFAULT_CONTAMINATION = 0.1;

/**
 * The rule the options name (checked), or contamination 0.1 when they name none. `auto` is the
 * detector's fixed threshold for contamination 'auto' (undefined: the detector has none).
 */
export function thresholdRule(fn: string, opts: ThresholdOptions, auto?: number): ThresholdRule {
  const { contamination: c, thresholdQuantile: q } = opts;
  if (c !== undefined && q !== undefined) {
    throw new TypeError(`${fn}: give contamination or thresholdQuantile, not both`);
  }
  if (c === 'auto') {
    if (auto === undefined) throw new TypeError(`${fn}: contamination 'auto' needs scores on a fixed scale; give a share in (0, 0.5] or thresholdQuantile`);
    return { kind: 'auto', value: auto };
  }
  if (q !== undefined) {
    if (typeof q !== 'number') throw new TypeError(`${fn}: thresholdQuantile must be a number, got ${typeof q}`);
    if (!(q > 0 && q < 1)) throw new RangeError(`${fn}: thresholdQuantile must lie in (0, 1), got ${q}`);
    return { kind: 'quantile', value: q };
  }
  const v = c ?? DEFAULT_CONTAMINATION;
  if (typeof v !== 'number') throw new TypeError(`${fn}: contamination must be a number, got ${typeof v}`);
  if (!(v > 0 && v <= 0.5)) throw new RangeError(`${fn}: contamination must lie in (0, 0.5], got ${v}`);
  return { kind: 'contamination', value: v };
}

/** The q quantile of `values` with linear interpolation (numpy.quantile's default). */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) throw new RangeError('quantile: no values');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must lie in [0, 1], got ${q}`);
  const v = Float64Array.from(values);
  for (let i = 0; i < n; i++) if (Number.isNaN(v[i])) throw new RangeError('quantile: the values hold NaN');
  const at = q * (n - 1);
  const lo = Math.floor(at);
  const below = select(v, lo);
  if (lo === n - 1) return below;
  // After select, every value right of lo is >= v[lo]: the next order statistic is their minimum.
  let above = Infinity;
  for (let i = lo + 1; i < n; i++) if (v[i] < above) above = v[i];
  return below + (at - lo) * (above - below);
}

/**
 * The k-th smallest value of v (0-based), rearranging v so that v[k] holds it, values left of k are
 * <= it and values right of k are >= it (Hoare's selection, median-of-three pivots): linear time on
 * average where a sort of 100,000 training scores took ~10 ms.
 */
function select(v: Float64Array, k: number): number {
  let left = 0;
  let right = v.length - 1;
  while (right > left) {
    const mid = (left + right) >>> 1;
    // Median of three as the pivot value.
    const a = v[left], b = v[mid], c = v[right];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
    let i = left, j = right;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        const t = v[i]; v[i] = v[j]; v[j] = t;
        i++; j--;
      }
    }
    // Now v[left..j] <= pivot <= v[i..right], and any values between j and i equal the pivot.
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return v[k];
  }
  return v[k];
}

/** The threshold a rule puts on training scores. */
export function thresholdFor(rule: ThresholdRule, trainingScores: ArrayLike<number>): number {
  if (rule.kind === 'auto') return rule.value;
  return quantile(trainingScores, rule.kind === 'quantile' ? rule.value : 1 - rule.value);
}

/** The options that name `rule`, as a detector writes them into its model file's config. */
export function thresholdConfig(rule: ThresholdRule): { [key: string]: ConfigValue } {
  if (rule.kind === 'auto') return { contamination: 'auto' };
  return rule.kind === 'quantile' ? { thresholdQuantile: rule.value } : { contamination: rule.value };
}
