// Keras' global poolings over time, [batch, time, features] -> [batch, features], over each row's
// valid steps only (the last len with 'pre' padding; Keras' masked pooling). A row with no valid
// steps gives 0.
// - GlobalMaxPooling1D: a feature that fires anywhere in a sequence survives to the output,
//   wherever in a long request it sits, instead of having to be carried to the last step by the
//   recurrent state; but it keeps only whether it fired, not how often.
// - GlobalAveragePooling1D: the mean over the valid steps, i.e. how much of the sequence a
//   feature covers (padding never dilutes it).
import { Buffers, Layer, options } from './layer.ts';
import type { CallContext, Flow, LayerConfig, Reserve, Shape } from './layer.ts';
import { optionNames } from '../options.ts';

export interface GlobalPooling1DOptions {
  /** Keras' input_shape [time, features] when this is the first layer. */
  inputShape?: Shape;
}

const OPTIONS = optionNames<GlobalPooling1DOptions>()(['inputShape']);
export type GlobalMaxPooling1DOptions = GlobalPooling1DOptions;
export type GlobalAveragePooling1DOptions = GlobalPooling1DOptions;

/** What both poolings share: options, config, the shape rule and the input check. */
abstract class GlobalPooling1D extends Layer {
  protected readonly buffers = new Buffers();

  constructor(className: string, opts?: GlobalPooling1DOptions) {
    const o = options<GlobalPooling1DOptions>(className, opts, OPTIONS);
    super(o.inputShape ?? null);
  }

  getConfig(): LayerConfig {
    return { inputShape: this.inputShape ? [...this.inputShape] : null };
  }

  build(inputShape: Shape, _seed: number, _streamBase: number): Shape {
    if (inputShape.length !== 2 || typeof inputShape[1] !== 'number') {
      throw new RangeError(`${this.className}: input must be [batch, time, features], got [batch, ${inputShape.join(', ')}]`);
    }
    this.built = true;
    this.outShape = [inputShape[1]];
    return this.outShape;
  }

  override reserve(shape: readonly number[], r: Reserve): number[] | null {
    const [B, T, F] = shape;
    this.buffers.reserve('out', B * F);
    if (r.training && r.inputGrad) this.buffers.reserve('dX', B * T * F);
    this.reserveScratch(B, F);
    return [B, F];
  }

  /** Grows the subclass's own scratch arrays for B rows of F features. */
  protected abstract reserveScratch(B: number, F: number): void;

  /** The input's data and [B, T, F], or a TypeError naming the layer. */
  protected input3d(input: Flow): [Float32Array, number, number, number] {
    const x = input.data;
    if (!(x instanceof Float32Array) || input.shape.length !== 3) {
      throw new TypeError(`${this.className}: input must be a Float32Array [batch, time, features]`);
    }
    const [B, T, F] = input.shape;
    return [x, B, T, F];
  }
}

export class GlobalMaxPooling1D extends GlobalPooling1D {
  readonly className = 'GlobalMaxPooling1D';
  // Index into the input of each output's maximum (-1: empty row), for the backward.
  private argmax: Int32Array = new Int32Array(0);
  private saved: { B: number; T: number; F: number } | null = null;

  constructor(opts?: GlobalMaxPooling1DOptions) {
    super('GlobalMaxPooling1D', opts);
  }

  protected reserveScratch(B: number, F: number): void {
    if (this.argmax.length < B * F) this.argmax = new Int32Array(B * F);
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const [x, B, T, F] = this.input3d(input);
    const out = this.buffers.get('out', B * F);
    if (this.argmax.length < B * F) this.argmax = new Int32Array(B * F);
    const arg = this.argmax;
    // Step by step along each row (the features of a step are contiguous; a per-feature walk
    // down the time axis would touch a new cache line at every read).
    for (let b = 0; b < B; b++) {
      const L = input.lengths ? input.lengths[b] : T;
      const o = b * F;
      out.fill(-Infinity, o, o + F);
      arg.fill(-1, o, o + F);
      for (let t = T - L; t < T; t++) {
        const row = (b * T + t) * F;
        for (let f = 0; f < F; f++) {
          const best = out[o + f];
          // The first maximum wins ties; a NaN wins and stays (the max of anything with NaN is NaN).
          const v = x[row + f];
          if (best === best && (v > best || v !== v)) {
            out[o + f] = v;
            arg[o + f] = row + f;
          }
        }
      }
      for (let f = 0; f < F; f++) if (arg[o + f] < 0) out[o + f] = 0;
    }
    if (ctx.training) this.saved = { B, T, F };
    return { data: out, shape: [B, F], lengths: null };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved;
    if (!s) throw new Error('GlobalMaxPooling1D: backward without a training forward');
    this.saved = null;
    if (!needInputGrad) return null;
    const { B, T, F } = s;
    const dX = this.buffers.get('dX', B * T * F);
    dX.fill(0);
    for (let i = 0; i < B * F; i++) if (this.argmax[i] >= 0) dX[this.argmax[i]] = dOut[i];
    return dX;
  }
}

export class GlobalAveragePooling1D extends GlobalPooling1D {
  readonly className = 'GlobalAveragePooling1D';
  private sum = new Float64Array(0);
  private saved: { B: number; T: number; F: number; lengths: Int32Array | null } | null = null;

  constructor(opts?: GlobalAveragePooling1DOptions) {
    super('GlobalAveragePooling1D', opts);
  }

  protected reserveScratch(_B: number, F: number): void {
    if (this.sum.length < F) this.sum = new Float64Array(F);
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const [x, B, T, F] = this.input3d(input);
    const out = this.buffers.get('out', B * F);
    // Sums in float64: a mean over 1,024 steps in float32 would lose the low bits of small features.
    if (this.sum.length < F) this.sum = new Float64Array(F);
    const sum = this.sum;
    for (let b = 0; b < B; b++) {
      const L = input.lengths ? input.lengths[b] : T;
      sum.fill(0);
      for (let t = T - L; t < T; t++) {
        const row = (b * T + t) * F;
        for (let f = 0; f < F; f++) sum[f] += x[row + f];
      }
      for (let f = 0; f < F; f++) out[b * F + f] = L > 0 ? sum[f] / L : 0;
    }
    if (ctx.training) this.saved = { B, T, F, lengths: input.lengths };
    return { data: out, shape: [B, F], lengths: null };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved;
    if (!s) throw new Error('GlobalAveragePooling1D: backward without a training forward');
    this.saved = null;
    if (!needInputGrad) return null;
    const { B, T, F, lengths } = s;
    const dX = this.buffers.get('dX', B * T * F);
    for (let b = 0; b < B; b++) {
      const L = lengths ? lengths[b] : T;
      // Padded steps get no gradient; each valid step gets 1/L of the row's.
      dX.fill(0, b * T * F, (b * T + T - L) * F);
      for (let t = T - L; t < T; t++) {
        const row = (b * T + t) * F;
        for (let f = 0; f < F; f++) dX[row + f] = dOut[b * F + f] / L;
      }
    }
    return dX;
  }
}
