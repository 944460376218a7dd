// The experiments `vigil eval` and `npm start` run, by id.
import { logBreachLstm } from './log-breach-lstm.ts';
import { payloadLstm } from './payload-lstm.ts';
import { phishingLstm } from './phishing-lstm.ts';
import type { Experiment } from './run.ts';

export const EXPERIMENTS: Readonly<Record<string, Experiment>> = Object.freeze({
  [phishingLstm.id]: phishingLstm,
  [logBreachLstm.id]: logBreachLstm,
  [payloadLstm.id]: payloadLstm,
});

export { defaultRecipe } from './default.ts';
export { formatReport, PROTOCOLS, recipeFor, reportJSON, runExperiment } from './run.ts';
export type { Experiment, ExperimentReport, ProtocolName, Recipe, ReportJSON, RunOptions, StartInfo } from './run.ts';
export { TABULAR_EXPERIMENTS, runCreditcardTcn, runTabular, formatTabularReport, formatSpread, tabularReportJSON } from './tabular/index.ts';
export type { TabularExperiment, TabularReport, TabularRunOptions } from './tabular/index.ts';
export { dailyLag, formatNab, nabJSON, nabSettings, runNab } from './nab-run.ts';
export type { NabEvalJSON, NabEvalOptions, NabEvalReport, NabExperiment, NabSeriesRun } from './nab-run.ts';
export { NAB_LSTM, NAB_LSTM_ID, nabLstmSettings, runNabLstm } from './nab-lstm.ts';
export { NAB_TCN, NAB_TCN_ID, nabTcnSettings, runNabTcn } from './nab-tcn.ts';
