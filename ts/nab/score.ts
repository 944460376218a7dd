// Scores a detector's anomaly scores on a NAB corpus the way NAB's runner does (optimize, score,
// normalize): per profile, the threshold that maximises the summed raw score over the whole corpus
// (or a given one), each series' raw score at that threshold, and 100 * (raw - null) / (perfect -
// null), where null is NAB's null detector (a constant 0.5, itself swept) and perfect is tpWeight
// per labelled window.
import { knownOptions, optionNames } from '../models/options.ts';
import { checkCostMatrix } from './corpus.ts';
import type { NabCorpus, NabCostMatrix, NabSeries } from './corpus.ts';
import {
  bestThreshold, NAB_PROBATION_PERCENT, nabRowScores, nabRowWindows, NO_DETECTION_THRESHOLD, PROBATIONARY, rowAtThreshold, sweepOrder, sweepThresholds,
} from './sweep.ts';
import type { NabThresholdRow, SweepInput } from './sweep.ts';

/** Anomaly scores (NAB asks for [0, 1]) per series key (`<category>/<series>.csv`), one per row. */
export type NabScores = ReadonlyMap<string, ArrayLike<number>> | Readonly<Record<string, ArrayLike<number>>>;

export interface ScoreNabOptions {
  /** Profile names from the corpus, or profiles of your own (default: all of the corpus'). */
  profiles?: readonly string[] | Readonly<Record<string, NabCostMatrix>>;
  /** A fixed threshold for every profile, or per profile (profiles left out are swept). */
  threshold?: number | Readonly<Record<string, number>>;
  /** Share of each series that is not scored (default 0.15, NAB's). */
  probationPercent?: number;
}

const SCORE_OPTIONS = optionNames<ScoreNabOptions>()(['profiles', 'threshold', 'probationPercent']);

export interface NabCounts {
  tp: number;
  tn: number;
  fp: number;
  fn: number;
}

/** Point-wise confusion counts over window membership (probationary rows left out) and their ratios. */
export interface NabPointMetrics extends NabCounts {
  precision: number;
  recall: number;
  f1: number;
}

export interface NabWindowResult {
  start: number;
  end: number;
  /** First detected row of the window past the probationary period; null when missed. */
  firstDetection: number | null;
}

export interface NabSeriesScore extends NabPointMetrics {
  key: string;
  rows: number;
  /** NAB's raw score of the series at the profile's threshold. */
  raw: number;
  /** The null detector's raw score on the series. */
  nullRaw: number;
  /** tpWeight * windows. */
  perfect: number;
  /** 100 * (raw - nullRaw) / (perfect - nullRaw); null when perfect equals nullRaw (no windows). */
  normalized: number | null;
  windows: NabWindowResult[];
  windowsDetected: number;
}

export interface NabProfileScore extends NabPointMetrics {
  profile: string;
  weights: NabCostMatrix;
  threshold: number;
  thresholdSource: 'swept' | 'given';
  /** The optimizer's best summed score over the corpus (NAB's thresholds.json "score"); null when the threshold was given. */
  sweptScore: number | null;
  /** Sum of the series' raw scores (NAB's "Totals" row). */
  raw: number;
  nullRaw: number;
  nullThreshold: number;
  perfect: number;
  /** The reported NAB score; null when perfect equals nullRaw. */
  normalized: number | null;
  windows: number;
  windowsDetected: number;
  series: NabSeriesScore[];
}

export interface NabReport {
  probationPercent: number;
  series: number;
  rows: number;
  profiles: Record<string, NabProfileScore>;
}

const NULL_SCORE = 0.5;

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

