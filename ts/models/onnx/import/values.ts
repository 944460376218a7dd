// What the importer knows about each ONNX value while it walks the graph. Every value is one of:
// - Const: a constant tensor (initializer, Constant node, or folded from constants);
// - ShapeOf: a shape computed from the data (Shape -> Gather -> Unsqueeze -> Concat), with symbolic dims;
// - Zeros: an all-zero tensor of such a shape (torch's h0 = torch.zeros(layers, x.size(0), H));
// - Data: the model's activations, i.e. the output of a vigil layer seen through the ONNX layout;
// - Stack: LSTM final states concatenated along their first axis (torch's h_n of num_layers > 1).
// Data values carry the mapping between the ONNX tensor's axes and vigil's flow ([batch, time,
// features], batch first, channels last), so Transposes and Squeezes cost nothing: they only remap.
import type { Layer } from '../../layers/layer.ts';
import type { NodeProto } from '../proto.ts';

export interface Const {
  kind: 'const';
  dims: number[];
  /** Values row-major; int64 indices are exact up to 2^53 (far beyond any shape or index here). */
  data: Float64Array;
  isInt: boolean;
}

/** A dimension of a shape computed from data: a number, or a symbol such as 'batch'. */
export type Dim = number | string;

export interface ShapeOf {
  kind: 'shape';
  dims: Dim[];
  /** A scalar (a Gather of one dimension) rather than a 1-D shape vector. */
  scalar: boolean;
}

export interface Zeros {
  kind: 'zeros';
}

/** Which output of a recurrent step a Data value shows: every step, the last state, or the cell state. */
export type View = 'seq' | 'last' | 'cell';

/** One vigil layer to be: created by a rule, completed by later rules (fused activation, bias, view). */
export interface Step {
  className: string;
  /** The ONNX node the layer comes from (errors name it). */
  node: NodeProto;
  /** The Data value this layer consumes. */
  input: Data;
  /** Options later rules may complete (activation, padding, returnSequences, ...). */
  options: Record<string, unknown>;
  /** The layer's weights in vigil's order and layout (Layer.weights). */
  weights: Float32Array[];
  make(step: Step): Layer;
  /** Recurrent layers: their output depends on the view the next layer reads. */
  recurrent?: boolean;
  /** Conv1D: pads the ONNX graph applies on the time axis (left, right), settled into a padding mode at the end. */
  pads?: [number, number];
  /** Conv1D: the kernel's span (kernelSize - 1) * dilation. */
  span?: number;
}

export interface Data {
  kind: 'data';
  name: string;
  /** The layer that produced the flow (null: the graph input). */
  step: Step | null;
  /** The flow's shape, batch first (null: known only at run time). */
  flow: (number | null)[];
  /** For each ONNX axis, the flow axis it is (-1: an extra axis of size 1). */
  axes: number[];
  ids: boolean;
  view: View;
  /** After a Flatten of a reordered layout: ONNX feature index -> vigil feature index. */
  featurePerm: Int32Array | null;
  /** A constant Pad on ONNX axis `axis` waiting for the Conv that consumes it. */
  pad: { axis: number; left: number; right: number } | null;
  /** Every value from the step's output to this one had no other consumer: rules may still change the step. */
  exclusive: boolean;
}

export interface Stack {
  kind: 'stack';
  items: Data[];
}

export type Value = Const | ShapeOf | Zeros | Data | Stack;

/** The size of each ONNX axis of a Data value. */
export function onnxDims(d: Data): (number | null)[] {
  return d.axes.map((a) => (a < 0 ? 1 : d.flow[a]!));
}

export function constOf(dims: number[], data: ArrayLike<number>, isInt: boolean): Const {
  return { kind: 'const', dims, data: Float64Array.from(data), isInt };
}

export function isConst(v: Value | undefined): v is Const {
  return v?.kind === 'const';
}
