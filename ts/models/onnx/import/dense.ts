// Gemm, MatMul (+ Add of a bias) -> vigil's Dense; Gather of a table by token ids -> Embedding.
// torch's nn.Linear on a 2-D input exports Gemm(x, W [out, in], b, transB=1); on 3-D input MatMul(x,
// Wᵀ [in, out]) then Add(b). vigil's Dense keeps PyTorch's kernel layout [units, input].
import { Dense } from '../../layers/dense.ts';
import { Embedding } from '../../layers/embedding.ts';
import type { NodeProto } from '../proto.ts';
import { attrFloat, attrInt } from '../read.ts';
import type { Ctx } from './context.ts';
import { inLayout, newStep, output } from './steps.ts';
import type { Const, Data, Value } from './values.ts';

function denseStep(ctx: Ctx, node: NodeProto, x: Data, kernel: Float32Array, units: number, bias: Float32Array | null): Data {
  const step = newStep('Dense', node, x, { activation: 'linear', useBias: bias !== null }, bias ? [kernel, bias] : [kernel], (s) =>
    new Dense(units, { activation: s.options.activation as 'linear', useBias: s.options.useBias as boolean }));
  return output(node, step, [...x.flow.slice(0, -1), units], [...x.axes]);
}

/** kernel [units, K] in vigil's feature order from W ([K, units], or [units, K] when `transposed`). */
function kernelOf(W: Const, K: number, units: number, transposed: boolean, scale: number, perm: Int32Array | null): Float32Array {
  const kernel = new Float32Array(units * K);
  for (let u = 0; u < units; u++) {
    for (let k = 0; k < K; k++) {
      kernel[u * K + (perm ? perm[k]! : k)] = scale * W.data[transposed ? u * K + k : k * units + u]!;
    }
  }
  return kernel;
}

/** A bias broadcast along the last axis only ([N], [1, N], a scalar) as N values. */
function biasOf(ctx: Ctx, node: NodeProto, c: Const, units: number, scale: number): Float32Array {
  const n = c.data.length;
  if (!(n === units || n === 1) || c.dims.slice(0, -1).some((d) => d !== 1)) {
    ctx.fail(node, `the bias of shape [${c.dims.join(', ')}] does not broadcast over ${units} units alone`);
  }
  return Float32Array.from({ length: units }, (_, u) => scale * c.data[n === 1 ? 0 : u]!);
}

export function gemmRule(node: NodeProto, ctx: Ctx): (Value | undefined)[] {
  if (attrInt(node, 'transA', 0, ctx.what) !== 0) ctx.fail(node, 'transA is not supported');
  const x = inLayout(ctx, node, ctx.data(node, 0), [0, 1], 'Gemm');
  const W = ctx.constant(node, 1, 'B (the weights)');
  const transB = attrInt(node, 'transB', 0, ctx.what) === 1;
  if (W.dims.length !== 2) ctx.fail(node, `the weights must be a matrix, got shape [${W.dims.join(', ')}]`);
  const [units, K] = transB ? [W.dims[0]!, W.dims[1]!] : [W.dims[1]!, W.dims[0]!];
  if (x.flow[1] !== K) ctx.fail(node, `the weights of shape [${W.dims.join(', ')}] take ${K} inputs, the data has ${x.flow[1] ?? 'an unknown number'}`);
  const kernel = kernelOf(W, K, units, transB, attrFloat(node, 'alpha', 1, ctx.what), x.featurePerm);
  const C = ctx.input(node, 2) === undefined ? null : ctx.constant(node, 2, 'C (the bias)');
  const bias = C ? biasOf(ctx, node, C, units, attrFloat(node, 'beta', 1, ctx.what)) : null;
  return [denseStep(ctx, node, x, kernel, units, bias)];
}

export function matmulRule(node: NodeProto, ctx: Ctx): (Value | undefined)[] {
  const x = ctx.data(node, 0);
  const W = ctx.constant(node, 1, 'the weights (input 1)');
  const r = x.axes.length;
  if (W.dims.length !== 2) ctx.fail(node, `the weights must be a matrix, got shape [${W.dims.join(', ')}]`);
  if (x.axes[r - 1] !== x.flow.length - 1) ctx.fail(node, 'the data\'s last axis must be its features');
  if (x.pad) ctx.fail(node, 'a padded tensor must go straight into a Conv');
  const [K, units] = [W.dims[0]!, W.dims[1]!];
  if (x.flow[x.flow.length - 1] !== K) ctx.fail(node, `the weights of shape [${K}, ${units}] take ${K} inputs, the data has ${x.flow.at(-1) ?? 'an unknown number'}`);
  return [denseStep(ctx, node, x, kernelOf(W, K, units, false, 1, x.featurePerm), units, null)];
}

/** Add(data, bias) right after a Dense without bias (MatMul + Add). */
export function addRule(node: NodeProto, ctx: Ctx): (Value | undefined)[] {
  const [a, b] = [ctx.input(node, 0), ctx.input(node, 1)];
  if (a?.kind === 'data' && b?.kind === 'data') ctx.fail(node, 'adding two data tensors (a residual or skip connection) is not supported');
  const d = (a?.kind === 'data' ? a : b) as Data | undefined;
  const c = a?.kind === 'const' ? a : b?.kind === 'const' ? b : undefined;
  if (!d || !c) return ctx.fail(node, 'Add needs the data and a constant');
  const step = d.step;
  if (step?.className !== 'Dense' || step.options.useBias || step.options.activation !== 'linear' || !d.exclusive || !ctx.soleUse(d.name)
    || d.axes[d.axes.length - 1] !== d.flow.length - 1) {
    ctx.fail(node, 'adding a constant is supported only as the bias of the MatMul before it');
  }
  const units = d.flow[d.flow.length - 1] as number;
  if (c.dims.length > d.axes.length) ctx.fail(node, `the bias of shape [${c.dims.join(', ')}] has more axes than the data`);
  step.weights.push(biasOf(ctx, node, c, units, 1));
  step.options.useBias = true;
  return [ctx.derive(node, d, {})];
}

/** Gather(table [V, E], token ids) -> Embedding(V, E): the graph's first layer. */
export function embeddingRule(node: NodeProto, ctx: Ctx, table: Const, ids: Data): (Value | undefined)[] {
  if (attrInt(node, 'axis', 0, ctx.what) !== 0) ctx.fail(node, 'a table lookup must gather along axis 0');
  if (!ids.ids || ids.step !== null) ctx.fail(node, 'an embedding lookup needs the graph\'s integer input (token ids) as indices');
  if (table.dims.length !== 2 || table.dims[0]! < 1 || table.dims[1]! < 1) ctx.fail(node, `the embedding table must be [vocab, dims], got [${table.dims.join(', ')}]`);
  if (ids.flow.length !== 2) ctx.fail(node, `token ids must be [batch, time], got a rank-${ids.flow.length} input`);
  const [V, E] = table.dims as [number, number];
  const step = newStep('Embedding', node, ids, {}, [Float32Array.from(table.data)], () => new Embedding(V, E));
  return [output(node, step, [ids.flow[0]!, ids.flow[1]!, E], [...ids.axes, 2])];
}