function pointMetrics(c: NabCounts): NabPointMetrics {
  const precision = ratio(c.tp, c.tp + c.fp);
  const recall = ratio(c.tp, c.tp + c.fn);
  return { tp: c.tp, tn: c.tn, fp: c.fp, fn: c.fn, precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

/** NAB's normalisation 100 * (raw - nullRaw) / (perfect - nullRaw); null when perfect equals nullRaw. */
export function nabNormalize(raw: number, nullRaw: number, perfect: number): number | null {
  return perfect === nullRaw ? null : (100 * (raw - nullRaw)) / (perfect - nullRaw);
}

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

function checkCorpus(fn: string, corpus: NabCorpus): void {
  if (corpus === null || typeof corpus !== 'object' || !Array.isArray(corpus.series)) {
    throw new TypeError(`${fn}: corpus must be a NabCorpus (from loadNabCorpus), got ${String(corpus)}`);
  }
}

/** Each corpus series' scores, checked: one per row, finite, below NAB's starting threshold 1.1. */
export function seriesScores(fn: string, corpus: NabCorpus, scores: NabScores): ArrayLike<number>[] {
  if (scores === null || typeof scores !== 'object') throw new TypeError(`${fn}: scores must be a Map or an object of arrays keyed by series, got ${String(scores)}`);
  const get = scores instanceof Map ? (k: string) => scores.get(k) : (k: string) => (Object.hasOwn(scores, k) ? (scores as Record<string, ArrayLike<number>>)[k] : undefined);
  const keys = scores instanceof Map ? [...scores.keys()] : Object.keys(scores);
  const known = new Set(corpus.series.map((s) => s.key));
  const extra = keys.filter((k) => !known.has(k));
  if (extra.length) throw new RangeError(`${fn}: scores has ${extra.length} series the corpus lacks: ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', ...' : ''}`);
  return corpus.series.map((s) => {
    const arr = get(s.key);
    if (arr === undefined) throw new RangeError(`${fn}: scores has no entry for ${s.key}`);
    if (!isArrayLike(arr)) throw new TypeError(`${fn}: scores[${JSON.stringify(s.key)}] must be an array or typed array of numbers`);
    if (arr.length !== s.timestamps.length) throw new RangeError(`${fn}: scores[${JSON.stringify(s.key)}] has ${arr.length} values, expected ${s.timestamps.length} (one per row)`);
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (typeof v !== 'number' || !(v > -Infinity && v < NO_DETECTION_THRESHOLD)) {
        throw new RangeError(`${fn}: scores[${JSON.stringify(s.key)}][${i}] must be a finite number below 1.1 (NAB asks for [0, 1]), got ${String(v)}`);
      }
    }
    return arr;
  });
}

function resolveProfiles(fn: string, corpus: NabCorpus, p: ScoreNabOptions['profiles']): Record<string, NabCostMatrix> {
  if (p === undefined) return corpus.profiles;
  if (Array.isArray(p)) {
    if (p.length === 0) throw new RangeError(`${fn}: profiles must name at least one profile`);
    const out: Record<string, NabCostMatrix> = {};
    for (const name of p) {
      if (typeof name !== 'string' || !Object.hasOwn(corpus.profiles, name)) {
        throw new RangeError(`${fn}: unknown profile ${JSON.stringify(name)}; the corpus has ${Object.keys(corpus.profiles).join(', ')}`);
      }
      out[name] = corpus.profiles[name];
    }
    return out;
  }
  if (p === null || typeof p !== 'object' || Object.keys(p).length === 0) throw new TypeError(`${fn}: profiles must be a list of names or an object of cost matrices`);
  const out: Record<string, NabCostMatrix> = {};
  for (const [name, cm] of Object.entries(p as Record<string, NabCostMatrix>)) out[name] = checkCostMatrix(cm, `${fn}: profile ${name}`, RangeError);
  return out;
}

function thresholdFor(fn: string, t: ScoreNabOptions['threshold'], profile: string): number | undefined {
  const v = typeof t === 'number' || t === undefined ? t : Object.hasOwn(t, profile) ? t[profile] : undefined;
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
    throw new RangeError(`${fn}: threshold${typeof t === 'object' ? `.${profile}` : ''} must be a finite number, got ${String(v)}`);
  }
  return v;
}

