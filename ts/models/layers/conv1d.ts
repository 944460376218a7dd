// Keras Conv1D(filters, kernelSize, { dilationRate, padding, activation, useBias, kernelRegularizer })
// over channels-last [batch, time, channels], stride 1. Kernel in PyTorch/ONNX layout
// [filters, inChannels, kernelSize] (ts/bindings/conv1d.ts), bias [filters].
//
// Padded sequences ('pre' padding with lengths): the padded steps are zeroed before the
// convolution, so each valid output equals the convolution of the unpadded sequence with zero
// padding at its start (what a causal convolution of that sequence alone computes); padded
// outputs are zero. 'valid' shortens every row by (kernelSize - 1) * dilationRate steps.
import { conv1dBackward, conv1dBackwardAsync, conv1dForward, conv1dForwardAsync } from '../../bindings/conv1d.ts';
import type { Conv1dPadding, Conv1dShape } from '../../bindings/conv1d.ts';
import { uniform } from '../initializers.ts';
import { activate, activateBackward, ELEMENTWISE } from './activate.ts';
import type { ElementwiseActivation } from './activate.ts';
import { ASYNC_WORK, Buffers, Layer, options, penalize, positiveInt, regularizerOption } from './layer.ts';
import type { CallContext, Flow, LayerConfig, Regularizer, Reserve, Shape } from './layer.ts';
import { optionNames } from '../options.ts';

export interface Conv1DOptions {
  dilationRate?: number;
  padding?: Conv1dPadding;
  activation?: ElementwiseActivation | null;
  useBias?: boolean;
  kernelRegularizer?: Regularizer | null;
  inputShape?: Shape;
}

const OPTIONS = optionNames<Conv1DOptions>()(['dilationRate', 'padding', 'activation', 'useBias', 'kernelRegularizer', 'inputShape']);

const PADDINGS: readonly string[] = ['valid', 'same', 'causal'];

/** Zeroes the first T - len steps of each row of x [B, T, C] into out (x itself when nothing is padded). */
export function zeroPadded(x: Float32Array, out: Float32Array, B: number, T: number, C: number, lengths: Int32Array | null): Float32Array {
  if (!lengths || lengths.every((L) => L === T)) return x;
  for (let b = 0; b < B; b++) {
    const off = (T - lengths[b]) * C;
    out.fill(0, b * T * C, b * T * C + off);
    out.set(x.subarray(b * T * C + off, (b + 1) * T * C), b * T * C + off);
  }
  return out;
}

export class Conv1D extends Layer {
  readonly className = 'Conv1D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly dilationRate: number;
  readonly padding: Conv1dPadding;
  readonly activation: ElementwiseActivation;
  readonly useBias: boolean;
  readonly kernelRegularizer: { l1: number; l2: number } | null;
  inChannels = 0;
  kernel: Float32Array = new Float32Array(0);
  bias: Float32Array | null = null;
  private readonly buffers = new Buffers();
  private saved: { shape: Conv1dShape; x: Float32Array; y: Float32Array; inLengths: Int32Array | null; outLengths: Int32Array | null } | null = null;

  constructor(filters: number, kernelSize: number, opts?: Conv1DOptions) {
    const o = options<Conv1DOptions>('Conv1D', opts, OPTIONS);
    super(o.inputShape ?? null);
    this.filters = positiveInt('Conv1D', 'filters', filters, 1 << 16);
    this.kernelSize = positiveInt('Conv1D', 'kernelSize', kernelSize, 1 << 12);
    this.dilationRate = positiveInt('Conv1D', 'dilationRate', o.dilationRate ?? 1, 1 << 20);
    const pad = o.padding ?? 'valid';
    if (typeof pad !== 'string' || !PADDINGS.includes(pad)) throw new RangeError(`Conv1D: padding must be one of ${PADDINGS.join(', ')}, got ${JSON.stringify(pad)}`);
    this.padding = pad;
    const act = o.activation ?? 'linear';
    if (typeof act !== 'string' || !ELEMENTWISE.includes(act)) {
      throw new RangeError(`Conv1D: activation must be one of ${ELEMENTWISE.join(', ')}, got ${JSON.stringify(act)}`);
    }
    this.activation = act;
    this.useBias = o.useBias ?? true;
    if (typeof this.useBias !== 'boolean') throw new TypeError('Conv1D: useBias must be a boolean');
    this.kernelRegularizer = regularizerOption('Conv1D', 'kernelRegularizer', o.kernelRegularizer);
  }

  getConfig(): LayerConfig {
    return {
      filters: this.filters, kernelSize: this.kernelSize, dilationRate: this.dilationRate, padding: this.padding,
      activation: this.activation, useBias: this.useBias, kernelRegularizer: this.kernelRegularizer && { ...this.kernelRegularizer },
      inputShape: this.inputShape ? [...this.inputShape] : null,
    };
  }

  /** Steps the 'valid' padding removes. */
  private get shrink(): number {
    return this.padding === 'valid' ? (this.kernelSize - 1) * this.dilationRate : 0;
  }

