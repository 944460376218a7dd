// Functions for test/offthread.test.ts to run on offThread's worker: each shows one thing crossing
// the boundary (a result's buffers, an error's class and fields, a busy worker being ended).
import { readFileSync } from 'node:fs';
import { DataFormatError } from '../../ts/models/preprocessing/csv.ts';

let kept: Float64Array | null = null;

/** A result holding typed arrays in an object, an array and a Map; the first is kept here to look at later. */
export function arrays(n: number): { a: Float64Array; list: Int32Array[]; byName: Map<string, Uint8Array> } {
  kept = Float64Array.from({ length: n }, (_, i) => i / 2);
  return { a: kept, list: [Int32Array.of(1, 2, 3)], byName: new Map([['x', Uint8Array.of(7)]]) };
}

/** The byteLength of the array `arrays` kept: 0 once its buffer was moved to the caller. */
export function keptByteLength(): number {
  return kept === null ? -1 : kept.byteLength;
}

export function dataFormatError(): never {
  throw new DataFormatError('f.csv', 3, 'bad row');
}

export function withCause(): never {
  throw new Error('outer', { cause: new RangeError('inner') });
}

/** Node's own fs error for a missing file: own enumerable errno, code, syscall and path. */
export function readMissing(path: string): Buffer {
  return readFileSync(path);
}

export function throwsString(): never {
  throw 'just a string';
}

export async function later(x: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 5));
  return x * 2;
}

/** Keeps the worker busy for `ms` (an abort must end it, not wait for it). */
export function spin(ms: number): number {
  const end = Date.now() + ms;
  let n = 0;
  while (Date.now() < end) n++;
  return n;
}

export function returnsFunction(): unknown {
  return { f: () => 1 };
}
