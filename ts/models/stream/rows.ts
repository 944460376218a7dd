// From records to rows: which column (CSV), field (JSON lines) or line holds each row's text or
// features, its id and its label, resolved once from the CSV header or the first record, then
// applied to every record. A record that does not fit (too few fields, a missing field, a label
// that is not one of the two) is a row error naming the line; a column the header lacks is an
// error before any row is read.
import { DataFormatError, resolveColumn } from '../preprocessing/csv.ts';
import type { Cell } from '../preprocessing/encoders.ts';
import type { InputRecord } from './records.ts';
import type { InputFormat } from './source.ts';

/** A CSV column (a header name, or a 0-based index) or a JSON field (a key, or an array index). */
export type ColumnSpec = string | number;

/** What the model reads from a row: one text, or a list of feature cells. */
export type PayloadSpec = { kind: 'text'; column: ColumnSpec | null } | { kind: 'features'; columns: ColumnSpec[] | null };

export interface RowSpec {
  format: InputFormat;
  source: string;
  /** CSV: the first record names the columns. */
  header: boolean;
  payload: PayloadSpec;
  idColumn: ColumnSpec | null;
  labelColumn: ColumnSpec | null;
  /** Label values [negative, positive]; null: 0 and 1. */
  labelNames: readonly [string, string] | null;
}

/** The rows gathered for one model call, in input order. */
export class RowBatch {
  rows: number[] = [];
  lines: number[] = [];
  ids: string[] | null;
  labels: number[] | null;
  payload: Array<string | Cell[]> = [];

  constructor(withIds: boolean, withLabels: boolean) {
    this.ids = withIds ? [] : null;
    this.labels = withLabels ? [] : null;
  }

  get size(): number {
    return this.payload.length;
  }

  /** Drops row `i` (a row the model's preparation refused). */
  remove(i: number): void {
    for (const a of [this.rows, this.lines, this.ids, this.labels, this.payload]) a?.splice(i, 1);
  }

  /** Keeps the first `n` rows. */
  truncate(n: number): void {
    for (const a of [this.rows, this.lines, this.ids, this.labels, this.payload]) if (a) a.length = n;
  }
}

/** A row that cannot be used: its 0-based row index and the error naming its line. */
export interface RowError {
  row: number;
  error: DataFormatError;
}

type Getter<T> = (rec: InputRecord) => T;

class RowProblem extends Error {}
const problem = (message: string): never => {
  throw new RowProblem(message);
};

const describe = (v: unknown): string => (v === undefined ? 'missing' : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : JSON.stringify(v));

