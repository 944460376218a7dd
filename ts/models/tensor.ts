// The one tensor type of the model layer: a flat row-major typed array and its shape (batch
// first). Token ids are Int32Array, everything else Float32Array.

export type TensorData = Float32Array | Int32Array;

export interface Tensor<D extends TensorData = TensorData> {
  data: D;
  shape: number[];
}

/** Number of elements of a shape (1 for a scalar shape []). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(fn: string, name: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${fn}: ${name} must be an array of dimensions`);
  for (const d of shape) {
    if (typeof d !== 'number') throw new TypeError(`${fn}: ${name} must hold numbers, got ${typeof d}`);
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${fn}: ${name} dimensions must be non-negative integers, got [${shape.join(', ')}]`);
  }
  return shape as number[];
}

/** Wraps data in a tensor, checking that the shape covers every element. */
export function tensor<D extends TensorData>(data: D, shape: readonly number[]): Tensor<D> {
  if (!(data instanceof Float32Array) && !(data instanceof Int32Array)) {
    throw new TypeError('tensor: data must be a Float32Array or an Int32Array');
  }
  const s = checkShape('tensor', 'shape', [...shape]);
  if (sizeOf(s) !== data.length) {
    throw new RangeError(`tensor: shape [${s.join(', ')}] needs ${sizeOf(s)} elements, data has ${data.length}`);
  }
  return { data, shape: s };
}

/** A tensor from nested arrays of equal lengths (numbers become float32, or int32 with dtype 'int32'). */
export function fromArray(values: unknown, dtype: 'float32' | 'int32' = 'float32'): Tensor {
  const shape: number[] = [];
  let probe: unknown = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat: number[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new TypeError(`fromArray: values must be numbers, got ${typeof v}`);
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new RangeError(`fromArray: ragged values: every array at depth ${depth} must have length ${shape[depth]}`);
    }
    for (const x of v) walk(x, depth + 1);
  };
  walk(values, 0);
  const data = dtype === 'int32' ? Int32Array.from(flat) : Float32Array.from(flat);
  return { data, shape };
}

/** Rows `rows` of a tensor (along the first axis), copied in that order. */
export function gatherRows<D extends TensorData>(t: Tensor<D>, rows: ArrayLike<number>): Tensor<D> {
  const row = sizeOf(t.shape.slice(1));
  const out = new (t.data.constructor as new (n: number) => D)(rows.length * row);
  for (let i = 0; i < rows.length; i++) out.set(t.data.subarray(rows[i] * row, (rows[i] + 1) * row), i * row);
  return { data: out, shape: [rows.length, ...t.shape.slice(1)] };
}

/** Rows [start, end) of a tensor, sharing its memory. */
export function sliceRows<D extends TensorData>(t: Tensor<D>, start: number, end: number): Tensor<D> {
  const row = sizeOf(t.shape.slice(1));
  return { data: t.data.subarray(start * row, end * row) as D, shape: [end - start, ...t.shape.slice(1)] };
}
