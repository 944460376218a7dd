// Categorical values to numbers, with scikit-learn's semantics:
// - LabelEncoder: the classes are the distinct labels sorted (numbers by value, strings by
//   Unicode code point as numpy sorts them, not by UTF-16 code unit as Array.prototype.sort
//   would), and a label's code is its index among them. Labels are all strings or all finite
//   numbers, as scikit-learn's encoders require.
// - ColumnEncoder: OrdinalEncoder over the categorical columns of a table of mixed strings and
//   numbers (CSV records), the other columns parsed as numbers, so that a detector gets a float
//   table with the columns in their original order.
// An unseen label is an error unless `unknown: 'use-encoded-value'` gives it `unknownValue`
// (OrdinalEncoder's handle_unknown); NaN is not offered as that value because the detectors take
// only finite tables.
import type { Tensor } from '../tensor.ts';
import { knownOptions, optionNames } from '../options.ts';

export type Label = string | number;
export type UnknownPolicy = 'error' | 'use-encoded-value';

export interface LabelEncoderOptions {
  /** What transform does with a label not seen in fit (default 'error': a RangeError naming it). */
  unknown?: UnknownPolicy;
  /** The code of unseen labels under 'use-encoded-value': an integer that no class uses (e.g. -1). */
  unknownValue?: number;
}

const LABEL_OPTIONS = optionNames<LabelEncoderOptions>()(['unknown', 'unknownValue']);

export type LabelEncoderJSON = {
  type: 'LabelEncoder';
  version: number;
  config: { unknown: UnknownPolicy; unknownValue: number | null };
  classes: string[] | number[];
};

const FORMAT_VERSION = 1;

// Code units from U+D800 up: surrogates (code points above U+FFFF) must sort after U+E000..U+FFFF.
const unit = (u: number): number => (u >= 0xe000 ? u - 0x800 : u >= 0xd800 ? u + 0x2000 : u);

