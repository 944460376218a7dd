// Constant folding: nodes whose inputs are all constants are evaluated here, on small tensors, so that
// what torch.onnx.export writes around the real layers (the pads of F.pad computed through
// ConstantOfShape / Concat / Reshape / Slice / Transpose / Cast, indices, axes) becomes plain numbers.
import { DataType, tensorToFloat32, type NodeProto, type TensorProto } from '../proto.ts';
import { attr, attrInt, attrInts } from '../read.ts';
import { axisOf, type Ctx } from './context.ts';
import { constOf, type Const } from './values.ts';

/** Folding never builds tensors beyond this many elements (a corrupted shape must not exhaust memory). */
const MAX_ELEMENTS = 1 << 22;
const INT_TYPES: ReadonlySet<number> = new Set([DataType.UINT8, DataType.INT8, DataType.UINT16, DataType.INT16, DataType.INT32, DataType.INT64, DataType.BOOL, 12, 13]);
const FLOAT_TYPES: ReadonlySet<number> = new Set([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE]);

export function size(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  for (let k = dims.length - 1, n = 1; k >= 0; k--) {
    s[k] = n;
    n *= dims[k]!;
  }
  return s;
}

/** A TensorProto as a Const (float, double and integer tensors; anything else is refused by tensorToFloat32). */
export function constFromTensor(t: TensorProto, what: string): Const {
  const data = tensorToFloat32(t, what);
  return constOf([...(t.dims ?? [])], data, INT_TYPES.has(t.data_type ?? 0));
}

function checkSize(ctx: Ctx, node: NodeProto, dims: readonly number[]): number[] {
  const n = size(dims);
  if (dims.some((d) => !Number.isInteger(d) || d < 0) || n > MAX_ELEMENTS) {
    ctx.fail(node, `a constant of shape [${dims.join(', ')}] is invalid or too large to fold`);
  }
  return [...dims];
}

/** Calls fn(outIndex, inputOffset) over an output of `dims` read from an input through per-axis offsets. */
function gatherBy(dims: readonly number[], offsetOf: (axis: number, i: number) => number, fn: (o: number, src: number) => void): void {
  const r = dims.length;
  const n = size(dims);
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let k = 0; k < r; k++) src += offsetOf(k, idx[k]!);
    fn(o, src);
    for (let k = r - 1; k >= 0; k--) {
      if (++idx[k]! < dims[k]!) break;
      idx[k] = 0;
    }
  }
}

export function transposeConst(c: Const, perm: readonly number[]): Const {
  const st = strides(c.dims);
  const dims = perm.map((p) => c.dims[p]!);
  const out = new Float64Array(size(dims));
  gatherBy(dims, (k, i) => i * st[perm[k]!]!, (o, src) => (out[o] = c.data[src]!));
  return { kind: 'const', dims, data: out, isInt: c.isInt };
}

/** Slices one or more axes (ONNX Slice semantics: clamped starts/ends, any nonzero step). */
export function sliceConst(ctx: Ctx, node: NodeProto, c: Const, starts: number[], ends: number[], axes: number[], steps: number[]): Const {
  const r = c.dims.length;
  const begin = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  const dims = [...c.dims];
  axes.forEach((a0, j) => {
    const a = axisOf(ctx, node, a0, r);
    const d = c.dims[a]!;
    const s = steps[j] ?? 1;
    if (s === 0) ctx.fail(node, 'Slice step 0');
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    const st = s > 0 ? clamp(starts[j]!, 0, d) : clamp(starts[j]!, -1, d - 1);
    const en = s > 0 ? clamp(ends[j]!, 0, d) : clamp(ends[j]!, -1, d - 1);
    begin[a] = st;
    step[a] = s;
    dims[a] = Math.max(0, Math.ceil((en - st) / s));
  });
  const st = strides(c.dims);
  const out = new Float64Array(size(dims));
  gatherBy(dims, (k, i) => (begin[k]! + i * step[k]!) * st[k]!, (o, src) => (out[o] = c.data[src]!));
  return { kind: 'const', dims, data: out, isInt: c.isInt };
}

function broadcast(ctx: Ctx, node: NodeProto, a: Const, b: Const, op: (x: number, y: number) => number): Const {
  const r = Math.max(a.dims.length, b.dims.length);
  const pa = [...new Array<number>(r - a.dims.length).fill(1), ...a.dims];
  const pb = [...new Array<number>(r - b.dims.length).fill(1), ...b.dims];
  const dims = pa.map((d, k) => {
    const e = pb[k]!;
    if (d !== e && d !== 1 && e !== 1) ctx.fail(node, `shapes [${a.dims.join(', ')}] and [${b.dims.join(', ')}] do not broadcast`);
    return Math.max(d, e);
  });
  checkSize(ctx, node, dims);
  const sa = strides(pa), sb = strides(pb);
  const n = size(dims);
  const ia = new Int32Array(n), ib = new Int32Array(n);
  gatherBy(dims, (k, i) => (pa[k] === 1 ? 0 : i * sa[k]!), (o, src) => (ia[o] = src));
  gatherBy(dims, (k, i) => (pb[k] === 1 ? 0 : i * sb[k]!), (o, src) => (ib[o] = src));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = op(a.data[ia[i]!]!, b.data[ib[i]!]!);
  const isInt = a.isInt && b.isInt;
  if (isInt) for (let i = 0; i < out.length; i++) out[i] = Math.trunc(out[i]!);
  return { kind: 'const', dims, data: out, isInt };
}

