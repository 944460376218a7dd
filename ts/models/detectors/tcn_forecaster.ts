// TcnForecaster: a causal TCN (keras-tcn's residual blocks, layers/tcn.ts) reads `window` steps
// and predicts the next `horizon` steps; a step is as anomalous as it is badly predicted
// (window_forecaster.ts says how steps are scored).
//
//   TCN(filters, kernelSize, dilations, last step) -> Dropout(dropout) -> Dense(horizon * targets)
//
// The convolutions are causal, so the summary at the window's last step reads the window and
// nothing after it. The defaults (32 filters, kernel 3, dilations 1, 2, 4, 8) see
// 1 + 2 * 2 * 15 = 61 steps, more than the default window of 48: every step of a window reaches
// the forecast. A window longer than the receptive field is refused, since its first steps would
// be read for nothing.
import type { Layer } from '../layers/layer.ts';
import { TCN } from '../layers/tcn.ts';
import { registerDetector } from './detector.ts';
import { knownOptions, optionNames } from '../options.ts';
import { WINDOW_FORECASTER_OPTIONS, WindowForecaster } from './window_forecaster.ts';
import type { WindowForecasterOptions } from './window_forecaster.ts';
import { int, windowModelConfig } from './window_model.ts';
import type { WindowModelConfig } from './window_model.ts';

export interface TcnForecasterOptions extends WindowForecasterOptions {
  /** Filters of every convolution (default 32). */
  filters?: number;
  /** Default 3. */
  kernelSize?: number;
  /** One residual block (two causal convolutions) per entry (default [1, 2, 4, 8]). */
  dilations?: number[];
  /** Sum the blocks' outputs (keras-tcn's use_skip_connections; default true). */
  skipConnections?: boolean;
}

export type TcnForecasterConfig = WindowModelConfig & { filters: number; kernelSize: number; dilations: number[]; skipConnections: boolean };

const FN = 'TcnForecaster';
export const TCN_FORECASTER_OPTIONS = optionNames<TcnForecasterOptions>()([...WINDOW_FORECASTER_OPTIONS, 'filters', 'kernelSize', 'dilations', 'skipConnections']);

function tcnConfig(o: TcnForecasterOptions): TcnForecasterConfig {
  if (typeof o !== 'object' || o === null) throw new TypeError(`${FN}: options must be an object`);
  knownOptions(FN, o, TCN_FORECASTER_OPTIONS);
  const d = o.dilations ?? [1, 2, 4, 8];
  if (!Array.isArray(d) || d.length === 0) throw new TypeError(`${FN}: dilations must be a non-empty array of positive integers`);
  const dilations = d.map((v, i) => int(FN, `dilations[${i}]`, v, 1, 1, 1 << 16));
  const skip = o.skipConnections ?? true;
  if (typeof skip !== 'boolean') throw new TypeError(`${FN}: skipConnections must be a boolean`);
  const c = {
    ...windowModelConfig(FN, o),
    filters: int(FN, 'filters', o.filters, 32, 1, 1 << 12),
    kernelSize: int(FN, 'kernelSize', o.kernelSize, 3, 1, 64),
    dilations,
    skipConnections: skip,
  };
  const field = 1 + 2 * (c.kernelSize - 1) * dilations.reduce((a, b) => a + b, 0);
  if (c.window > field) {
    throw new RangeError(`${FN}: window (${c.window}) is longer than the TCN's receptive field (${field} steps): widen kernelSize or dilations`);
  }
  return c;
}

export class TcnForecaster extends WindowForecaster<TcnForecasterConfig> {
  readonly modelType = 'TcnForecaster';

  constructor(opts: TcnForecasterOptions = {}) {
    super(FN, opts, tcnConfig(opts));
  }

  protected encoderCore(returnSequences: boolean): Layer[] {
    const c = this.config;
    return [new TCN({
      nbFilters: c.filters, kernelSize: c.kernelSize, dilations: [...c.dilations], useSkipConnections: c.skipConnections, returnSequences,
    })];
  }
}

registerDetector('TcnForecaster', ({ config, fitted, weights }) => {
  const d = new TcnForecaster(config as TcnForecasterOptions);
  d.loadState(fitted, weights);
  return d as never;
});
