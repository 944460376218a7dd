// Streamed scoring: input -> text -> records -> rows -> batches -> model -> scored batches, in
// input order, with memory that does not grow with the input.
//
// - Backpressure: nothing is read ahead of the consumer. The generator reads and parses only when
//   fewer than `maxInFlight` batches are being scored, and it scores only when the consumer asks
//   for the next result; the file read pauses in between (the Readable's own buffer).
// - Pipelining: a batch is handed to the model (whose kernels run off the event loop), then the
//   next batch is read and parsed on the main thread while the first is scored.
// - Order: results are kept in a FIFO of promises and awaited from its head, so a batch that
//   finishes early waits for the ones before it.
// - Bad rows: a row that cannot be read or used is an error naming its line. With onError 'stop'
//   (the default), every row before it is scored and yielded, then the iteration throws it; with
//   'skip', onSkip hears of it and the run goes on; either way no row is dropped silently.
import { knownOptions, optionNames } from '../options.ts';
import { DataFormatError } from '../preprocessing/csv.ts';
import type { Cell } from '../preprocessing/encoders.ts';
import { readRecords } from './records.ts';
import { RowBatch, RowReader } from './rows.ts';
import type { ColumnSpec, PayloadSpec, RowError } from './rows.ts';
import { INPUT_FORMATS, inputFormatFor, inputName, inputText, openInput } from './source.ts';
import type { InputFormat, StreamInput } from './source.ts';

/** Scores of consecutive rows of the input (skipped rows leave gaps in `rows`). */
export interface ScoredBatch {
  /** Each row's 0-based index among the input's records (a CSV header is not counted). */
  rows: Float64Array;
  /** The 1-based line of the input on which each row starts. */
  lines: Float64Array;
  /** Each row's id (idColumn), or null without one. */
  ids: string[] | null;
  /** Each row's label as 0/1 (labelColumn), or null without one. */
  labels: Uint8Array | null;
  /** Sequential: the model's output (a probability for a sigmoid classifier); detectors: the anomaly score. */
  scores: Float32Array;
  /** Detectors: 1 = anomaly (score above the threshold); null for Sequential models. */
  predictions: Uint8Array | null;
}

export interface StreamProgress {
  /** Rows scored and yielded so far. */
  rows: number;
  /** Malformed rows skipped so far (onError 'skip'). */
  skipped: number;
  /** Bytes of the input read so far (compressed bytes for gzip). */
  bytes: number;
}

export type OnError = 'stop' | 'skip';

/** Options every model's scoreStream takes. */
export interface StreamOptions {
  /** 'csv' | 'jsonl' | 'lines'; default: from the file name (.jsonl, .ndjson, .txt, .log, .csv, .tsv; .gz ignored), else 'csv'. */
  format?: InputFormat;
  /** CSV: the first record names the columns (default true). */
  header?: boolean;
  /** CSV field separator (default ',', or a tab for .tsv files). */
  delimiter?: string;
  /** A column (CSV) or field (JSON lines) carried into the results as each row's id. */
  idColumn?: ColumnSpec;
  /** A column or field of 0/1 labels (or labelNames) carried into the results. */
  labelColumn?: ColumnSpec;
  /** The two label values [negative, positive] when they are not 0 and 1. */
  labelNames?: readonly [string, string] | null;
  /** Rows per model call (default: the model's, 256 for Sequential, 4096 for detectors). */
  batchSize?: number;
  /** Batches read ahead and being scored at once (default 2: one scored while the next is parsed). */
  maxInFlight?: number;
  /** A malformed row stops the run ('stop', default: the iteration throws its DataFormatError) or is skipped ('skip'). */
  onError?: OnError;
  /** Called for each skipped row with its error (which names the line) and its 0-based row index. */
  onSkip?: (error: DataFormatError, row: number) => void;
  /** Called before each batch is yielded. */
  onProgress?: (progress: StreamProgress) => void;
  /** Aborting stops the run at the next batch; the iteration rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Name of the input in messages (default: its file name, or 'input'). */
  source?: string;
  /** The longest record held while incomplete, in characters (default 2^26): an unclosed quote stops there. */
  maxRecordChars?: number;
}

/** A model as the pipeline drives it. */
export interface StreamModel<X> {
  /** What each row must give the model. */
  payload: PayloadSpec;
  /** The batch size when the options give none. */
  batchSize: number;
  /** Called once the input's feature columns are known (their names): throws when they cannot fit the model. */
  columnsKnown?(names: string[]): void;
  /** The model input for a batch (main thread), or the first row it cannot use. */
  prepare(payload: Array<string | Cell[]>): { input: X } | { bad: number; message: string };
  /** Scores a prepared batch of `rows` rows (off the event loop). */
  score(input: X, rows: number): Promise<{ scores: Float32Array; predictions: Uint8Array | null }>;
  /** Options of its own the model reads (a text model's preprocessing, ...): streamScores accepts them beside StreamOptions. */
  optionNames?: readonly string[];
}

