// The runner the tabular detector experiments share (kdd-*, creditcard-*): an experiment module
// says how its protocol splits and scales the data and which detector it fits; this file fits it,
// scores the held-out rows, times both and reports the metrics, including the book's own figure,
// over one seed or several.
import type { Detector, DetectorFitOptions } from '../../models/detectors/detector.ts';
import type { TabularInput } from '../../models/detectors/matrix.ts';
import { binaryMetrics, rocAuc } from '../../models/metrics.ts';
import type { BinaryMetrics } from '../../models/metrics.ts';
import type { Tensor } from '../../models/tensor.ts';

/** A labelled table after the protocol's preprocessing. */
export interface LabelledTable {
  x: Tensor<Float32Array>;
  /** 1 = anomaly (attack, fraud). */
  labels: Int32Array;
}

/** What a protocol hands the runner. */
export interface PreparedData {
  /** The rows the detector is fitted on (their labels are not used). */
  train: Tensor<Float32Array>;
  /** The held-out rows every metric is computed on. */
  test: LabelledTable;
  /** Further held-out sets the book reports on (validation, normal-only test), by name. */
  extra: Record<string, LabelledTable>;
  /** One line: which rows went where. */
  describe: string;
}

export interface PrepareOptions {
  /** Data file in the experiment's format instead of the bundled one. */
  dataPath?: string;
  /** Fit on the training rows the protocol takes from all of the data, report on this file. */
  testPath?: string;
  /** Seed of the split (and the model). */
  seed: number;
  /** Stops the file reads (they run on a worker thread). */
  signal?: AbortSignal;
}

/** One figure the book published and ours next to it. */
export interface BookFigure {
  name: string;
  value: number;
  published: number | null;
}

export interface TabularExperiment {
  id: string;
  title: string;
  /** The protocol in a few lines (SEEDS.md's and how vigil adapts it). */
  protocol: string;
  /** The model line of the report. */
  model: string;
  /** Seed of a plain run (the protocol's split seed). */
  defaultSeed: number;
  /** Whether the detector draws random numbers (several seeds then show its spread). */
  randomised: boolean;
  /** Reads the data (off the event loop) and splits it. */
  prepare(opts: PrepareOptions): Promise<PreparedData>;
  /** The detector, unfitted; `trainRows` is the number of rows it will be fitted on (a protocol may size its training by it). */
  detector(seed: number, trainRows: number): Promise<Detector<TabularInput>>;
  /** Passes over the training rows per fit (epochs), for samples per second. */
  passes(det: Detector<TabularInput>): number;
  /** The book's figures for a fitted detector (test scores given). */
  book(det: Detector<TabularInput>, data: PreparedData, testScores: Float32Array): Promise<BookFigure[]>;
}

export interface TabularRunOptions extends Omit<PrepareOptions, 'seed'> {
  /** Seed of the detector (default: the experiment's defaultSeed). */
  seed?: number;
  /** Seed of the split (default: `seed`), so that several detector seeds can share one split. */
  splitSeed?: number;
  signal?: AbortSignal;
  onProgress?: DetectorFitOptions['onProgress'];
  /** Passed to fit (the RBM calls it after each epoch). */
  onEpochEnd?: (epoch: number, logs: { reconstructionError: number; seconds: number }) => void;
  /** Told once the data are ready, before fitting. */
  onStart?(info: { experiment: string; seed: number; splitSeed: number; describe: string; trainRows: number; testRows: number }): void;
}

export interface TabularReport {
  experiment: string;
  /** Which of the experiment's models, when it reports several (creditcard-tcn: 'dilated', 'ed'). */
  variant?: string;
  model: string;
  seed: number;
  splitSeed: number;
  describe: string;
  /** Accuracy, precision, recall and F1 at the detector's threshold; ROC AUC and PR AUC of the continuous scores. */
  metrics: BinaryMetrics;
  threshold: number;
  book: BookFigure[];
  trainSeconds: number;
  scoreSeconds: number;
  /** Training rows × passes / trainSeconds. */
  samplesPerSecond: number;
  trainRows: number;
  testRows: number;
  testAnomalies: number;
}

/** ROC AUC of the 0/1 predictions: the book's "AUC" on thresholded labels. */
export function thresholdedAuc(labels: ArrayLike<number>, predictions: ArrayLike<number>): number {
  return rocAuc(labels, predictions);
}

/** Fits the experiment's detector on its protocol's training rows and reports on the held-out rows. */
export async function runTabular(exp: TabularExperiment, opts: TabularRunOptions = {}): Promise<TabularReport> {
  const seed = opts.seed ?? exp.defaultSeed;
  const splitSeed = opts.splitSeed ?? seed;
  for (const [name, v] of [['seed', seed], ['splitSeed', splitSeed]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  }
  const data = await exp.prepare({ dataPath: opts.dataPath, testPath: opts.testPath, seed: splitSeed, signal: opts.signal });
  const trainRows = data.train.shape[0];
  const det = await exp.detector(seed, trainRows);
  const testRows = data.test.x.shape[0];
  opts.onStart?.({ experiment: exp.id, seed, splitSeed, describe: data.describe, trainRows, testRows });
  const t0 = performance.now();
  // onEpochEnd goes only to the detectors that train in epochs (RBM, autoencoders): fit refuses options it does not know.
  const onEpochEnd = opts.onEpochEnd && det.fitOptionNames.includes('onEpochEnd') ? { onEpochEnd: opts.onEpochEnd } : {};
  await det.fit(data.train, { signal: opts.signal, onProgress: opts.onProgress, ...onEpochEnd } as DetectorFitOptions);
  const trainSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const scores = await det.scoreSamples(data.test.x);
  const scoreSeconds = (performance.now() - t1) / 1000;
  return {
    experiment: exp.id,
    model: exp.model,
    seed,
    splitSeed,
    describe: data.describe,
    metrics: binaryMetrics(data.test.labels, scores, det.threshold),
    threshold: det.threshold,
    book: await exp.book(det, data, scores),
    trainSeconds,
    scoreSeconds,
    samplesPerSecond: (trainRows * exp.passes(det)) / trainSeconds,
    trainRows,
    testRows,
    testAnomalies: data.test.labels.reduce((a, b) => a + b, 0),
  };
}

export interface Spread {
  mean: number;
  sd: number;
  min: number;
  max: number;
}

/** Mean, sample standard deviation, min and max. */
export function spreadOf(values: readonly number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, min: Math.min(...values), max: Math.max(...values) };
}

