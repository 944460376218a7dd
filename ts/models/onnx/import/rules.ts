// The rule for each ONNX operator the importer understands, dispatching on what its inputs are
// (constants fold in walk.ts before any rule runs; shapes and zeros are followed symbolically; data
// goes through layout, layer and activation rules). An operator not listed here ends the import.
import type { NodeProto } from '../proto.ts';
import { attrInt } from '../read.ts';
import { activationRule, reduceMaxRule } from './activation.ts';
import { axisOf, type Ctx, type Rule } from './context.ts';
import { convRule, padRule } from './conv.ts';
import { addRule, embeddingRule, gemmRule, matmulRule } from './dense.ts';
import { axesOf } from './fold.ts';
import { flattenData, gatherData, reshapeData, sliceData, squeezeData, transposeData, unsqueezeData } from './layout.ts';
import { recurrentRule } from './recurrent.ts';
import { concatShape, gatherShape, shapeOfData, unsqueezeShape, zerosOfShape } from './shapes.ts';
import type { Data, Value } from './values.ts';

function first(ctx: Ctx, node: NodeProto): Value {
  const v = ctx.input(node, 0);
  if (!v) ctx.fail(node, 'its first input is missing');
  return v;
}

/** Rules whose zeros input (an initial state being built) passes through unchanged. */
function zerosOr(rule: (node: NodeProto, ctx: Ctx, v: Value) => Value): Rule {
  return (node, ctx) => {
    const v = first(ctx, node);
    return [v.kind === 'zeros' ? v : rule(node, ctx, v)];
  };
}

function dataOf(ctx: Ctx, node: NodeProto, v: Value): Data {
  if (v.kind !== 'data') ctx.fail(node, `a ${v.kind} value here is not supported`);
  return v;
}

const gather: Rule = (node, ctx) => {
  const src = first(ctx, node);
  const idx = ctx.input(node, 1);
  if (src.kind === 'const' && idx?.kind === 'data') return embeddingRule(node, ctx, src, idx);
  if (idx?.kind !== 'const') return ctx.fail(node, 'indices must be constant (or token ids into a constant table)');
  const index = Array.from(idx.data);
  if (src.kind === 'shape') return [gatherShape(ctx, node, src, idx)];
  if (src.kind === 'stack') {
    // h_n[-1] of a multi-layer LSTM: the chosen layer's final state.
    if (attrInt(node, 'axis', 0, ctx.what) !== 0 || index.length !== 1 || idx.dims.length !== 0) ctx.fail(node, 'only one layer\'s state can be taken');
    const k = index[0]! < 0 ? index[0]! + src.items.length : index[0]!;
    const item = src.items[k];
    if (!item) return ctx.fail(node, `index ${index[0]} is out of range for ${src.items.length} stacked states`);
    return [gatherData(ctx, node, item, [0], true)];
  }
  return [gatherData(ctx, node, dataOf(ctx, node, src), index, idx.dims.length === 0)];
};

const concat: Rule = (node, ctx) => {
  const parts = (node.input ?? []).map((_, k) => ctx.input(node, k));
  if (!parts.some((p) => p?.kind === 'data' || p?.kind === 'stack')) return [concatShape(ctx, node)];
  // Final states of stacked LSTMs, concatenated along their (unit) layer axis.
  const items: Data[] = [];
  for (const p of parts) {
    if (p?.kind === 'stack') items.push(...p.items);
    else if (p?.kind === 'data' && p.view === 'last' && p.axes[axisOf(ctx, node, attrInt(node, 'axis', 0, ctx.what), p.axes.length)] === -1) items.push(p);
    else ctx.fail(node, 'concatenating data tensors is supported only for the final states of recurrent layers (torch\'s h_n)');
  }
  return [{ kind: 'stack', items }];
};

const passThrough: Rule = (node, ctx) => {
  const v = first(ctx, node);
  return [v.kind === 'data' ? ctx.derive(node, v, {}) : v];
};

