// `vigil eval nab-lstm`: LSTM anomaly detection on the Numenta Anomaly Benchmark, scored with
// NAB's own rules (ts/nab/score.ts).
//
// protocol 'default' (vigil's detector, the NAB score): for every series, with the same settings,
//   an LstmForecaster is trained on NAB's probationary period (the first 15% of the rows, at most
//   750) and streamed over the rest (lstm_online.ts): the score of row t reads rows 0..t only.
//   Settings, each chosen on principle and never per series:
//   - window 48 steps, LSTM(64) -> Dropout(0.2) -> Dense(1), MAE, Adam 1e-3, batch 32, 20 epochs,
//     min-max scaling fitted on the probationary rows: the book's model and training, as a
//     forecaster of the next step.
//   - a daily seasonal covariate: with each step, the value one day before the step to forecast
//     (one day in steps from the median spacing of the probationary rows), because the series
//     are machine, traffic and human activity with daily cycles; used when a day fits twice into
//     the probationary period.
//   - Numenta's anomaly likelihood on the forecast errors (likelihood.ts, nupic's defaults), and
//     its range rule: a value beyond the range seen so far by 5% of it scores 1.
//   - no further training after the probationary period (measured: it did not help on the
//     full corpus; `updateEvery` turns it on).
// protocol 'seed' (the book's, a LOOK-AHEAD baseline that is not a NAB score): min-max scaling
//   and an LstmAutoencoder over windows of 48 trained on the WHOLE series (20 epochs, MAE, Adam,
//   batch 32); per-step absolute error (mean over the windows holding the step); rows above the
//   99.9th percentile of the series' own errors score 1, the rest 0.
import { LstmAutoencoder } from '../models/detectors/lstm_autoencoder.ts';
import { onlineLstmScores } from '../models/detectors/lstm_online.ts';
import type { OnlineLstmOptions } from '../models/detectors/lstm_online.ts';
import { BUNDLED_NAB, loadNabCorpus } from '../nab/corpus.ts';
import type { NabCorpus, NabSeries } from '../nab/corpus.ts';
import { scoreNab } from '../nab/score.ts';
import type { NabReport } from '../nab/score.ts';
import { probationaryLength } from '../nab/sweep.ts';
import type { ProtocolName } from './run.ts';

export const NAB_LSTM_ID = 'nab-lstm';
const DAY_MS = 86_400_000;

export interface NabLstmOptions {
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
  onSeries?(info: NabLstmSeriesRun, done: number, total: number): void;
}

export interface NabLstmSeriesRun {
  key: string;
  rows: number;
  /** Rows the detector learned from before scoring (the probationary period; all rows for 'seed'). */
  trainRows: number;
  /** The seasonal lag in steps ('default' protocol; null when none was used). */
  seasonalLag: number | null;
  trainSeconds: number;
  scoreSeconds: number;
}

export interface NabLstmReport {
  experiment: typeof NAB_LSTM_ID;
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
  series: NabLstmSeriesRun[];
  trainSeconds: number;
  scoreSeconds: number;
  /** Rows of the corpus per second of training and scoring together. */
  samplesPerSecond: number;
}