function concat(parts: SweepInput[]): SweepInput {
  const n = parts.reduce((a, p) => a + p.anomaly.length, 0);
  const anomaly = new Float64Array(n);
  const sweep = new Float64Array(n);
  const window = new Int32Array(n);
  let at = 0;
  let base = 0;
  for (const p of parts) {
    for (let i = 0; i < p.anomaly.length; i++) {
      anomaly[at + i] = p.anomaly[i];
      sweep[at + i] = p.sweep[i];
      window[at + i] = p.window[i] >= 0 ? p.window[i] + base : p.window[i];
    }
    at += p.anomaly.length;
    base += p.windows;
  }
  return { anomaly, sweep, window, windows: base };
}

/** One detector's scores laid out for sweeping: per series and for the corpus, with their sort orders. */
interface Prepared {
  series: SweepInput[];
  orders: Int32Array[];
  corpus: SweepInput;
  corpusOrder: Int32Array;
}

function prepare(anomaly: ArrayLike<number>[], windows: Int32Array[], counts: number[]): Prepared {
  const series = anomaly.map((a, k): SweepInput => ({ anomaly: a, sweep: new Float64Array(a.length), window: windows[k], windows: counts[k] }));
  const corpus = concat(series);
  return { series, orders: series.map((s) => sweepOrder(s)), corpus, corpusOrder: sweepOrder(corpus) };
}

/** Puts one profile's per-row sweep scores into a prepared layout (the orders do not change). */
function withSweep(p: Prepared, rowScores: Float64Array[]): Prepared {
  const series = p.series.map((s, k) => ({ ...s, sweep: rowScores[k] }));
  const sweep = new Float64Array(p.corpus.anomaly.length);
  let at = 0;
  for (const r of rowScores) {
    sweep.set(r, at);
    at += r.length;
  }
  return { ...p, series, corpus: { ...p.corpus, sweep } };
}

interface Scored {
  threshold: number;
  sweptScore: number | null;
  perSeries: NabThresholdRow[];
  raw: number;
}

/** NAB's optimize step (unless a threshold is given) followed by its score step. */
function scoreAt(p: Prepared, fnWeight: number, given: number | undefined): Scored {
  let threshold = given;
  let sweptScore: number | null = null;
  if (threshold === undefined) {
    const best = bestThreshold(sweepThresholds(p.corpus, fnWeight, p.corpusOrder));
    threshold = best.threshold;
    sweptScore = best.score;
  }
  const perSeries = p.series.map((inp, k) => rowAtThreshold(sweepThresholds(inp, fnWeight, p.orders[k]), threshold));
  let raw = 0;
  for (const r of perSeries) raw += r.score;
  return { threshold, sweptScore, perSeries, raw };
}

function windowResults(s: NabSeries, anomaly: ArrayLike<number>, window: Int32Array, threshold: number): NabWindowResult[] {
  return s.windows.map((w) => {
    let firstDetection: number | null = null;
    for (let i = w.start; i <= w.end; i++) {
      if (window[i] !== PROBATIONARY && anomaly[i] >= threshold) {
        firstDetection = i;
        break;
      }
    }
    return { start: w.start, end: w.end, firstDetection };
  });
}

/**
 * NAB's raw sweep over the whole corpus for one profile: the score and counts at every distinct
 * threshold, highest threshold first (NAB's optimizer picks the best of these).
 */
export function nabSweep(corpus: NabCorpus, scores: NabScores, profile: NabCostMatrix,
  probationPercent: number = NAB_PROBATION_PERCENT): NabThresholdRow[] {
  checkCorpus('nabSweep', corpus);
  const cm = checkCostMatrix(profile, 'nabSweep: profile', RangeError);
  checkProbation('nabSweep', probationPercent);
  const arrs = seriesScores('nabSweep', corpus, scores);
  const inputs = corpus.series.map((s, k): SweepInput => ({ anomaly: arrs[k], ...nabRowScores(s.timestamps.length, s.windows, cm, probationPercent), windows: s.windows.length }));
  return sweepThresholds(concat(inputs), cm.fnWeight);
}

