// Keras Permute(dims): reorders the axes after the batch axis; dims are 1-based (Permute([2, 1]) turns
// [batch, time, channels] into [batch, channels, time]). ONNX import uses it where a graph feeds a
// layer in another layout than vigil's (a channels-first Conv1d input, a channels-first output).
import { Buffers, Layer } from './layer.ts';
import type { CallContext, Flow, LayerConfig, Shape } from './layer.ts';

/** Writes x (shape `shape`) with its axes reordered so that out axis i is x axis order[i] (all axes). */
export function transposeInto(x: Float32Array, shape: readonly number[], order: readonly number[], out: Float32Array): void {
  const r = shape.length;
  const strides = new Array<number>(r);
  for (let k = r - 1, s = 1; k >= 0; k--) {
    strides[k] = s;
    s *= shape[k]!;
  }
  const outShape = order.map((a) => shape[a]!);
  const step = order.map((a) => strides[a]!);
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = x[src]!;
    // Odometer over the output's indices, moving src by the matching input strides.
    for (let k = r - 1; k >= 0; k--) {
      idx[k]! += 1;
      src += step[k]!;
      if (idx[k]! < outShape[k]!) break;
      src -= step[k]! * outShape[k]!;
      idx[k] = 0;
    }
  }
}

export class Permute extends Layer {
  readonly className = 'Permute';
  readonly dims: number[];
  private readonly buffers = new Buffers();
  private saved: number[] | null = null;

  constructor(dims: readonly number[]) {
    super(null);
    if (!Array.isArray(dims) || dims.length < 1) throw new TypeError('Permute: dims must be a non-empty array of axis numbers (1-based)');
    const sorted = [...dims].sort((a, b) => a - b);
    if (!sorted.every((d, i) => d === i + 1)) throw new RangeError(`Permute: dims must be a permutation of 1..${dims.length}, got [${dims.join(', ')}]`);
    this.dims = [...dims];
  }

  getConfig(): LayerConfig {
    return { dims: [...this.dims] };
  }

  build(inputShape: Shape): Shape {
    if (inputShape.length !== this.dims.length) {
      throw new RangeError(`Permute: dims [${this.dims.join(', ')}] need inputs of ${this.dims.length} axes after the batch, got [batch, ${inputShape.join(', ')}]`);
    }
    this.built = true;
    this.outShape = this.dims.map((d) => inputShape[d - 1]!);
    return this.outShape;
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const x = input.data;
    if (!(x instanceof Float32Array)) throw new TypeError('Permute: input must be a Float32Array');
    const order = [0, ...this.dims];
    const out = this.buffers.get('out', x.length);
    transposeInto(x, input.shape, order, out);
    if (ctx.training) this.saved = [...input.shape];
    // A permuted sequence is no longer [batch, time, ...] in vigil's sense: its lengths no longer apply.
    return { data: out, shape: order.map((a) => input.shape[a]!), lengths: null };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const shape = this.saved;
    if (!shape) throw new Error('Permute: backward without a training forward');
    this.saved = null;
    if (!needInputGrad) return null;
    const order = [0, ...this.dims];
    const inverse = new Array<number>(order.length);
    order.forEach((a, i) => (inverse[a] = i));
    const dX = this.buffers.get('dX', dOut.length);
    transposeInto(dOut, order.map((a) => shape[a]!), inverse, dX);
    return dX;
  }
}