/** The --json object (see the issue). */
export interface NabLstmJSON {
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

const MODEL = { window: 48, units: 64, dropout: 0.2, epochs: 20, batchSize: 32, learningRate: 1e-3, loss: 'mae', scaler: 'minmax' } as const;

/** The 'default' protocol's settings for one series of `rows` rows (the same rule for every series). */
export function nabLstmSettings(timestamps: ArrayLike<number>, rows: number, seed = 0, epochs?: number): OnlineLstmOptions {
  const trainSteps = Math.floor(probationaryLength(rows));
  return {
    model: { ...MODEL, seed, epochs: epochs ?? MODEL.epochs },
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

function describe(protocol: ProtocolName, epochs: number): string {
  return protocol === 'seed'
    ? `book protocol (LOOK-AHEAD: trained on the whole series): LstmAutoencoder window 48, LSTM(64) -> Dropout(0.2) -> Dense(1) per step, MAE, Adam, batch 32, ${epochs} epochs, 99.9th-percentile threshold`
    : `LstmForecaster window 48, LSTM(64) -> Dropout(0.2) -> Dense(1), MAE, Adam 1e-3, batch 32, ${epochs} epochs on the probationary rows, ` +
      'daily lag covariate, anomaly likelihood, 5% range rule';
}

async function defaultSeries(s: NabSeries, seed: number, epochs: number | undefined, signal?: AbortSignal) {
  const values = Float32Array.from(s.values);
  const settings = nabLstmSettings(s.timestamps, values.length, seed, epochs);
  const r = await onlineLstmScores(values, { ...settings, signal });
  return { scores: r.scores, trainRows: settings.trainSteps, seasonalLag: settings.seasonalLag ?? null, trainSeconds: r.trainSeconds, scoreSeconds: r.scoreSeconds };
}

async function seedSeries(s: NabSeries, seed: number, epochs: number | undefined, signal?: AbortSignal) {
  const values = Float32Array.from(s.values);
  const det = new LstmAutoencoder({ window: 48, units: 64, dropout: 0.2, epochs: epochs ?? 20, batchSize: 32, loss: 'mae', reduce: 'mean', thresholdQuantile: 0.999, seed });
  const t0 = performance.now();
  await det.fit(values, { signal });
  const t1 = performance.now();
  const flags = await det.predict(values);
  const t2 = performance.now();
  return { scores: Float32Array.from(flags), trainRows: values.length, seasonalLag: null, trainSeconds: (t1 - t0) / 1000, scoreSeconds: (t2 - t1) / 1000 };
}

/** Runs the detector of `protocol` over every series of a NAB folder and scores it with NAB's scorer. */
export async function runNabLstm(opts: NabLstmOptions = {}): Promise<NabLstmReport> {
  const protocol = opts.protocol ?? 'default';
  if (protocol !== 'default' && protocol !== 'seed') throw new RangeError(`protocol must be 'seed' or 'default', got ${JSON.stringify(protocol)}`);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  if (opts.epochs !== undefined && (!Number.isInteger(opts.epochs) || opts.epochs < 1)) throw new RangeError(`epochs must be a positive integer, got ${opts.epochs}`);
  const dataDir = opts.dataDir ?? BUNDLED_NAB;
  const corpus = loadNabCorpus(dataDir, { allowUnorderedTimes: opts.allowUnorderedTimes === true });
  const scores = new Map<string, Float32Array>();
  const runs: NabLstmSeriesRun[] = [];
  const one = protocol === 'seed' ? seedSeries : defaultSeries;
  for (const s of corpus.series) {
    opts.signal?.throwIfAborted();
    const r = await one(s, seed, opts.epochs, opts.signal);
    scores.set(s.key, r.scores);
    const run = { key: s.key, rows: s.values.length, trainRows: r.trainRows, seasonalLag: r.seasonalLag, trainSeconds: r.trainSeconds, scoreSeconds: r.scoreSeconds };
    runs.push(run);
    opts.onSeries?.(run, runs.length, corpus.series.length);
  }
  const trainSeconds = runs.reduce((a, r) => a + r.trainSeconds, 0);
  const scoreSeconds = runs.reduce((a, r) => a + r.scoreSeconds, 0);
  const rows = runs.reduce((a, r) => a + r.rows, 0);
  return {
    experiment: NAB_LSTM_ID,
    protocol,
    lookAhead: protocol === 'seed',
    detector: protocol === 'seed' ? 'vigil-lstm-book-lookahead' : 'vigil-lstm',
    model: describe(protocol, opts.epochs ?? 20),
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

export function nabLstmJSON(r: NabLstmReport): NabLstmJSON {
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

/** The tables `vigil eval nab-lstm` prints: per profile, then per series. */
export function formatNabLstm(r: NabLstmReport): string {
  const profiles = Object.values(r.report.profiles);
  const windows = r.corpus.series.reduce((a, s) => a + s.windows.length, 0);
  const head = r.lookAhead
    ? `nab-lstm (protocol seed): LOOK-AHEAD BASELINE, the book's protocol trains on the rows it scores: NOT a NAB score`
    : `nab-lstm (protocol default): NAB score (row t scored from rows 0..t only)`;
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
