// Creating layer steps and the Data values they output, and the one place that reconciles an ONNX
// layout with the layout a layer wants (inserting a Permute layer where the graph's order differs).
import { Permute } from '../../layers/permute.ts';
import type { Layer } from '../../layers/layer.ts';
import type { NodeProto } from '../proto.ts';
import type { Ctx } from './context.ts';
import type { Data, Step, View } from './values.ts';

export function newStep(
  className: string, node: NodeProto, input: Data, options: Record<string, unknown>, weights: Float32Array[],
  make: (s: Step) => Layer, extra: Partial<Step> = {},
): Step {
  return { className, node, input, options, weights, make, ...extra };
}

/** The Data value a step outputs through `node`'s output `k`. */
export function output(node: NodeProto, step: Step, flow: (number | null)[], axes: number[], view: View = 'seq', k = 0): Data {
  return {
    kind: 'data', name: node.output?.[k] ?? '', step, flow, axes, ids: false, view,
    featurePerm: null, pad: null, exclusive: true,
  };
}

/**
 * `d` seen with ONNX axis k = flow axis want[k] (-1: a unit axis). When d's flow is ordered otherwise,
 * a Permute layer reorders it first; the batch axis never moves (a time-major graph input is refused).
 */
export function inLayout(ctx: Ctx, node: NodeProto, d: Data, want: readonly number[], purpose: string): Data {
  if (d.axes.length !== want.length) ctx.fail(node, `${purpose} needs a tensor of rank ${want.length}, got rank ${d.axes.length}`);
  if (d.axes.every((a, k) => a === want[k])) return d;
  const rank = d.flow.length;
  const perm = new Array<number>(rank).fill(-1);
  want.forEach((w, k) => {
    const a = d.axes[k]!;
    if ((w < 0) !== (a < 0)) ctx.fail(node, `${purpose}: axis ${k} does not line up with vigil's layout`);
    if (w >= 0) perm[w] = a;
  });
  if (perm.some((p) => p < 0) || new Set(perm).size !== rank) ctx.fail(node, `${purpose}: the input's axes can't be reordered into vigil's layout`);
  if (perm[0] !== 0) {
    ctx.fail(node, `${purpose} would move the batch axis: vigil's models take batch-first input (axis 0 of the graph input is the batch)`);
  }
  if (d.featurePerm) ctx.fail(node, `${purpose}: a flattened input can't be reordered`);
  // Keras' Permute dims are 1-based axes after the batch: new axis j takes old axis perm[j].
  const dims = perm.slice(1);
  const step = newStep('Permute', node, d, { dims }, [], () => new Permute(dims));
  return { ...output(node, step, perm.map((p) => d.flow[p]!), [...want]), name: d.name, pad: d.pad };
}
