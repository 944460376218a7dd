// Classification metrics with scikit-learn's definitions, so numbers reported here compare with
// the source notebooks' (roc_auc_score, average_precision_score, classification_report).
// Binary functions take true labels 0/1 and either probabilities or hard 0/1 predictions; a score
// counts as positive when it is strictly above the threshold (0.5), as Keras' binary_accuracy.
// Undefined ratios (no predicted or no actual positives) are 0, scikit-learn's zero_division
// default. Sums run in float64 in a fixed order.

import { knownOptions, optionNames } from './options.ts';

type Numbers = ArrayLike<number>;

function isArrayLike(v: unknown): v is Numbers {
  return v !== null && typeof v === 'object' && typeof (v as Numbers).length === 'number';
}

function checkPair(fn: string, yTrue: unknown, y: unknown, yName: string): number {
  if (!isArrayLike(yTrue)) throw new TypeError(`${fn}: yTrue must be an array of labels`);
  if (!isArrayLike(y)) throw new TypeError(`${fn}: ${yName} must be an array of numbers`);
  if (yTrue.length !== y.length) {
    throw new RangeError(`${fn}: yTrue and ${yName} must have the same length, got ${yTrue.length} and ${y.length}`);
  }
  if (yTrue.length === 0) throw new RangeError(`${fn}: no samples`);
  return yTrue.length;
}

function checkBinaryLabels(fn: string, yTrue: Numbers): void {
  for (let i = 0; i < yTrue.length; i++) {
    const v = yTrue[i];
    if (v !== 0 && v !== 1) throw new RangeError(`${fn}: labels must be 0 or 1, got yTrue[${i}] = ${v}`);
  }
}

function checkScores(fn: string, s: Numbers, name: string): void {
  for (let i = 0; i < s.length; i++) {
    if (!Number.isFinite(s[i])) throw new RangeError(`${fn}: ${name}[${i}] is ${s[i]}; scores must be finite`);
  }
}

