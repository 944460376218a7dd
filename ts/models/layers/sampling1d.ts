// The time-axis resampling layers of the encoder-decoder TCN, channels-last [batch, time, channels]
// as Keras: MaxPooling1D(poolSize, { strides, padding }) and UpSampling1D(size); and RepeatVector(n),
// which turns an encoder's [batch, features] summary into a sequence for a decoder.
//
// Padded sequences ('pre' padding with lengths): MaxPooling1D zeroes the padded steps first and an
// output step counts as valid when its window reaches a valid step (so the window that straddles
// the boundary is valid and sees zeros for the padded part); UpSampling1D multiplies lengths by size.
import {
  maxPool1dBackward, maxPool1dBackwardAsync, maxPool1dForward, maxPool1dForwardAsync, maxPool1dOutputLength,
  upSampling1dBackward, upSampling1dBackwardAsync, upSampling1dForward, upSampling1dForwardAsync,
} from '../../bindings/pool1d.ts';
import type { MaxPool1dShape, Pool1dPadding } from '../../bindings/pool1d.ts';
import { zeroPadded } from './conv1d.ts';
import { ASYNC_WORK, Buffers, Layer, options, positiveInt } from './layer.ts';
import type { CallContext, Flow, LayerConfig, Shape } from './layer.ts';
import { optionNames } from '../options.ts';

function sequenceInput(cls: string, input: Flow): [Float32Array, number, number, number] {
  if (!(input.data instanceof Float32Array) || input.shape.length !== 3) throw new TypeError(`${cls}: input must be a Float32Array [batch, time, channels]`);
  const [B, T, C] = input.shape;
  return [input.data, B, T, C];
}

function sequenceShape(cls: string, inputShape: Shape): [number | null, number] {
  const [T, C] = inputShape;
  if (inputShape.length !== 2 || typeof C !== 'number') {
    throw new RangeError(`${cls}: input must be [batch, time, channels] with known channels, got [batch, ${inputShape.join(', ')}]`);
  }
  return [T, C];
}

export interface MaxPooling1DOptions {
  /** Default poolSize, as Keras. */
  strides?: number;
  padding?: Pool1dPadding;
  inputShape?: Shape;
}

const MAX_POOLING_OPTIONS = optionNames<MaxPooling1DOptions>()(['strides', 'padding', 'inputShape']);

export class MaxPooling1D extends Layer {
  readonly className = 'MaxPooling1D';
  readonly poolSize: number;
  readonly strides: number;
  readonly padding: Pool1dPadding;
  private readonly buffers = new Buffers();
  private argmax = new Int32Array(0);
  private saved: MaxPool1dShape | null = null;

  constructor(poolSize = 2, opts?: MaxPooling1DOptions) {
    const o = options<MaxPooling1DOptions>('MaxPooling1D', opts, MAX_POOLING_OPTIONS);
    super(o.inputShape ?? null);
    this.poolSize = positiveInt('MaxPooling1D', 'poolSize', poolSize, 1 << 16);
    this.strides = positiveInt('MaxPooling1D', 'strides', o.strides ?? this.poolSize, 1 << 16);
    const p = o.padding ?? 'valid';
    if (p !== 'valid' && p !== 'same') throw new RangeError(`MaxPooling1D: padding must be 'valid' or 'same', got ${JSON.stringify(p)}`);
    this.padding = p;
  }

  getConfig(): LayerConfig {
    return { poolSize: this.poolSize, strides: this.strides, padding: this.padding, inputShape: this.inputShape ? [...this.inputShape] : null };
  }

  private outLength(T: number): number {
    if (this.padding === 'valid' && T < this.poolSize) throw new RangeError(`MaxPooling1D: 'valid' pooling needs at least ${this.poolSize} steps, the input has ${T}`);
    return maxPool1dOutputLength({ time: T, poolSize: this.poolSize, strides: this.strides, padding: this.padding });
  }

