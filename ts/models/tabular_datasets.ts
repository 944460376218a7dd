// Loaders for the bundled tabular data sets (data/kddcup99/, data/creditcard/; provenance in their
// READMEs), or a user's file in the same format, gzipped or not (readDataText). They return float
// tables for the detectors, with the labels beside them (1 = attack or fraud).
import { fileURLToPath } from 'node:url';
import { offThread, withoutSignal } from '../offthread/call.ts';
import { knownAsyncOptions, knownOptions, optionNames } from './options.ts';
import { readDataText } from './datasets.ts';
import type { LoadAsyncOptions } from './datasets.ts';
import { csvRecords, DataFormatError } from './preprocessing/csv.ts';
import { ColumnEncoder } from './preprocessing/encoders.ts';
import type { Cell, ColumnEncoderJSON, ColumnEncoderOptions } from './preprocessing/encoders.ts';
import type { Tensor } from './tensor.ts';

const dataDir = new URL('../../data/', import.meta.url);

/** Absolute paths of the bundled tabular files. */
export const BUNDLED_TABULAR = {
  kdd: fileURLToPath(new URL('kddcup99/kddcup.data_10_percent.gz', dataDir)),
  creditcard: fileURLToPath(new URL('creditcard/creditcard_sample.csv', dataDir)),
} as const;

/** The 41 KDD Cup 1999 features in file order (kddcup.names); the label follows them. */
export const KDD_COLUMNS: readonly string[] = Object.freeze([
  'duration', 'protocol_type', 'service', 'flag', 'src_bytes', 'dst_bytes', 'land', 'wrong_fragment', 'urgent', 'hot',
  'num_failed_logins', 'logged_in', 'num_compromised', 'root_shell', 'su_attempted', 'num_root', 'num_file_creations',
  'num_shells', 'num_access_files', 'num_outbound_cmds', 'is_host_login', 'is_guest_login', 'count', 'srv_count',
  'serror_rate', 'srv_serror_rate', 'rerror_rate', 'srv_rerror_rate', 'same_srv_rate', 'diff_srv_rate', 'srv_diff_host_rate',
  'dst_host_count', 'dst_host_srv_count', 'dst_host_same_srv_rate', 'dst_host_diff_srv_rate', 'dst_host_same_src_port_rate',
  'dst_host_srv_diff_host_rate', 'dst_host_serror_rate', 'dst_host_srv_serror_rate', 'dst_host_rerror_rate',
  'dst_host_srv_rerror_rate',
]);

/** The symbolic KDD columns; the others are numbers. */
export const KDD_CATEGORICAL: readonly string[] = Object.freeze(['protocol_type', 'service', 'flag']);

export interface KddOptions {
  /**
   * Keep only the rows of this service (e.g. 'http', as the book's experiments) and drop the
   * service column, leaving 40 features; null (default) keeps every row and all 41 columns.
   */
  service?: string | null;
}

const KDD_OPTIONS = optionNames<KddOptions>()(['service']);

/** KDD rows before encoding: categorical cells are strings, the others numbers. */
export interface KddRecords {
  rows: Cell[][];
  /** 1 = an attack (any label other than `normal.`), 0 = normal. */
  labels: Int32Array;
  /** The label of each row without its trailing dot ('normal', 'back', 'neptune', ...). */
  attacks: string[];
  /** Column names of `rows`. */
  names: string[];
}

export interface KddDataset {
  /** [rows, 40 or 41] float32: categorical columns as their encoder's codes, the others as read. */
  features: Tensor<Float32Array>;
  labels: Int32Array;
  attacks: string[];
  names: string[];
  /** The encoder that made `features` (fitted on these rows unless one was passed in). */
  encoder: ColumnEncoder;
}

