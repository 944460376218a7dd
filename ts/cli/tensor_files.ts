// Tensors on disk for `vigil score --input/--output`: .npy (any element type numpy writes in C order)
// or .json (a nested array of numbers), and casting a tensor to the element type a model takes.
import { readFileSync } from 'node:fs';
import { ARRAY_OF, readNpy, writeNpy, type ElementType, type NdArray } from '../models/preprocessing/npy.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { oneLine, UsageError } from './common.ts';

const INT_RANGE: Partial<Record<ElementType, [number, number]>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535], int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1], int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], uint64: [0, Number.MAX_SAFE_INTEGER], bool: [0, 1],
};

export function tensorFormat(flag: string, path: string): 'npy' | 'json' {
  if (path.endsWith('.npy')) return 'npy';
  if (path.endsWith('.json')) return 'json';
  throw new UsageError(`${flag} must be a .npy or .json file, got ${JSON.stringify(path)}`);
}

/** A nested JSON array of numbers (or booleans) as float64 values and a shape; ragged arrays are refused. */
export function fromNested(value: unknown, what: string): NdArray {
  const shape: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  if (shape.length === 0) throw new Error(`${what}: expected a nested array of numbers, got ${typeof value}`);
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  let k = 0;
  const walk = (v: unknown, depth: number, at: string): void => {
    if (depth === shape.length) {
      if (typeof v === 'boolean') out[k++] = v ? 1 : 0;
      else if (typeof v === 'number' && Number.isFinite(v)) out[k++] = v;
      else throw new Error(`${what}: element ${at} is ${JSON.stringify(v)}, not a finite number`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new Error(`${what}: ragged array: element ${at || '[]'} should be an array of ${shape[depth]}, got ${Array.isArray(v) ? `${v.length} items` : JSON.stringify(v)}`);
    }
    v.forEach((x, i) => walk(x, depth + 1, `${at}[${i}]`));
  };
  walk(value, 0, '');
  return { dtype: 'float64', shape, data: out };
}

function toNested(a: NdArray): unknown {
  const values = Array.from(a.data as ArrayLike<number | bigint>, Number);
  if (a.shape.length === 0) return values[0];
  const build = (depth: number, offset: number): unknown[] => {
    const n = a.shape[depth]!;
    const inner = a.shape.slice(depth + 1).reduce((x, y) => x * y, 1);
    return Array.from({ length: n }, (_, i) => (depth === a.shape.length - 1 ? values[offset + i] : build(depth + 1, offset + i * inner)));
  };
  return build(0, 0);
}

/** The tensor in the file `flag` names; every problem with it is reported as `flag path: why`. */
export function readTensorFile(flag: string, path: string): NdArray {
  const what = `${flag} ${path}`;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${what}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (tensorFormat(flag, path) === 'npy') return readNpy(bytes, what);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new Error(`${what}: not valid JSON (${oneLine((err as Error).message)})`);
  }
  return fromNested(json, what);
}

export async function writeTensorFile(path: string, a: NdArray): Promise<void> {
  const bytes = tensorFormat('--output', path) === 'npy' ? writeNpy(a) : new TextEncoder().encode(`${JSON.stringify(toNested(a))}\n`);
  await writeFileAtomic(path, bytes);
}

/** `a` as element type `to`: floats take any number; integer types need integral values in range. */
export function castTensor(a: NdArray, to: ElementType, what: string): NdArray {
  if (a.dtype === to) return a;
  const n = a.data.length;
  const src = a.data as ArrayLike<number | bigint>;
  const range = INT_RANGE[to];
  if (range) {
    for (let i = 0; i < n; i++) {
      const v = Number(src[i]!);
      if (!Number.isInteger(v) || v < range[0] || v > range[1]) {
        throw new Error(`${what}: element ${i} is ${src[i]}, not a valid ${to} value (the model's input takes ${to})`);
      }
    }
  }
  const cls = ARRAY_OF[to];
  const out = new cls(n);
  const big = to === 'int64' || to === 'uint64';
  for (let i = 0; i < n; i++) (out as unknown as (number | bigint)[])[i] = big ? BigInt(Number(src[i]!)) : Number(src[i]!);
  return { dtype: to, shape: [...a.shape], data: out };
}
