// Online anomaly likelihood: turns a stream of raw anomaly scores (a forecaster's errors, in any
// unit) into scores in [0, 1] that mean the same on every series, after Numenta's anomaly
// likelihood (Ahmad et al. 2017, "Unsupervised real-time anomaly detection for streaming data";
// semantics read from nupic's anomaly_likelihood.py, reimplemented here):
//
// 1. The raw score is averaged over the last `averagingWindow` steps (the current one included),
//    so one noisy step counts less than a run of bad ones.
// 2. A Gaussian is fitted to the averages of the last `historyWindow` steps (mean and population
//    variance, floored at `minMean` and `minStd` so that a near-perfect forecaster does not turn
//    the slightest blip into an alarm), re-estimated every `reestimateEvery` steps; until
//    `minSamples` averages were seen there is no Gaussian and the score is 0.
// 3. The current average's upper tail probability q = P(X >= average) under that Gaussian (the
//    raw score is an error: only larger is worse; nupic's two-sided tail also flags "too good").
// 4. Runs: when the previous step was already in the red zone (q <= redZone), q is raised to
//    yellowZone, so an episode alarms at its onset rather than at every one of its steps.
// 5. score = ln(q + 1e-10) / ln(1e-10), clamped to [0, 1]: 0.5 is q = 1e-5, 1 is q -> 0.
//
// Each score depends only on the raw scores up to its step.

import { knownOptions, optionNames } from '../options.ts';

export interface AnomalyLikelihoodOptions {
  /** Steps averaged (default 10, nupic's). */
  averagingWindow?: number;
  /** Averages the Gaussian is fitted to (default 8640, nupic's: a month of 5-minute steps). */
  historyWindow?: number;
  /** Averages needed before the first Gaussian (default 100). */
  minSamples?: number;
  /** Steps between re-estimates (default 100, nupic's). */
  reestimateEvery?: number;
  /** Floor of the Gaussian's mean (default 0.03, nupic's, for raw scores in units of a [0, 1] range). */
  minMean?: number;
  /** Floor of its standard deviation (default sqrt(0.0003), nupic's variance floor). */
  minStd?: number;
  /** Tail probability of the red zone (default 1e-5, nupic's 0.99999 likelihood). */
  redZone?: number;
  /** What a red step right after a red step is raised to (default 1e-3, nupic's 0.999). */
  yellowZone?: number;
}

export type AnomalyLikelihoodConfig = Required<AnomalyLikelihoodOptions>;

export const LIKELIHOOD_OPTIONS = optionNames<AnomalyLikelihoodOptions>()([
  'averagingWindow', 'historyWindow', 'minSamples', 'reestimateEvery', 'minMean', 'minStd', 'redZone', 'yellowZone',
]);

const LOG_FLOOR = 1e-10;

/**
 * Complementary error function, relative error below 1.2e-7 over the whole line (Chebyshev
 * fit of Press et al., Numerical Recipes §6.2): the tails are what matter here.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(poly);
  return x >= 0 ? r : 2 - r;
}

/** P(X >= x) for X ~ N(mean, std²). */
export function upperTail(x: number, mean: number, std: number): number {
  return 0.5 * erfc((x - mean) / (std * Math.SQRT2));
}

/** The [0, 1] score of a tail probability q: ln(q + 1e-10) / ln(1e-10), clamped. */
export function logScore(q: number): number {
  const s = Math.log(q + LOG_FLOOR) / Math.log(LOG_FLOOR);
  return s < 0 ? 0 : s > 1 ? 1 : s;
}

function count(fn: string, name: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < min || v > 2 ** 30) throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

function real(fn: string, name: string, v: unknown, dflt: number, ok: (x: number) => boolean, what: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!ok(v)) throw new RangeError(`${fn}: ${name} must be ${what}, got ${v}`);
  return v;
}

