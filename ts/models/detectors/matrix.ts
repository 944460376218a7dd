// Tabular input for the detectors: rows x features, float32, every value finite.
import { checkAttached } from '../../bindings/check.ts';
import { firstNonFinite } from '../../bindings/scan.ts';
import type { Tensor } from '../tensor.ts';

/** A table as detectors take it: a [rows, features] tensor, or one array of numbers per row. */
export type TabularInput = Tensor<Float32Array> | ArrayLike<number>[];

/** A checked table: row-major float32 values. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/**
 * Checks and flattens a table. Rows must share one width (`cols` when given: the width the
 * detector was fitted on) and hold only finite numbers; the error names the call, the argument
 * and the first offending row and column.
 */
export function toMatrix(fn: string, name: string, x: unknown, cols?: number): Matrix {
  let data: Float32Array;
  let rows: number;
  let width: number;
  if (Array.isArray(x)) {
    rows = x.length;
    if (rows === 0) throw new RangeError(`${fn}: ${name} has no rows`);
    const first = x[0] as unknown;
    if (first === null || typeof first !== 'object' || typeof (first as ArrayLike<number>).length !== 'number') {
      throw new TypeError(`${fn}: ${name} must be an array of rows (arrays of numbers), row 0 is ${typeof first}`);
    }
    width = (first as ArrayLike<number>).length;
    data = new Float32Array(rows * width);
    for (let i = 0; i < rows; i++) {
      const row = x[i] as unknown;
      if (row === null || typeof row !== 'object' || typeof (row as ArrayLike<number>).length !== 'number') {
        throw new TypeError(`${fn}: ${name}[${i}] must be an array of numbers, got ${row === null ? 'null' : typeof row}`);
      }
      // A detached row reads as 0 values: name it rather than report a width mismatch.
      checkAttached(fn, `${name}[${i}]`, row);
      const r = row as ArrayLike<unknown>;
      if (r.length !== width) throw new RangeError(`${fn}: ${name}[${i}] has ${r.length} values, row 0 has ${width}`);
      for (let j = 0; j < width; j++) {
        const v = r[j];
        if (typeof v !== 'number') throw new TypeError(`${fn}: ${name}[${i}][${j}] must be a number, got ${typeof v}`);
        data[i * width + j] = v;
      }
    }
  } else if (x !== null && typeof x === 'object' && 'data' in x && 'shape' in x) {
    const t = x as Tensor;
    if (!(t.data instanceof Float32Array)) throw new TypeError(`${fn}: ${name}.data must be a Float32Array`);
    checkAttached(fn, `${name}.data`, t.data);
    if (!Array.isArray(t.shape) || t.shape.length !== 2) {
      throw new RangeError(`${fn}: ${name} must be a [rows, features] tensor, got shape [${String(t.shape)}]`);
    }
    [rows, width] = t.shape;
    if (!Number.isInteger(rows) || !Number.isInteger(width) || rows * width !== t.data.length) {
      throw new RangeError(`${fn}: ${name}.shape [${t.shape.join(', ')}] does not match ${t.data.length} values`);
    }
    if (rows === 0) throw new RangeError(`${fn}: ${name} has no rows`);
    data = t.data;
  } else {
    throw new TypeError(`${fn}: ${name} must be a [rows, features] tensor or an array of rows`);
  }
  if (width === 0) throw new RangeError(`${fn}: ${name} has rows of 0 features`);
  if (cols !== undefined && width !== cols) {
    throw new RangeError(`${fn}: ${name} has ${width} features per row, the detector was fitted on ${cols}`);
  }
  const k = firstNonFinite(data);
  if (k >= 0) {
    const i = Math.floor(k / width);
    throw new RangeError(`${fn}: ${name}[${i}][${k - i * width}] is ${data[k]}: features must be finite`);
  }
  return { data, rows, cols: width };
}