const STREAM_OPTIONS = optionNames<StreamOptions>()([
  'format', 'header', 'delimiter', 'idColumn', 'labelColumn', 'labelNames', 'batchSize', 'maxInFlight', 'onError', 'onSkip', 'onProgress',
  'signal', 'source', 'maxRecordChars',
]);

interface Checked {
  format: InputFormat;
  header: boolean;
  delimiter: string;
  source: string;
  batchSize: number;
  maxInFlight: number;
  onError: OnError;
  onSkip: StreamOptions['onSkip'];
  onProgress: StreamOptions['onProgress'];
  signal: AbortSignal | undefined;
  maxRecordChars: number | undefined;
  idColumn: ColumnSpec | null;
  labelColumn: ColumnSpec | null;
  labelNames: readonly [string, string] | null;
}

function column(fn: string, name: string, v: unknown): ColumnSpec | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' ? v.length === 0 : !(typeof v === 'number' && Number.isInteger(v) && v >= 0)) {
    throw new TypeError(`${fn}: ${name} must be a column name or a 0-based index, got ${JSON.stringify(v)}`);
  }
  return v as ColumnSpec;
}

function count(fn: string, name: string, v: unknown, dflt: number, maxLog2 = 24): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < 1 || v > 2 ** maxLog2) throw new RangeError(`${fn}: ${name} must be an integer in [1, 2^${maxLog2}], got ${v}`);
  return v;
}

/** Checks the shared options (TypeError/RangeError naming the option). */
export function checkStreamOptions(fn: string, input: StreamInput, o: StreamOptions, defaultBatch: number): Checked {
  if (typeof o !== 'object' || o === null) throw new TypeError(`${fn}: options must be an object`);
  const name = inputName(input);
  if (o.format !== undefined && !INPUT_FORMATS.includes(o.format)) {
    throw new RangeError(`${fn}: format must be ${INPUT_FORMATS.map((f) => `'${f}'`).join(', ')}, got ${JSON.stringify(o.format)}`);
  }
  const format = o.format ?? (name === null ? null : inputFormatFor(name)) ?? 'csv';
  if (o.header !== undefined && typeof o.header !== 'boolean') throw new TypeError(`${fn}: header must be a boolean`);
  const tsv = name !== null && /\.tsv(\.gz)?$/i.test(name);
  const delimiter = o.delimiter ?? (tsv ? '\t' : ',');
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new RangeError(`${fn}: delimiter must be one character other than a quote or line break, got ${JSON.stringify(o.delimiter)}`);
  }
  if (o.onError !== undefined && o.onError !== 'stop' && o.onError !== 'skip') {
    throw new RangeError(`${fn}: onError must be 'stop' or 'skip', got ${JSON.stringify(o.onError)}`);
  }
  for (const k of ['onSkip', 'onProgress'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'function') throw new TypeError(`${fn}: ${k} must be a function`);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError(`${fn}: signal must be an AbortSignal`);
  if (o.source !== undefined && (typeof o.source !== 'string' || o.source === '')) throw new TypeError(`${fn}: source must be a non-empty string`);
  const ln = o.labelNames ?? null;
  if (ln !== null && (!Array.isArray(ln) || ln.length !== 2 || ln.some((v) => typeof v !== 'string') || ln[0] === ln[1])) {
    throw new TypeError(`${fn}: labelNames must be two different strings [negative, positive], got ${JSON.stringify(ln)}`);
  }
  return {
    format,
    header: o.header ?? true,
    delimiter,
    source: o.source ?? name ?? 'input',
    batchSize: count(fn, 'batchSize', o.batchSize, defaultBatch),
    maxInFlight: count(fn, 'maxInFlight', o.maxInFlight, 2),
    onError: o.onError ?? 'stop',
    onSkip: o.onSkip,
    onProgress: o.onProgress,
    signal: o.signal,
    maxRecordChars: o.maxRecordChars === undefined ? undefined : count(fn, 'maxRecordChars', o.maxRecordChars, 0, 29),
    idColumn: column(fn, 'idColumn', o.idColumn),
    labelColumn: column(fn, 'labelColumn', o.labelColumn),
    labelNames: ln,
  };
}