const METRIC_KEYS = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'prAuc'] as const;

/** The --json object: the other experiments' keys (metrics, timings); several seeds give their means plus each run and the spread. */
export function tabularReportJSON(runs: readonly TabularReport[]): Record<string, unknown> {
  const r0 = runs[0];
  const bookJSON = (r: TabularReport) => r.book.map((b) => ({ name: b.name, value: b.value, published: b.published }));
  if (runs.length === 1) {
    return {
      experiment: r0.experiment, metrics: { ...r0.metrics }, trainSeconds: r0.trainSeconds, scoreSeconds: r0.scoreSeconds,
      samplesPerSecond: r0.samplesPerSecond, seed: r0.seed, splitSeed: r0.splitSeed, book: bookJSON(r0),
    };
  }
  const mean = (f: (r: TabularReport) => number) => spreadOf(runs.map(f)).mean;
  return {
    experiment: r0.experiment,
    metrics: Object.fromEntries(METRIC_KEYS.map((k) => [k, mean((r) => r.metrics[k])])),
    trainSeconds: mean((r) => r.trainSeconds),
    scoreSeconds: mean((r) => r.scoreSeconds),
    samplesPerSecond: mean((r) => r.samplesPerSecond),
    seeds: runs.map((r) => r.seed),
    splitSeeds: runs.map((r) => r.splitSeed),
    spread: Object.fromEntries(METRIC_KEYS.map((k) => [k, spreadOf(runs.map((r) => r.metrics[k]))])),
    runs: runs.map((r) => ({ seed: r.seed, metrics: { ...r.metrics }, trainSeconds: r.trainSeconds, scoreSeconds: r.scoreSeconds, book: bookJSON(r) })),
  };
}

const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : 'n/a');

function rows(lines: Array<[string, string]>): string {
  const w = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}

/** The table `vigil eval` prints for one run. */
export function formatTabularReport(r: TabularReport): string {
  const m = r.metrics;
  const lines: Array<[string, string]> = [
    ['ROC AUC', f4(m.rocAuc)],
    ['PR AUC', f4(m.prAuc)],
    [`at threshold ${r.threshold.toPrecision(6)}`, `accuracy ${f4(m.accuracy)}, precision ${f4(m.precision)}, recall ${f4(m.recall)}, F1 ${f4(m.f1)}`],
    ...r.book.map((b): [string, string] => [b.name, `${f4(b.value)}${b.published === null ? '' : ` (book: ${b.published})`}`]),
    ['train', `${r.trainSeconds.toFixed(2)} s, ${r.samplesPerSecond.toFixed(0)} rows/s`],
    ['score', `${r.scoreSeconds.toFixed(3)} s for ${r.testRows} rows`],
  ];
  const seeds = r.splitSeed === r.seed ? `seed ${r.seed}` : `seed ${r.seed}, split seed ${r.splitSeed}`;
  const head = `${r.experiment}${r.variant === undefined ? '' : ` [${r.variant}]`} (${seeds}): ${r.trainRows} training rows, ${r.testRows} test rows (${r.testAnomalies} anomalies)`;
  return [head, `  ${r.model}`, `  ${r.describe}`, rows(lines)].join('\n');
}

/** The spread table of several seeds. */
export function formatSpread(runs: readonly TabularReport[]): string {
  const line = (name: string, f: (r: TabularReport) => number): [string, string] => {
    const s = spreadOf(runs.map(f));
    return [name, `${f4(s.mean)} ± ${f4(s.sd)} (min ${f4(s.min)}, max ${f4(s.max)})`];
  };
  const lines: Array<[string, string]> = [
    line('ROC AUC', (r) => r.metrics.rocAuc),
    line('PR AUC', (r) => r.metrics.prAuc),
    line('F1 at threshold', (r) => r.metrics.f1),
    ...runs[0].book.map((b, k) => line(b.name, (r) => r.book[k].value)),
    line('train seconds', (r) => r.trainSeconds),
  ];
  const name = `${runs[0].experiment}${runs[0].variant === undefined ? '' : ` [${runs[0].variant}]`}`;
  const splits = [...new Set(runs.map((r) => r.splitSeed))];
  const split = splits.length === 1 ? `, split seed ${splits[0]}` : '';
  return [`${name} over ${runs.length} seeds (${runs.map((r) => r.seed).join(', ')}${split}): mean ± sd`, rows(lines)].join('\n');
}
