// LstmAutoencoder: an LSTM trained to reproduce each window of `window` steps, as the book does
// (windows of 48):
//
//   LSTM(units, returnSequences) -> Dropout(dropout) -> Dense(features) applied to every step
//
// (Keras' TimeDistributed(Dense): vigil's Dense maps the last axis of [batch, time, units]).
// Each window step gets the absolute reconstruction error of its values (scaled units, averaged
// over the features); `reduce` turns window-step errors into one score per step:
// - 'last' (default): step t scores its error in the window that ends at t, computed from steps
//   t - window + 1 .. t only: final as soon as step t is known, so a stream gets the same numbers;
//   the first window - 1 steps score NaN.
// - 'mean' / 'max': over every window that holds the step. The LSTM runs forward, so a window
//   step's reconstruction reads no later step, but a step's score changes as later steps bring the
//   windows that end after it: offline use only (not streaming, not NAB). The first window - 1
//   steps appear only near window starts, where the LSTM has no context yet, and score high.
import { Dense } from '../layers/dense.ts';
import type { Layer } from '../layers/layer.ts';
import { slidingWindows, stepScores } from '../preprocessing/windows.ts';
import type { StepReduce } from '../preprocessing/windows.ts';
import type { Tensor } from '../tensor.ts';
import { registerDetector } from './detector.ts';
import type { JSONObject } from './detector.ts';
import { knownOptions, optionNames } from '../options.ts';
import { LSTM_SERIES_OPTIONS, lstmEncoder, lstmSeriesConfig } from './lstm_series.ts';
import type { LstmSeriesConfig, LstmSeriesOptions } from './lstm_series.ts';
import type { Series } from './series.ts';
import { WindowModelDetector } from './window_model.ts';

export interface LstmAutoencoderOptions extends LstmSeriesOptions {
  /** How window-step errors become step scores (default 'last': no look-ahead). */
  reduce?: StepReduce;
}

const OPTIONS = optionNames<LstmAutoencoderOptions>()([...LSTM_SERIES_OPTIONS, 'reduce']);

export class LstmAutoencoder extends WindowModelDetector<LstmSeriesConfig> {
  readonly modelType = 'LstmAutoencoder';
  readonly reduce: StepReduce;

  constructor(opts: LstmAutoencoderOptions = {}) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('LstmAutoencoder: options must be an object');
    knownOptions('LstmAutoencoder', opts, OPTIONS);
    super('LstmAutoencoder', opts, lstmSeriesConfig('LstmAutoencoder', opts));
    const r = opts.reduce ?? 'last';
    if (r !== 'last' && r !== 'mean' && r !== 'max') {
      throw new RangeError(`LstmAutoencoder: reduce must be 'last', 'mean' or 'max', got ${JSON.stringify(r)}`);
    }
    this.reduce = r;
  }

  protected ownConfig(): JSONObject {
    return { reduce: this.reduce };
  }

  protected encoderCore(returnSequences: boolean): Layer[] {
    return lstmEncoder(this.config, returnSequences);
  }

  protected minTrainSteps(): number {
    return this.config.window;
  }

  protected minScoreSteps(): number {
    return this.config.window;
  }

  protected layers(features: number): Layer[] {
    return [...this.encoder(true), new Dense(features)];
  }

  protected pairs(s: Series): { x: Tensor<Float32Array>; y: Tensor<Float32Array> } {
    const w = slidingWindows({ data: s.data, shape: [s.steps, s.features] }, { window: this.config.window });
    return { x: w.x, y: w.x };
  }

  /** Absolute reconstruction error of every window step, [windows, window], and the windows' starts. */
  protected async windowErrors(s: Series): Promise<{ errors: Tensor<Float32Array>; starts: Int32Array }> {
    const W = this.config.window;
    const F = s.features;
    const w = slidingWindows({ data: s.data, shape: [s.steps, F] }, { window: W });
    const rec = await this.outputs(w.x);
    const x = w.x.data;
    const n = w.starts.length;
    const errors = new Float32Array(n * W);
    for (let i = 0; i < n * W; i++) {
      let e = 0;
      for (let j = 0; j < F; j++) e += Math.abs(x[i * F + j] - rec[i * F + j]);
      errors[i] = e / F;
    }
    return { errors: { data: errors, shape: [n, W] }, starts: w.starts };
  }

  protected async stepScores(s: Series): Promise<Float32Array> {
    const { errors, starts } = await this.windowErrors(s);
    return stepScores(errors, starts, { window: this.config.window, length: s.steps, reduce: this.reduce });
  }
}

registerDetector('LstmAutoencoder', ({ config, fitted, weights }) => {
  const d = new LstmAutoencoder(config as LstmAutoencoderOptions);
  d.loadState(fitted, weights);
  return d as never;
});
