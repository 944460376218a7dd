// Conv (1-D) -> vigil's Conv1D. The graph's padding (Conv's own pads, a Pad before it, a Slice that trims
// its output: layout.ts) adds up to (left, right) steps; at the end that must be one of vigil's modes:
// causal (span, 0), same (floor(span/2), the rest) or valid (0, 0), span = (kernel - 1) * dilation.
// The kernel layout [out, in, kernel] is vigil's already; ONNX's [N, C, L] is vigil's [batch, time, C].
import { Conv1D } from '../../layers/conv1d.ts';
import type { Conv1dPadding } from '../../../bindings/conv1d.ts';
import type { NodeProto } from '../proto.ts';
import { attrInts, attrString, attrInt } from '../read.ts';
import { axisOf, type Ctx } from './context.ts';
import { inLayout, newStep, output } from './steps.ts';
import type { Step, Value } from './values.ts';

function paddingMode(ctx: Ctx, step: Step): Conv1dPadding {
  const [left, right] = step.pads!;
  const span = step.span!;
  if (left === span && right === 0) return 'causal';
  if (left === Math.floor(span / 2) && right === span - Math.floor(span / 2)) return 'same';
  if (left === 0 && right === 0) return 'valid';
  return ctx.fail(step.node, `padding (${left} left, ${right} right) for a kernel span of ${span} is none of vigil's Conv1D paddings (causal: ${span}, 0; same: ${Math.floor(span / 2)}, ${span - Math.floor(span / 2)}; valid: 0, 0)`);
}

/** Pad(data, pads) with zeros on one axis: remembered until the Conv that consumes it. */
export function padRule(node: NodeProto, ctx: Ctx): (Value | undefined)[] {
  const d = ctx.data(node, 0);
  const mode = attrString(node, 'mode', 'constant', ctx.what);
  if (mode !== 'constant') ctx.fail(node, `Pad mode '${mode}' is not supported (only zero padding)`);
  const pads = ctx.opset >= 11 ? ctx.ints(node, 1, 'pads') : attrInts(node, 'pads', [], ctx.what);
  const value = ctx.input(node, 2);
  if (value && (value.kind !== 'const' || value.data.some((v) => v !== 0))) ctx.fail(node, 'only zero padding is supported');
  const r = d.axes.length;
  let axes = d.axes.map((_, k) => k);
  if (ctx.input(node, 3) !== undefined) axes = ctx.ints(node, 3, 'axes').map((a) => axisOf(ctx, node, a, r));
  if (pads.length !== 2 * axes.length) ctx.fail(node, `pads has ${pads.length} values for ${axes.length} axes`);
  let pad = d.pad;
  axes.forEach((k, j) => {
    const [left, right] = [pads[j]!, pads[j + axes.length]!];
    if (left === 0 && right === 0) return;
    if (left < 0 || right < 0) ctx.fail(node, 'negative pads (cropping) are not supported');
    if (pad && pad.axis !== k) ctx.fail(node, 'padding more than one axis is not supported');
    pad = { axis: k, left: (pad?.left ?? 0) + left, right: (pad?.right ?? 0) + right };
  });
  return [ctx.derive(node, d, { pad })];
}

export function convRule(node: NodeProto, ctx: Ctx): (Value | undefined)[] {
  const W = ctx.constant(node, 1, 'W');
  if (W.dims.length !== 3) ctx.fail(node, `only 1-D convolutions are supported (W has shape [${W.dims.join(', ')}])`);
  const [F, C, K] = W.dims as [number, number, number];
  const kernelShape = attrInts(node, 'kernel_shape', [K], ctx.what);
  if (kernelShape.length !== 1 || kernelShape[0] !== K) ctx.fail(node, `kernel_shape [${kernelShape.join(', ')}] does not match W of shape [${W.dims.join(', ')}]`);
  if (attrInt(node, 'group', 1, ctx.what) !== 1) ctx.fail(node, 'grouped convolutions are not supported');
  if (attrInts(node, 'strides', [1], ctx.what).some((s) => s !== 1)) ctx.fail(node, 'strides other than 1 are not supported');
  const dilation = attrInts(node, 'dilations', [1], ctx.what)[0] ?? 1;
  if (!(dilation >= 1)) ctx.fail(node, `dilation ${dilation} is not a positive integer`);
  const span = (K - 1) * dilation;
  const autoPad = attrString(node, 'auto_pad', 'NOTSET', ctx.what);
  let own = attrInts(node, 'pads', [0, 0], ctx.what);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const small = Math.floor(span / 2);
    own = autoPad === 'SAME_UPPER' ? [small, span - small] : [span - small, small];
  } else if (autoPad !== 'NOTSET' && autoPad !== 'VALID') ctx.fail(node, `auto_pad '${autoPad}' is not supported`);
  if (own.length !== 2 || own.some((p) => p < 0)) ctx.fail(node, `pads [${own.join(', ')}] are not the two pads of a 1-D convolution`);
  const raw = ctx.data(node, 0);
  if (raw.pad && raw.pad.axis !== 2) ctx.fail(node, 'the Pad before this Conv pads another axis than the time axis');
  const x = inLayout(ctx, node, raw, [0, 2, 1], 'Conv');
  if (x.ids) ctx.fail(node, 'the input is token ids: an Embedding (Gather) must come first');
  if (x.flow[2] !== C) ctx.fail(node, `W expects ${C} input channels, the input has ${x.flow[2] ?? 'an unknown number of'}`);
  const B = ctx.input(node, 2) === undefined ? null : ctx.constant(node, 2, 'B');
  if (B && B.data.length !== F) ctx.fail(node, `the bias has ${B.data.length} values for ${F} filters`);
  const pads: [number, number] = [own[0]! + (x.pad?.left ?? 0), own[1]! + (x.pad?.right ?? 0)];
  const weights = B ? [Float32Array.from(W.data), Float32Array.from(B.data)] : [Float32Array.from(W.data)];
  const step = newStep('Conv1D', node, { ...x, pad: null }, { activation: 'linear' }, weights, (s) => new Conv1D(F, K, {
    dilationRate: dilation, padding: paddingMode(ctx, s), activation: s.options.activation as 'linear', useBias: B !== null,
  }), { pads, span });
  const T = x.flow[1] ?? null;
  const To = T === null ? null : T + pads[0] + pads[1] - span;
  if (To !== null && To < 1) ctx.fail(node, `the input of ${T} steps is too short for a kernel span of ${span}`);
  return [output(node, step, [x.flow[0]!, To, F], [0, 2, 1])];
}
