// The Numenta Anomaly Benchmark: corpus reader, NAB's scorer and its results files.
export { BUNDLED_NAB, checkCostMatrix, loadNabCorpus, loadNabCorpusAsync, NAB_PROFILES, nabLabels, nabWindows, NabError, readNabProfiles, readNabSeries } from './corpus.ts';
export type { LoadNabOptions, NabCorpus, NabCostMatrix, NabSeries, NabWindow } from './corpus.ts';
export { parseNabTime } from './time.ts';
export {
  bestThreshold, NAB_PROBATION_PERCENT, nabRowScores, nabRowWindows, NO_DETECTION_THRESHOLD, OUTSIDE_WINDOW, PROBATIONARY, probationaryLength,
  rowAtThreshold, scaledSigmoid, sweepOrder, sweepThresholds,
} from './sweep.ts';
export type { NabRowScores, NabThresholdRow, SweepInput } from './sweep.ts';
export { nabNormalize, nabSweep, scoreNab } from './score.ts';
export type {
  NabCounts, NabPointMetrics, NabProfileScore, NabReport, NabScores, NabSeriesScore, NabWindowResult, ScoreNabOptions,
} from './score.ts';
export { nabFinalResults, readNabResults, readNabResultsAsync, readNabResultsFile, writeNabResults, writeNabResultsAsync } from './results.ts';
export type { ReadNabResultsOptions } from './results.ts';