function objectOf(rec: InputRecord): Record<string, unknown> {
  const v = rec.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) problem(`expected a JSON object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

/**
 * Reads the rows of a stream of records for one model: resolves the columns on the first record
 * (the CSV header, or the first data record), then turns each record into a row of a batch.
 */
export class RowReader {
  readonly spec: RowSpec;
  #ready = false;
  #nextRow = 0;
  #payload!: Getter<string | Cell[]>;
  #id: Getter<string> | null = null;
  #label: Getter<number> | null = null;
  /** Feature column names (CSV header names, JSON keys or indices), once known. */
  featureNames: string[] | null = null;

  constructor(spec: RowSpec) {
    this.spec = spec;
    if (spec.format === 'lines') {
      if (spec.payload.kind === 'features') throw new TypeError(`${spec.source}: text lines hold no feature columns; give CSV or JSON lines to a detector`);
      for (const [name, v] of [['textColumn', spec.payload.column], ['idColumn', spec.idColumn], ['labelColumn', spec.labelColumn]] as const) {
        if (v !== null) throw new TypeError(`${spec.source}: ${name} does not apply to text lines (each line is one text)`);
      }
    }
  }

  /** True until the CSV header (when there is one) has been read. */
  get awaitingHeader(): boolean {
    return !this.#ready && this.spec.format === 'csv' && this.spec.header;
  }

  /** The 0-based row index the next data record gets. */
  get rowsRead(): number {
    return this.#nextRow;
  }

  /** Counts a record that could not be read at all; returns its row index. */
  skipRecord(): number {
    return this.#nextRow++;
  }

  /**
   * Takes one record: the CSV header (returns null, nothing added), a row appended to `batch`
   * (null), or a row error.
   */
  take(rec: InputRecord, batch: RowBatch): RowError | null {
    if (!this.#ready) {
      this.#ready = true;
      if (this.#resolve(rec)) return null;
    }
    const row = this.#nextRow++;
    try {
      const payload = this.#payload(rec);
      const id = this.#id?.(rec);
      const label = this.#label?.(rec);
      batch.payload.push(payload);
      batch.rows.push(row);
      batch.lines.push(rec.line);
      if (id !== undefined) batch.ids!.push(id);
      if (label !== undefined) batch.labels!.push(label);
      return null;
    } catch (err) {
      if (!(err instanceof RowProblem)) throw err;
      return { row, error: new DataFormatError(this.spec.source, rec.line, err.message) };
    }
  }

  /** Sets up the getters from the first record; true when that record was a CSV header. */
  #resolve(first: InputRecord): boolean {
    const s = this.spec;
    if (s.format === 'csv') {
      const fields = first.value as string[];
      const header = s.header ? fields : null;
      this.#csv(header, fields.length, first.line);
      return s.header;
    }
    if (s.format === 'lines') {
      this.#payload = (r) => r.raw;
      return false;
    }
    this.#json(first);
    return false;
  }

  #csv(header: string[] | null, width: number, line: number): void {
    const s = this.spec;
    const col = (spec: ColumnSpec, what: string) => {
      try {
        return resolveColumn(spec, header, width, what);
      } catch (err) {
        throw new DataFormatError(s.source, line, (err as Error).message);
      }
    };
    const id = s.idColumn === null ? null : col(s.idColumn, 'id column');
    const label = s.labelColumn === null ? null : col(s.labelColumn, 'label column');
    const named = (c: { name: string }) => (header ? `'${c.name}'` : `column ${c.name}`);
    const short = (fields: string[], what: string) => problem(`${fields.length} field(s), too few to hold ${what}`);
    if (s.payload.kind === 'text') {
      if (s.payload.column === null) throw new TypeError(`${s.source}: a CSV input needs textColumn, the column of the texts`);
      const t = col(s.payload.column, 'text column');
      if (t.index === label?.index) throw new TypeError(`${s.source}: the text and label columns are the same column (${t.index})`);
      const ti = t.index;
      this.#payload = (r) => {
        const f = r.value as string[];
        return ti < f.length ? f[ti] : short(f, `the text column ${named(t)} (index ${ti})`);
      };
    } else {
      const taken = new Set([id?.index, label?.index]);
      const cols = s.payload.columns === null
        ? Array.from({ length: width }, (_, j) => j).filter((j) => !taken.has(j)).map((j) => col(j, 'column'))
        : s.payload.columns.map((c) => col(c, 'feature column'));
      for (const c of cols) {
        if (taken.has(c.index)) throw new TypeError(`${s.source}: feature column ${named(c)} is also the id or label column`);
      }
      if (cols.length === 0) throw new TypeError(`${s.source}: no feature columns left (the input has ${width} column(s))`);
      this.featureNames = cols.map((c) => c.name);
      const idx = cols.map((c) => c.index);
      const all = idx.length === width && idx.every((j, k) => j === k);
      this.#payload = (r) => {
        const f = r.value as string[];
        if (f.length !== width) problem(`${f.length} field(s), the ${header ? 'header' : 'first row'} has ${width}`);
        return all ? f : idx.map((j) => f[j]);
      };
    }
    if (id) {
      const k = id.index;
      this.#id = (r) => {
        const f = r.value as string[];
        return k < f.length ? f[k] : short(f, `the id column ${named(id)} (index ${k})`);
      };
    }
    if (label) {
      const k = label.index;
      const parse = this.#labelParser(named(label));
      this.#label = (r) => {
        const f = r.value as string[];
        return k < f.length ? parse(f[k]) : short(f, `the label column ${named(label)} (index ${k})`);
      };
    }
  }

  #json(first: InputRecord): void {
    const s = this.spec;
    const key = (spec: ColumnSpec, what: string): string => {
      if (typeof spec !== 'string') throw new TypeError(`${s.source}: ${what} must name a JSON field (a string), got ${JSON.stringify(spec)}`);
      return spec;
    };
    if (s.payload.kind === 'text') {
      if (s.payload.column === null) {
        this.#payload = (r) => r.raw;
      } else {
        const k = key(s.payload.column, 'textColumn');
        this.#payload = (r) => {
          const v = objectOf(r)[k];
          return typeof v === 'string' ? v : problem(`field "${k}" must be a string, got ${describe(v)}`);
        };
      }
    } else {
      this.#jsonFeatures(first);
    }
    if (s.idColumn !== null) {
      const k = key(s.idColumn, 'idColumn');
      this.#id = (r) => {
        const v = objectOf(r)[k];
        return typeof v === 'string' || typeof v === 'number' ? String(v) : problem(`id field "${k}" must be a string or a number, got ${describe(v)}`);
      };
    }
    if (s.labelColumn !== null) {
      const k = key(s.labelColumn, 'labelColumn');
      const parse = this.#labelParser(`field "${k}"`);
      this.#label = (r) => {
        const v = objectOf(r)[k];
        return typeof v === 'string' || typeof v === 'number' ? parse(String(v)) : problem(`label field "${k}" must be a string or a number, got ${describe(v)}`);
      };
    }
  }

  /** JSON features: an array per line (by index) or an object per line (by key). */
  #jsonFeatures(first: InputRecord): void {
    const s = this.spec;
    const cols = s.payload.kind === 'features' ? s.payload.columns : null;
    const arrays = cols === null ? Array.isArray(first.value) : cols.every((c) => typeof c === 'number');
    if (arrays) {
      if (cols !== null && cols.some((c) => !Number.isInteger(c) || (c as number) < 0)) {
        throw new TypeError(`${s.source}: feature columns of JSON arrays are 0-based indices, got ${JSON.stringify(cols)}`);
      }
      if (s.idColumn !== null || s.labelColumn !== null) throw new TypeError(`${s.source}: JSON arrays have no id or label field; give each line as an object`);
      const width = Array.isArray(first.value) ? first.value.length : 0;
      const idx = (cols as number[] | null) ?? Array.from({ length: width }, (_, j) => j);
      if (idx.length === 0) throw new TypeError(`${s.source}: no feature columns (the first line is ${describe(first.value)})`);
      this.featureNames = idx.map(String);
      this.#payload = (r) => {
        const v = r.value;
        if (!Array.isArray(v)) return problem(`expected a JSON array of features, got ${describe(v)}`);
        if (cols === null && v.length !== width) problem(`${v.length} values, the first line has ${width}`);
        return idx.map((j) => (j < v.length ? v[j] : problem(`${v.length} values, too few for feature column ${j}`))) as Cell[];
      };
      return;
    }
    if (cols !== null && cols.some((c) => typeof c !== 'string')) {
      throw new TypeError(`${s.source}: feature columns must be all field names (objects) or all indices (arrays), got ${JSON.stringify(cols)}`);
    }
    const skip = new Set([s.idColumn, s.labelColumn]);
    const keys = (cols as string[] | null) ?? Object.keys(objectOf(first)).filter((k) => !skip.has(k));
    if (keys.length === 0) throw new TypeError(`${s.source}: no feature fields (the first line is ${describe(first.value)})`);
    this.featureNames = keys;
    this.#payload = (r) => {
      const o = objectOf(r);
      return keys.map((k) => (k in o ? o[k] : problem(`no field "${k}"`))) as Cell[];
    };
  }

  #labelParser(where: string): (v: string) => number {
    const names = this.spec.labelNames;
    if (names) {
      const [neg, pos] = names;
      return (v) => {
        const t = v.trim();
        return t === pos ? 1 : t === neg ? 0 : problem(`label ${JSON.stringify(v)} in ${where} is neither of the model's labels ${JSON.stringify(neg)} (0) and ${JSON.stringify(pos)} (1)`);
      };
    }
    return (v) => {
      const t = v.trim();
      return t === '' || !(Number(t) === 0 || Number(t) === 1) ? problem(`label ${JSON.stringify(v)} in ${where} is not 0 or 1`) : Number(t);
    };
  }
}
