// Records with their line numbers, read from streamed text: CSV through the project's one CSV
// parser (quoted fields may hold line breaks, so lines are not records), JSON lines and plain
// text lines through a line splitter. A malformed record is handed on as an error item in its
// place, so the caller decides whether it stops the run or is skipped.
import { CsvParser, DataFormatError } from '../preprocessing/csv.ts';
import type { CsvSink } from '../preprocessing/csv.ts';
import { parseJsonLine } from '../preprocessing/jsonl.ts';
import type { InputFormat } from './source.ts';

/** One record: CSV fields (string[]), a JSON line's value, or a text line. */
export interface InputRecord {
  /** 1-based line of the input on which the record starts. */
  line: number;
  value: unknown;
  /** The line's text (JSON lines and text lines; '' for CSV). */
  raw: string;
}

/** A record that could not be read, in its place in the input. */
export interface RecordError {
  line: number;
  error: DataFormatError;
}

export type RecordItem = InputRecord | RecordError;

export interface RecordOptions {
  format: InputFormat;
  source: string;
  /** CSV field separator (default ','). */
  delimiter?: string;
  /**
   * The longest record held while it is incomplete (default 2^26 characters): beyond it, the
   * read stops with an error instead of buffering the rest of the input (an unclosed quote).
   */
  maxRecordChars?: number;
}

export const DEFAULT_MAX_RECORD_CHARS = 1 << 26;

/** Splits text pieces into lines (LF or CRLF), numbered from 1. */
class LineSplitter {
  #carry = '';
  #line = 1;
  constructor(private readonly max: number, private readonly source: string) {}

  push(s: string, emit: (text: string, line: number) => void): void {
    let start = 0;
    for (let k = s.indexOf('\n'); k >= 0; k = s.indexOf('\n', start)) {
      let t = this.#carry === '' ? s.slice(start, k) : this.#carry + s.slice(start, k);
      this.#carry = '';
      if (t.charCodeAt(t.length - 1) === 13) t = t.slice(0, -1);
      emit(t, this.#line++);
      start = k + 1;
    }
    if (start < s.length) {
      this.#carry += s.slice(start);
      if (this.#carry.length > this.max) {
        throw new DataFormatError(this.source, this.#line, `a line longer than ${this.max} characters; is this a line-based file?`);
      }
    }
  }

  end(emit: (text: string, line: number) => void): void {
    let t = this.#carry;
    this.#carry = '';
    if (t.charCodeAt(t.length - 1) === 13) t = t.slice(0, -1);
    if (t.length > 0) emit(t, this.#line);
  }
}

/**
 * The records of `text`, one array per piece of text read. Empty lines are not records (CSV and
 * text lines: entirely empty; JSON lines: only white space), as in csvRecords and parseJsonLines.
 */
export async function* readRecords(text: AsyncIterable<string>, o: RecordOptions): AsyncGenerator<RecordItem[]> {
  const max = o.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
  let out: RecordItem[] = [];
  let feed: (s: string) => void;
  let finish: () => void;
  if (o.format === 'csv') {
    const parser = new CsvParser({ delimiter: o.delimiter ?? ',', source: o.source });
    const sink: CsvSink = {
      record: (fields, line) => void out.push({ line, value: fields, raw: '' }),
      malformed: (line, message) => void out.push({ line, error: new DataFormatError(o.source, line, message) }),
    };
    feed = (s) => {
      parser.push(s, sink);
      if (parser.pending > max) {
        throw new DataFormatError(o.source, parser.line, `a record longer than ${max} characters (a quote left open?)`);
      }
    };
    finish = () => parser.end(sink);
  } else {
    const lines = new LineSplitter(max, o.source);
    const emit = o.format === 'jsonl'
      ? (t: string, line: number) => {
        if (t.trim() === '') return;
        try {
          out.push({ line, value: parseJsonLine(t, o.source, line), raw: t });
        } catch (err) {
          out.push({ line, error: err as DataFormatError });
        }
      }
      : (t: string, line: number) => {
        if (t.length > 0) out.push({ line, value: t, raw: t });
      };
    feed = (s) => lines.push(s, emit);
    finish = () => lines.end(emit);
  }
  let first = true;
  for await (const piece of text) {
    // A BOM can only come from text handed in as strings (inputText's decoder drops it from bytes).
    feed(first && piece.charCodeAt(0) === 0xfeff ? piece.slice(1) : piece);
    first = false;
    if (out.length > 0) {
      yield out;
      out = [];
    }
  }
  finish();
  if (out.length > 0) yield out;
}
