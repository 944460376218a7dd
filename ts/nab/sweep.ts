// NAB's scoring rules (numenta/NAB nab/sweeper.py at ea702d7, reimplemented): every row gets a
// weighted "sweep score" as if it were a detection, then one pass over the rows in falling order of
// anomaly score yields the total score at every distinct threshold.
import type { NabCostMatrix, NabWindow } from './corpus.ts';

/** NAB's default share of each series that is never scored (runner.py). */
export const NAB_PROBATION_PERCENT = 0.15;

/** Marks in NabRowScores.window. */
export const OUTSIDE_WINDOW = -1;
export const PROBATIONARY = -2;

/**
 * NAB's starting threshold, above any score in [0, 1], so the first row of a sweep has no
 * detections. Scores must stay below it (NAB asks for [0, 1]; its published `expose` results stray
 * to -0.008 and 1.011, and NAB scores them, so vigil does too).
 */
export const NO_DETECTION_THRESHOLD = 1.1;

/**
 * 2 / (1 + e^(5x)) - 1, and exactly -1 beyond x = 3. x = -1 is a window's left edge (0.98661),
 * 0 its right edge, x > 0 distance past a window's end in window widths.
 */
export function scaledSigmoid(x: number): number {
  if (x > 3) return -1;
  return 2 * (1 / (1 + Math.exp(5 * x))) - 1;
}

/**
 * Rows before this index are not scored: min(floor(p * rows), p * 5000). The cap is a float
 * (750 for p = 0.15), so series over 5000 rows all skip 750 rows; NAB compares `i >= length`.
 */
export function probationaryLength(rows: number, percent: number = NAB_PROBATION_PERCENT): number {
  return Math.min(Math.floor(percent * rows), percent * 5000);
}

export interface NabRowScores {
  /** NAB's weighted sweep score of each row (the current NAB's S(t) column). */
  sweep: Float64Array;
  /** Index into the series' windows, OUTSIDE_WINDOW, or PROBATIONARY (which wins over a window). */
  window: Int32Array;
}

/** Each row's window index, OUTSIDE_WINDOW, or PROBATIONARY (which wins over a window). */
export function nabRowWindows(rows: number, windows: readonly NabWindow[], probationPercent: number = NAB_PROBATION_PERCENT): Int32Array {
  const out = new Int32Array(rows).fill(OUTSIDE_WINDOW);
  windows.forEach((w, k) => out.fill(k, w.start, w.end + 1));
  // NAB compares i >= length, and the length can be fractional: fill up to ceil(length).
  out.fill(PROBATIONARY, 0, Math.min(rows, Math.ceil(probationaryLength(rows, probationPercent))));
  return out;
}

/**
 * Each row's score as a detection. Inside a window: sigma(-(end - i + 1) / width) * tpWeight /
 * sigma(-1), so the left edge earns tpWeight. Outside: sigma(|i - prevEnd| / (prevWidth - 1)) *
 * fpWeight from the last window that ended before i, or -fpWeight when none did. A preceding window
 * one row wide divides by zero in NAB; here that gives x = Infinity, i.e. -fpWeight.
 */
export function nabRowScores(rows: number, windows: readonly NabWindow[], profile: NabCostMatrix,
  probationPercent: number = NAB_PROBATION_PERCENT): NabRowScores {
  const sweep = new Float64Array(rows);
  const maxTP = scaledSigmoid(-1);
  let prevEnd = -1;
  let prevWidth = 0;
  let next = 0;
  for (let i = 0; i < rows; i++) {
    const w = next < windows.length && windows[next].start <= i ? windows[next] : null;
    if (w) {
      const width = w.end - w.start + 1;
      sweep[i] = (scaledSigmoid(-(w.end - i + 1) / width) * profile.tpWeight) / maxTP;
      if (i === w.end) {
        prevEnd = i;
        prevWidth = width;
        next++;
      }
    } else {
      const u = prevEnd < 0 ? -1 : scaledSigmoid(Math.abs(prevEnd - i) / (prevWidth - 1));
      sweep[i] = u * profile.fpWeight;
    }
  }
  return { sweep, window: nabRowWindows(rows, windows, probationPercent) };
}

