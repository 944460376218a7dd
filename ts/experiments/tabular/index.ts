// The tabular detector experiments `vigil eval` runs, by id (SEEDS.md "Tabular detectors").
import { creditcardAutoencoder } from './creditcard-autoencoder.ts';
import { creditcardRbm } from './creditcard-rbm.ts';
import { kddIforest } from './kdd-iforest.ts';
import { kddOcsvm } from './kdd-ocsvm.ts';
import { kddRbm } from './kdd-rbm.ts';
import type { TabularExperiment } from './run.ts';

export const TABULAR_EXPERIMENTS: Readonly<Record<string, TabularExperiment>> = Object.freeze({
  [kddRbm.id]: kddRbm,
  [kddIforest.id]: kddIforest,
  [kddOcsvm.id]: kddOcsvm,
  [creditcardRbm.id]: creditcardRbm,
  [creditcardAutoencoder.id]: creditcardAutoencoder,
});

export { formatSpread, formatTabularReport, runTabular, spreadOf, tabularReportJSON, thresholdedAuc } from './run.ts';
export type {
  BookFigure, LabelledTable, PreparedData, PrepareOptions, Spread, TabularExperiment, TabularReport, TabularRunOptions,
} from './run.ts';
export { CREDITCARD_TCN_ID, CREDITCARD_TCN_VARIANTS, runCreditcardTcn } from './creditcard-tcn.ts';
export type { CreditcardTcnOptions } from './creditcard-tcn.ts';