function checkProbation(fn: string, p: number): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${fn}: probationPercent must be a number in [0, 1], got ${String(p)}`);
}

/** Scores `scores` on `corpus` for each profile, as NAB's runner would (see the file comment). */
export function scoreNab(corpus: NabCorpus, scores: NabScores, options: ScoreNabOptions = {}): NabReport {
  const fn = 'scoreNab';
  checkCorpus(fn, corpus);
  if (options === null || typeof options !== 'object') throw new TypeError(`${fn}: options must be an object`);
  knownOptions(fn, options, SCORE_OPTIONS);
  const probationPercent = options.probationPercent ?? NAB_PROBATION_PERCENT;
  checkProbation(fn, probationPercent);
  const profiles = resolveProfiles(fn, corpus, options.profiles);
  if (options.threshold !== undefined && typeof options.threshold !== 'number' && (options.threshold === null || typeof options.threshold !== 'object')) {
    throw new TypeError(`${fn}: threshold must be a number or an object of numbers per profile, got ${String(options.threshold)}`);
  }
  const given = Object.fromEntries(Object.keys(profiles).map((p) => [p, thresholdFor(fn, options.threshold, p)]));
  const arrs = seriesScores(fn, corpus, scores);
  const rowWindows = corpus.series.map((s) => nabRowWindows(s.timestamps.length, s.windows, probationPercent));
  const counts = corpus.series.map((s) => s.windows.length);
  const detector = prepare(arrs, rowWindows, counts);
  const nullDetector = prepare(corpus.series.map((s) => new Float64Array(s.timestamps.length).fill(NULL_SCORE)), rowWindows, counts);

  const out: Record<string, NabProfileScore> = {};
  for (const [name, cm] of Object.entries(profiles)) {
    const rowScores = corpus.series.map((s) => nabRowScores(s.timestamps.length, s.windows, cm, probationPercent).sweep);
    const det = scoreAt(withSweep(detector, rowScores), cm.fnWeight, given[name]);
    const nul = scoreAt(withSweep(nullDetector, rowScores), cm.fnWeight, undefined);
    const series = corpus.series.map((s, k): NabSeriesScore => {
      const windows = windowResults(s, arrs[k], rowWindows[k], det.threshold);
      const r = det.perSeries[k];
      const perfect = cm.tpWeight * s.windows.length;
      return {
        key: s.key, rows: s.timestamps.length, raw: r.score, nullRaw: nul.perSeries[k].score, perfect,
        normalized: nabNormalize(r.score, nul.perSeries[k].score, perfect), ...pointMetrics(r),
        windows, windowsDetected: windows.filter((w) => w.firstDetection !== null).length,
      };
    });
    const total = { tp: 0, tn: 0, fp: 0, fn: 0 };
    for (const r of det.perSeries) {
      total.tp += r.tp;
      total.tn += r.tn;
      total.fp += r.fp;
      total.fn += r.fn;
    }
    const windowCount = corpus.series.reduce((a, s) => a + s.windows.length, 0);
    const perfect = cm.tpWeight * windowCount;
    out[name] = {
      profile: name, weights: { ...cm }, threshold: det.threshold, thresholdSource: given[name] === undefined ? 'swept' : 'given',
      sweptScore: det.sweptScore, raw: det.raw, nullRaw: nul.raw, nullThreshold: nul.threshold, perfect,
      normalized: nabNormalize(det.raw, nul.raw, perfect), ...pointMetrics(total),
      windows: windowCount, windowsDetected: series.reduce((a, s) => a + s.windowsDetected, 0), series,
    };
  }
  return {
    probationPercent, series: corpus.series.length, rows: corpus.series.reduce((a, s) => a + s.timestamps.length, 0), profiles: out,
  };
}
