// A small RFC 4180 reader. The bundled phishing file quotes every URL and each one ends in a
// newline inside its quotes, and HttpParams payloads hold commas and doubled quotes, so splitting
// on lines or commas would corrupt rows. No CSV library is among the project's dependencies.
//
// The reader is incremental (CsvParser: push text in pieces of any size, records come out as they
// complete), so one parser serves in-memory text (csvRecords, parseCsv) and streamed input
// (ts/models/stream/), with the same rules and the same line numbers.

import { knownOptions, optionNames } from '../options.ts';

/** A malformed data file: names the file (or source) and the 1-based line where the problem is. */
export class DataFormatError extends Error {
  readonly source: string;
  readonly line: number;
  constructor(source: string, line: number, message: string) {
    super(`${source}:${line}: ${message}`);
    this.name = 'DataFormatError';
    this.source = source;
    this.line = line;
  }
}

export interface CsvOptions {
  /** Field separator (default ','). One character. */
  delimiter?: string;
  /** Quote character (default '"'; the seed's web log used '|'). One character. */
  quote?: string;
  /** Name used in error messages (default 'csv'). */
  source?: string;
}

const CSV_OPTIONS = optionNames<CsvOptions>()(['delimiter', 'quote', 'source']);

export interface CsvRecord {
  fields: string[];
  /** 1-based physical line on which the record starts. */
  line: number;
}

/** Where CsvParser delivers what it reads, in input order. */
export interface CsvSink {
  record(fields: string[], line: number): void;
  /**
   * A malformed record at `line` (text after a closing quote): the parser drops it, skips to the
   * next line break and goes on. A quote left open at the end is reported here by end().
   */
  malformed(line: number, message: string): void;
}

function oneChar(value: string, name: string): string {
  if (typeof value !== 'string' || value.length !== 1 || value === '\n' || value === '\r') {
    throw new RangeError(`csv: ${name} must be one character other than CR/LF, got ${JSON.stringify(value)}`);
  }
  return value;
}

const LF = 10;
const CR = 13;

// Parser states between two characters (and between two pushes).
const enum S {
  /** Before a record: empty lines are skipped here. */
  Record,
  /** Before a record, after a CR that ended the last push (LF may follow in the next one). */
  RecordCr,
  /** At the start of a field, after a delimiter. */
  Field,
  Unquoted,
  /** In an unquoted field, after a CR that ended the last push. */
  UnquotedCr,
  Quoted,
  /** In a quoted field, just after a quote: a closing quote, or the first of a doubled pair. */
  QuotedQuote,
  /** After a closing quote: a delimiter or a line break must follow. */
  Closed,
  ClosedCr,
  /** Dropping the rest of a malformed line. */
  Skip,
}

/**
 * Incremental RFC 4180 reader: records end at LF, CRLF or the end of the input; a quoted field may
 * hold delimiters, line breaks and doubled quotes. Lines that are entirely empty are skipped (so a
 * trailing newline adds no record). As Python's csv module does, a quote inside an unquoted field
 * is kept literally; text after a closing quote other than a delimiter or line end is a malformed
 * record, and a quote still open at the end of the input is one too.
 */
export class CsvParser {
  readonly #delim: number;
  readonly #quote: number;
  readonly #quoteChar: string;
  readonly #delimChar: string;
  #state = S.Record;
  #line = 1;
  #start = 1;
  #open = 1;
  #fields: string[] = [];
  #partial = '';
  #first = true;

  constructor(options: CsvOptions = {}) {
    knownOptions('CsvParser', options, CSV_OPTIONS);
    const delim = oneChar(options.delimiter ?? ',', 'delimiter');
    const quote = oneChar(options.quote ?? '"', 'quote');
    if (delim === quote) throw new RangeError('csv: delimiter and quote must differ');
    this.#delim = delim.charCodeAt(0);
    this.#quote = quote.charCodeAt(0);
    this.#quoteChar = quote;
    this.#delimChar = delim;
  }

  /** The 1-based line the parser has reached. */
  get line(): number {
    return this.#line;
  }

