// The LSTM encoder of LstmForecaster and LstmAutoencoder: its option (units) on top of the window
// model's, and the layer that reads a window.
import type { Layer } from '../layers/layer.ts';
import { LSTM } from '../layers/lstm.ts';
import { optionNames } from '../options.ts';
import { int, WINDOW_MODEL_OPTIONS, windowModelConfig } from './window_model.ts';
import type { WindowModelConfig, WindowModelOptions } from './window_model.ts';

export interface LstmSeriesOptions extends WindowModelOptions {
  /** LSTM units (default 64). */
  units?: number;
}

export const LSTM_SERIES_OPTIONS = optionNames<LstmSeriesOptions>()([...WINDOW_MODEL_OPTIONS, 'units']);

export type LstmSeriesConfig = WindowModelConfig & { units: number };

/** Checks the options; throws TypeError/RangeError naming `fn` and the option. */
export function lstmSeriesConfig(fn: string, o: LstmSeriesOptions): LstmSeriesConfig {
  return { ...windowModelConfig(fn, o), units: int(fn, 'units', o.units, 64, 1, 1 << 13) };
}

/** LSTM(units) over the window: its last state, or one per step. */
export function lstmEncoder(config: LstmSeriesConfig, returnSequences: boolean): Layer[] {
  return [new LSTM(config.units, { returnSequences })];
}