/**
 * Scores `input` with `model` as an async iterable of ScoredBatch, in input order. Options are
 * checked now (a TypeError or RangeError naming the option); the input is read as the iteration
 * asks for results. Breaking out of the iteration closes the input.
 */
export function streamScores<X>(fn: string, input: StreamInput, model: StreamModel<X>, options: StreamOptions = {}): AsyncGenerator<ScoredBatch> {
  const o = checkStreamOptions(fn, input, options, model.batchSize);
  knownOptions(fn, options, [...STREAM_OPTIONS, ...(model.optionNames ?? [])]);
  const reader = new RowReader({
    format: o.format, source: o.source, header: o.header, payload: model.payload,
    idColumn: o.idColumn, labelColumn: o.labelColumn, labelNames: o.labelNames,
  });
  return run(openInput(fn, input), reader, model, o);
}

function scored(b: RowBatch, r: { scores: Float32Array; predictions: Uint8Array | null }): ScoredBatch {
  if (r.scores.length !== b.size) throw new Error(`the model gave ${r.scores.length} scores for ${b.size} rows (one output per row is needed)`);
  return {
    rows: Float64Array.from(b.rows),
    lines: Float64Array.from(b.lines),
    ids: b.ids,
    labels: b.labels && Uint8Array.from(b.labels),
    scores: r.scores,
    predictions: r.predictions,
  };
}

async function* run<X>(bytes: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, reader: RowReader, model: StreamModel<X>,
  o: Checked): AsyncGenerator<ScoredBatch> {
  let read = 0;
  const text = inputText(bytes, { source: o.source, onBytes: (n) => (read += n) });
  const records = readRecords(text, { format: o.format, source: o.source, delimiter: o.delimiter, maxRecordChars: o.maxRecordChars });
  const withIds = o.idColumn !== null;
  const withLabels = o.labelColumn !== null;
  const queue: Array<Promise<ScoredBatch>> = [];
  let batch = new RowBatch(withIds, withLabels);
  let failure: DataFormatError | null = null;
  let done = 0;
  let skipped = 0;
  let columnsChecked = false;

  // Skipped rows are reported when their batch is handed on, in row order: a record the parser
  // refused is seen before the batch's preparation refuses an earlier row.
  let skips: RowError[] = [];
  const skip = (e: RowError) => void skips.push(e);
  const reportSkips = () => {
    if (skips.length === 0) return;
    skips.sort((a, b) => a.row - b.row);
    for (const e of skips) {
      skipped++;
      o.onSkip?.(e.error, e.row);
    }
    skips = [];
  };
  // Hands the batch to the model; returns false when a row of it stopped the run.
  const submit = (): boolean => {
    let ok = true;
    while (batch.size > 0) {
      const p = model.prepare(batch.payload);
      if ('input' in p) {
        const b = batch;
        const job = model.score(p.input, b.size).then((r) => scored(b, r));
        job.catch(() => undefined); // awaited in order below; this only keeps a later failure from being "unhandled" meanwhile
        queue.push(job);
        break;
      }
      const e: RowError = { row: batch.rows[p.bad], error: new DataFormatError(o.source, batch.lines[p.bad], p.message) };
      if (o.onError === 'stop') {
        batch.truncate(p.bad);
        failure = e.error;
        ok = false;
      } else {
        batch.remove(p.bad);
        skip(e);
      }
    }
    batch = new RowBatch(withIds, withLabels);
    reportSkips();
    return ok;
  };
  const emit = (s: ScoredBatch): ScoredBatch => {
    o.signal?.throwIfAborted();
    done += s.scores.length;
    o.onProgress?.({ rows: done, skipped, bytes: read });
    return s;
  };

  reading: for await (const items of records) {
    o.signal?.throwIfAborted();
    for (const item of items) {
      let bad: RowError | null;
      if ('error' in item) {
        if (reader.awaitingHeader) throw item.error; // without its header the file cannot be read at all
        bad = { row: reader.skipRecord(), error: item.error };
      } else {
        bad = reader.take(item, batch);
        if (!columnsChecked && reader.featureNames !== null) {
          columnsChecked = true;
          model.columnsKnown?.(reader.featureNames);
        }
      }
      if (bad !== null) {
        if (o.onError === 'skip') {
          skip(bad);
          continue;
        }
        if (submit()) failure = bad.error;
        break reading;
      }
      if (batch.size >= o.batchSize) {
        if (!submit()) break reading;
        while (queue.length >= o.maxInFlight) yield emit(await queue.shift()!);
      }
    }
  }
  if (failure === null) submit();
  while (queue.length > 0) yield emit(await queue.shift()!);
  if (failure !== null) throw failure;
}
