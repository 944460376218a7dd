// Activations fold into the Dense or Conv1D that feeds them (vigil's layers carry their activation);
// ReduceMax over the time axis is GlobalMaxPooling1D (torch's out.max(dim=1).values).
import { GlobalMaxPooling1D } from '../../layers/pooling.ts';
import type { NodeProto } from '../proto.ts';
import { attrInt, attrInts } from '../read.ts';
import { axisOf, type Ctx } from './context.ts';
import { newStep, output } from './steps.ts';
import type { Value } from './values.ts';

const ELEMENTWISE: Record<string, string> = { Relu: 'relu', Sigmoid: 'sigmoid', Tanh: 'tanh' };

export function activationRule(node: NodeProto, ctx: Ctx): (Value | undefined)[] {
  const d = ctx.data(node, 0);
  const step = d.step;
  const act = node.op_type === 'Softmax' ? 'softmax' : ELEMENTWISE[node.op_type]!;
  const into = act === 'softmax' ? ['Dense'] : ['Dense', 'Conv1D'];
  if (!step || !into.includes(step.className) || step.options.activation !== 'linear' || !d.exclusive || !ctx.soleUse(d.name)) {
    ctx.fail(node, `${node.op_type} must directly follow a ${into.join(' or ')} (vigil folds the activation into that layer)`);
  }
  if (act === 'softmax') {
    const r = d.axes.length;
    // Before opset 13 Softmax flattened from `axis` (default 1) on: the same as opset 13's when that is the last axis.
    const axis = axisOf(ctx, node, attrInt(node, 'axis', ctx.opset >= 13 ? -1 : 1, ctx.what), r);
    if (axis !== r - 1 || d.axes[axis] !== d.flow.length - 1) {
      ctx.fail(node, 'Softmax must run over the features (the last axis)');
    }
  }
  step.options.activation = act;
  return [ctx.derive(node, d, {})];
}

export function reduceMaxRule(node: NodeProto, ctx: Ctx): (Value | undefined)[] {
  const d = ctx.data(node, 0);
  const axes = ctx.opset >= 18 ? (node.input?.[1] ? ctx.ints(node, 1, 'axes') : []) : attrInts(node, 'axes', [], ctx.what);
  const keep = attrInt(node, 'keepdims', 1, ctx.what) === 1;
  if (axes.length !== 1) ctx.fail(node, 'ReduceMax must reduce exactly one axis (the time axis)');
  const k = axisOf(ctx, node, axes[0]!, d.axes.length);
  if (d.axes[k] !== 1 || d.flow.length !== 3) ctx.fail(node, 'ReduceMax is supported over the time axis of a sequence (GlobalMaxPooling1D)');
  if (d.pad) ctx.fail(node, 'a padded tensor must go straight into a Conv');
  const step = newStep('GlobalMaxPooling1D', node, d, {}, [], () => new GlobalMaxPooling1D());
  const axes2 = d.axes.flatMap((a, j) => (j === k ? (keep ? [-1] : []) : [a === 2 ? 1 : a]));
  return [output(node, step, [d.flow[0]!, d.flow[2]!], axes2)];
}