/** The score and point counts with every row whose anomaly score is >= threshold detected. */
export interface NabThresholdRow {
  threshold: number;
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  /** Scored rows (probationary rows excluded). */
  total: number;
}

/** Rows of one or more series laid end to end; window ids are unique across series. */
export interface SweepInput {
  anomaly: ArrayLike<number>;
  sweep: ArrayLike<number>;
  /** A window id >= 0, OUTSIDE_WINDOW or PROBATIONARY. */
  window: ArrayLike<number>;
  windows: number;
}

/**
 * The scored rows (probationary ones left out) by falling anomaly score, ties in row order. It
 * depends on the scores and the probationary period only, so one order serves every profile.
 */
export function sweepOrder(input: Pick<SweepInput, 'anomaly' | 'window'>): Int32Array {
  const { anomaly, window } = input;
  const order: number[] = [];
  for (let i = 0; i < anomaly.length; i++) if (window[i] !== PROBATIONARY) order.push(i);
  order.sort((a, b) => anomaly[b] - anomaly[a] || a - b);
  return Int32Array.from(order);
}

/**
 * NAB's sweep: thresholds from 1.1 (nothing detected) down through every distinct anomaly score.
 * A window earns the best sweep score among its detected rows (its earliest), or -fnWeight with
 * none; each detected row outside windows adds its (negative) sweep score. Windows whose rows all
 * fall in the probationary period count for nothing. The total is summed as NAB sums it: false
 * positives first, then windows in the order they first appear in the sorted rows.
 */
export function sweepThresholds(input: SweepInput, fnWeight: number, order: ArrayLike<number> = sweepOrder(input)): NabThresholdRow[] {
  const { anomaly, sweep, window } = input;

  const parts = new Float64Array(input.windows);
  const seen = new Uint8Array(input.windows);
  const partOrder: number[] = [];
  let tp = 0;
  let tn = 0;
  let fp = 0;
  let fn = 0;
  for (let k = 0; k < order.length; k++) {
    const w = window[order[k]];
    if (w === OUTSIDE_WINDOW) {
      tn++;
      continue;
    }
    fn++;
    if (!seen[w]) {
      seen[w] = 1;
      parts[w] = -fnWeight;
      partOrder.push(w);
    }
  }
  let fpScore = 0;
  const rows: NabThresholdRow[] = [];
  const record = (threshold: number) => {
    let score = fpScore;
    for (const w of partOrder) score += parts[w];
    rows.push({ threshold, score, tp, tn, fp, fn, total: tp + tn + fp + fn });
  };
  let threshold = NO_DETECTION_THRESHOLD;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (anomaly[i] !== threshold) {
      record(threshold);
      threshold = anomaly[i];
    }
    const w = window[i];
    if (w === OUTSIDE_WINDOW) {
      fp++;
      tn--;
      fpScore += sweep[i];
    } else {
      tp++;
      fn--;
      if (sweep[i] > parts[w]) parts[w] = sweep[i];
    }
  }
  record(threshold);
  return rows;
}

/**
 * The sweep row for a given threshold, picked as NAB's scoreDataSet picks it: the row with exactly
 * that threshold, else the last row above it. NAB fails when the threshold is above 1.1 or below
 * every score; here those give no detections and all detections.
 */
export function rowAtThreshold(rows: readonly NabThresholdRow[], threshold: number): NabThresholdRow {
  let prev: NabThresholdRow | null = null;
  for (const r of rows) {
    if (r.threshold === threshold) return r;
    if (r.threshold < threshold) return prev ?? r;
    prev = r;
  }
  return rows[rows.length - 1];
}

/** NAB's optimizer: the highest score; a tie goes to the row met first, i.e. the higher threshold. */
export function bestThreshold(rows: readonly NabThresholdRow[]): NabThresholdRow {
  let best = rows[0];
  for (const r of rows) if (r.score > best.score) best = r;
  return best;
}
