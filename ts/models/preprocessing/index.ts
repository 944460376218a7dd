// Preprocessing: Keras-compatible character tokenizer, padding, seeded splits, the CSV and JSON
// lines readers the dataset loaders use, and for the detectors scikit-learn's scalers and
// encoders and sliding windows over time series.
export { CharTokenizer } from './tokenizer.ts';
export type { CharTokenizerOptions, CharTokenizerJSON } from './tokenizer.ts';
export { padSequences } from './pad.ts';
export type { PadOptions, PaddedBatch, Side } from './pad.ts';
export { trainTestSplit, groupTrainTestSplit, permutation, takeRows } from './split.ts';
export type { SplitOptions, GroupSplitOptions, Split } from './split.ts';
export { csvRecords, parseCsv, CsvParser, DataFormatError, resolveColumn } from './csv.ts';
export type { CsvOptions, CsvRecord, CsvSink } from './csv.ts';
export { parseJsonLine, parseJsonLines, readJsonLines, readJsonLinesAsync } from './jsonl.ts';
export { StandardScaler, MinMaxScaler } from './scalers.ts';
export type { StandardScalerOptions, StandardScalerJSON, MinMaxScalerOptions, MinMaxScalerJSON } from './scalers.ts';
export { LabelEncoder, ColumnEncoder, compareCodePoints, parseNumberCell } from './encoders.ts';
export type {
  Cell, ColumnEncoderJSON, ColumnEncoderOptions, Label, LabelEncoderJSON, LabelEncoderOptions, UnknownPolicy,
} from './encoders.ts';
export { slidingWindows, stepScores } from './windows.ts';
export type { NanPolicy, StepReduce, StepScoreOptions, WindowOptions, Windows } from './windows.ts';
export { TabularPipeline } from './tabular_pipeline.ts';
export type { TabularPipelineJSON, TabularPipelineOptions, TabularScale } from './tabular_pipeline.ts';