function checkClassLabels(fn: string, y: Numbers, name: string): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${fn}: ${name}[${i}] is ${v}; class labels must be integers >= 0`);
  }
}

function checkThreshold(fn: string, t: number): void {
  if (!Number.isFinite(t)) throw new RangeError(`${fn}: threshold must be finite, got ${t}`);
}

/** 1 where the score is strictly above `threshold`, else 0. */
export function toPredictions(scores: Numbers, threshold = 0.5): Int32Array {
  if (!isArrayLike(scores)) throw new TypeError('toPredictions: scores must be an array of numbers');
  checkThreshold('toPredictions', threshold);
  checkScores('toPredictions', scores, 'scores');
  const out = new Int32Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = scores[i] > threshold ? 1 : 0;
  return out;
}

/** Index of the largest of each row of a row-major [n, numClasses] array (first on ties). */
export function argmaxRows(probs: Numbers, numClasses: number): Int32Array {
  if (!isArrayLike(probs)) throw new TypeError('argmaxRows: probs must be an array of numbers');
  if (!Number.isInteger(numClasses) || numClasses < 1 || probs.length % numClasses !== 0) {
    throw new RangeError(`argmaxRows: numClasses ${numClasses} does not divide ${probs.length} values`);
  }
  checkScores('argmaxRows', probs, 'probs');
  const n = probs.length / numClasses;
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let k = 1; k < numClasses; k++) if (probs[r * numClasses + k] > probs[r * numClasses + best]) best = k;
    out[r] = best;
  }
  return out;
}

/** Counts of the binary confusion table at `threshold`. */
export interface BinaryCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** True/false positives and negatives of yScore at `threshold` against 0/1 labels. */
export function binaryCounts(yTrue: Numbers, yScore: Numbers, threshold = 0.5, fn = 'binaryCounts'): BinaryCounts {
  const n = checkPair(fn, yTrue, yScore, 'yScore');
  checkBinaryLabels(fn, yTrue);
  checkScores(fn, yScore, 'yScore');
  checkThreshold(fn, threshold);
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < n; i++) {
    const p = yScore[i] > threshold;
    if (yTrue[i] === 1) p ? c.tp++ : c.fn++;
    else p ? c.fp++ : c.tn++;
  }
  return c;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** Share of rows whose thresholded score equals the label. */
export function accuracy(yTrue: Numbers, yScore: Numbers, threshold = 0.5): number {
  const c = binaryCounts(yTrue, yScore, threshold, 'accuracy');
  return (c.tp + c.tn) / yTrue.length;
}

/** tp / (tp + fp) for the positive class (0 when nothing is predicted positive). */
export function precision(yTrue: Numbers, yScore: Numbers, threshold = 0.5): number {
  const c = binaryCounts(yTrue, yScore, threshold, 'precision');
  return ratio(c.tp, c.tp + c.fp);
}

/** tp / (tp + fn) for the positive class (0 when there are no positives). */
export function recall(yTrue: Numbers, yScore: Numbers, threshold = 0.5): number {
  const c = binaryCounts(yTrue, yScore, threshold, 'recall');
  return ratio(c.tp, c.tp + c.fn);
}

const f1Of = (p: number, r: number): number => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/** Harmonic mean of precision and recall for the positive class. */
export function f1(yTrue: Numbers, yScore: Numbers, threshold = 0.5): number {
  const c = binaryCounts(yTrue, yScore, threshold, 'f1');
  return f1Of(ratio(c.tp, c.tp + c.fp), ratio(c.tp, c.tp + c.fn));
}

// (false positives, true positives) after each distinct score, from the highest score down:
// scikit-learn's _binary_clf_curve. Tied scores enter together, which is what makes the areas
// below exact for ties.
function curve(fn: string, yTrue: Numbers, yScore: Numbers): { fps: Float64Array; tps: Float64Array; m: number } {
  const n = checkPair(fn, yTrue, yScore, 'yScore');
  checkBinaryLabels(fn, yTrue);
  checkScores(fn, yScore, 'yScore');
  let pos = 0;
  for (let i = 0; i < n; i++) pos += yTrue[i];
  if (pos === 0 || pos === n) {
    throw new RangeError(`${fn}: yTrue holds only class ${pos === 0 ? 0 : 1}; the area is undefined with one class`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => yScore[b] - yScore[a]);
  const fps = new Float64Array(n);
  const tps = new Float64Array(n);
  let tp = 0;
  let fp = 0;
  let m = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (yTrue[i] === 1) tp++;
    else fp++;
    if (k === n - 1 || yScore[order[k + 1]] !== yScore[i]) {
      fps[m] = fp;
      tps[m] = tp;
      m++;
    }
  }
  return { fps, tps, m };
}

/** Area under the ROC curve by the trapezoid rule over distinct thresholds (roc_auc_score). */
export function rocAuc(yTrue: Numbers, yScore: Numbers): number {
  const { fps, tps, m } = curve('rocAuc', yTrue, yScore);
  const P = tps[m - 1];
  const N = fps[m - 1];
  let area = 0;
  let fPrev = 0;
  let tPrev = 0;
  for (let k = 0; k < m; k++) {
    area += (fps[k] - fPrev) * (tps[k] + tPrev);
    fPrev = fps[k];
    tPrev = tps[k];
  }
  return area / (2 * P * N);
}

/**
 * The PR AUC reported by vigil: average precision, sum over thresholds of (recall step) x
 * precision, as scikit-learn's average_precision_score; not the trapezoid area under the PR
 * curve, which interpolates linearly and overstates it.
 */
export function prAuc(yTrue: Numbers, yScore: Numbers): number {
  const { fps, tps, m } = curve('prAuc', yTrue, yScore);
  const P = tps[m - 1];
  let ap = 0;
  let rPrev = 0;
  for (let k = 0; k < m; k++) {
    const r = tps[k] / P;
    ap += (r - rPrev) * (tps[k] / (tps[k] + fps[k]));
    rPrev = r;
  }
  return ap;
}

/** Same as prAuc (scikit-learn's name). */
export const averagePrecision = prAuc;

/** The metrics a binary experiment reports (scores thresholded at `threshold` where needed). */
export interface BinaryMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number;
  prAuc: number;
}

export function binaryMetrics(yTrue: Numbers, yScore: Numbers, threshold = 0.5): BinaryMetrics {
  const c = binaryCounts(yTrue, yScore, threshold, 'binaryMetrics');
  const p = ratio(c.tp, c.tp + c.fp);
  const r = ratio(c.tp, c.tp + c.fn);
  return {
    accuracy: (c.tp + c.tn) / yTrue.length,
    precision: p,
    recall: r,
    f1: f1Of(p, r),
    rocAuc: rocAuc(yTrue, yScore),
    prAuc: prAuc(yTrue, yScore),
  };
}

/** Share of rows whose class label equals the prediction (integer labels, any number of classes). */
export function classAccuracy(yTrue: Numbers, yPred: Numbers): number {
  const n = checkPair('classAccuracy', yTrue, yPred, 'yPred');
  checkClassLabels('classAccuracy', yTrue, 'yTrue');
  checkClassLabels('classAccuracy', yPred, 'yPred');
  let hit = 0;
  for (let i = 0; i < n; i++) if (yTrue[i] === yPred[i]) hit++;
  return hit / n;
}

function labelSet(fn: string, yTrue: Numbers, yPred: Numbers, labels?: readonly number[]): number[] {
  checkPair(fn, yTrue, yPred, 'yPred');
  checkClassLabels(fn, yTrue, 'yTrue');
  checkClassLabels(fn, yPred, 'yPred');
  if (labels !== undefined) {
    if (!Array.isArray(labels) || labels.length === 0) throw new TypeError(`${fn}: labels must be a non-empty array`);
    checkClassLabels(fn, labels, 'labels');
    if (new Set(labels).size !== labels.length) throw new RangeError(`${fn}: labels repeat a class`);
    return [...labels];
  }
  const s = new Set<number>();
  for (let i = 0; i < yTrue.length; i++) s.add(yTrue[i]).add(yPred[i]);
  return [...s].sort((a, b) => a - b);
}

/**
 * Counts of (true class, predicted class): row = true, column = predicted, over `labels` (default
 * the sorted classes present in either array), as scikit-learn's confusion_matrix. For binary
 * scores, pass toPredictions(scores); with labels [0, 1] the table is [[tn, fp], [fn, tp]].
 */
export function confusionMatrix(yTrue: Numbers, yPred: Numbers, labels?: readonly number[]): number[][] {
  const ls = labelSet('confusionMatrix', yTrue, yPred, labels);
  const at = new Map(ls.map((l, k) => [l, k]));
  const m = ls.map(() => new Array<number>(ls.length).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const r = at.get(yTrue[i]);
    const c = at.get(yPred[i]);
    if (r !== undefined && c !== undefined) m[r][c]++;
  }
  return m;
}

// Python's '{:.Nf}': correctly rounded, exact halves to even. toFixed rounds exact halves up; a
// double is an exact half at `digits` places iff x * 2^(digits+1) is an odd integer.
function fixed(x: number, digits: number): string {
  const m = Math.abs(x) * 2 ** (digits + 1);
  if (!(Number.isInteger(m) && m % 2 === 1)) return x.toFixed(digits);
  const lo = Math.floor(Math.abs(x) * 10 ** digits);
  const s = String(lo % 2 === 0 ? lo : lo + 1).padStart(digits + 1, '0');
  return (x < 0 ? '-' : '') + (digits > 0 ? `${s.slice(0, -digits)}.${s.slice(-digits)}` : s);
}

export interface ReportOptions {
  /** Display names, one per label (default the labels as numbers). */
  targetNames?: readonly string[];
  /** Classes to report (default the sorted classes present in yTrue or yPred). */
  labels?: readonly number[];
  /** Decimal places (default 2). */
  digits?: number;
}

const REPORT_OPTIONS = optionNames<ReportOptions>()(['targetNames', 'labels', 'digits']);

/**
 * scikit-learn's classification_report text, character for character (zero_division=0):
 * precision, recall, F1 and support per class, then accuracy, macro and weighted averages.
 * Takes integer class labels; for binary scores pass toPredictions(scores).
 */
export function classificationReport(yTrue: Numbers, yPred: Numbers, options: ReportOptions = {}): string {
  const fn = 'classificationReport';
  knownOptions(fn, options, REPORT_OPTIONS);
  const ls = labelSet(fn, yTrue, yPred, options.labels);
  const digits = options.digits ?? 2;
  if (!Number.isInteger(digits) || digits < 0 || digits > 15) throw new RangeError(`${fn}: digits must be an integer in [0, 15], got ${digits}`);
  const names = options.targetNames ?? ls.map(String);
  if (names.length !== ls.length) {
    throw new RangeError(`${fn}: ${names.length} targetNames for ${ls.length} labels (${ls.join(', ')})`);
  }
  const cm = confusionMatrix(yTrue, yPred, ls);
  const k = ls.length;
  const p: number[] = [];
  const r: number[] = [];
  const f: number[] = [];
  const s: number[] = [];
  let hits = 0;
  let predTotal = 0;
  for (let c = 0; c < k; c++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < k; j++) {
      row += cm[c][j];
      col += cm[j][c];
    }
    hits += cm[c][c];
    predTotal += col;
    p.push(ratio(cm[c][c], col));
    r.push(ratio(cm[c][c], row));
    f.push(f1Of(p[c], r[c]));
    s.push(row);
  }
  const total = s.reduce((a, b) => a + b, 0);
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / k;
  const weighted = (v: number[]): number => ratio(v.reduce((a, x, c) => a + x * s[c], 0), total);

  const width = Math.max(...names.map((x) => x.length), 'weighted avg'.length, digits);
  const num = (x: number): string => ` ${fixed(x, digits).padStart(9)}`;
  const line = (name: string, a: number, b: number, c: number, sup: number): string =>
    `${name.padStart(width)} ${num(a)}${num(b)}${num(c)} ${String(sup).padStart(9)}\n`;
  let out = `${''.padStart(width)} ${['precision', 'recall', 'f1-score', 'support'].map((h) => ` ${h.padStart(9)}`).join('')}\n\n`;
  for (let c = 0; c < k; c++) out += line(names[c], p[c], r[c], f[c], s[c]);
  out += '\n';
  // scikit-learn prints micro-averaged F1 on the accuracy line: over all classes it is the accuracy
  // (computed as 2PR/(P+R) of the micro precision and recall, which we mirror). Over a subset of
  // the classes it prints a micro avg line instead.
  const microP = ratio(hits, predTotal);
  const microR = ratio(hits, total);
  const present = labelSet(fn, yTrue, yPred);
  const allPresent = present.length === ls.length && present.every((l) => ls.includes(l));
  if (options.labels === undefined || allPresent) {
    out += `${'accuracy'.padStart(width)} ${' '.repeat(10)}${' '.repeat(10)}${num(f1Of(microP, microR))} ${String(total).padStart(9)}\n`;
  } else {
    out += line('micro avg', microP, microR, f1Of(microP, microR), total);
  }
  out += line('macro avg', mean(p), mean(r), mean(f), total);
  out += line('weighted avg', weighted(p), weighted(r), weighted(f), total);
  return out;
}