export const RULES: Record<string, Rule> = {
  Shape: (node, ctx) => [shapeOfData(ctx, node, first(ctx, node))],
  Gather: gather,
  Concat: concat,
  ConstantOfShape: (node, ctx) => {
    if (first(ctx, node).kind !== 'shape') ctx.fail(node, 'its shape must be constant or computed from the input\'s shape');
    return [zerosOfShape(ctx, node)];
  },
  Unsqueeze: zerosOr((node, ctx, v) => {
    const axes = axesOf(ctx, node);
    if (!axes) return ctx.fail(node, 'Unsqueeze without axes');
    return v.kind === 'shape' ? unsqueezeShape(ctx, node, v, axes) : unsqueezeData(ctx, node, dataOf(ctx, node, v), axes);
  }),
  Squeeze: zerosOr((node, ctx, v) => squeezeData(ctx, node, dataOf(ctx, node, v), axesOf(ctx, node))),
  Transpose: zerosOr((node, ctx, v) => transposeData(ctx, node, dataOf(ctx, node, v))),
  Slice: zerosOr((node, ctx, v) => {
    const starts = ctx.ints(node, 1, 'starts'), ends = ctx.ints(node, 2, 'ends');
    const axes = node.input?.[3] ? ctx.ints(node, 3, 'axes') : starts.map((_, k) => k);
    const steps = node.input?.[4] ? ctx.ints(node, 4, 'steps') : starts.map(() => 1);
    if (ends.length !== starts.length || axes.length !== starts.length) ctx.fail(node, 'starts, ends and axes differ in length');
    return sliceData(ctx, node, dataOf(ctx, node, v), starts, ends, axes, steps);
  }),
  Expand: zerosOr((node, ctx) => ctx.fail(node, 'Expand of the data is not supported')),
  Reshape: zerosOr((node, ctx, v) => {
    const shape = ctx.input(node, 1);
    const target = shape?.kind === 'const' ? Array.from(shape.data) : shape?.kind === 'shape' ? shape.dims : ctx.fail(node, 'the target shape must be constant or computed from the input\'s shape');
    return reshapeData(ctx, node, dataOf(ctx, node, v), target);
  }),
  Flatten: (node, ctx) => {
    if (attrInt(node, 'axis', 1, ctx.what) !== 1) ctx.fail(node, 'only Flatten(axis=1) is supported');
    return [flattenData(ctx, node, dataOf(ctx, node, first(ctx, node)))];
  },
  Identity: passThrough,
  Dropout: (node, ctx) => {
    const training = ctx.input(node, 2);
    if (training && (training.kind !== 'const' || training.data[0] !== 0)) ctx.fail(node, 'a Dropout in training mode is not supported');
    if (node.output?.[1] && ctx.reader.consumers.has(node.output[1])) ctx.fail(node, 'its mask output is used');
    return passThrough(node, ctx);
  },
  Cast: zerosOr((node, ctx, v) => {
    if (v.kind === 'shape') return v;
    const d = dataOf(ctx, node, v);
    const to = attrInt(node, 'to', 1, ctx.what);
    if (d.ids ? ![6, 7].includes(to) : ![1, 11].includes(to)) ctx.fail(node, `a cast of the ${d.ids ? 'token ids' : 'data'} to element type ${to} is not supported`);
    return ctx.derive(node, d, {});
  }),
  LSTM: recurrentRule,
  RNN: recurrentRule,
  GRU: (node, ctx) => ctx.fail(node, 'vigil has no GRU layer'),
  Gemm: gemmRule,
  MatMul: matmulRule,
  Add: addRule,
  Conv: convRule,
  Pad: padRule,
  Relu: activationRule,
  Sigmoid: activationRule,
  Tanh: activationRule,
  Softmax: activationRule,
  ReduceMax: reduceMaxRule,
};