/** Checks likelihood options, filling in the defaults. */
export function likelihoodConfig(fn: string, o: AnomalyLikelihoodOptions = {}): AnomalyLikelihoodConfig {
  if (o === null || typeof o !== 'object') throw new TypeError(`${fn}: likelihood options must be an object`);
  const c: AnomalyLikelihoodConfig = {
    averagingWindow: count(fn, 'averagingWindow', o.averagingWindow, 10, 1),
    historyWindow: count(fn, 'historyWindow', o.historyWindow, 8640, 2),
    minSamples: count(fn, 'minSamples', o.minSamples, 100, 2),
    reestimateEvery: count(fn, 'reestimateEvery', o.reestimateEvery, 100, 1),
    minMean: real(fn, 'minMean', o.minMean, 0.03, (x) => Number.isFinite(x), 'finite'),
    minStd: real(fn, 'minStd', o.minStd, Math.sqrt(3e-4), (x) => x > 0 && Number.isFinite(x), 'a positive number'),
    redZone: real(fn, 'redZone', o.redZone, 1e-5, (x) => x > 0 && x < 1, 'in (0, 1)'),
    yellowZone: real(fn, 'yellowZone', o.yellowZone, 1e-3, (x) => x > 0 && x < 1, 'in (0, 1)'),
  };
  if (c.minSamples > c.historyWindow) throw new RangeError(`${fn}: minSamples (${c.minSamples}) exceeds historyWindow (${c.historyWindow})`);
  if (!(c.yellowZone > c.redZone)) throw new RangeError(`${fn}: yellowZone (${c.yellowZone}) must be above redZone (${c.redZone})`);
  return c;
}

/** Streaming state: feed raw scores one step at a time with update(). */
export class AnomalyLikelihood {
  readonly config: AnomalyLikelihoodConfig;
  private readonly recent: Float64Array;
  private recentSum = 0;
  private recentCount = 0;
  private readonly history: Float64Array;
  private historyCount = 0;
  private historyNext = 0;
  private sinceEstimate = 0;
  private gaussian: { mean: number; std: number } | null = null;
  private prevRed = false;
  /** Steps seen (update calls with a number). */
  steps = 0;

  constructor(opts: AnomalyLikelihoodOptions = {}) {
    knownOptions('AnomalyLikelihood', opts, LIKELIHOOD_OPTIONS);
    this.config = likelihoodConfig('AnomalyLikelihood', opts);
    this.recent = new Float64Array(this.config.averagingWindow);
    this.history = new Float64Array(this.config.historyWindow);
  }

  /** The fitted Gaussian of the averages (null before minSamples of them). */
  get distribution(): { mean: number; std: number } | null {
    return this.gaussian && { ...this.gaussian };
  }

  private estimate(): void {
    const n = this.historyCount;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += this.history[i];
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (this.history[i] - mean) ** 2;
    const c = this.config;
    this.gaussian = { mean: Math.max(mean, c.minMean), std: Math.max(Math.sqrt(sq / n), c.minStd) };
    this.sinceEstimate = 0;
  }

  /**
   * The score of the next step from its raw score (finite). NaN (a step without a raw score, e.g.
   * before a forecaster's first window) scores 0 and leaves the state as it was.
   */
  update(raw: number): number {
    if (typeof raw !== 'number') throw new TypeError(`AnomalyLikelihood.update: raw must be a number, got ${typeof raw}`);
    if (Number.isNaN(raw)) return 0;
    if (!Number.isFinite(raw)) throw new RangeError(`AnomalyLikelihood.update: raw must be finite, got ${raw}`);
    const c = this.config;
    const slot = this.steps % c.averagingWindow;
    if (this.recentCount === c.averagingWindow) this.recentSum -= this.recent[slot];
    else this.recentCount++;
    this.recent[slot] = raw;
    this.recentSum += raw;
    const avg = this.recentSum / this.recentCount;
    this.steps++;

    // Judged against the averages before it, then added to them.
    if (this.historyCount >= c.minSamples && (this.gaussian === null || this.sinceEstimate >= c.reestimateEvery)) this.estimate();
    let score = 0;
    if (this.gaussian) {
      let q = upperTail(avg, this.gaussian.mean, this.gaussian.std);
      const red = q <= c.redZone;
      if (red && this.prevRed) q = c.yellowZone;
      this.prevRed = red;
      score = logScore(q);
    }
    this.history[this.historyNext] = avg;
    this.historyNext = (this.historyNext + 1) % c.historyWindow;
    this.historyCount = Math.min(this.historyCount + 1, c.historyWindow);
    this.sinceEstimate++;
    return score;
  }

  /** update() over a whole array of raw scores. */
  updateAll(raw: ArrayLike<number>): Float32Array {
    const out = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = this.update(raw[i]);
    return out;
  }
}