/** Orders strings by Unicode code point (numpy's order for str arrays). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unit(x) - unit(y);
  }
  return a.length - b.length;
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Checks the unknown-label policy (shared with ColumnEncoder). */
/** The checked unknown-label policy of an encoder's options, whose keys must all be in `names`. */
function unknownPolicy(fn: string, opts: LabelEncoderOptions, names: readonly string[]): { unknown: UnknownPolicy; unknownValue: number | null } {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn}: options must be an object`);
  knownOptions(fn, opts, names);
  const { unknown = 'error', unknownValue } = opts;
  if (unknown !== 'error' && unknown !== 'use-encoded-value') {
    throw new RangeError(`${fn}: unknown must be 'error' or 'use-encoded-value', got ${show(unknown)}`);
  }
  if (unknown === 'error') {
    if (unknownValue !== undefined) throw new TypeError(`${fn}: unknownValue is only used with unknown: 'use-encoded-value'`);
    return { unknown, unknownValue: null };
  }
  if (typeof unknownValue !== 'number' || !Number.isInteger(unknownValue) || Math.abs(unknownValue) >= 2 ** 31) {
    throw new TypeError(`${fn}: unknown: 'use-encoded-value' needs unknownValue, a 32-bit integer; got ${show(unknownValue)}`);
  }
  return { unknown, unknownValue };
}

/** Encodes labels as their index among the sorted distinct labels seen in fit. */
export class LabelEncoder {
  readonly unknown: UnknownPolicy;
  readonly unknownValue: number | null;
  #classes: Label[] | null = null;
  #index = new Map<Label, number>();

  constructor(opts: LabelEncoderOptions = {}) {
    ({ unknown: this.unknown, unknownValue: this.unknownValue } = unknownPolicy('LabelEncoder', opts, LABEL_OPTIONS));
  }

  get fitted(): boolean {
    return this.#classes !== null;
  }

  /** The sorted distinct labels; code k stands for classes[k]. */
  get classes(): readonly Label[] {
    if (!this.#classes) throw new Error('LabelEncoder.classes: not fitted yet: call fit() first');
    return this.#classes;
  }

  fit(labels: ArrayLike<Label>): this {
    const fn = 'LabelEncoder.fit';
    if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
      throw new TypeError(`${fn}: labels must be an array of strings or numbers`);
    }
    if (labels.length === 0) throw new RangeError(`${fn}: labels is empty`);
    const kind = typeof labels[0];
    const seen = new Set<Label>();
    for (let i = 0; i < labels.length; i++) seen.add(checkLabel(fn, labels, i, kind));
    const classes = [...seen];
    if (kind === 'string') (classes as string[]).sort(compareCodePoints);
    else (classes as number[]).sort((a, b) => a - b);
    this.setClasses(fn, classes);
    return this;
  }

  private setClasses(fn: string, classes: Label[]): void {
    const u = this.unknownValue;
    if (u !== null && u >= 0 && u < classes.length) {
      throw new RangeError(`${fn}: unknownValue ${u} is the code of class ${show(classes[u])}; pick one outside [0, ${classes.length})`);
    }
    this.#classes = classes;
    this.#index = new Map(classes.map((c, k) => [c, k]));
  }

  /** The code of `label`, or -1 when fit never saw it. */
  classIndex(label: Label): number {
    if (!this.#classes) throw new Error('LabelEncoder.classIndex: not fitted yet: call fit() first');
    return this.#index.get(label) ?? -1;
  }

  transform(labels: ArrayLike<Label>): Int32Array {
    const fn = 'LabelEncoder.transform';
    if (!this.#classes) throw new Error(`${fn}: not fitted yet: call fit() first`);
    if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
      throw new TypeError(`${fn}: labels must be an array of strings or numbers`);
    }
    const out = new Int32Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const code = this.#index.get(checkLabel(fn, labels, i));
      if (code !== undefined) out[i] = code;
      else if (this.unknownValue !== null) out[i] = this.unknownValue;
      else throw new RangeError(`${fn}: labels[${i}] is ${show(labels[i])}, a label fit never saw (${this.#classes.length} classes)`);
    }
    return out;
  }

  fitTransform(labels: ArrayLike<Label>): Int32Array {
    return this.fit(labels).transform(labels);
  }

  /** The labels of `codes`; unknownValue gives null (as OrdinalEncoder gives None). */
  inverseTransform(codes: ArrayLike<number>): Array<Label | null> {
    const fn = 'LabelEncoder.inverseTransform';
    const classes = this.#classes;
    if (!classes) throw new Error(`${fn}: not fitted yet: call fit() first`);
    if (codes === null || typeof codes !== 'object' || typeof codes.length !== 'number') throw new TypeError(`${fn}: codes must be an array of integers`);
    return Array.from({ length: codes.length }, (_, i) => {
      const c = codes[i];
      if (c === this.unknownValue) return null;
      if (!Number.isInteger(c) || c < 0 || c >= classes.length) {
        throw new RangeError(`${fn}: codes[${i}] is ${c}, not a code in [0, ${classes.length})`);
      }
      return classes[c];
    });
  }

  /** Plain-JSON state (it travels inside model files). */
  toJSON(): LabelEncoderJSON {
    return {
      type: 'LabelEncoder',
      version: FORMAT_VERSION,
      config: { unknown: this.unknown, unknownValue: this.unknownValue },
      classes: [...this.classes] as string[] | number[],
    };
  }

  /** Rebuilds a fitted encoder from toJSON's output, checking every field. */
  static fromJSON(json: unknown): LabelEncoder {
    const fn = 'LabelEncoder.fromJSON';
    const bad = (what: string): never => {
      throw new TypeError(`${fn}: ${what}`);
    };
    if (json === null || typeof json !== 'object' || Array.isArray(json)) bad('expected an object');
    const j = json as Partial<LabelEncoderJSON>;
    if (j.type !== 'LabelEncoder') bad(`type must be "LabelEncoder", got ${JSON.stringify(j.type)}`);
    if (!Number.isInteger(j.version) || j.version! < 1) bad(`bad version ${JSON.stringify(j.version)}`);
    if (j.version! > FORMAT_VERSION) throw new RangeError(`${fn}: format version ${j.version} is newer than this vigil reads (${FORMAT_VERSION})`);
    if (j.config === null || typeof j.config !== 'object') bad('config missing');
    const { unknown, unknownValue } = j.config!;
    let e: LabelEncoder;
    try {
      e = new LabelEncoder({ unknown, ...(unknownValue === null ? {} : { unknownValue }) });
    } catch (err) {
      bad(`bad config: ${(err as Error).message}`);
    }
    const classes = j.classes as unknown;
    if (!Array.isArray(classes) || classes.length === 0) bad('classes must be a non-empty array');
    const c = classes as Label[];
    const kind = typeof c[0];
    for (let i = 0; i < c.length; i++) checkLabel(fn, c, i, kind, 'classes');
    for (let k = 1; k < c.length; k++) {
      const order = kind === 'string' ? compareCodePoints(c[k - 1] as string, c[k] as string) : (c[k - 1] as number) - (c[k] as number);
      if (order >= 0) bad(`classes must be sorted and distinct: classes[${k - 1}] ${show(c[k - 1])} is not before classes[${k}] ${show(c[k])}`);
    }
    e!.setClasses(fn, c);
    return e!;
  }
}

