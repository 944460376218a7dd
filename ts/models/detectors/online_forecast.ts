// A streaming anomaly detector built from the pieces: a forecaster (LstmForecaster by default,
// or TcnForecaster) trained on the first
// `trainSteps` steps of a series, then run over the rest as if the steps arrived one by one,
// optionally trained further every `updateEvery` steps on the latest `updateWindow` steps, its
// forecast errors turned into [0, 1] scores by the anomaly likelihood (likelihood.ts).
//
// The score of step t depends only on steps 0..t (NAB's rule): the scaler and the first model
// see steps < trainSteps only; the model that forecasts step t was last trained on steps before
// the block that holds t; the likelihood and the range check read errors and values up to t.
// Steps before trainSteps score 0 (the detector is still learning; NAB does not score them).
// Scoring a block of steps at once with a fixed model gives the numbers a step-by-step loop
// would, at a fraction of the cost.
import { NAN_HINT } from '../preprocessing/windows.ts';
import { knownOptions, optionNames } from '../options.ts';
import { AnomalyLikelihood, LIKELIHOOD_OPTIONS, likelihoodConfig } from './likelihood.ts';
import type { AnomalyLikelihoodOptions } from './likelihood.ts';
import { LSTM_FORECASTER_OPTIONS, LstmForecaster } from './lstm_forecaster.ts';
import type { LstmForecasterOptions } from './lstm_forecaster.ts';
import { toSeries } from './series.ts';
import type { Series, SeriesInput } from './series.ts';
import { TCN_FORECASTER_OPTIONS, TcnForecaster } from './tcn_forecaster.ts';
import type { TcnForecasterOptions } from './tcn_forecaster.ts';
import type { WindowForecaster } from './window_forecaster.ts';

/** Options online scoring sets itself. */
const FIXED = ['targets', 'contamination', 'thresholdQuantile', 'nan'] as const;
type Fixed = (typeof FIXED)[number];
const modelOptions = (names: readonly string[]) => ['type', ...names.filter((k) => !(FIXED as readonly string[]).includes(k))];
const MODEL_OPTIONS = { lstm: modelOptions(LSTM_FORECASTER_OPTIONS), tcn: modelOptions(TCN_FORECASTER_OPTIONS) };

/** The forecaster: `type` 'lstm' (default) or 'tcn', and that class's options. */
export type OnlineModelOptions = ({ type?: 'lstm' } & Omit<LstmForecasterOptions, Fixed>) | ({ type: 'tcn' } & Omit<TcnForecasterOptions, Fixed>);

export interface OnlineForecastOptions {
  /** The forecaster (type, window, units or filters, epochs of the first training, ...; targets are set here). */
  model?: OnlineModelOptions;
  /** Steps of the first training (e.g. NAB's probationary period); >= window + horizon. */
  trainSteps: number;
  /** Train further every this many steps (null, the default: never). */
  updateEvery?: number | null;
  /** Each further training uses the latest this many steps (default 2 * trainSteps). */
  updateWindow?: number;
  /** Epochs of each further training (default 2). */
  updateEpochs?: number;
  likelihood?: AnomalyLikelihoodOptions;
  /**
   * Score 1 for a value outside the range seen so far, widened by this share of it on each side
   * (Numenta's "spatial anomaly" rule, 0.05 in its NAB detector); null (default): off.
   */
  rangeTolerance?: number | null;
  /**
   * Feed, with each step t, the value one season before the step to forecast (t + 1 - lag) as a
   * covariate (before a full season has passed: the value at t); null (default): none.
   */
  seasonalLag?: number | null;
  signal?: AbortSignal;
  /** Called after each training: steps scored so far of the total. */
  onProgress?: (done: number, total: number) => void;
}

const OPTIONS = optionNames<OnlineForecastOptions>()([
  'model', 'trainSteps', 'updateEvery', 'updateWindow', 'updateEpochs', 'likelihood', 'rangeTolerance', 'seasonalLag', 'signal', 'onProgress',
]);

export interface OnlineForecastResult {
  /** One score per step in [0, 1]. */
  scores: Float32Array;
  /** The forecaster's error per step (scaled units; NaN where it has none). */
  errors: Float32Array;
  /** The likelihood score alone (before the range rule). */
  likelihood: Float32Array;
  /** 1 where the range rule fired. */
  outOfRange: Uint8Array;
  trainSeconds: number;
  scoreSeconds: number;
  /** Further trainings done. */
  updates: number;
}

/** [steps, 2 * features]: the values, then the values at t + 1 - lag (t itself while that is < 0). */
function withLag(s: Series, lag: number): Series {
  const F = s.features;
  const out = new Float32Array(s.steps * 2 * F);
  for (let t = 0; t < s.steps; t++) {
    const src = t + 1 - lag >= 0 ? t + 1 - lag : t;
    for (let j = 0; j < F; j++) {
      out[t * 2 * F + j] = s.data[t * F + j];
      out[t * 2 * F + F + j] = s.data[src * F + j];
    }
  }
  return { ...s, data: out, features: 2 * F };
}

function rows(s: Series, from: number, to: number): { values: { data: Float32Array; shape: number[] } } {
  return { values: { data: s.data.subarray(from * s.features, to * s.features), shape: [to - from, s.features] } };
}

function positiveInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${fn}: ${name} must be a positive integer, got ${v}`);
  return v;
}

function forecaster(fn: string, model: OnlineModelOptions, targets: number[]): WindowForecaster {
  if (typeof model !== 'object' || model === null) throw new TypeError(`${fn}: model must be an object`);
  const { type = 'lstm', ...rest } = model;
  if (type === 'lstm' || type === 'tcn') knownOptions(`${fn}: model`, model, MODEL_OPTIONS[type]);
  if (type === 'lstm') return new LstmForecaster({ ...(rest as LstmForecasterOptions), targets, nan: 'error' });
  if (type === 'tcn') return new TcnForecaster({ ...(rest as TcnForecasterOptions), targets, nan: 'error' });
  throw new RangeError(`${fn}: model.type must be 'lstm' or 'tcn', got ${JSON.stringify(type)}`);
}

/** Scores a whole series as a stream (see the file comment). */
export async function onlineForecastScores(series: SeriesInput, opts: OnlineForecastOptions): Promise<OnlineForecastResult> {
  const fn = 'onlineForecastScores';
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn}: options { trainSteps } must be an object`);
  knownOptions(fn, opts, OPTIONS);
  const trainSteps = positiveInt(fn, 'trainSteps', opts.trainSteps);
  const updateEvery = opts.updateEvery ?? null;
  if (updateEvery !== null) positiveInt(fn, 'updateEvery', updateEvery);
  const updateWindow = positiveInt(fn, 'updateWindow', opts.updateWindow ?? 2 * trainSteps);
  const updateEpochs = positiveInt(fn, 'updateEpochs', opts.updateEpochs ?? 2);
  const tol = opts.rangeTolerance ?? null;
  if (tol !== null && (typeof tol !== 'number' || !(tol >= 0 && Number.isFinite(tol)))) {
    throw new RangeError(`${fn}: rangeTolerance must be a number >= 0 or null, got ${String(tol)}`);
  }
  likelihoodConfig(fn, opts.likelihood);
  knownOptions(`${fn}: likelihood`, opts.likelihood, LIKELIHOOD_OPTIONS);
  opts.signal?.throwIfAborted();

  const model = opts.model ?? {};
  // NaN is refused: filling a gap from both sides would read the future. So the error must not
  // point at a nan option, which online scoring does not have.
  let raw: Series;
  try {
    raw = toSeries(fn, series, { minSteps: 1, nan: 'error' });
  } catch (err) {
    if (!(err instanceof RangeError && err.message.endsWith(NAN_HINT))) throw err;
    throw new RangeError(`${err.message.slice(0, -NAN_HINT.length)}: online scoring cannot fill gaps (that would read later steps); fill or drop them first`);
  }
  const lag = opts.seasonalLag ?? null;
  if (lag !== null) positiveInt(fn, 'seasonalLag', lag);
  const s = lag === null ? raw : withLag(raw, lag);
  const F = raw.features;
  const T = s.steps;
  const det = forecaster(fn, model, Array.from({ length: F }, (_, j) => j));
  const W = det.config.window;
  const H = det.horizon;
  if (trainSteps < W + H) throw new RangeError(`${fn}: trainSteps (${trainSteps}) must be at least window + horizon (${W + H})`);
  if (trainSteps >= T) throw new RangeError(`${fn}: trainSteps (${trainSteps}) leaves no step of the ${T} to score`);

  let trainMs = 0;
  let scoreMs = 0;
  const t0 = performance.now();
  await det.fit(rows(s, 0, trainSteps), { signal: opts.signal });
  trainMs += performance.now() - t0;
  opts.onProgress?.(trainSteps, T);

  const errors = new Float32Array(T).fill(NaN);
  let updates = 0;
  const step = updateEvery ?? T;
  for (let b = trainSteps; b < T; b += step) {
    const e = Math.min(T, b + step);
    const t1 = performance.now();
    // Enough history before b for the forecasts of steps b..e-1.
    const from = Math.max(0, b - W - H + 1);
    const part = await det.scoreSamples(rows(s, from, e));
    errors.set(part.subarray(b - from), b);
    scoreMs += performance.now() - t1;
    if (e < T && updateEvery !== null) {
      const t2 = performance.now();
      await det.partialFit(rows(s, Math.max(0, e - updateWindow), e), { epochs: updateEpochs, signal: opts.signal });
      trainMs += performance.now() - t2;
      updates++;
    }
    opts.onProgress?.(e, T);
  }

  const t3 = performance.now();
  const lik = new AnomalyLikelihood(opts.likelihood);
  const likelihood = new Float32Array(T);
  for (let t = trainSteps; t < T; t++) likelihood[t] = lik.update(errors[t]);
  const scores = Float32Array.from(likelihood);
  const outOfRange = new Uint8Array(T);
  if (tol !== null) {
    const lo = new Float64Array(F).fill(Infinity);
    const hi = new Float64Array(F).fill(-Infinity);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < F; j++) {
        const v = raw.data[t * F + j];
        const span = hi[j] - lo[j];
        if (t >= trainSteps && span > 0 && (v > hi[j] + tol * span || v < lo[j] - tol * span)) outOfRange[t] = 1;
        if (v < lo[j]) lo[j] = v;
        if (v > hi[j]) hi[j] = v;
      }
      if (outOfRange[t]) scores[t] = 1;
    }
  }
  scoreMs += performance.now() - t3;
  return { scores, errors, likelihood, outOfRange, trainSeconds: trainMs / 1000, scoreSeconds: scoreMs / 1000, updates };
}
