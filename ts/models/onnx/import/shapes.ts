// Shapes computed from the data at run time: torch writes h0 = torch.zeros(layers, x.size(0), H) as
// Shape -> Gather -> Unsqueeze -> Concat -> ConstantOfShape. vigil's recurrent layers start from a
// zero state, so all the importer needs is to follow such a shape symbolically and see that the
// tensor built from it is zeros.
import { attr, attrInt } from '../read.ts';
import type { NodeProto } from '../proto.ts';
import { axisOf, type Ctx } from './context.ts';
import { constFromTensor } from './fold.ts';
import { onnxDims, type Const, type Dim, type ShapeOf, type Value, type Zeros } from './values.ts';

/** Shape of a Data value: the batch axis and unknown axes become symbols. */
export function shapeOfData(ctx: Ctx, node: NodeProto, v: Value): ShapeOf {
  if (v.kind !== 'data') return ctx.fail(node, `Shape of a ${v.kind} value is not supported`);
  const dims: Dim[] = onnxDims(v).map((d, k) => (v.axes[k] === 0 ? 'batch' : d ?? `${v.name}:${k}`));
  const r = dims.length;
  const clamp = (x: number) => Math.min(Math.max(x < 0 ? x + r : x, 0), r);
  const from = clamp(attrInt(node, 'start', 0, ctx.what)), to = clamp(attrInt(node, 'end', r, ctx.what));
  return { kind: 'shape', dims: dims.slice(from, Math.max(from, to)), scalar: false };
}

/** A Const or ShapeOf as a list of dims (numbers from constants). */
function dimsOf(ctx: Ctx, node: NodeProto, v: Value | undefined): Dim[] {
  if (v?.kind === 'shape') return v.dims;
  if (v?.kind === 'const' && v.isInt && v.dims.length <= 1) return Array.from(v.data);
  return ctx.fail(node, 'expected a shape (integers)');
}

export function gatherShape(ctx: Ctx, node: NodeProto, s: ShapeOf, idx: Const): ShapeOf {
  axisOf(ctx, node, attrInt(node, 'axis', 0, ctx.what), 1);
  const pick = Array.from(idx.data, (i) => {
    const k = i < 0 ? i + s.dims.length : i;
    if (!Number.isInteger(k) || k < 0 || k >= s.dims.length) ctx.fail(node, `index ${i} is out of range for a shape of ${s.dims.length} dims`);
    return s.dims[k]!;
  });
  return { kind: 'shape', dims: pick, scalar: idx.dims.length === 0 };
}

export function unsqueezeShape(ctx: Ctx, node: NodeProto, s: ShapeOf, axes: number[] | null): ShapeOf {
  if (!s.scalar || !axes || axes.length !== 1 || axisOf(ctx, node, axes[0]!, 1) !== 0) {
    return ctx.fail(node, 'only a scalar dimension can be unsqueezed into a shape');
  }
  return { ...s, scalar: false };
}

export function concatShape(ctx: Ctx, node: NodeProto): ShapeOf {
  const dims = (node.input ?? []).flatMap((_, k) => dimsOf(ctx, node, ctx.input(node, k)));
  return { kind: 'shape', dims, scalar: false };
}

/** ConstantOfShape of a run-time shape: only zeros (the initial states) are supported. */
export function zerosOfShape(ctx: Ctx, node: NodeProto): Zeros {
  const t = attr(node, 'value')?.t;
  const fill = t ? constFromTensor({ ...t, name: 'value' }, ctx.what).data[0] : 0;
  if (fill !== 0) ctx.fail(node, `a run-time sized tensor filled with ${fill} is not supported (only zero initial states)`);
  return { kind: 'zeros' };
}

/** An all-zero constant also counts as zeros (an initial state given as an initializer). */
export function isZeros(v: Value | undefined): boolean {
  return v === undefined || v.kind === 'zeros' || (v.kind === 'const' && v.data.every((x) => x === 0));
}