function checkOptions(fn: string, opts: unknown, names: readonly string[]): void {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn}: options must be an object`);
  knownOptions(fn, opts, names);
}

function serviceOption(fn: string, service: unknown): string | null {
  if (service === undefined || service === null) return null;
  if (typeof service !== 'string' || service.length === 0) throw new TypeError(`${fn}: service must be a non-empty string or null, got ${JSON.stringify(service)}`);
  return service;
}

/** Reads a KDD Cup 1999 file (42 comma-separated fields a line, no header). */
export function readKdd(path: string = BUNDLED_TABULAR.kdd, opts: KddOptions = {}): KddRecords {
  const fn = 'readKdd';
  checkOptions(fn, opts, KDD_OPTIONS);
  const service = serviceOption(fn, opts.service);
  const text = readDataText(path, fn);
  const serviceAt = KDD_COLUMNS.indexOf('service');
  const keep = KDD_COLUMNS.map((_, j) => j).filter((j) => service === null || j !== serviceAt);
  const categorical = new Set(KDD_CATEGORICAL.map((c) => KDD_COLUMNS.indexOf(c)));
  const rows: Cell[][] = [];
  const labels: number[] = [];
  const attacks: string[] = [];
  let lineNo = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const lineStart = start;
    start = end + 1;
    // Most lines are of other services: look at the third field before splitting the line.
    if (service !== null) {
      const c1 = text.indexOf(',', lineStart);
      const c2 = c1 < 0 ? -1 : text.indexOf(',', c1 + 1);
      if (c2 >= 0 && c2 < end && !(text.startsWith(service, c2 + 1) && text.charCodeAt(c2 + 1 + service.length) === 44)) continue;
    }
    const line = text.slice(lineStart, end > lineStart && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    if (line.trim() === '') continue;
    const f = line.split(',');
    if (f.length !== 42) throw new DataFormatError(path, lineNo, `expected 42 comma-separated fields (41 features and the label), got ${f.length}`);
    if (service !== null && f[serviceAt] !== service) continue;
    const label = f[41].trim();
    if (label.length === 0) throw new DataFormatError(path, lineNo, 'the label (field 42) is empty');
    const row: Cell[] = new Array(keep.length);
    for (let k = 0; k < keep.length; k++) {
      const j = keep[k];
      const v = f[j].trim();
      if (categorical.has(j)) {
        if (v.length === 0) throw new DataFormatError(path, lineNo, `${KDD_COLUMNS[j]} (field ${j + 1}) is empty`);
        row[k] = v;
      } else {
        const x = v.length === 0 ? Number.NaN : Number(v);
        if (!Number.isFinite(x)) throw new DataFormatError(path, lineNo, `${KDD_COLUMNS[j]} (field ${j + 1}) must be a number, got ${JSON.stringify(f[j])}`);
        row[k] = x;
      }
    }
    rows.push(row);
    const name = label.endsWith('.') ? label.slice(0, -1) : label;
    attacks.push(name);
    labels.push(name === 'normal' ? 0 : 1);
  }
  if (rows.length === 0) {
    throw new DataFormatError(path, Math.max(1, lineNo), service === null ? 'the file holds no rows' : `no rows of service ${JSON.stringify(service)}`);
  }
  return { rows, labels: Int32Array.from(labels), attacks, names: keep.map((j) => KDD_COLUMNS[j]) };
}

/**
 * The encoder for KDD rows with these column names: OrdinalEncoder codes for the symbolic columns
 * present, and -1 for a category the fit never saw (the labelled test set has services and flags
 * the training file lacks), so scoring a new file never fails on one.
 */
export function kddEncoder(names: readonly string[]): ColumnEncoder {
  return new ColumnEncoder({
    columns: names,
    categorical: KDD_CATEGORICAL.filter((c) => names.includes(c)),
    unknown: 'use-encoded-value',
    unknownValue: -1,
  });
}

export interface LoadKddOptions extends KddOptions {
  /** A fitted encoder (from the training file) to encode these rows with; default: fit one on them. */
  encoder?: ColumnEncoder;
}

const LOAD_KDD_OPTIONS = optionNames<LoadKddOptions>()([...KDD_OPTIONS, 'encoder']);

/** A KDD Cup 1999 file as a float table (see readKdd and kddEncoder). */
export function loadKdd(path: string = BUNDLED_TABULAR.kdd, opts: LoadKddOptions = {}): KddDataset {
  checkOptions('loadKdd', opts, LOAD_KDD_OPTIONS);
  const r = readKdd(path, { service: opts.service });
  let encoder = opts.encoder;
  let features: Tensor<Float32Array>;
  if (encoder === undefined) {
    encoder = kddEncoder(r.names);
    features = encoder.fitTransform(r.rows);
  } else {
    if (!(encoder instanceof ColumnEncoder)) throw new TypeError('loadKdd: encoder must be a ColumnEncoder');
    const cols = encoder.columns;
    if (cols !== null && (cols.length !== r.names.length || cols.some((c, j) => c !== r.names[j]))) {
      throw new RangeError(`loadKdd: the encoder was fitted on columns ${cols.join(',')}, these rows have ${r.names.join(',')} (was service the same?)`);
    }
    features = encoder.transform(r.rows);
  }
  return { features, labels: r.labels, attacks: r.attacks, names: r.names, encoder };
}

/** The credit-card fraud table: Time, V1..V28, Amount as features; Class as the label. */
export interface CreditcardDataset {
  /** [rows, 30] float32 in the order of `names`. */
  features: Tensor<Float32Array>;
  /** Class: 1 = fraud. */
  labels: Int32Array;
  names: string[];
}

export const CREDITCARD_COLUMNS: readonly string[] = Object.freeze([
  'Time', ...Array.from({ length: 28 }, (_, k) => `V${k + 1}`), 'Amount',
]);

/**
 * Reads the ULB credit-card fraud CSV: the header `Time,V1,...,V28,Amount,Class` (Kaggle's
 * creditcard.csv, names quoted or not), optionally after an unnamed index column as pandas
 * writes one (the bundled subsample has it).
 */
export function loadCreditcard(path: string = BUNDLED_TABULAR.creditcard): CreditcardDataset {
  const text = readDataText(path, 'loadCreditcard');
  const want = [...CREDITCARD_COLUMNS, 'Class'];
  let skip = -1;
  const values: number[] = [];
  const labels: number[] = [];
  for (const { fields, line } of csvRecords(text, { source: path })) {
    if (skip < 0) {
      const head = fields.map((h) => h.trim());
      skip = head.length === want.length + 1 && head[0] === '' ? 1 : 0;
      if (head.length - skip !== want.length || want.some((w, k) => head[k + skip] !== w)) {
        throw new DataFormatError(path, line, `expected the header ${want.join(',')} (after an optional unnamed index column), got ${fields.join(',')}`);
      }
      continue;
    }
    if (fields.length !== want.length + skip) throw new DataFormatError(path, line, `expected ${want.length + skip} fields, got ${fields.length}`);
    for (let k = 0; k < CREDITCARD_COLUMNS.length; k++) {
      const s = fields[k + skip].trim();
      const x = s.length === 0 ? Number.NaN : Number(s);
      if (!Number.isFinite(x)) throw new DataFormatError(path, line, `${CREDITCARD_COLUMNS[k]} must be a number, got ${JSON.stringify(fields[k + skip])}`);
      if (!Number.isFinite(Math.fround(x))) throw new DataFormatError(path, line, `${CREDITCARD_COLUMNS[k]} is ${s}, beyond the float32 range`);
      values.push(x);
    }
    const c = fields[fields.length - 1].trim();
    if (c !== '0' && c !== '1') throw new DataFormatError(path, line, `Class must be 0 or 1, got ${JSON.stringify(fields[fields.length - 1])}`);
    labels.push(c === '1' ? 1 : 0);
  }
  if (skip < 0) throw new DataFormatError(path, 1, 'the file is empty');
  if (labels.length === 0) throw new DataFormatError(path, 2, 'the file holds no rows');
  return { features: { data: Float32Array.from(values), shape: [labels.length, CREDITCARD_COLUMNS.length] }, labels: Int32Array.from(labels), names: [...CREDITCARD_COLUMNS] };
}

// The async forms: the same loaders on a worker thread (the bundled KDD file takes seconds).

/** A ColumnEncoder as it crosses to the worker: a fitted one as its JSON, an unfitted one as its options; null for anything else. */
type EncoderWire = { json: ColumnEncoderJSON } | { options: ColumnEncoderOptions } | null;

function encoderWire(e: unknown): EncoderWire {
  if (!(e instanceof ColumnEncoder)) return null; // loadKdd's own check rejects it, at the same point
  if (e.fitted) return { json: e.toJSON() };
  return {
    options: {
      categorical: [...e.categorical], unknown: e.unknown,
      ...(e.columns === null ? {} : { columns: [...e.columns] }), ...(e.unknownValue === null ? {} : { unknownValue: e.unknownValue }),
    },
  };
}

type KddWire = Omit<KddDataset, 'encoder'> & { encoder: ColumnEncoderJSON | null };

/**
 * loadKddAsync's worker side (not part of the API): loadKdd with the encoder as plain data both
 * ways; the encoder comes back only when loadKdd fitted it (a given one is the caller's already).
 */
export function loadKddOffThread(path: string | undefined, opts: unknown): KddWire {
  let o = opts as LoadKddOptions;
  if (opts !== null && typeof opts === 'object' && 'encoder' in opts) {
    const w = opts.encoder as EncoderWire;
    const encoder = w === null ? (null as unknown as ColumnEncoder) : 'json' in w ? ColumnEncoder.fromJSON(w.json) : new ColumnEncoder(w.options);
    o = { ...(opts as LoadKddOptions), encoder };
  }
  const d = loadKdd(path, o);
  return { ...d, encoder: o.encoder === undefined ? d.encoder.toJSON() : null };
}

/**
 * loadKdd on a worker thread: the same result (`features` and `labels` moved, not copied; a given
 * encoder is returned as itself), and the same errors as rejections.
 */
export async function loadKddAsync(path?: string, opts: LoadKddOptions & LoadAsyncOptions = {}): Promise<KddDataset> {
  knownAsyncOptions('loadKddAsync', opts, LOAD_KDD_OPTIONS);
  let sent: unknown = opts;
  let given: ColumnEncoder | undefined;
  if (opts !== null && typeof opts === 'object') {
    const { signal: _signal, encoder, ...rest } = opts; // the signal stays here (it cannot be cloned)
    if (encoder instanceof ColumnEncoder) given = encoder;
    sent = encoder === undefined ? rest : { ...rest, encoder: encoderWire(encoder) };
  }
  const r = await offThread<KddWire>(import.meta.url, 'loadKddOffThread', [path, sent], { signal: opts?.signal, errors: [DataFormatError], caller: 'loadKddAsync' });
  return { features: r.features, labels: r.labels, attacks: r.attacks, names: r.names, encoder: given ?? ColumnEncoder.fromJSON(r.encoder) };
}

/** readKdd on a worker thread: the same records (`labels` moved, not copied), and the same errors as rejections. */
export async function readKddAsync(path?: string, opts: KddOptions & LoadAsyncOptions = {}): Promise<KddRecords> {
  knownAsyncOptions('readKddAsync', opts, KDD_OPTIONS);
  return offThread(import.meta.url, 'readKdd', [path, withoutSignal(opts)], { signal: opts?.signal, errors: [DataFormatError], caller: 'readKddAsync' });
}

/** loadCreditcard on a worker thread: the same result (arrays moved, not copied), and the same errors as rejections. */
export async function loadCreditcardAsync(path?: string, opts: LoadAsyncOptions = {}): Promise<CreditcardDataset> {
  knownAsyncOptions('loadCreditcardAsync', opts, []);
  return offThread(import.meta.url, 'loadCreditcard', [path], { signal: opts?.signal, errors: [DataFormatError] });
}