const BINARY: Record<string, (x: number, y: number) => number> = {
  Add: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  Div: (x, y) => x / y,
};

/** Axes of Squeeze/Unsqueeze: an input from opset 13, an attribute before. */
export function axesOf(ctx: Ctx, node: NodeProto): number[] | null {
  if (ctx.opset >= 13) return node.input?.[1] ? ctx.ints(node, 1, 'axes') : null;
  const a = attr(node, 'axes');
  return a ? attrInts(node, 'axes', [], ctx.what) : null;
}

export function unsqueezeDims(ctx: Ctx, node: NodeProto, dims: readonly number[], axes: readonly number[]): number[] {
  const r = dims.length + axes.length;
  const at = new Set(axes.map((a) => axisOf(ctx, node, a, r)));
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) out.push(at.has(i) ? 1 : dims[k++]!);
  return out;
}

export function squeezeAxes(ctx: Ctx, node: NodeProto, dims: readonly (number | null)[], axes: readonly number[] | null): Set<number> {
  if (axes === null) return new Set(dims.flatMap((d, i) => (d === 1 ? [i] : [])));
  const set = new Set(axes.map((a) => axisOf(ctx, node, a, dims.length)));
  for (const a of set) if (dims[a] !== 1) ctx.fail(node, `cannot squeeze axis ${a} of size ${dims[a] ?? 'unknown'}`);
  return set;
}

function constantNode(ctx: Ctx, node: NodeProto): Const {
  const a = node.attribute?.[0];
  if (!a) ctx.fail(node, 'Constant without a value');
  switch (a.name) {
    case 'value': return constFromTensor({ ...a.t, name: node.output?.[0] ?? '' }, ctx.what);
    case 'value_float': return constOf([], [a.f ?? 0], false);
    case 'value_floats': return constOf([a.floats?.length ?? 0], a.floats ?? [], false);
    case 'value_int': return constOf([], [a.i ?? 0], true);
    case 'value_ints': return constOf([a.ints?.length ?? 0], a.ints ?? [], true);
    default: return ctx.fail(node, `Constant attribute '${a.name}' is not supported`);
  }
}

type Fold = (node: NodeProto, ins: (Const | undefined)[], ctx: Ctx) => Const;

function need(ctx: Ctx, node: NodeProto, ins: (Const | undefined)[], k: number): Const {
  const c = ins[k];
  if (!c) ctx.fail(node, `input ${k} is missing`);
  return c;
}