  build(inputShape: Shape, seed: number, streamBase: number): Shape {
    const [T, C] = inputShape;
    if (inputShape.length !== 2 || typeof C !== 'number') {
      throw new RangeError(`Conv1D: input must be [batch, time, channels] with known channels, got [batch, ${inputShape.join(', ')}]`);
    }
    if (typeof T === 'number' && T - this.shrink < 1) {
      throw new RangeError(`Conv1D: 'valid' padding needs at least ${this.shrink + 1} steps (kernel ${this.kernelSize}, dilation ${this.dilationRate}), the input has ${T}`);
    }
    this.inChannels = C;
    this.weightList = [];
    // Keras' glorot_uniform over fan_in = C·K, fan_out = filters·K.
    const K = this.kernelSize;
    const limit = Math.sqrt(6 / (C * K + this.filters * K));
    this.kernel = this.weight('kernel', uniform(this.filters * C * K, -limit, limit, seed, streamBase), [this.filters, C, K]);
    this.bias = this.useBias ? this.weight('bias', new Float32Array(this.filters), [this.filters]) : null;
    this.built = true;
    this.outShape = [typeof T === 'number' ? T - this.shrink : null, this.filters];
    return this.outShape;
  }

  override reserve(shape: readonly number[], r: Reserve): number[] | null {
    const [B, T, C] = shape;
    if (shape.length !== 3 || T - this.shrink < 1) return null;
    const n = B * (T - this.shrink) * this.filters;
    this.buffers.reserve('z', n);
    if (this.activation !== 'linear' && this.activation !== 'relu') this.buffers.reserve('y', n);
    if (r.training) {
      if (this.activation !== 'linear') this.buffers.reserve('dZ', n);
      if (r.inputGrad) this.buffers.reserve('dX', B * T * C);
    }
    return [B, T - this.shrink, this.filters];
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const x0 = input.data;
    if (!(x0 instanceof Float32Array) || input.shape.length !== 3) throw new TypeError('Conv1D: input must be a Float32Array [batch, time, channels]');
    const [B, T, C] = input.shape;
    if (T - this.shrink < 1) {
      throw new RangeError(`Conv1D: 'valid' padding needs at least ${this.shrink + 1} steps (kernel ${this.kernelSize}, dilation ${this.dilationRate}), the input has ${T}`);
    }
    const padded = input.lengths !== null && input.lengths.some((L) => L !== T);
    const x = padded ? zeroPadded(x0, this.buffers.get('x', x0.length), B, T, C, input.lengths) : x0;
    const shape: Conv1dShape = {
      batch: B, time: T, inChannels: C, outChannels: this.filters, kernelSize: this.kernelSize, dilation: this.dilationRate, padding: this.padding,
    };
    const To = T - this.shrink, F = this.filters;
    const n = B * To * F;
    // Linear and ReLU outputs come straight from the kernel: into the model's result when given one.
    const direct = (this.activation === 'linear' || this.activation === 'relu') && ctx.out?.length === n;
    const z = direct ? ctx.out as Float32Array : this.buffers.get('z', n);
    // ReLU is applied by the kernel as it stores each tile; the other activations take a pass of their own.
    const fused = this.activation === 'relu' ? 'relu' : 'linear';
    if (B * To * F * C * this.kernelSize > ASYNC_WORK) await conv1dForwardAsync(shape, x, this.kernel, this.bias, z, fused);
    else conv1dForward(shape, x, this.kernel, this.bias, z, fused);
    let y = z;
    if (this.activation !== 'linear' && this.activation !== 'relu') {
      y = ctx.out?.length === n ? ctx.out : this.buffers.get('y', n);
      await activate(this.activation, z.length, z, y);
    }
    const outLengths = input.lengths && Int32Array.from(input.lengths, (L) => Math.max(0, L - this.shrink));
    if (outLengths) zeroPadded(y, y, B, To, F, outLengths);
    if (ctx.training) this.saved = { shape, x, y, inLengths: input.lengths, outLengths };
    return { data: y, shape: [B, To, F], lengths: outLengths };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved;
    if (!s) throw new Error('Conv1D: backward without a training forward');
    this.saved = null;
    const { shape } = s;
    const To = shape.time - this.shrink, F = this.filters;
    let dZ = dOut;
    // ReLU's mask is applied by conv1dBackward (relu below); padded outputs are 0 there, so masked out too.
    const relu = this.activation === 'relu' ? { out: s.y, dZ: this.buffers.get('dZ', dOut.length) } : null;
    if (this.activation !== 'linear' && !relu) {
      dZ = this.buffers.get('dZ', dOut.length);
      await activateBackward(this.activation, dOut.length, s.y, dOut, dZ);
    }
    // Padded outputs are constants (zero): no gradient flows through them.
    if (s.outLengths && !relu) dZ = zeroPadded(dZ, this.buffers.get('dZp', dZ.length), shape.batch, To, F, s.outLengths);
    const dX = needInputGrad ? this.buffers.get('dX', shape.batch * shape.time * shape.inChannels) : null;
    const dW = this.weightList[0].grad, db = this.bias ? this.weightList[1].grad : null;
    if (shape.batch * To * F * shape.inChannels * this.kernelSize > ASYNC_WORK) await conv1dBackwardAsync(shape, s.x, this.kernel, dZ, dX, dW, db, relu);
    else conv1dBackward(shape, s.x, this.kernel, dZ, dX, dW, db, relu);
    // The padded input steps were replaced by zeros: the output does not depend on them.
    if (dX && s.inLengths) zeroPadded(dX, dX, shape.batch, shape.time, shape.inChannels, s.inLengths);
    return dX;
  }

  override regularize(): number {
    return this.kernelRegularizer ? penalize(this.kernelRegularizer, this.weightList[0]) : 0;
  }
}
