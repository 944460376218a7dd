// A user's CSV table for `vigil train --detector` (detector_train.ts fits on it): the feature
// columns are the ones named (in that order), else every column but the label and id columns; a
// column is categorical when any of its training cells is not a decimal number.
import { readDataText } from '../models/datasets.ts';
import type { LoadAsyncOptions } from '../models/datasets.ts';
import { csvRecords, DataFormatError, resolveColumn } from '../models/preprocessing/csv.ts';
import { parseNumberCell } from '../models/preprocessing/encoders.ts';
import { offThread, withoutSignal } from '../offthread/call.ts';
import { knownAsyncOptions, knownOptions, optionNames } from '../models/options.ts';
import { CustomDataError } from './custom_csv.ts';

export interface ReadTableOptions {
  /** Feature columns: header names or 0-based indices (default: every column but `exclude`). */
  columns?: readonly string[];
  /** Columns never used as features (label, id). */
  exclude?: readonly string[];
  /** The first record names the columns (default true); without, columns are named by index. */
  header?: boolean;
  delimiter?: string;
}

const OPTIONS = optionNames<ReadTableOptions>()(['columns', 'exclude', 'header', 'delimiter']);

export interface TableData {
  /** The feature columns' names (the header's, or "0", "1", ... without one), in the order the detector reads them. */
  features: string[];
  /** Feature columns holding anything but decimal numbers. */
  categorical: string[];
  /** Each data record's feature cells, in the order of `features`. */
  rows: string[][];
}

/** Reads a CSV table (gzip detected) and works out its feature columns. */
export function readTable(path: string, opts: ReadTableOptions = {}): TableData {
  knownOptions('readTable', opts, OPTIONS);
  const header = opts.header ?? true;
  const text = readDataText(path, 'readTable');
  const records = csvRecords(text, { source: path, delimiter: opts.delimiter ?? ',' });
  const first = records.next();
  if (first.done) throw new CustomDataError(`${path}: the file is empty (no records)`);
  const width = first.value.fields.length;
  const head = header ? first.value.fields.map((h) => h.trim()) : null;
  const names = head ?? Array.from({ length: width }, (_, j) => String(j));
  const dup = names.findIndex((c, k) => names.indexOf(c) !== k);
  if (dup >= 0) throw new CustomDataError(`${path}: the header names column ${JSON.stringify(names[dup])} twice`);
  const resolve = (spec: string, what: string) => {
    try {
      return resolveColumn(spec, head, width, what).index;
    } catch (err) {
      throw new CustomDataError(`${path}: ${(err as Error).message}`);
    }
  };
  const excluded = new Set((opts.exclude ?? []).map((c) => resolve(c, 'column')));
  const picked = opts.columns === undefined
    ? names.map((_, j) => j).filter((j) => !excluded.has(j))
    : opts.columns.map((c) => resolve(c, '--columns'));
  if (picked.length === 0) throw new CustomDataError(`${path}: no feature columns are left`);
  const twice = picked.find((j, k) => picked.indexOf(j) !== k);
  if (twice !== undefined) throw new CustomDataError(`${path}: --columns names column ${names[twice]} twice`);
  const clash = picked.find((j) => excluded.has(j));
  if (clash !== undefined) throw new CustomDataError(`${path}: column ${names[clash]} is both a feature and the label or id column`);

  const rows: string[][] = [];
  const take = (fields: string[], line: number) => {
    if (fields.length !== width) throw new DataFormatError(path, line, `${fields.length} field(s), the first record has ${width}`);
    rows.push(picked.map((j) => fields[j]));
  };
  if (!header) take(first.value.fields, first.value.line);
  for (const r of records) take(r.fields, r.line);
  if (rows.length < 2) throw new CustomDataError(`${path}: ${rows.length} data row(s); a detector needs at least 2`);
  const features = picked.map((j) => names[j]);
  const categorical = features.filter((_, k) => rows.some((r) => Number.isNaN(parseNumberCell(r[k]))));
  return { features, categorical, rows };
}

/** readTable on a worker thread: the same table, and the same errors as rejections. */
export async function readTableAsync(path: string, opts: ReadTableOptions & LoadAsyncOptions = {}): Promise<TableData> {
  knownAsyncOptions('readTableAsync', opts, OPTIONS);
  return offThread(import.meta.url, 'readTable', [path, withoutSignal(opts)], { signal: opts?.signal, errors: [CustomDataError, DataFormatError] });
}
