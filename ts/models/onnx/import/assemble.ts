// From the walked graph to a Sequential: follow the output back to the input through the layer steps
// (the chain is linear by construction: every step reads one Data value), settle each recurrent
// layer's returnSequences from what its successor reads, build the layers for the graph's input
// shape and load the converted weights.
import { Sequential } from '../../sequential.ts';
import { OnnxImportError, ONNXRUNTIME_HINT, describeNode } from './context.ts';
import { inLayout } from './steps.ts';
import type { Data, Step } from './values.ts';
import type { GraphInput, Walked } from './walk.ts';

export interface ImportedGraph {
  model: Sequential;
  input: GraphInput;
  outputName: string;
  /** For each axis of the graph's output, the axis of the model's output it is (-1: an extra axis of size 1). */
  outputAxes: number[];
}

/** The graph's output shape from the model's output shape. */
export function graphOutputShape(outputAxes: readonly number[], modelShape: readonly number[]): number[] {
  return outputAxes.map((a) => (a < 0 ? 1 : modelShape[a]!));
}

function settleView(w: Walked, d: Data): void {
  const s = d.step;
  if (!s?.recurrent) return;
  if (d.view === 'cell') w.ctx.fail(s.node, 'its cell state output (Y_c) feeds the model, and vigil\'s layers output the hidden state');
  s.options.returnSequences = d.view === 'seq';
}

/** The output reordered into the graph's axis order (a Permute when vigil's flow differs). */
function inGraphOrder(w: Walked): Data {
  const out = w.output;
  if (out.pad) w.ctx.fail(out.step?.node ?? { op_type: 'Pad' }, 'a padded tensor must go straight into a Conv');
  const visible = out.axes.filter((a) => a >= 0);
  if (visible.every((a, k) => k === 0 || a > visible[k - 1]!)) return out;
  if (visible.length !== out.flow.length) w.ctx.fail(out.step!.node, 'the output\'s axes can\'t be reordered into the graph\'s order');
  // New flow axis j = the j-th axis in the graph's order.
  const want = out.axes.map((a) => (a < 0 ? -1 : visible.indexOf(a)));
  return inLayout(w.ctx, out.step!.node, out, want, 'the output');
}

export function assemble(w: Walked): ImportedGraph {
  const out = inGraphOrder(w);
  const steps: Step[] = [];
  for (let d: Data = out; d.step; d = d.step.input) {
    settleView(w, d);
    steps.unshift(d.step);
  }
  if (steps.length === 0) throw new OnnxImportError(`${w.ctx.what}: the graph's output is its input, there is no layer to import`);
  const layers = steps.map((s) => s.make(s));
  const model = new Sequential(layers);
  try {
    model.build(w.inputData.flow.slice(1));
  } catch (err) {
    throw new OnnxImportError(`${w.ctx.what}: the imported layers do not fit the graph's input shape: ${(err as Error).message}; ${ONNXRUNTIME_HINT}`);
  }
  steps.forEach((s, i) => {
    const ws = layers[i]!.weights;
    const bad = ws.length !== s.weights.length || ws.some((wt, j) => wt.value.length !== s.weights[j]!.length);
    if (bad) throw new OnnxImportError(`${w.ctx.what}: ${describeNode(s.node)}: its weights do not fit a ${s.className} layer; ${ONNXRUNTIME_HINT}`, s.node);
    ws.forEach((wt, j) => wt.value.set(s.weights[j]!));
    layers[i]!.weightsChanged();
  });
  return { model, input: w.input, outputName: w.outputName, outputAxes: [...out.axes] };
}
