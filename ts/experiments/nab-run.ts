// The runner `vigil eval nab-lstm` and `vigil eval nab-tcn` share: a streaming forecaster over
// every series of a NAB folder, scored with NAB's own rules (ts/nab/score.ts). An experiment
// (nab-lstm.ts, nab-tcn.ts) says which forecaster and settings; this file runs it the same way
// for every series, reports per-series and corpus scores and writes the --json summary.
//
// The 'default' protocol is NAB's: the forecaster learns from the probationary period (the first
// 15% of the rows, at most 750) and is streamed over the rest (online_forecast.ts): the score of
// row t reads rows 0..t only. An experiment may add a 'seed' protocol (the book's), which trains
// on the rows it scores: a LOOK-AHEAD baseline that is never a NAB score.
import { onlineForecastScores } from '../models/detectors/online_forecast.ts';
import type { OnlineForecastOptions, OnlineModelOptions } from '../models/detectors/online_forecast.ts';
import { BUNDLED_NAB, loadNabCorpusAsync } from '../nab/corpus.ts';
import type { NabCorpus, NabSeries } from '../nab/corpus.ts';
import { scoreNab } from '../nab/score.ts';
import type { NabReport } from '../nab/score.ts';
import { probationaryLength } from '../nab/sweep.ts';
import type { ProtocolName } from './run.ts';
import { optionNames } from '../models/options.ts';

const DAY_MS = 86_400_000;

/** One series' scores from a detector that is not NAB's streaming one (the book's protocol). */
export interface SeriesScores {
  scores: Float32Array;
  trainRows: number;
  trainSeconds: number;
  scoreSeconds: number;
}

/** What `vigil eval nab-<model>` runs. */
export interface NabExperiment {
  id: string;
  /** NAB results name of the 'default' protocol's detector (letters, digits, '-'). */
  detector: string;
  /** The forecaster and its training (window, units or filters, epochs, ...), the same for every series. */
  model: OnlineModelOptions & { epochs: number };
  /** One line on the model, given the epochs. */
  describe(epochs: number): string;
  /** The book's protocol, when the experiment has one: trains on the whole series (look-ahead). */
  seed?: {
    detector: string;
    describe(epochs: number): string;
    run(values: Float32Array, seed: number, epochs: number | undefined, signal?: AbortSignal): Promise<SeriesScores>;
  };
}

export interface NabEvalOptions {
  /** A folder in NAB's layout (default: the bundled data/nab). */
  dataDir?: string;
  protocol?: ProtocolName;
  /** Seed of every model (default 0). */
  seed?: number;
  /** Overrides the training epochs (both protocols): for quick checks. */
  epochs?: number;
  /** Accept series whose rows repeat or go back in time (8 of NAB's 58), as NAB does. */
  allowUnorderedTimes?: boolean;
  signal?: AbortSignal;
  /** Told after each series. */
  onSeries?(info: NabSeriesRun, done: number, total: number): void;
}

export const NAB_EVAL_OPTIONS = optionNames<NabEvalOptions>()([
  'dataDir', 'protocol', 'seed', 'epochs', 'allowUnorderedTimes', 'signal', 'onSeries',
]);

export interface NabSeriesRun {
  key: string;
  rows: number;
  /** Rows the detector learned from before scoring (the probationary period; all rows for 'seed'). */
  trainRows: number;
  /** The seasonal lag in steps ('default' protocol; null when none was used). */
  seasonalLag: number | null;
  trainSeconds: number;
  scoreSeconds: number;
}

export interface NabEvalReport {
  experiment: string;
  protocol: ProtocolName;
  /** True for the book's protocol: it trains on the rows it scores, so its score is no NAB score. */
  lookAhead: boolean;
  /** NAB results name (letters, digits, '-': NAB splits file names on '_'). */
  detector: string;
  model: string;
  dataDir: string;
  corpus: NabCorpus;
  /** One score in [0, 1] per row, per series key. */
  scores: Map<string, Float32Array>;
  report: NabReport;
  series: NabSeriesRun[];
  trainSeconds: number;
  scoreSeconds: number;
  /** Rows of the corpus per second of training and scoring together. */
  samplesPerSecond: number;
}

