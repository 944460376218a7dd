// Typed tensors for OnnxModel: ONNX element types and the typed arrays that hold them (onnxruntime's
// own mapping: int64 in BigInt64Array, bool in Uint8Array), and the checks of a feed against what the
// session declares, so a wrong name, type or shape fails before anything reaches the worker.

import { ARRAY_OF, type ElementArray, type ElementType } from '../../preprocessing/npy.ts';

/** ONNX element types vigil moves in and out (numpy's and onnxruntime's names). */
export type OnnxElementType = ElementType;
export type OnnxTypedArray = ElementArray;

/** A tensor given to or returned by OnnxModel.run: element type, dims and values row-major. */
export interface OnnxTensor {
  type: OnnxElementType;
  dims: number[];
  data: OnnxTypedArray;
}

/** A graph input or output as the session declares it; string dims are symbolic (dynamic). */
export interface OnnxValueInfo {
  name: string;
  type: string;
  shape: (number | string)[];
}

function checkOne(fn: string, info: OnnxValueInfo, t: unknown): void {
  const where = `${fn}: input '${info.name}'`;
  if (typeof t !== 'object' || t === null) throw new TypeError(`${where} must be a tensor { type, dims, data }`);
  const { type, dims, data } = t as Partial<OnnxTensor>;
  if (type !== info.type) {
    throw new TypeError(`${where} has element type ${JSON.stringify(type)}, the model takes ${info.type}`);
  }
  const cls = ARRAY_OF[type as OnnxElementType];
  if (!cls || !(data instanceof cls)) {
    throw new TypeError(`${where}: ${type} values must be a ${cls?.name ?? 'typed array'}, got ${(data as object | undefined)?.constructor?.name ?? typeof data}`);
  }
  if (!Array.isArray(dims) || dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new RangeError(`${where}: dims must be non-negative integers, got ${JSON.stringify(dims)}`);
  }
  if (dims.length !== info.shape.length) {
    throw new RangeError(`${where} has ${dims.length} dims [${dims.join(', ')}], the model takes ${info.shape.length}: [${info.shape.join(', ')}]`);
  }
  dims.forEach((d, k) => {
    const want = info.shape[k];
    if (typeof want === 'number' && want >= 0 && d !== want) {
      throw new RangeError(`${where} has dims [${dims.join(', ')}], the model takes [${info.shape.join(', ')}] (axis ${k} must be ${want})`);
    }
  });
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new RangeError(`${where}: dims [${dims.join(', ')}] need ${n} values, data has ${data.length}`);
}

/** Checks feeds against the session's inputs: every input present, no unknown names, types and shapes. */
export function checkFeeds(fn: string, inputs: readonly OnnxValueInfo[], feeds: unknown): Record<string, OnnxTensor> {
  if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds)) {
    throw new TypeError(`${fn}: feeds must be an object { [inputName]: tensor }`);
  }
  const names = inputs.map((i) => i.name);
  for (const k of Object.keys(feeds)) {
    if (!names.includes(k)) throw new RangeError(`${fn}: the model has no input '${k}' (its inputs: ${names.join(', ')})`);
  }
  for (const info of inputs) {
    const t = (feeds as Record<string, unknown>)[info.name];
    if (t === undefined) throw new RangeError(`${fn}: input '${info.name}' is missing (the model's inputs: ${names.join(', ')})`);
    checkOne(fn, info, t);
  }
  return feeds as Record<string, OnnxTensor>;
}