/** Folds of nodes whose inputs are all constants, by op_type. */
export const FOLDS: Record<string, Fold> = {
  Constant: (node, _ins, ctx) => constantNode(ctx, node),
  Identity: (node, ins, ctx) => need(ctx, node, ins, 0),
  Cast: (node, ins, ctx) => {
    const c = need(ctx, node, ins, 0);
    const to = attrInt(node, 'to', DataType.FLOAT, ctx.what);
    if (INT_TYPES.has(to)) return { ...c, data: c.data.map(Math.trunc), isInt: true };
    if (FLOAT_TYPES.has(to)) return { ...c, data: to === DataType.FLOAT ? c.data.map(Math.fround) : c.data, isInt: false };
    return ctx.fail(node, `Cast to element type ${to} is not supported`);
  },
  Shape: (node, ins, ctx) => {
    const dims = need(ctx, node, ins, 0).dims;
    const r = dims.length;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const from = clamp(attrInt(node, 'start', 0, ctx.what)), to = clamp(attrInt(node, 'end', r, ctx.what));
    const out = dims.slice(from, Math.max(from, to));
    return constOf([out.length], out, true);
  },
  Gather: (node, ins, ctx) => {
    const c = need(ctx, node, ins, 0), idx = need(ctx, node, ins, 1);
    const axis = axisOf(ctx, node, attrInt(node, 'axis', 0, ctx.what), c.dims.length);
    const d = c.dims[axis]!;
    const dims = checkSize(ctx, node, [...c.dims.slice(0, axis), ...idx.dims, ...c.dims.slice(axis + 1)]);
    const outer = size(c.dims.slice(0, axis)), inner = size(c.dims.slice(axis + 1));
    const out = new Float64Array(size(dims));
    let o = 0;
    for (let a = 0; a < outer; a++) {
      for (const i0 of idx.data) {
        const i = i0 < 0 ? i0 + d : i0;
        if (!Number.isInteger(i) || i < 0 || i >= d) ctx.fail(node, `index ${i0} is out of range for an axis of size ${d}`);
        out.set(c.data.subarray((a * d + i) * inner, (a * d + i + 1) * inner), o);
        o += inner;
      }
    }
    return { kind: 'const', dims, data: out, isInt: c.isInt };
  },
  Unsqueeze: (node, ins, ctx) => {
    const c = need(ctx, node, ins, 0);
    const axes = axesOf(ctx, node);
    if (!axes) return ctx.fail(node, 'Unsqueeze without axes');
    return { ...c, dims: unsqueezeDims(ctx, node, c.dims, axes) };
  },
  Squeeze: (node, ins, ctx) => {
    const c = need(ctx, node, ins, 0);
    const drop = squeezeAxes(ctx, node, c.dims, axesOf(ctx, node));
    return { ...c, dims: c.dims.filter((_, i) => !drop.has(i)) };
  },
  Concat: (node, ins, ctx) => {
    const parts = ins.map((_, k) => need(ctx, node, ins, k));
    const r = parts[0]!.dims.length;
    const axis = axisOf(ctx, node, attrInt(node, 'axis', 0, ctx.what), r);
    for (const p of parts) {
      if (p.dims.length !== r || p.dims.some((d, k) => k !== axis && d !== parts[0]!.dims[k])) ctx.fail(node, 'inputs of mismatched shapes');
    }
    const dims = [...parts[0]!.dims];
    dims[axis] = parts.reduce((n, p) => n + p.dims[axis]!, 0);
    checkSize(ctx, node, dims);
    const outer = size(dims.slice(0, axis));
    const out: number[] = [];
    for (let a = 0; a < outer; a++) {
      for (const p of parts) {
        const block = size(p.dims.slice(axis));
        for (let i = 0; i < block; i++) out.push(p.data[a * block + i]!);
      }
    }
    return constOf(dims, out, parts.every((p) => p.isInt));
  },
  ConstantOfShape: (node, ins, ctx) => {
    const dims = checkSize(ctx, node, Array.from(need(ctx, node, ins, 0).data));
    const t = attr(node, 'value')?.t;
    const fill = t ? constFromTensor({ ...t, name: 'value' }, ctx.what) : constOf([1], [0], false);
    return { kind: 'const', dims, data: new Float64Array(size(dims)).fill(fill.data[0] ?? 0), isInt: fill.isInt };
  },
  Reshape: (node, ins, ctx) => {
    const c = need(ctx, node, ins, 0);
    const want = Array.from(need(ctx, node, ins, 1).data);
    const allowZero = attrInt(node, 'allowzero', 0, ctx.what) === 1;
    const dims = want.map((d, k) => (d === 0 && !allowZero ? c.dims[k] ?? 0 : d));
    const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const free = dims.indexOf(-1);
    if (free >= 0) dims[free] = known === 0 ? 0 : size(c.dims) / known;
    if (size(dims) !== size(c.dims) || dims.some((d) => !Number.isInteger(d) || d < 0)) {
      ctx.fail(node, `cannot reshape [${c.dims.join(', ')}] into [${want.join(', ')}]`);
    }
    return { ...c, dims };
  },
  Flatten: (node, ins, ctx) => {
    const c = need(ctx, node, ins, 0);
    const axis = axisOf(ctx, node, attrInt(node, 'axis', 1, ctx.what), c.dims.length + 1);
    return { ...c, dims: [size(c.dims.slice(0, axis)), size(c.dims.slice(axis))] };
  },
  Slice: (node, ins, ctx) => {
    const c = need(ctx, node, ins, 0);
    const starts = Array.from(need(ctx, node, ins, 1).data), ends = Array.from(need(ctx, node, ins, 2).data);
    const axes = ins[3] ? Array.from(ins[3].data) : starts.map((_, k) => k);
    const steps = ins[4] ? Array.from(ins[4].data) : starts.map(() => 1);
    return sliceConst(ctx, node, c, starts, ends, axes, steps);
  },
  Transpose: (node, ins, ctx) => {
    const c = need(ctx, node, ins, 0);
    const perm = attrInts(node, 'perm', c.dims.map((_, k) => c.dims.length - 1 - k), ctx.what);
    if ([...perm].sort((a, b) => a - b).some((p, k) => p !== k) || perm.length !== c.dims.length) ctx.fail(node, `perm [${perm.join(', ')}] is not a permutation of the ${c.dims.length} axes`);
    return transposeConst(c, perm);
  },
  Neg: (node, ins, ctx) => {
    const c = need(ctx, node, ins, 0);
    return { ...c, data: c.data.map((v) => -v) };
  },
  Range: (node, ins, ctx) => {
    const [start, limit, delta] = [0, 1, 2].map((k) => need(ctx, node, ins, k).data[0]!) as [number, number, number];
    const n = Math.max(Math.ceil((limit - start) / delta), 0);
    if (!Number.isFinite(n) || n > MAX_ELEMENTS) ctx.fail(node, 'Range too large to fold');
    return constOf([n], Array.from({ length: n }, (_, i) => start + i * delta), need(ctx, node, ins, 0).isInt);
  },
  ...Object.fromEntries(Object.entries(BINARY).map(([op, f]) => [op, ((node, ins, ctx) =>
    broadcast(ctx, node, need(ctx, node, ins, 0), need(ctx, node, ins, 1), f)) as Fold])),
};
