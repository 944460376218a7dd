// Streamed scoring, shared by every model's scoreStream and by `vigil score`: input (source.ts),
// records with line numbers (records.ts), rows and columns (rows.ts), batching, bounded in-flight
// scoring and ordered results (pipeline.ts), the two model kinds (models.ts), results out (output.ts).
export { streamScores, checkStreamOptions } from './pipeline.ts';
export type { OnError, ScoredBatch, StreamModel, StreamOptions, StreamProgress } from './pipeline.ts';
export { detectorEncoder, detectorModel, textModel, DETECTOR_BATCH, TEXT_BATCH } from './models.ts';
export type { DetectorStreamOptions, TextStreamOptions } from './models.ts';
export { INPUT_FORMATS, inputFormatFor, inputName, READ_CHUNK } from './source.ts';
export type { InputFormat, StreamInput } from './source.ts';
export { readRecords } from './records.ts';
export type { InputRecord, RecordError, RecordItem, RecordOptions } from './records.ts';
export type { ColumnSpec } from './rows.ts';
export { formatBatch, formatScore, openOutputFile, outputFormatFor, outputHeader, writeScores, writeText } from './output.ts';
export type { Destination, OutputColumns, OutputFormat } from './output.ts';