/** The --json object (see the issue). */
export interface NabEvalJSON {
  experiment: string;
  protocol: ProtocolName;
  lookAhead: boolean;
  metrics: {
    nab: Record<string, number | null>;
    /** Point-wise, over window membership, at the standard profile's threshold. */
    precision: number;
    recall: number;
    f1: number;
    windowsDetected: number;
    windows: number;
    falsePositives: number;
  };
  trainSeconds: number;
  scoreSeconds: number;
  samplesPerSecond: number;
}

/** The 'default' protocol's settings for one series of `rows` rows (the same rule for every series). */
export function nabSettings(exp: NabExperiment, timestamps: ArrayLike<number>, rows: number, seed = 0, epochs?: number): OnlineForecastOptions {
  const trainSteps = Math.floor(probationaryLength(rows));
  return {
    model: { ...exp.model, seed, epochs: epochs ?? exp.model.epochs },
    trainSteps,
    seasonalLag: dailyLag(timestamps, trainSteps),
    rangeTolerance: 0.05,
    likelihood: {},
  };
}

/**
 * One day in steps, from the median spacing of the first `rows` timestamps; null when a day does
 * not fit twice into them (too little history to learn from the lagged value) or the spacing is
 * not positive.
 */
export function dailyLag(timestamps: ArrayLike<number>, rows: number): number | null {
  const gaps: number[] = [];
  for (let i = 1; i < Math.min(rows, timestamps.length); i++) gaps.push(timestamps[i] - timestamps[i - 1]);
  if (gaps.length === 0) return null;
  gaps.sort((a, b) => a - b);
  const median = gaps[gaps.length >> 1];
  if (!(median > 0)) return null;
  const lag = Math.round(DAY_MS / median);
  return lag >= 1 && 2 * lag <= rows ? lag : null;
}

async function defaultSeries(exp: NabExperiment, s: NabSeries, seed: number, epochs: number | undefined, signal?: AbortSignal) {
  const values = Float32Array.from(s.values);
  const settings = nabSettings(exp, s.timestamps, values.length, seed, epochs);
  const r = await onlineForecastScores(values, { ...settings, signal });
  return { scores: r.scores, trainRows: settings.trainSteps, seasonalLag: settings.seasonalLag ?? null, trainSeconds: r.trainSeconds, scoreSeconds: r.scoreSeconds };
}

/** Runs the experiment's detector of `protocol` over every series of a NAB folder and scores it with NAB's scorer. */
export async function runNab(exp: NabExperiment, opts: NabEvalOptions = {}): Promise<NabEvalReport> {
  const protocol = opts.protocol ?? 'default';
  if (protocol !== 'default' && protocol !== 'seed') throw new RangeError(`protocol must be 'seed' or 'default', got ${JSON.stringify(protocol)}`);
  const book = exp.seed;
  if (protocol === 'seed' && !book) throw new RangeError(`${exp.id} has no 'seed' protocol`);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  if (opts.epochs !== undefined && (!Number.isInteger(opts.epochs) || opts.epochs < 1)) throw new RangeError(`epochs must be a positive integer, got ${opts.epochs}`);
  const dataDir = opts.dataDir ?? BUNDLED_NAB;
  const corpus = await loadNabCorpusAsync(dataDir, { allowUnorderedTimes: opts.allowUnorderedTimes === true });
  const scores = new Map<string, Float32Array>();
  const runs: NabSeriesRun[] = [];
  for (const s of corpus.series) {
    opts.signal?.throwIfAborted();
    const r = book && protocol === 'seed'
      ? { ...(await book.run(Float32Array.from(s.values), seed, opts.epochs, opts.signal)), seasonalLag: null }
      : await defaultSeries(exp, s, seed, opts.epochs, opts.signal);
    scores.set(s.key, r.scores);
    const run = { key: s.key, rows: s.values.length, trainRows: r.trainRows, seasonalLag: r.seasonalLag, trainSeconds: r.trainSeconds, scoreSeconds: r.scoreSeconds };
    runs.push(run);
    opts.onSeries?.(run, runs.length, corpus.series.length);
  }
  const trainSeconds = runs.reduce((a, r) => a + r.trainSeconds, 0);
  const scoreSeconds = runs.reduce((a, r) => a + r.scoreSeconds, 0);
  const rows = runs.reduce((a, r) => a + r.rows, 0);
  return {
    experiment: exp.id,
    protocol,
    lookAhead: protocol === 'seed',
    detector: book && protocol === 'seed' ? book.detector : exp.detector,
    model: book && protocol === 'seed' ? book.describe(opts.epochs ?? exp.model.epochs) : exp.describe(opts.epochs ?? exp.model.epochs),
    dataDir,
    corpus,
    scores,
    report: scoreNab(corpus, scores),
    series: runs,
    trainSeconds,
    scoreSeconds,
    samplesPerSecond: rows / Math.max(trainSeconds + scoreSeconds, 1e-9),
  };
}

