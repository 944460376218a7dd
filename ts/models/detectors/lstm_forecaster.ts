// LstmForecaster: an LSTM reads `window` steps and predicts the next `horizon` steps; a step is as
// anomalous as it is badly predicted (window_forecaster.ts says how steps are scored).
//
//   LSTM(units) -> Dropout(dropout) -> Dense(horizon * targets)
import type { Layer } from '../layers/layer.ts';
import { registerDetector } from './detector.ts';
import { lstmEncoder, lstmSeriesConfig } from './lstm_series.ts';
import type { LstmSeriesConfig, LstmSeriesOptions } from './lstm_series.ts';
import { knownOptions, optionNames } from '../options.ts';
import { WINDOW_FORECASTER_OPTIONS, WindowForecaster } from './window_forecaster.ts';
import type { WindowForecasterOptions } from './window_forecaster.ts';

export interface LstmForecasterOptions extends LstmSeriesOptions, WindowForecasterOptions {}

export const LSTM_FORECASTER_OPTIONS = optionNames<LstmForecasterOptions>()([...WINDOW_FORECASTER_OPTIONS, 'units']);

export class LstmForecaster extends WindowForecaster<LstmSeriesConfig> {
  readonly modelType = 'LstmForecaster';

  constructor(opts: LstmForecasterOptions = {}) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('LstmForecaster: options must be an object');
    knownOptions('LstmForecaster', opts, LSTM_FORECASTER_OPTIONS);
    super('LstmForecaster', opts, lstmSeriesConfig('LstmForecaster', opts));
  }

  protected encoderCore(returnSequences: boolean): Layer[] {
    return lstmEncoder(this.config, returnSequences);
  }
}

registerDetector('LstmForecaster', ({ config, fitted, weights }) => {
  const d = new LstmForecaster(config as LstmForecasterOptions);
  d.loadState(fitted, weights);
  return d as never;
});