/** labels[i], checked to be a string or a finite number (of `kind` when given). */
function checkLabel(fn: string, labels: ArrayLike<Label>, i: number, kind?: string, name = 'labels'): Label {
  const v = labels[i] as unknown;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`${fn}: ${name}[${i}] is ${v}; numeric labels must be finite`);
  } else if (typeof v !== 'string') {
    throw new TypeError(`${fn}: ${name}[${i}] must be a string or a number, got ${v === null ? 'null' : typeof v}`);
  }
  if (kind !== undefined && typeof v !== kind) {
    throw new TypeError(`${fn}: ${name} must be all strings or all numbers: ${name}[0] is a ${kind}, ${name}[${i}] is ${show(v)}`);
  }
  return v;
}

export type Cell = string | number;

export interface ColumnEncoderOptions extends LabelEncoderOptions {
  /** The categorical columns, by index or by name (names need `columns`); the rest are numeric. */
  categorical?: ReadonlyArray<number | string>;
  /** Every column's name in order (a CSV header): names categorical columns and error messages. */
  columns?: readonly string[];
}

const COLUMN_OPTIONS = optionNames<ColumnEncoderOptions>()([...LABEL_OPTIONS, 'categorical', 'columns']);

export type ColumnEncoderJSON = {
  type: 'ColumnEncoder';
  version: number;
  config: { categorical: number[]; columns: string[] | null; unknown: UnknownPolicy; unknownValue: number | null };
  nColumns: number;
  /** The classes of each categorical column, in the order of config.categorical. */
  categories: Array<string[] | number[]>;
};

