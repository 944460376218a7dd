// What the layer exporters share: the Flow (one ONNX value with what vigil knows about it: its shape,
// its physical layout, each row's valid steps and where the padding sits) and ExportGraph, a
// GraphBuilder with the helpers every exporter needs (constants, the time axis' size, valid-step
// masks, layout changes), each built once per graph and reused.
//
// Padded sequences. vigil pads 'pre' (Keras' default): the valid steps of a row are its last
// `len`. ONNX's LSTM and RNN assume the opposite (`sequence_lens`: the first `len` steps are valid),
// so a flow can also be 'post'-padded: each row rotated left by its padding, valid steps first.
// Layers that treat every step alike (Embedding, Dense, Dropout) or that only mask (Conv1D at stride
// 1, GlobalMaxPooling1D) work on either side; the exporter of a sequence rotates once where the side
// must change (rotating the int64 ids before an Embedding when an LSTM follows), not around every layer.
import { DataType, GraphBuilder, type AttrValue } from '../build.ts';
import { floatTensor, int64Tensor } from '../proto.ts';

/** A dimension: known (a number) or symbolic (its name, e.g. 'batch', 'time'). */
export type Dim = number | string;
export type PaddingSide = 'pre' | 'post';

export interface Flow {
  /** The ONNX value holding the data. */
  name: string;
  /** vigil's shape of the data, batch first and channels last, whatever the physical layout. */
  dims: Dim[];
  /** Physically [batch, channels, time] (ONNX's Conv layout) instead of vigil's [batch, time, channels]. */
  channelsFirst: boolean;
  /** int64 [batch]: each row's valid steps; null when every step is valid. */
  lengths: string | null;
  /** Where the padded steps sit when there are lengths. */
  padded: PaddingSide;
  /** int64 scalar holding the time axis' size, once some layer needed it (null: not yet). */
  time: string | null;
}

/** The time axis of a 3-D flow in its physical layout (and of a 2-D [batch, time] flow of ids). */
export const timeAxis = (f: Flow): number => (f.channelsFirst ? 2 : 1);

/** A derived dimension: exact when known, otherwise a symbol naming how it was derived. */
export function deriveDim(d: Dim, known: (n: number) => number, symbol: (s: string) => string): Dim {
  return typeof d === 'number' ? known(d) : symbol(d);
}

export class ExportGraph {
  private readonly cache = new Map<string, string>();

  constructor(readonly g: GraphBuilder) {}

  /** One node with one output; returns the output's name. */
  op(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.g.add(op, inputs, attrs)[0]!;
  }

  /** A float32 initializer named after `name` (vigil's weight name, so a reader can tell what it is). */
  floats(name: string, dims: readonly number[], data: Float32Array | readonly number[]): string {
    return this.g.constant(floatTensor(name, dims, data));
  }

  /** An int64 constant (a 1-D list, or a scalar when `scalar`), shared by every node that uses the same values. */
  ints(values: readonly number[], scalar = false): string {
    const key = `ints:${scalar ? 's' : 'v'}:${values.join(',')}`;
    return this.memo(key, () => this.g.constant(int64Tensor(scalar ? 'scalar' : 'ints', scalar ? [] : [values.length], values)));
  }

  /** A float32 scalar constant, shared. */
  scalar(v: number): string {
    return this.memo(`float:${v}`, () => this.g.constant(floatTensor('scalar', [], [v])));
  }

  memo(key: string, make: () => string): string {
    let v = this.cache.get(key);
    if (v === undefined) {
      v = make();
      this.cache.set(key, v);
    }
    return v;
  }

  /** The int64 scalar size of the flow's time axis (a constant when known); stored on the flow. */
  time(f: Flow): string {
    if (typeof f.dims[1] === 'number') return this.ints([f.dims[1]], true);
    f.time ??= this.memo(`time:${f.name}`, () => this.op('Gather', [this.op('Shape', [f.name]), this.ints([timeAxis(f)], true)], { axis: { i: 0 } }));
    return f.time;
  }

  /** The int32 copy of a lengths value (ONNX's LSTM/RNN take int32 `sequence_lens`). */
  lengths32(lengths: string): string {
    return this.memo(`len32:${lengths}`, () => this.op('Cast', [lengths], { to: { i: DataType.INT32 } }));
  }

  /** int64 [1, T]: 0, 1, ..., T - 1. */
  private steps(time: string): string {
    return this.memo(`steps:${time}`, () =>
      this.op('Unsqueeze', [this.op('Range', [this.ints([0], true), time, this.ints([1], true)]), this.ints([0])]));
  }

  /** int64 [B, 1]: the lengths as a column. */
  private column(lengths: string): string {
    return this.memo(`col:${lengths}`, () => this.op('Unsqueeze', [lengths, this.ints([1])]));
  }

  /**
   * The valid steps of a padded flow as a bool mask shaped to broadcast against it ([B, T] for ids,
   * [B, T, 1] or [B, 1, T] for sequences), or with `float` as 0/1 float32 to multiply by.
   */
  mask(f: Flow, float = false): string {
    if (!f.lengths) throw new Error('ExportGraph.mask: the flow has no lengths');
    const T = this.time(f);
    const rank = f.dims.length;
    const key = `mask:${f.lengths}:${f.padded}:${T}:${rank}:${f.channelsFirst}`;
    const bool = this.memo(key, () => {
      const col = this.column(f.lengths!);
      // 'pre': step t is valid when t >= T - len; 'post': when t < len.
      const m = f.padded === 'pre'
        ? this.op('GreaterOrEqual', [this.steps(T), this.op('Sub', [T, col])])
        : this.op('Less', [this.steps(T), col]);
      return rank === 2 ? m : this.op('Unsqueeze', [m, this.ints([f.channelsFirst ? 1 : 2])]);
    });
    return float ? this.memo(`${key}:f`, () => this.op('Cast', [bool], { to: { i: DataType.FLOAT } })) : bool;
  }

  /** The flow with its padded steps set to 0 (what vigil's convolutions and pooling see); itself without lengths. */
  zeroPadded(f: Flow): Flow {
    if (!f.lengths) return f;
    return { ...f, name: this.op('Mul', [f.name, this.mask(f, true)]) };
  }

  /** The flow with its padding on `side`: each row rotated by its padding along the time axis. */
  padTo(f: Flow, side: PaddingSide): Flow {
    if (!f.lengths || f.padded === side) return f;
    const T = this.time(f);
    const col = this.column(f.lengths);
    // pre -> post: out[t] = in[(t + T - len) mod T]; post -> pre: out[t] = in[(t + len) mod T].
    const index = this.memo(`rot:${f.lengths}:${side}:${T}`, () => {
      const shift = side === 'post' ? this.op('Sub', [T, col]) : col;
      return this.op('Mod', [this.op('Add', [this.steps(T), shift]), T]);
    });
    const axis = timeAxis(f);
    let idx = index;
    if (f.dims.length === 3) {
      idx = this.op('Expand', [this.op('Unsqueeze', [index, this.ints([f.channelsFirst ? 1 : 2])]), this.op('Shape', [f.name])]);
    }
    return { ...f, name: this.op('GatherElements', [f.name, idx], { axis: { i: axis } }), padded: side };
  }

  /** The flow in the physical layout asked for (a Transpose of a 3-D flow when it differs). */
  channels(f: Flow, first: boolean): Flow {
    if (f.dims.length !== 3 || f.channelsFirst === first) return f;
    return { ...f, name: this.op('Transpose', [f.name], { perm: { ints: [0, 2, 1] } }), channelsFirst: first };
  }
}
