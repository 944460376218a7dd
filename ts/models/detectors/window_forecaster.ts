// A forecaster over windows: an encoder (LstmForecaster: an LSTM; TcnForecaster: a TCN) reads
// `window` steps and a Dense layer predicts the next `horizon` steps; a step is as anomalous as it
// is badly predicted.
//
//   encoder -> Dropout(dropout) -> Dense(horizon * targets)
//
// Scores look back only: the score of step t is the mean absolute error (scaled units, averaged
// over the target features) of the forecasts of step t made from the windows that end at t - 1,
// ..., t - horizon, i.e. from steps before t, compared with step t itself. The first `window`
// steps have no forecast and score NaN. So a detector fitted once scores a stream step by step
// with the same numbers as the whole series at once.
import { Dense } from '../layers/dense.ts';
import type { Layer } from '../layers/layer.ts';
import { slidingWindows } from '../preprocessing/windows.ts';
import type { Tensor } from '../tensor.ts';
import type { JSONObject } from './detector.ts';
import type { Series } from './series.ts';
import { optionNames } from '../options.ts';
import { WINDOW_MODEL_OPTIONS, WindowModelDetector } from './window_model.ts';
import type { WindowModelConfig, WindowModelOptions } from './window_model.ts';

export interface WindowForecasterOptions extends WindowModelOptions {
  /** Steps predicted from each window (default 1). */
  horizon?: number;
  /**
   * The features to forecast and score (indices, default all). The others are covariates: inputs
   * only, e.g. a time-of-day encoding that helps predict the value but is no anomaly itself.
   */
  targets?: number[] | null;
}

export const WINDOW_FORECASTER_OPTIONS = optionNames<WindowForecasterOptions>()([...WINDOW_MODEL_OPTIONS, 'horizon', 'targets']);

export abstract class WindowForecaster<C extends WindowModelConfig = WindowModelConfig> extends WindowModelDetector<C> {
  readonly horizon: number;
  readonly targets: number[] | null;

  protected constructor(fn: string, opts: WindowForecasterOptions, config: C) {
    super(fn, opts, config);
    const h = opts.horizon ?? 1;
    if (typeof h !== 'number') throw new TypeError(`${fn}: horizon must be a number, got ${typeof h}`);
    if (!Number.isInteger(h) || h < 1 || h > 1 << 12) throw new RangeError(`${fn}: horizon must be an integer in [1, 4096], got ${h}`);
    this.horizon = h;
    const t = opts.targets ?? null;
    if (t !== null) {
      if (!Array.isArray(t) || t.length === 0) throw new TypeError(`${fn}: targets must be a non-empty array of feature indices`);
      t.forEach((v, k) => {
        if (!Number.isInteger(v) || v < 0) throw new RangeError(`${fn}: targets[${k}] must be a feature index >= 0, got ${v}`);
        if (t.indexOf(v) !== k) throw new RangeError(`${fn}: targets lists feature ${v} twice`);
      });
    }
    this.targets = t === null ? null : [...t];
  }

  private targetsOf(features: number): number[] {
    if (this.targets === null) return Array.from({ length: features }, (_, j) => j);
    const bad = this.targets.find((j) => j >= features);
    if (bad !== undefined) throw new RangeError(`${this.modelType}: targets names feature ${bad}, the series has ${features} features`);
    return this.targets;
  }

  protected ownConfig(): JSONObject {
    return { horizon: this.horizon, targets: this.targets };
  }

  protected minTrainSteps(): number {
    return this.config.window + this.horizon;
  }

  protected minScoreSteps(): number {
    return this.config.window + 1;
  }

  protected layers(features: number): Layer[] {
    return [...this.encoder(false), new Dense(this.horizon * this.targetsOf(features).length)];
  }

  protected pairs(s: Series): { x: Tensor<Float32Array>; y: Tensor<Float32Array> } {
    const targets = this.targetsOf(s.features);
    const w = slidingWindows({ data: s.data, shape: [s.steps, s.features] }, { window: this.config.window, horizon: this.horizon });
    const n = w.starts.length;
    const K = targets.length;
    const F = s.features;
    const yAll = w.y!.data;
    const y = new Float32Array(n * this.horizon * K);
    for (let i = 0, o = 0; i < n; i++) {
      for (let k = 0; k < this.horizon; k++) for (const j of targets) y[o++] = yAll[(i * this.horizon + k) * F + j];
    }
    return { x: w.x, y: { data: y, shape: [n, this.horizon * K] } };
  }

  protected async stepScores(s: Series): Promise<Float32Array> {
    const W = this.config.window;
    const H = this.horizon;
    const F = s.features;
    const targets = this.targetsOf(F);
    const K = targets.length;
    const out = new Float32Array(s.steps).fill(NaN);
    // Every window that ends before the last step forecasts at least one step of the series.
    const w = slidingWindows({ data: s.data.subarray(0, (s.steps - 1) * F), shape: [s.steps - 1, F] }, { window: W });
    const pred = await this.outputs(w.x);
    for (let t = W; t < s.steps; t++) {
      let sum = 0;
      let count = 0;
      for (let k = 1; k <= H; k++) {
        const start = t - k - W + 1;
        if (start < 0) break;
        let e = 0;
        for (let q = 0; q < K; q++) e += Math.abs(s.data[t * F + targets[q]] - pred[(start * H + k - 1) * K + q]);
        sum += e / K;
        count++;
      }
      out[t] = sum / count;
    }
    return out;
  }
}