  build(inputShape: Shape): Shape {
    const [T, C] = sequenceShape('MaxPooling1D', inputShape);
    this.built = true;
    this.outShape = [T === null ? null : this.outLength(T), C];
    return this.outShape;
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const [x0, B, T, C] = sequenceInput('MaxPooling1D', input);
    const To = this.outLength(T);
    const x = zeroPadded(x0, this.buffers.get('x', x0.length), B, T, C, input.lengths);
    const s: MaxPool1dShape = { batch: B, time: T, channels: C, poolSize: this.poolSize, strides: this.strides, padding: this.padding };
    const y = this.buffers.get('y', B * To * C);
    if (ctx.training && this.argmax.length < y.length) this.argmax = new Int32Array(y.length);
    const arg = ctx.training ? this.argmax.subarray(0, y.length) : null;
    if (x.length > ASYNC_WORK) await maxPool1dForwardAsync(s, x, y, arg);
    else maxPool1dForward(s, x, y, arg);
    if (ctx.training) this.saved = s;
    let lengths: Int32Array | null = null;
    if (input.lengths) {
      // Windows start at i·strides - left pad; the valid steps are [T - len, T).
      const left = this.padding === 'same' ? Math.floor(Math.max(0, (To - 1) * this.strides + this.poolSize - T) / 2) : 0;
      lengths = Int32Array.from(input.lengths, (L) => {
        let first = 0;
        while (first < To && first * this.strides - left + this.poolSize <= T - L) first++;
        return To - first;
      });
      zeroPadded(y, y, B, To, C, lengths);
    }
    return { data: y, shape: [B, To, C], lengths };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved;
    if (!s) throw new Error('MaxPooling1D: backward without a training forward');
    this.saved = null;
    if (!needInputGrad) return null;
    const dX = this.buffers.get('dX', s.batch * s.time * s.channels);
    const arg = this.argmax.subarray(0, dOut.length);
    if (dX.length > ASYNC_WORK) await maxPool1dBackwardAsync(s, arg, dOut, dX);
    else maxPool1dBackward(s, arg, dOut, dX);
    return dX;
  }
}

export class UpSampling1D extends Layer {
  readonly className = 'UpSampling1D';
  readonly size: number;
  private readonly buffers = new Buffers();
  private saved: { B: number; T: number; C: number } | null = null;

  constructor(size = 2, opts?: { inputShape?: Shape }) {
    const o = options<{ inputShape?: Shape }>('UpSampling1D', opts, ['inputShape']);
    super(o.inputShape ?? null);
    this.size = positiveInt('UpSampling1D', 'size', size, 1 << 16);
  }

  getConfig(): LayerConfig {
    return { size: this.size, inputShape: this.inputShape ? [...this.inputShape] : null };
  }

  build(inputShape: Shape): Shape {
    const [T, C] = sequenceShape('UpSampling1D', inputShape);
    this.built = true;
    this.outShape = [T === null ? null : T * this.size, C];
    return this.outShape;
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const [x, B, T, C] = sequenceInput('UpSampling1D', input);
    const y = this.buffers.get('y', x.length * this.size);
    if (y.length > ASYNC_WORK) await upSampling1dForwardAsync(B, T, C, this.size, x, y);
    else upSampling1dForward(B, T, C, this.size, x, y);
    if (ctx.training) this.saved = { B, T, C };
    return { data: y, shape: [B, T * this.size, C], lengths: input.lengths && input.lengths.map((L) => L * this.size) };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved;
    if (!s) throw new Error('UpSampling1D: backward without a training forward');
    this.saved = null;
    if (!needInputGrad) return null;
    const dX = this.buffers.get('dX', s.B * s.T * s.C);
    if (dOut.length > ASYNC_WORK) await upSampling1dBackwardAsync(s.B, s.T, s.C, this.size, dOut, dX);
    else upSampling1dBackward(s.B, s.T, s.C, this.size, dOut, dX);
    return dX;
  }
}

/** Keras RepeatVector(n): [batch, features] -> [batch, n, features]. */
export class RepeatVector extends Layer {
  readonly className = 'RepeatVector';
  readonly n: number;
  private readonly buffers = new Buffers();
  private saved: { B: number; F: number } | null = null;

  constructor(n: number) {
    super(null);
    this.n = positiveInt('RepeatVector', 'n', n, 1 << 24);
  }

  getConfig(): LayerConfig {
    return { n: this.n };
  }

  build(inputShape: Shape): Shape {
    if (inputShape.length !== 1 || typeof inputShape[0] !== 'number') {
      throw new RangeError(`RepeatVector: input must be [batch, features], got [batch, ${inputShape.join(', ')}]`);
    }
    this.built = true;
    this.outShape = [this.n, inputShape[0]];
    return this.outShape;
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const x = input.data;
    if (!(x instanceof Float32Array) || input.shape.length !== 2) throw new TypeError('RepeatVector: input must be a Float32Array [batch, features]');
    const [B, F] = input.shape;
    const y = this.buffers.get('y', B * this.n * F);
    for (let b = 0; b < B; b++) {
      const row = x.subarray(b * F, (b + 1) * F);
      for (let t = 0; t < this.n; t++) y.set(row, (b * this.n + t) * F);
    }
    if (ctx.training) this.saved = { B, F };
    return { data: y, shape: [B, this.n, F], lengths: null };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved;
    if (!s) throw new Error('RepeatVector: backward without a training forward');
    this.saved = null;
    if (!needInputGrad) return null;
    const { B, F } = s;
    const dX = this.buffers.get('dX', B * F);
    dX.fill(0);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < this.n; t++) {
        const at = (b * this.n + t) * F;
        for (let f = 0; f < F; f++) dX[b * F + f] += dOut[at + f];
      }
    }
    return dX;
  }
}
