// NumPy's .npy format (format versions 1-3): read into a typed array and write float32/any element type
// back. Little-endian numbers and bool only, C order; anything else (big-endian, Fortran order,
// object or string arrays, a truncated file) is refused with an error that says what the file holds.
// Spec: numpy.lib.format (magic "\x93NUMPY", version, header length, a Python dict literal header).

/** Element types: numpy's names for them, as onnxruntime spells them too. */
export type ElementType =
  | 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool';

export type ElementArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

type ArrayClass = { new (n: number): ElementArray; new (b: ArrayBuffer, offset?: number, length?: number): ElementArray; BYTES_PER_ELEMENT: number };

/** The typed array holding each element type (bool in a Uint8Array of 0/1, as onnxruntime). */
export const ARRAY_OF: Record<ElementType, ArrayClass> = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array,
  bool: Uint8Array,
};

export function isElementType(t: unknown): t is ElementType {
  return typeof t === 'string' && Object.hasOwn(ARRAY_OF, t);
}

export interface NdArray {
  dtype: ElementType;
  shape: number[];
  data: ElementArray;
}

const DESCR: Record<string, ElementType> = {
  f4: 'float32', f8: 'float64', i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16', i4: 'int32', u4: 'uint32',
  i8: 'int64', u8: 'uint64', b1: 'bool',
};
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses .npy bytes; `what` names the source in errors. */
export function readNpy(bytes: Uint8Array, what = 'npy'): NdArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${what}: not a .npy file (no \\x93NUMPY magic)`);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new Error(`${what}: .npy format version ${major}.${bytes[7]} is not supported (1 to 3 are)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wide = major >= 2;
  if (wide && bytes.length < 12) throw new Error(`${what}: truncated .npy header`);
  const headerLen = wide ? view.getUint32(8, true) : view.getUint16(8, true);
  const start = wide ? 12 : 10;
  if (start + headerLen > bytes.length) throw new Error(`${what}: truncated .npy header (${headerLen} bytes announced, ${bytes.length - start} present)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`${what}: malformed .npy header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') throw new Error(`${what}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray(x)`);
  const order = descr[0];
  const dtype = DESCR[descr.slice(1)];
  const oneByte = dtype === 'int8' || dtype === 'uint8' || dtype === 'bool';
  if (!dtype || !(order === '<' || order === '|' || (order === '=' && oneByte) || (order === '>' && oneByte))) {
    throw new Error(`${what}: dtype '${descr}' is not supported (little-endian float32/64, (u)int8-64 and bool are)`);
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    const n = Number(s.replace(/L$/, ''));
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${what}: bad dimension '${s}' in the .npy shape`);
    return n;
  });
  const n = shape.reduce((a, b) => a * b, 1);
  const cls = ARRAY_OF[dtype];
  const dataStart = start + headerLen;
  const need = n * cls.BYTES_PER_ELEMENT;
  const have = bytes.length - dataStart;
  if (have < need) throw new Error(`${what}: truncated .npy data: shape [${shape.join(', ')}] of ${dtype} needs ${need} bytes, the file has ${have}`);
  if (have > need) throw new Error(`${what}: ${have - need} bytes after the .npy data (shape [${shape.join(', ')}] of ${dtype})`);
  // Copy into an aligned buffer of its own: the data's offset in the file need not be a multiple of the
  // element size (and a Node Buffer's slice() would share its pool rather than copy).
  const own = new Uint8Array(need);
  own.set(bytes.subarray(dataStart, dataStart + need));
  return { dtype, shape, data: new cls(own.buffer, 0, n) };
}

const DESCR_OF: Record<ElementType, string> = {
  float32: '<f4', float64: '<f8', int8: '|i1', uint8: '|u1', int16: '<i2', uint16: '<u2', int32: '<i4', uint32: '<u4',
  int64: '<i8', uint64: '<u8', bool: '|b1',
};

/** .npy (version 1.0) bytes of an array; the header is padded so the data starts at a multiple of 64. */
export function writeNpy(a: NdArray): Uint8Array {
  if (!isElementType(a.dtype)) throw new TypeError(`writeNpy: dtype must be one of ${Object.keys(ARRAY_OF).join(', ')}, got ${JSON.stringify(a.dtype)}`);
  if (!(a.data instanceof ARRAY_OF[a.dtype])) throw new TypeError(`writeNpy: ${a.dtype} data must be a ${ARRAY_OF[a.dtype].name}`);
  const n = a.shape.reduce((x, y) => x * y, 1);
  if (a.shape.some((d) => !Number.isSafeInteger(d) || d < 0) || n !== a.data.length) {
    throw new RangeError(`writeNpy: shape [${a.shape.join(', ')}] does not hold ${a.data.length} values`);
  }
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let header = `{'descr': '${DESCR_OF[a.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  if (header.length > 0xffff) throw new RangeError('writeNpy: shape too long for a version 1.0 header');
  const out = new Uint8Array(total + a.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), total);
  return out;
}
