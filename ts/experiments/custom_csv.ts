// A user's CSV of texts and labels for `vigil train` (custom.ts trains on it): which column holds
// the text and which the label is the caller's choice. Labels must be 0 or 1 unless `positive`
// names one of exactly two label values (that one becomes 1, the other 0; the mapping is saved with
// the model so `score` reads the same values). Texts are used as they are (no trimming).
import { readDataText } from '../models/datasets.ts';
import type { LoadAsyncOptions } from '../models/datasets.ts';
import { csvRecords, DataFormatError, resolveColumn as resolveCsvColumn } from '../models/preprocessing/csv.ts';
import { offThread, withoutSignal } from '../offthread/call.ts';
import { knownAsyncOptions, knownOptions, optionNames } from '../models/options.ts';

/** Bad user data (a missing column, an unusable label, too few rows): the message says which and where. */
export class CustomDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CustomDataError';
  }
}

export interface CsvColumnsOptions {
  /** Column of the texts: a header name, or a 0-based index (the only form without a header). */
  textColumn: string;
  /** Column of the labels (same forms); omit to read texts only. */
  labelColumn?: string;
  /** The first record names the columns (default true). */
  header?: boolean;
  /** Field separator (default ','). */
  delimiter?: string;
  /**
   * The label value that means 1 when the labels are not 0/1: the column must then hold exactly
   * two distinct values, this one and the negative one.
   */
  positive?: string;
  /** Label names [negative, positive] to read instead of 0/1 (a model file's saved mapping). */
  labelNames?: readonly [string, string] | null;
}

const OPTIONS = optionNames<CsvColumnsOptions>()(['textColumn', 'labelColumn', 'header', 'delimiter', 'positive', 'labelNames']);

export interface CustomData {
  texts: string[];
  /** 0/1 per row, or null when no label column was asked for. */
  labels: Int32Array | null;
  /** 1-based line of each row in the file (for messages). */
  lines: Int32Array;
  /** Resolved 0-based column indices and their names (the header's, or "column N"). */
  textColumn: { index: number; name: string };
  labelColumn: { index: number; name: string } | null;
  /** [negative, positive] as written in the file, or null for plain 0/1 labels. */
  labelNames: [string, string] | null;
}

const describeColumn = (name: string, header: string[] | null) => (header ? `'${name}'` : `column ${name}`);

function resolveColumn(spec: string, header: string[] | null, width: number, flag: string, path: string): { index: number; name: string } {
  try {
    return resolveCsvColumn(spec, header, width, flag);
  } catch (err) {
    throw new CustomDataError(`${path}: ${(err as Error).message}`);
  }
}

function zeroOne(v: string): 0 | 1 | null {
  const t = v.trim();
  if (t === '') return null;
  const n = Number(t);
  return n === 0 || n === 1 ? n : null;
}

/** Reads texts (and labels) from a CSV file (gzip detected), with the project's RFC 4180 reader. */
export function readCustomCsv(path: string, opts: CsvColumnsOptions): CustomData {
  knownOptions('readCustomCsv', opts, OPTIONS);
  const header = opts.header ?? true;
  const text = readDataText(path, 'readCustomCsv');
  const records = csvRecords(text, { source: path, delimiter: opts.delimiter ?? ',' });
  const first = records.next();
  if (first.done) throw new CustomDataError(`${path}: the file is empty (no records)`);
  const names = header ? first.value.fields : null;
  const width = first.value.fields.length;
  const tc = resolveColumn(opts.textColumn, names, width, '--text-column', path);
  const lc = opts.labelColumn === undefined ? null : resolveColumn(opts.labelColumn, names, width, '--label-column', path);
  if (lc && lc.index === tc.index) throw new CustomDataError(`${path}: the text and label columns are the same column (${tc.index})`);
  const need = Math.max(tc.index, lc?.index ?? -1) + 1;

  const texts: string[] = [];
  const rawLabels: string[] = [];
  const lines: number[] = [];
  const take = (fields: string[], line: number) => {
    if (fields.length < need) {
      const which = fields.length <= tc.index ? `the text column ${describeColumn(tc.name, names)}` : `the label column ${describeColumn(lc!.name, names)}`;
      throw new DataFormatError(path, line, `${fields.length} field(s), too few to hold ${which} (index ${Math.max(tc.index, lc?.index ?? -1)})`);
    }
    texts.push(fields[tc.index]);
    if (lc) rawLabels.push(fields[lc.index]);
    lines.push(line);
  };
  if (!header) take(first.value.fields, first.value.line);
  for (const r of records) take(r.fields, r.line);
  if (texts.length === 0) throw new CustomDataError(`${path}: no data rows (only the header)`);

  let labels: Int32Array | null = null;
  let labelNames: [string, string] | null = null;
  if (lc) {
    const where = (i: number) => `${path}:${lines[i]}: label ${JSON.stringify(rawLabels[i])} in ${describeColumn(lc.name, names)}`;
    labels = new Int32Array(texts.length);
    const given = opts.labelNames ?? null;
    if (given) {
      const [neg, pos] = given;
      rawLabels.forEach((v, i) => {
        const t = v.trim();
        if (t !== neg && t !== pos) throw new CustomDataError(`${where(i)} is neither of the model's labels ${JSON.stringify(neg)} (0) and ${JSON.stringify(pos)} (1)`);
        labels![i] = t === pos ? 1 : 0;
      });
      labelNames = [neg, pos];
    } else if (opts.positive !== undefined) {
      const pos = opts.positive.trim();
      const values = [...new Set(rawLabels.map((v) => v.trim()))];
      if (!values.includes(pos)) throw new CustomDataError(`${path}: --positive ${JSON.stringify(pos)} never occurs in ${describeColumn(lc.name, names)}`);
      if (values.length !== 2) {
        const shown = values.slice(0, 6).map((v) => JSON.stringify(v)).join(', ');
        throw new CustomDataError(`${path}: ${describeColumn(lc.name, names)} holds ${values.length} distinct labels (${shown}${values.length > 6 ? ', ...' : ''}); exactly 2 are needed`);
      }
      const neg = values.find((v) => v !== pos)!;
      rawLabels.forEach((v, i) => void (labels![i] = v.trim() === pos ? 1 : 0));
      labelNames = [neg, pos];
    } else {
      rawLabels.forEach((v, i) => {
        const b = zeroOne(v);
        if (b === null) {
          throw new CustomDataError(`${where(i)} is not 0 or 1; labels must be 0/1, or give --positive VALUE to map two label values to 1 and 0`);
        }
        labels![i] = b;
      });
    }
  }
  return { texts, labels, lines: Int32Array.from(lines), textColumn: tc, labelColumn: lc, labelNames };
}

/** readCustomCsv on a worker thread: the same data (its arrays moved, not copied), and the same errors as rejections. */
export async function readCustomCsvAsync(path: string, opts: CsvColumnsOptions & LoadAsyncOptions): Promise<CustomData> {
  knownAsyncOptions('readCustomCsvAsync', opts, OPTIONS);
  return offThread(import.meta.url, 'readCustomCsv', [path, withoutSignal(opts)], { signal: opts?.signal, errors: [CustomDataError, DataFormatError] });
}