  /** Characters held for a record not yet complete (its fields so far): what a caller may cap. */
  get pending(): number {
    if (this.#state === S.Record || this.#state === S.Skip) return 0;
    let n = this.#partial.length;
    for (const f of this.#fields) n += f.length + 1;
    return n;
  }

  #emit(sink: CsvSink): void {
    const fields = this.#fields;
    this.#fields = [];
    sink.record(fields, this.#start);
  }

  /** Reads `s`, delivering every record it completes. */
  push(s: string, sink: CsvSink): void {
    const n = s.length;
    if (n === 0) return;
    let i = 0;
    if (this.#first) {
      this.#first = false;
      if (s.charCodeAt(0) === 0xfeff) i = 1;
    }
    const D = this.#delim;
    const Q = this.#quote;
    let state = this.#state;
    let nextQuote = -1;
    while (i < n) {
      switch (state) {
        case S.Record: {
          const c = s.charCodeAt(i);
          if (c === LF) {
            i++;
            this.#line++;
            continue;
          }
          if (c === CR) {
            if (i + 1 === n) {
              i++;
              state = S.RecordCr;
              continue;
            }
            if (s.charCodeAt(i + 1) === LF) {
              i += 2;
              this.#line++;
              continue;
            }
          }
          // Fast path: a whole line in this piece without a quote is its fields split at the
          // delimiter (a CR before the LF is the CRLF's; any other CR is data, as below).
          const lf = s.indexOf('\n', i);
          if (lf >= 0) {
            if (nextQuote < i) nextQuote = s.indexOf(this.#quoteChar, i) >>> 0; // -1 -> 2^32 - 1: none
            if (nextQuote > lf) {
              const end = lf > i && s.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
              sink.record(s.slice(i, end).split(this.#delimChar), this.#line);
              this.#line++;
              i = lf + 1;
              continue;
            }
          }
          this.#start = this.#line;
          state = S.Field;
          continue;
        }
        case S.RecordCr: {
          this.#start = this.#line;
          if (s.charCodeAt(i) === LF) {
            i++;
            this.#line++;
            state = S.Record;
          } else {
            // A lone CR starts an unquoted field.
            this.#partial = '\r';
            state = S.Unquoted;
          }
          continue;
        }
        case S.Field: {
          if (s.charCodeAt(i) === Q) {
            i++;
            this.#open = this.#line;
            state = S.Quoted;
          } else {
            state = S.Unquoted;
          }
          continue;
        }
        case S.Unquoted: {
          let j = i;
          let c = 0;
          for (; j < n; j++) {
            c = s.charCodeAt(j);
            if (c === D || c === LF || c === CR) break;
          }
          if (j === n) {
            this.#partial += s.slice(i);
            i = n;
            continue;
          }
          if (c === CR) {
            if (j + 1 === n) {
              this.#partial += s.slice(i, j);
              i = n;
              state = S.UnquotedCr;
              continue;
            }
            if (s.charCodeAt(j + 1) !== LF) {
              // A lone CR is data.
              this.#partial += s.slice(i, j + 1);
              i = j + 1;
              continue;
            }
          }
          this.#fields.push(this.#partial === '' ? s.slice(i, j) : this.#partial + s.slice(i, j));
          this.#partial = '';
          if (c === D) {
            i = j + 1;
            state = S.Field;
            continue;
          }
          i = c === CR ? j + 2 : j + 1;
          this.#emit(sink);
          this.#line++;
          state = S.Record;
          continue;
        }
        case S.UnquotedCr: {
          if (s.charCodeAt(i) === LF) {
            i++;
            this.#fields.push(this.#partial);
            this.#partial = '';
            this.#emit(sink);
            this.#line++;
            state = S.Record;
          } else {
            this.#partial += '\r';
            state = S.Unquoted;
          }
          continue;
        }
        case S.Quoted: {
          const q = s.indexOf(this.#quoteChar, i);
          const end = q < 0 ? n : q;
          for (let k = s.indexOf('\n', i); k >= 0 && k < end; k = s.indexOf('\n', k + 1)) this.#line++;
          this.#partial += s.slice(i, end);
          if (q < 0) {
            i = n;
          } else {
            i = q + 1;
            state = S.QuotedQuote;
          }
          continue;
        }
        case S.QuotedQuote: {
          if (s.charCodeAt(i) === Q) {
            this.#partial += this.#quoteChar;
            i++;
            state = S.Quoted;
          } else {
            this.#fields.push(this.#partial);
            this.#partial = '';
            state = S.Closed;
          }
          continue;
        }
        case S.Closed: {
          const c = s.charCodeAt(i);
          if (c === D) {
            i++;
            state = S.Field;
            continue;
          }
          if (c === LF || (c === CR && i + 1 < n && s.charCodeAt(i + 1) === LF)) {
            i += c === CR ? 2 : 1;
            this.#emit(sink);
            this.#line++;
            state = S.Record;
            continue;
          }
          if (c === CR && i + 1 === n) {
            i++;
            state = S.ClosedCr;
            continue;
          }
          state = this.#malformed(sink, s[i]);
          continue;
        }
        case S.ClosedCr: {
          if (s.charCodeAt(i) === LF) {
            i++;
            this.#emit(sink);
            this.#line++;
            state = S.Record;
          } else {
            state = this.#malformed(sink, '\r');
          }
          continue;
        }
        case S.Skip: {
          const k = s.indexOf('\n', i);
          if (k < 0) {
            i = n;
          } else {
            i = k + 1;
            this.#line++;
            state = S.Record;
          }
          continue;
        }
      }
    }
    this.#state = state;
  }

  #malformed(sink: CsvSink, c: string): S {
    this.#fields = [];
    this.#partial = '';
    sink.malformed(this.#line, `unexpected ${JSON.stringify(c)} after a closing quote`);
    return S.Skip;
  }

  /** The end of the input: delivers the last record (or reports a quote left open). */
  end(sink: CsvSink): void {
    const state = this.#state;
    this.#state = S.Record;
    switch (state) {
      case S.Record:
      case S.Skip:
        return;
      case S.Quoted:
        this.#fields = [];
        this.#partial = '';
        sink.malformed(this.#open, 'quoted field is never closed');
        return;
      case S.ClosedCr:
        this.#malformed(sink, '\r');
        return;
      case S.Closed:
        break;
      case S.RecordCr:
        this.#start = this.#line;
        this.#fields.push('\r');
        break;
      case S.UnquotedCr:
        this.#fields.push(`${this.#partial}\r`);
        break;
      default:
        // Field (after a trailing delimiter), Unquoted, QuotedQuote (the closing quote ended the input).
        this.#fields.push(this.#partial);
    }
    this.#partial = '';
    this.#emit(sink);
  }
}

// In-memory text goes to the parser in pieces, so records come out lazily and a huge text is never
// held twice.
const PIECE = 1 << 16;

/**
 * Yields the records of `text` (rules: CsvParser). A malformed record throws a DataFormatError
 * naming `options.source` and the line.
 */
export function* csvRecords(text: string, options: CsvOptions = {}): Generator<CsvRecord> {
  knownOptions('csvRecords', options, CSV_OPTIONS);
  const parser = new CsvParser(options);
  const source = options.source ?? 'csv';
  const out: CsvRecord[] = [];
  const sink: CsvSink = {
    record: (fields, line) => void out.push({ fields, line }),
    malformed: (line, message) => {
      throw new DataFormatError(source, line, message);
    },
  };
  for (let at = 0; at < text.length; at += PIECE) {
    parser.push(text.slice(at, at + PIECE), sink);
    yield* out;
    out.length = 0;
  }
  parser.end(sink);
  yield* out;
}

/** All records of `text` as arrays of fields (see csvRecords for the rules). */
export function parseCsv(text: string, options: CsvOptions = {}): string[][] {
  knownOptions('parseCsv', options, CSV_OPTIONS);
  const rows: string[][] = [];
  for (const r of csvRecords(text, options)) rows.push(r.fields);
  return rows;
}

/**
 * The 0-based index and name of the column `spec` names: a header name (a name wins over an
 * index, so a header "1" is that column), or a 0-based index (the only form without a header).
 * `what` names the option in messages ("--text-column", "text column"). Throws a RangeError.
 */
export function resolveColumn(spec: string | number, header: readonly string[] | null, width: number, what: string): { index: number; name: string } {
  const s = String(spec);
  if (header && typeof spec === 'string') {
    const hits = header.flatMap((h, i) => (h === s || h.trim() === s ? [i] : []));
    if (hits.length > 1) throw new RangeError(`${what} '${s}' names ${hits.length} columns (${hits.join(', ')}); give its 0-based index instead`);
    if (hits.length === 1) return { index: hits[0], name: header[hits[0]].trim() };
  }
  if (typeof spec === 'number' ? Number.isInteger(spec) && spec >= 0 : /^\d+$/.test(s)) {
    const index = Number(s);
    if (index >= width) {
      throw new RangeError(`${what} ${s} is out of range: the ${header ? 'header' : 'first row'} has ${width} column(s) (indices are 0-based)`);
    }
    return { index, name: header ? header[index].trim() : s };
  }
  if (!header) throw new RangeError(`${what} '${s}' is not a column index; without a header, columns are 0-based indices`);
  const names = header.map((h) => JSON.stringify(h.trim())).join(', ');
  throw new RangeError(`${what} '${s}' is not a column of the header (${names}) nor a 0-based index`);
}
