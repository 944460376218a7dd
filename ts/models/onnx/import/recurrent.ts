// ONNX LSTM and RNN nodes -> vigil's LSTM and SimpleRNN. ONNX stacks the LSTM gates i, o, f, c in W
// [dirs, 4H, I] and R [dirs, 4H, H] and keeps two biases B = Wb ‖ Rb [dirs, 8H]; vigil (PyTorch's order)
// stacks i, f, g(=c), o in kernel [4H, I] and recurrentKernel [4H, H] with one bias, their sum.
import { LSTM } from '../../layers/lstm.ts';
import { SimpleRNN } from '../../layers/simple_rnn.ts';
import type { NodeProto } from '../proto.ts';
import { attr, attrInt, attrString, attrStrings } from '../read.ts';
import type { Ctx } from './context.ts';
import { isZeros } from './shapes.ts';
import { inLayout, newStep, output } from './steps.ts';
import type { Const, Value } from './values.ts';

/** For vigil's gate g (i, f, g, o), the ONNX gate block it comes from (i, o, f, c). */
const LSTM_GATE_FROM_ONNX = [0, 2, 3, 1];

interface Family {
  gates: number;
  from: readonly number[];
  activations: readonly string[];
  className: 'LSTM' | 'SimpleRNN';
}

const FAMILIES: Record<string, Family> = {
  LSTM: { gates: 4, from: LSTM_GATE_FROM_ONNX, activations: ['Sigmoid', 'Tanh', 'Tanh'], className: 'LSTM' },
  RNN: { gates: 1, from: [0], activations: ['Tanh'], className: 'SimpleRNN' },
};

function checkDims(ctx: Ctx, node: NodeProto, c: Const, want: number[], name: string, H: number): void {
  if (c.dims.length !== want.length || c.dims.some((d, k) => d !== want[k])) {
    ctx.fail(node, `${name} has shape [${c.dims.join(', ')}], expected [${want.join(', ')}] for hidden_size ${H}`);
  }
}

/** Rows of `src` ([gates * H, cols], ONNX gate order) reordered into vigil's gate order. */
function reorder(src: Float64Array, from: readonly number[], H: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  from.forEach((og, g) => out.set(src.subarray(og * H * cols, (og + 1) * H * cols), g * H * cols));
  return out;
}

export function recurrentRule(node: NodeProto, ctx: Ctx): (Value | undefined)[] {
  const fam = FAMILIES[node.op_type]!;
  const H = attrInt(node, 'hidden_size', 0, ctx.what);
  const direction = attrString(node, 'direction', 'forward', ctx.what);
  if (direction !== 'forward') ctx.fail(node, `direction '${direction}' is not supported (vigil imports forward recurrent layers)`);
  const acts = attrStrings(node, 'activations', [...fam.activations], ctx.what);
  if (acts.length !== fam.activations.length || acts.some((a, k) => a !== fam.activations[k])) {
    ctx.fail(node, `activations [${acts.join(', ')}] are not supported (vigil's ${fam.className} uses ${fam.activations.join(', ')})`);
  }
  if (attr(node, 'clip')) ctx.fail(node, 'clip is not supported');
  if (attrInt(node, 'input_forget', 0, ctx.what) !== 0) ctx.fail(node, 'input_forget is not supported');
  const layout = attrInt(node, 'layout', 0, ctx.what);
  if (layout !== 0 && layout !== 1) ctx.fail(node, `layout ${layout} is not 0 or 1`);
  if (ctx.input(node, 4) !== undefined) {
    ctx.fail(node, 'sequence_lens (per-row lengths) is not supported: the graph must run every row over every step');
  }
  for (const k of [5, 6, 7]) {
    if (!isZeros(ctx.input(node, k))) ctx.fail(node, `${['initial_h', 'initial_c', 'P (peepholes)'][k - 5]} must be absent or zeros`);
  }
  const W = ctx.constant(node, 1, 'W'), R = ctx.constant(node, 2, 'R');
  const G = fam.gates * H;
  if (!(H > 0) || W.dims.length !== 3) ctx.fail(node, `hidden_size ${H} and W of shape [${W.dims.join(', ')}] do not describe one direction of a layer`);
  const I = W.dims[2]!;
  checkDims(ctx, node, W, [1, G, I], 'W', H);
  checkDims(ctx, node, R, [1, G, H], 'R', H);
  const B = ctx.input(node, 3) === undefined ? null : ctx.constant(node, 3, 'B');
  if (B) checkDims(ctx, node, B, [1, 2 * G], 'B', H);
  const x = inLayout(ctx, node, ctx.data(node, 0), layout === 0 ? [1, 0, 2] : [0, 1, 2], node.op_type);
  if (x.ids) ctx.fail(node, 'the input is token ids: an Embedding (Gather) must come first');
  if (x.flow[2] !== I) ctx.fail(node, `W expects ${I} input features, the input has ${x.flow[2] ?? 'an unknown number of'}`);
  const bias = new Float64Array(G);
  if (B) for (let g = 0; g < G; g++) bias[g] = B.data[g]! + B.data[G + g]!;
  const weights = [reorder(W.data, fam.from, H, I), reorder(R.data, fam.from, H, H), reorder(bias, fam.from, H, 1)];
  const step = newStep(fam.className, node, x, { returnSequences: true }, weights, (s) => {
    const o = { returnSequences: s.options.returnSequences as boolean };
    return fam.className === 'LSTM' ? new LSTM(H, o) : new SimpleRNN(H, o);
  }, { recurrent: true });
  const seq = [x.flow[0]!, x.flow[1]!, H];
  const last = [x.flow[0]!, H];
  // Y: [T, dirs, B, H] (layout 0) or [B, T, dirs, H]; Y_h, Y_c: [dirs, B, H] or [B, dirs, H].
  return [
    output(node, step, seq, layout === 0 ? [1, -1, 0, 2] : [0, 1, -1, 2], 'seq', 0),
    output(node, step, last, layout === 0 ? [-1, 0, 1] : [0, -1, 1], 'last', 1),
    output(node, step, last, layout === 0 ? [-1, 0, 1] : [0, -1, 1], 'cell', 2),
  ];
}
