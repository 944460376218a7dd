// The activations of Dense, Conv1D and TCN blocks as ONNX nodes ('linear' adds none).
import type { ExportGraph } from './graph.ts';

const OPS: Record<string, string> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' };

/** act(x) over the flow's value; softmax over the last axis, as vigil's Dense applies it. */
export function emitActivation(g: ExportGraph, x: string, activation: string): string {
  if (activation === 'linear') return x;
  if (activation === 'softmax') return g.op('Softmax', [x], { axis: { i: -1 } });
  const op = OPS[activation];
  if (!op) throw new Error(`exportOnnx: activation '${activation}' has no ONNX form`);
  return g.op(op, [x]);
}