// A decimal number as Python's float() reads one, surrounding white space allowed (no hex, no
// empty field, no "Infinity"). Number() skips the same white space.
const NUMBER = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** A CSV cell as a number, as Python's float() reads it; NaN when it is not a decimal number. */
export function parseNumberCell(v: string): number {
  const x = +v;
  if (x !== x) return NaN;
  // Number() reads what NUMBER matches, and also blanks (as 0), 0x/0o/0b literals and Infinity.
  // A cell that starts with a digit, sign or dot and is not such a literal is therefore a
  // match; the pattern decides the rest (leading white space, blanks): a fast path for tables
  // of millions of cells.
  const c = v.charCodeAt(0);
  if (((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) && Number.isFinite(x)) {
    if (c !== 48 || v.length < 2) return x;
    const d = v.charCodeAt(1) | 0x20;
    if (d !== 0x78 && d !== 0x6f && d !== 0x62) return x;
  }
  return NUMBER.test(v) ? x : NaN;
}

/**
 * Turns rows of strings and numbers into a float table: categorical columns become their
 * category's code (LabelEncoder per column, OrdinalEncoder's numbering), the other columns are
 * parsed as decimal numbers. Columns keep their order.
 */
export class ColumnEncoder {
  /** Indices of the categorical columns, ascending. */
  readonly categorical: readonly number[];
  readonly columns: readonly string[] | null;
  readonly unknown: UnknownPolicy;
  readonly unknownValue: number | null;
  /** Columns per row; set by fit. */
  nColumns = 0;
  #encoders: LabelEncoder[] | null = null;

  constructor(opts: ColumnEncoderOptions = {}) {
    const fn = 'ColumnEncoder';
    ({ unknown: this.unknown, unknownValue: this.unknownValue } = unknownPolicy(fn, opts, COLUMN_OPTIONS));
    const { categorical = [], columns } = opts;
    if (columns !== undefined) {
      if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string')) {
        throw new TypeError(`${fn}: columns must be a non-empty array of column names`);
      }
      const dup = columns.findIndex((c, k) => columns.indexOf(c) !== k);
      if (dup >= 0) throw new RangeError(`${fn}: columns names ${show(columns[dup])} twice`);
    }
    this.columns = columns ? [...columns] : null;
    if (!Array.isArray(categorical)) throw new TypeError(`${fn}: categorical must be an array of column indices or names`);
    const idx = categorical.map((c) => {
      if (typeof c === 'string') {
        if (!this.columns) throw new TypeError(`${fn}: categorical names column ${show(c)}, which needs the columns option`);
        const k = this.columns.indexOf(c);
        if (k < 0) throw new RangeError(`${fn}: categorical names ${show(c)}, not one of columns (${this.columns.join(', ')})`);
        return k;
      }
      if (!Number.isInteger(c) || c < 0 || (this.columns && c >= this.columns.length)) {
        throw new RangeError(`${fn}: categorical column ${show(c)} must be an index in [0, ${this.columns?.length ?? 'columns'})`);
      }
      return c;
    });
    const sorted = [...idx].sort((a, b) => a - b);
    const twice = sorted.findIndex((c, k) => k > 0 && sorted[k - 1] === c);
    if (twice >= 0) throw new RangeError(`${fn}: categorical names column ${this.columnName(sorted[twice])} twice`);
    this.categorical = sorted;
  }

  get fitted(): boolean {
    return this.#encoders !== null;
  }

  /** The classes of each categorical column, in the order of `categorical` (OrdinalEncoder's categories_). */
  get categories(): ReadonlyArray<readonly Label[]> {
    if (!this.#encoders) throw new Error('ColumnEncoder.categories: not fitted yet: call fit() first');
    return this.#encoders.map((e) => e.classes);
  }

  private columnName(j: number): string {
    return this.columns ? `${j} (${this.columns[j]})` : String(j);
  }

  private cell(fn: string, rows: ArrayLike<ArrayLike<Cell>>, i: number, j: number): Cell {
    const v = rows[i][j] as unknown;
    if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return v;
    const what = typeof v === 'number' ? String(v) : v === null ? 'null' : typeof v;
    throw new TypeError(`${fn}: rows[${i}][${j}] (column ${this.columnName(j)}) is ${what}; cells must be strings or finite numbers`);
  }

  /** Checks that `rows` is a table of `width` columns (any width when omitted); returns the width. */
  private rowsOf(fn: string, rows: unknown, width?: number): number {
    if (rows === null || typeof rows !== 'object' || typeof (rows as ArrayLike<unknown>).length !== 'number') {
      throw new TypeError(`${fn}: rows must be an array of rows (arrays of strings or numbers)`);
    }
    const r = rows as ArrayLike<unknown>;
    if (r.length === 0) throw new RangeError(`${fn}: rows is empty`);
    let w = width;
    for (let i = 0; i < r.length; i++) {
      const row = r[i] as ArrayLike<unknown> | null;
      if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
        throw new TypeError(`${fn}: rows[${i}] must be an array of strings or numbers`);
      }
      w ??= row.length;
      if (row.length !== w) throw new RangeError(`${fn}: rows[${i}] has ${row.length} columns, expected ${w}`);
    }
    return w!;
  }

  fit(rows: ArrayLike<ArrayLike<Cell>>): this {
    this.fitEncode('ColumnEncoder.fit', rows);
    return this;
  }

  /** Fits, then encodes the same rows (parsing them once). */
  fitTransform(rows: ArrayLike<ArrayLike<Cell>>): Tensor<Float32Array> {
    return this.fitEncode('ColumnEncoder.fitTransform', rows);
  }

  private fitEncode(fn: string, rows: ArrayLike<ArrayLike<Cell>>): Tensor<Float32Array> {
    const w = this.rowsOf(fn, rows, this.columns?.length);
    const over = this.categorical.find((c) => c >= w);
    if (over !== undefined) throw new RangeError(`${fn}: categorical column ${over} is outside the ${w} columns of rows`);
    const encoders = this.categorical.map((j) => {
      const values: Cell[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        values[i] = this.cell(fn, rows, i, j);
        if (typeof values[i] !== typeof values[0]) {
          throw new TypeError(`${fn}: column ${this.columnName(j)} mixes strings and numbers: rows[0][${j}] is ${show(values[0])}, rows[${i}][${j}] is ${show(values[i])}`);
        }
      }
      const e = new LabelEncoder(this.unknown === 'error' ? {} : { unknown: this.unknown, unknownValue: this.unknownValue! });
      try {
        return e.fit(values);
      } catch (err) {
        throw new RangeError(`${fn}: column ${this.columnName(j)}: ${(err as Error).message}`, { cause: err });
      }
    });
    // Parsing the numeric columns too makes bad data fail at fit time rather than at scoring.
    const out = this.encode(fn, rows, w, encoders);
    this.nColumns = w;
    this.#encoders = encoders;
    return out;
  }

  transform(rows: ArrayLike<ArrayLike<Cell>>): Tensor<Float32Array> {
    const fn = 'ColumnEncoder.transform';
    if (!this.#encoders) throw new Error(`${fn}: not fitted yet: call fit() first`);
    this.rowsOf(fn, rows, this.nColumns);
    return this.encode(fn, rows, this.nColumns, this.#encoders);
  }

  private encode(fn: string, rows: ArrayLike<ArrayLike<Cell>>, w: number, encoders: LabelEncoder[]): Tensor<Float32Array> {
    const byColumn: Array<LabelEncoder | null> = new Array(w).fill(null);
    this.categorical.forEach((j, k) => (byColumn[j] = encoders[k]));
    const n = rows.length;
    const out = new Float32Array(n * w);
    for (let i = 0, o = 0; i < n; i++) {
      for (let j = 0; j < w; j++, o++) {
        const v = this.cell(fn, rows, i, j);
        const enc = byColumn[j];
        if (enc) {
          const code = enc.classIndex(v);
          if (code >= 0) out[o] = code;
          else if (this.unknownValue !== null) out[o] = this.unknownValue;
          else throw new RangeError(`${fn}: rows[${i}][${j}] is ${show(v)}, a category of column ${this.columnName(j)} that fit never saw`);
          continue;
        }
        const x = typeof v === 'number' ? v : parseNumberCell(v);
        if (Number.isNaN(x)) throw new RangeError(`${fn}: rows[${i}][${j}] is ${show(v)}, not a number (column ${this.columnName(j)} is numeric)`);
        out[o] = x;
        if (!Number.isFinite(out[o])) throw new RangeError(`${fn}: rows[${i}][${j}] is ${show(v)}, beyond the float32 range (column ${this.columnName(j)})`);
      }
    }
    return { data: out, shape: [n, w] };
  }

  /** Plain-JSON state (it travels inside model files). */
  toJSON(): ColumnEncoderJSON {
    return {
      type: 'ColumnEncoder',
      version: FORMAT_VERSION,
      config: { categorical: [...this.categorical], columns: this.columns ? [...this.columns] : null, unknown: this.unknown, unknownValue: this.unknownValue },
      nColumns: this.nColumns,
      categories: this.categories.map((c) => [...c] as string[] | number[]),
    };
  }

  /** Rebuilds a fitted encoder from toJSON's output, checking every field. */
  static fromJSON(json: unknown): ColumnEncoder {
    const fn = 'ColumnEncoder.fromJSON';
    const bad = (what: string, cause?: unknown): never => {
      throw new TypeError(`${fn}: ${what}`, { cause });
    };
    if (json === null || typeof json !== 'object' || Array.isArray(json)) bad('expected an object');
    const j = json as Partial<ColumnEncoderJSON>;
    if (j.type !== 'ColumnEncoder') bad(`type must be "ColumnEncoder", got ${JSON.stringify(j.type)}`);
    if (!Number.isInteger(j.version) || j.version! < 1) bad(`bad version ${JSON.stringify(j.version)}`);
    if (j.version! > FORMAT_VERSION) throw new RangeError(`${fn}: format version ${j.version} is newer than this vigil reads (${FORMAT_VERSION})`);
    const cfg = j.config;
    if (cfg === null || typeof cfg !== 'object') bad('config missing');
    let e: ColumnEncoder;
    try {
      e = new ColumnEncoder({
        categorical: cfg!.categorical,
        ...(cfg!.columns === null ? {} : { columns: cfg!.columns }),
        unknown: cfg!.unknown,
        ...(cfg!.unknownValue === null ? {} : { unknownValue: cfg!.unknownValue }),
      });
    } catch (err) {
      bad(`bad config: ${(err as Error).message}`, err);
    }
    const w = j.nColumns;
    if (!Number.isInteger(w) || w! < 1 || (e!.columns && e!.columns.length !== w)) bad(`bad nColumns ${JSON.stringify(w)}`);
    if (e!.categorical.some((c) => c >= w!)) bad(`categorical columns must lie in [0, ${w})`);
    if (!Array.isArray(j.categories) || j.categories.length !== e!.categorical.length) {
      bad(`categories must hold one class list per categorical column (${e!.categorical.length})`);
    }
    const config = { unknown: e!.unknown, unknownValue: e!.unknownValue };
    e!.#encoders = j.categories!.map((classes, k) => {
      try {
        return LabelEncoder.fromJSON({ type: 'LabelEncoder', version: FORMAT_VERSION, config, classes });
      } catch (err) {
        return bad(`categories[${k}]: ${(err as Error).message}`, err);
      }
    });
    e!.nColumns = w!;
    return e!;
  }
}
