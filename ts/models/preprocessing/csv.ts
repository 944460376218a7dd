// A small RFC 4180 reader. The bundled phishing file quotes every URL and each one ends in a
// newline inside its quotes, and HttpParams payloads hold commas and doubled quotes, so splitting
// on lines or commas would corrupt rows. No CSV library is among the project's dependencies.

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

export interface CsvRecord {
  fields: string[];
  /** 1-based physical line on which the record starts. */
  line: number;
}

function oneChar(value: string, name: string): string {
  if (typeof value !== 'string' || value.length !== 1 || value === '\n' || value === '\r') {
    throw new RangeError(`csv: ${name} must be one character other than CR/LF, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Yields the records of `text`. Records end at LF, CRLF or the end of the text; a quoted field may
 * hold delimiters, line breaks and doubled quotes. Lines that are entirely empty are skipped (so a
 * trailing newline adds no record). As Python's csv module does, a quote inside an unquoted field
 * is kept literally; text after a closing quote other than a delimiter or line end, and a quote
 * left open at the end, are errors.
 */
export function* csvRecords(text: string, options: CsvOptions = {}): Generator<CsvRecord> {
  const delim = oneChar(options.delimiter ?? ',', 'delimiter');
  const quote = oneChar(options.quote ?? '"', 'quote');
  if (delim === quote) throw new RangeError('csv: delimiter and quote must differ');
  const source = options.source ?? 'csv';
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < n) {
    const start = line;
    // A record that is an empty line carries no fields.
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\r' ? 2 : 1;
      line++;
      continue;
    }
    const fields: string[] = [];
    for (;;) {
      let value: string;
      if (text[i] === quote) {
        const open = line;
        let parts = '';
        let from = ++i;
        for (;;) {
          const q = text.indexOf(quote, i);
          if (q < 0) throw new DataFormatError(source, open, 'quoted field is never closed');
          for (let k = i; k < q; k++) if (text.charCodeAt(k) === 10) line++;
          if (text[q + 1] === quote) {
            parts += text.slice(from, q + 1);
            i = from = q + 2;
            continue;
          }
          parts += text.slice(from, q);
          i = q + 1;
          break;
        }
        value = parts;
        const c = text[i];
        if (i < n && c !== delim && c !== '\n' && !(c === '\r' && text[i + 1] === '\n')) {
          throw new DataFormatError(source, line, `unexpected ${JSON.stringify(c)} after a closing quote`);
        }
      } else {
        let j = i;
        while (j < n) {
          const c = text[j];
          if (c === delim || c === '\n' || (c === '\r' && text[j + 1] === '\n')) break;
          j++;
        }
        value = text.slice(i, j);
        i = j;
      }
      fields.push(value);
      if (i < n && text[i] === delim) {
        i++;
        continue;
      }
      if (i < n) {
        i += text[i] === '\r' ? 2 : 1;
        line++;
      }
      break;
    }
    yield { fields, line: start };
  }
}

/** All records of `text` as arrays of fields (see csvRecords for the rules). */
export function parseCsv(text: string, options: CsvOptions = {}): string[][] {
  const rows: string[][] = [];
  for (const r of csvRecords(text, options)) rows.push(r.fields);
  return rows;
}
