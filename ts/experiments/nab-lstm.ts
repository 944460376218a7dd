// `vigil eval nab-lstm`: LSTM anomaly detection on the Numenta Anomaly Benchmark, run and scored by
// nab-run.ts under NAB's rules.
//
// protocol 'default' (vigil's detector, the NAB score): for every series, with the same settings,
//   an LstmForecaster is trained on NAB's probationary period (the first 15% of the rows, at most
//   750) and streamed over the rest (online_forecast.ts): the score of row t reads rows 0..t only.
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
import type { OnlineForecastOptions } from '../models/detectors/online_forecast.ts';
import { knownOptions } from '../models/options.ts';
import { NAB_EVAL_OPTIONS, nabSettings, runNab } from './nab-run.ts';
import type { NabEvalOptions, NabEvalReport, NabExperiment } from './nab-run.ts';

export const NAB_LSTM_ID = 'nab-lstm';

export const NAB_LSTM: NabExperiment = {
  id: NAB_LSTM_ID,
  detector: 'vigil-lstm',
  model: { type: 'lstm', window: 48, units: 64, dropout: 0.2, epochs: 20, batchSize: 32, learningRate: 1e-3, loss: 'mae', scaler: 'minmax' },
  describe: (epochs) =>
    `LstmForecaster window 48, LSTM(64) -> Dropout(0.2) -> Dense(1), MAE, Adam 1e-3, batch 32, ${epochs} epochs on the probationary rows, ` +
    'daily lag covariate, anomaly likelihood, 5% range rule',
  seed: {
    detector: 'vigil-lstm-book-lookahead',
    describe: (epochs) =>
      `book protocol (LOOK-AHEAD: trained on the whole series): LstmAutoencoder window 48, LSTM(64) -> Dropout(0.2) -> Dense(1) per step, MAE, Adam, batch 32, ${epochs} epochs, 99.9th-percentile threshold`,
    async run(values, seed, epochs, signal) {
      const det = new LstmAutoencoder({ window: 48, units: 64, dropout: 0.2, epochs: epochs ?? 20, batchSize: 32, loss: 'mae', reduce: 'mean', thresholdQuantile: 0.999, seed });
      const t0 = performance.now();
      await det.fit(values, { signal });
      const t1 = performance.now();
      const flags = await det.predict(values);
      const t2 = performance.now();
      return { scores: Float32Array.from(flags), trainRows: values.length, trainSeconds: (t1 - t0) / 1000, scoreSeconds: (t2 - t1) / 1000 };
    },
  },
};

/** The 'default' protocol's settings for one series of `rows` rows (the same rule for every series). */
export function nabLstmSettings(timestamps: ArrayLike<number>, rows: number, seed = 0, epochs?: number): OnlineForecastOptions {
  return nabSettings(NAB_LSTM, timestamps, rows, seed, epochs);
}

export async function runNabLstm(opts: NabEvalOptions = {}): Promise<NabEvalReport> {
  knownOptions('runNabLstm', opts, NAB_EVAL_OPTIONS);
  return runNab(NAB_LSTM, opts);
}