export function nabJSON(r: NabEvalReport): NabEvalJSON {
  const std = r.report.profiles.standard ?? Object.values(r.report.profiles)[0];
  return {
    experiment: r.experiment,
    protocol: r.protocol,
    lookAhead: r.lookAhead,
    metrics: {
      nab: Object.fromEntries(Object.entries(r.report.profiles).map(([k, p]) => [k, p.normalized])),
      precision: std.precision,
      recall: std.recall,
      f1: std.f1,
      windowsDetected: std.windowsDetected,
      windows: std.windows,
      falsePositives: std.fp,
    },
    trainSeconds: r.trainSeconds,
    scoreSeconds: r.scoreSeconds,
    samplesPerSecond: r.samplesPerSecond,
  };
}

function grid(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd()).join('\n');
}

const fixed = (x: number | null, d = 2) => (x === null ? 'n/a' : x.toFixed(d));

/** The tables `vigil eval nab-<model>` prints: per profile, then per series. */
export function formatNab(r: NabEvalReport): string {
  const profiles = Object.values(r.report.profiles);
  const windows = r.corpus.series.reduce((a, s) => a + s.windows.length, 0);
  const head = r.lookAhead
    ? `${r.experiment} (protocol seed): LOOK-AHEAD BASELINE, the book's protocol trains on the rows it scores: NOT a NAB score`
    : `${r.experiment} (protocol default): NAB score (row t scored from rows 0..t only)`;
  const lines = [
    head,
    `  ${r.model}`,
    `  data: ${r.dataDir} (${r.corpus.series.length} series, ${r.report.rows} rows, ${windows} windows)`,
    '',
    grid([
      ['profile', 'NAB score', 'threshold', 'windows', 'TP', 'FP', 'FN', 'precision', 'recall', 'F1'],
      ...profiles.map((p) => [
        p.profile, fixed(p.normalized), p.threshold.toFixed(4), `${p.windowsDetected}/${p.windows}`, String(p.tp), String(p.fp), String(p.fn),
        fixed(p.precision, 4), fixed(p.recall, 4), fixed(p.f1, 4),
      ]),
    ]),
    '',
    grid([
      ['series', 'rows', ...profiles.map((p) => `${p.profile} raw`), 'windows', 'FP', 'train s', 'score s'],
      ...r.series.map((s, k) => [
        s.key, String(s.rows), ...profiles.map((p) => p.series[k].raw.toFixed(3)),
        `${profiles[0].series[k].windowsDetected}/${profiles[0].series[k].windows.length}`, String(profiles[0].series[k].fp),
        s.trainSeconds.toFixed(1), s.scoreSeconds.toFixed(2),
      ]),
    ]),
    '',
    `  train ${r.trainSeconds.toFixed(1)} s, score ${r.scoreSeconds.toFixed(1)} s, ${r.samplesPerSecond.toFixed(0)} rows/s` +
      `${profiles.length > 1 ? `; per-series columns at each profile's corpus-wide threshold (windows, FP: ${profiles[0].profile})` : ''}`,
  ];
  if (r.corpus.series.length < 58) {
    lines.push(`  NAB's scoreboard (ARTime 74.9, Numenta HTM 70.1, KNN-CAD 58.0) is over all 58 series; scores of ${r.corpus.series.length} series compare only with other detectors on the same series`);
  }
  return lines.join('\n');
}
