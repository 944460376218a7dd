// Text preprocessing for the sequence models: Keras-compatible character tokenizer, padding,
// seeded splits and the CSV reader the dataset loaders use.
export { CharTokenizer } from './tokenizer.ts';
export type { CharTokenizerOptions, CharTokenizerJSON } from './tokenizer.ts';
export { padSequences } from './pad.ts';
export type { PadOptions, PaddedBatch, Side } from './pad.ts';
export { trainTestSplit, permutation, takeRows } from './split.ts';
export type { SplitOptions, Split } from './split.ts';
export { csvRecords, parseCsv, DataFormatError } from './csv.ts';
export type { CsvOptions, CsvRecord } from './csv.ts';
