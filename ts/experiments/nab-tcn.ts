// `vigil eval nab-tcn`: a TCN forecaster on the Numenta Anomaly Benchmark, run and scored by
// nab-run.ts under NAB's rules (learn from the probationary period, then score row t from rows
// 0..t; the same settings for every series).
//
// Everything but the network is nab-lstm's, so that the two compare model against model: window
// 48 with the value one day earlier as a covariate, min-max scaling fitted on the probationary
// rows, MAE, Adam 1e-3, batch 32, 20 epochs, Dropout(0.2) before the Dense head, the anomaly
// likelihood and the 5% range rule. The network is keras-tcn's with its defaults where they fit
// the window: 64 filters (nb_filters), kernel 3, residual blocks with skip connections, and the
// fewest doubling dilations whose receptive field covers the window: 1, 2, 4, 8 see
// 1 + 2 * 2 * 15 = 61 >= 48 steps (keras-tcn's 1..32 would see 253 steps of a 48-step window).
import type { OnlineForecastOptions } from '../models/detectors/online_forecast.ts';
import { knownOptions } from '../models/options.ts';
import { NAB_EVAL_OPTIONS, nabSettings, runNab } from './nab-run.ts';
import type { NabEvalOptions, NabEvalReport, NabExperiment } from './nab-run.ts';

export const NAB_TCN_ID = 'nab-tcn';

export const NAB_TCN: NabExperiment = {
  id: NAB_TCN_ID,
  detector: 'vigil-tcn',
  model: {
    type: 'tcn', window: 48, filters: 64, kernelSize: 3, dilations: [1, 2, 4, 8], skipConnections: true, dropout: 0.2,
    epochs: 20, batchSize: 32, learningRate: 1e-3, loss: 'mae', scaler: 'minmax',
  },
  describe: (epochs) =>
    'TcnForecaster window 48, TCN(64 filters, kernel 3, dilations 1/2/4/8, skip connections) -> Dropout(0.2) -> Dense(1), MAE, Adam 1e-3, ' +
    `batch 32, ${epochs} epochs on the probationary rows, daily lag covariate, anomaly likelihood, 5% range rule`,
};

/** The settings for one series of `rows` rows (the same rule for every series). */
export function nabTcnSettings(timestamps: ArrayLike<number>, rows: number, seed = 0, epochs?: number): OnlineForecastOptions {
  return nabSettings(NAB_TCN, timestamps, rows, seed, epochs);
}

export async function runNabTcn(opts: NabEvalOptions = {}): Promise<NabEvalReport> {
  knownOptions('runNabTcn', opts, NAB_EVAL_OPTIONS);
  return runNab(NAB_TCN, opts);
}
