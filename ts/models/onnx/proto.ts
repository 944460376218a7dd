// ONNX's protobuf messages as plain objects: the typed shapes vigil uses, and the one codec (protobufjs over
// the descriptor generated from ONNX 1.12's onnx.proto) that reads and writes them. Field names keep the
// .proto's snake_case so that these objects are the messages, not a translation of them. int64 fields are
// read as numbers: every int64 ONNX puts in a model vigil handles (dims, opsets, attributes) is far below 2^53.
import protobuf from 'protobufjs';
import { ONNX_SCHEMA } from './schema.ts';

/** TensorProto.DataType values vigil meets. */
export const DataType = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11,
} as const;

/** AttributeProto.AttributeType values. */
export const AttributeType = {
  FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10,
} as const;

export interface StringStringEntry { key: string; value: string }
export interface OperatorSetId { domain?: string; version: number }

export interface TensorProto {
  name?: string;
  dims?: number[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  double_data?: number[];
  uint64_data?: number[];
  string_data?: Uint8Array[];
  /** 1 = EXTERNAL: the values live in another file, which vigil does not read. */
  data_location?: number;
  external_data?: StringStringEntry[];
  doc_string?: string;
}

export interface AttributeProto {
  name: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
  ref_attr_name?: string;
  doc_string?: string;
}

export interface NodeProto {
  name?: string;
  op_type: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: AttributeProto[];
  doc_string?: string;
}

export interface Dimension { dim_value?: number; dim_param?: string }
export interface TypeProto {
  tensor_type?: { elem_type?: number; shape?: { dim?: Dimension[] } };
}
export interface ValueInfoProto { name: string; type?: TypeProto; doc_string?: string }

export interface GraphProto {
  name?: string;
  node?: NodeProto[];
  initializer?: TensorProto[];
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  value_info?: ValueInfoProto[];
  doc_string?: string;
}

export interface ModelProto {
  ir_version?: number;
  opset_import?: OperatorSetId[];
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: number;
  doc_string?: string;
  graph?: GraphProto;
  metadata_props?: StringStringEntry[];
}

const root = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace);
const Model = root.lookupType('onnx.ModelProto');

/**
 * Decodes an ONNX file's bytes. Throws an Error naming `what` when the bytes are not a protobuf ModelProto
 * with a graph (truncated, corrupted, or another kind of file); it never returns a half-read model.
 */
export function decodeModel(bytes: Uint8Array, what = 'model'): ModelProto {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what}: expected a Uint8Array of ONNX bytes`);
  if (bytes.byteLength === 0) throw new Error(`${what}: empty file, not an ONNX model`);
  let message: protobuf.Message;
  try {
    message = Model.decode(bytes);
  } catch (err) {
    throw new Error(`${what}: not a valid ONNX file (protobuf: ${(err as Error).message})`);
  }
  const model = Model.toObject(message, { longs: Number, enums: Number, arrays: true }) as ModelProto;
  if (!model.ir_version || !model.graph) {
    throw new Error(`${what}: not an ONNX model (no ${model.ir_version ? 'graph' : 'ir_version'} field)`);
  }
  return model;
}

/** Encodes a model to ONNX bytes; the object must follow the shapes above (checked by protobufjs). */
export function encodeModel(model: ModelProto): Uint8Array {
  const problem = Model.verify(model);
  if (problem) throw new Error(`encodeModel: ${problem}`);
  return Model.encode(Model.fromObject(model)).finish();
}

export const ELEMENT_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(DataType).map(([name, code]) => [code, name.toLowerCase()]),
);

function elementCount(t: TensorProto, what: string): number {
  let n = 1;
  for (const d of t.dims ?? []) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`${what}: tensor '${t.name}' has an invalid dimension ${d}`);
    n *= d;
    if (n > 2 ** 31) throw new RangeError(`${what}: tensor '${t.name}' is too large (${n} elements)`);
  }
  return n;
}

function checkInline(t: TensorProto, what: string): void {
  if (t.data_location === 1 || (t.external_data?.length ?? 0) > 0) {
    throw new Error(`${what}: tensor '${t.name}' uses external data, which vigil does not read; save the model with its weights inside the file`);
  }
}

/** A tensor's values as float32 (float, double and integer tensors convert), length checked against dims. */
export function tensorToFloat32(t: TensorProto, what = 'model'): Float32Array {
  checkInline(t, what);
  const n = elementCount(t, what);
  const type = t.data_type ?? 0;
  let out: Float32Array;
  const raw = t.raw_data && t.raw_data.byteLength > 0 ? t.raw_data : undefined;
  if (raw) {
    const bytes = raw.slice(); // copy: raw_data is not aligned inside the file's buffer
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const width = type === DataType.FLOAT || type === DataType.INT32 ? 4 : type === DataType.DOUBLE || type === DataType.INT64 ? 8 : 0;
    if (width === 0) throw new Error(`${what}: tensor '${t.name}' has element type ${ELEMENT_NAMES[type] ?? type}, expected a number type`);
    if (bytes.byteLength !== n * width) {
      throw new Error(`${what}: tensor '${t.name}' holds ${bytes.byteLength} bytes, its dims [${t.dims ?? []}] need ${n * width}`);
    }
    out = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const o = k * width;
      out[k] = type === DataType.FLOAT ? view.getFloat32(o, true)
        : type === DataType.DOUBLE ? view.getFloat64(o, true)
        : type === DataType.INT32 ? view.getInt32(o, true)
        : Number(view.getBigInt64(o, true));
    }
    return out;
  }
  const list = type === DataType.FLOAT ? t.float_data
    : type === DataType.DOUBLE ? t.double_data
    : type === DataType.INT64 ? t.int64_data
    : type === DataType.INT32 || type === DataType.INT8 || type === DataType.UINT8 || type === DataType.INT16 || type === DataType.UINT16 || type === DataType.BOOL ? t.int32_data
    : undefined;
  if (!list) throw new Error(`${what}: tensor '${t.name}' has element type ${ELEMENT_NAMES[type] ?? type}, expected a number type`);
  if (list.length !== n) throw new Error(`${what}: tensor '${t.name}' holds ${list.length} values, its dims [${t.dims ?? []}] need ${n}`);
  return Float32Array.from(list);
}

/** A tensor's values as integers (for shapes, indices, sequence lengths). */
export function tensorToInts(t: TensorProto, what = 'model'): number[] {
  const type = t.data_type ?? 0;
  if (type !== DataType.INT64 && type !== DataType.INT32) {
    throw new Error(`${what}: tensor '${t.name}' has element type ${ELEMENT_NAMES[type] ?? type}, expected int64 or int32`);
  }
  return Array.from(tensorToFloat32(t, what));
}

/** Little-endian float32 raw_data initializer. */
export function floatTensor(name: string, dims: readonly number[], data: Float32Array | readonly number[]): TensorProto {
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  const n = dims.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new RangeError(`floatTensor '${name}': ${values.length} values for dims [${dims}]`);
  const raw = new Uint8Array(n * 4);
  const view = new DataView(raw.buffer);
  for (let k = 0; k < n; k++) view.setFloat32(k * 4, values[k]!, true);
  return { name, dims: [...dims], data_type: DataType.FLOAT, raw_data: raw };
}

/** int64 initializer (shapes, axes, indices). */
export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): TensorProto {
  return { name, dims: [...dims], data_type: DataType.INT64, int64_data: [...values] };
}
