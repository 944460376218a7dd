// The normalised ReLU of Lea et al. (2017)'s ED-TCN: y = ReLU(x) / (max over the last axis of
// ReLU(x) + epsilon), so at every step of a [batch, time, channels] sequence the strongest channel
// reads just under 1 and the others their share of it. Their Keras code applies
// Activation('relu') and then divides by K.max(K.abs(x), axis=channels) + 1e-5, which is the same
// thing (after the ReLU |x| = x); epsilon defaults to their 1e-5. Each step is mapped on its own,
// so padded steps cannot leak into valid ones.
//
// Backward, with r = ReLU(x), m = r[a] the step's maximum (first one on ties) and s = m + epsilon:
// dL/dr_c = (g_c - [c = a] * sum_j g_j y_j) / s, then dL/dx_c = dL/dr_c where x_c > 0 (y_c > 0),
// else 0. A step with no positive value outputs zeros and passes no gradient.
import { Buffers, Layer, options } from './layer.ts';
import type { CallContext, Flow, LayerConfig, Reserve, Shape } from './layer.ts';
import { optionNames } from '../options.ts';

export interface NormalizedReLUOptions {
  /** Added to the maximum before dividing (default 1e-5, as Lea et al.). */
  epsilon?: number;
  /** Keras' input_shape when this is the first layer. */
  inputShape?: Shape;
}

const OPTIONS = optionNames<NormalizedReLUOptions>()(['epsilon', 'inputShape']);

export class NormalizedReLU extends Layer {
  readonly className = 'NormalizedReLU';
  readonly epsilon: number;
  private readonly buffers = new Buffers();
  // Per step: the divisor s and the channel of the maximum (-1: no positive value), for the backward.
  private scale = new Float32Array(0);
  private argmax = new Int32Array(0);
  private saved: { steps: number; C: number; y: Float32Array } | null = null;

  constructor(opts?: NormalizedReLUOptions) {
    const o = options<NormalizedReLUOptions>('NormalizedReLU', opts, OPTIONS);
    super(o.inputShape ?? null);
    const eps = o.epsilon ?? 1e-5;
    if (typeof eps !== 'number') throw new TypeError(`NormalizedReLU: epsilon must be a number, got ${typeof eps}`);
    // A zero epsilon would divide 0 by 0 at a step without a positive value.
    if (!(eps > 0 && Number.isFinite(eps))) throw new RangeError(`NormalizedReLU: epsilon must be a finite number > 0, got ${eps}`);
    this.epsilon = eps;
  }

  getConfig(): LayerConfig {
    return { epsilon: this.epsilon, inputShape: this.inputShape ? [...this.inputShape] : null };
  }

  build(inputShape: Shape): Shape {
    const last = inputShape[inputShape.length - 1];
    if (inputShape.length < 1 || typeof last !== 'number') {
      throw new RangeError(`NormalizedReLU: input must have a known last (channel) axis, got [batch, ${inputShape.join(', ')}]`);
    }
    this.built = true;
    this.outShape = [...inputShape];
    return this.outShape;
  }

  override reserve(shape: readonly number[], r: Reserve): number[] | null {
    const n = shape.reduce((a, b) => a * b, 1);
    this.buffers.reserve('y', n);
    if (r.training && r.inputGrad) this.buffers.reserve('dX', n);
    this.grow(n / shape[shape.length - 1]);
    return [...shape];
  }

  private grow(steps: number): void {
    if (this.scale.length < steps) {
      this.scale = new Float32Array(steps);
      this.argmax = new Int32Array(steps);
    }
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const x = input.data;
    if (!(x instanceof Float32Array) || input.shape.length < 2) {
      throw new TypeError('NormalizedReLU: input must be a Float32Array [batch, ..., channels]');
    }
    const C = input.shape[input.shape.length - 1];
    const steps = x.length / C;
    const y = this.buffers.get('y', x.length);
    this.grow(steps);
    const eps = this.epsilon;
    for (let p = 0; p < steps; p++) {
      const o = p * C;
      let m = 0, a = -1;
      for (let c = 0; c < C; c++) {
        const v = x[o + c];
        // A NaN is kept as the maximum, so that the whole step turns NaN instead of hiding it.
        if (v > m || v !== v) {
          m = v;
          a = c;
          if (v !== v) break;
        }
      }
      const s = m + eps;
      for (let c = 0; c < C; c++) {
        const v = x[o + c];
        y[o + c] = v > 0 ? v / s : v !== v || s !== s ? Number.NaN : 0;
      }
      this.scale[p] = s;
      this.argmax[p] = a;
    }
    this.saved = ctx.training ? { steps, C, y } : null;
    return { data: y, shape: input.shape, lengths: input.lengths };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved;
    if (!s) throw new Error('NormalizedReLU: backward without a training forward');
    this.saved = null;
    if (!needInputGrad) return null;
    const { steps, C, y } = s;
    const dX = this.buffers.get('dX', steps * C);
    for (let p = 0; p < steps; p++) {
      const o = p * C;
      const a = this.argmax[p];
      const inv = 1 / this.scale[p];
      // Float64 for the dot product: it is subtracted from g_a, and the two are often close.
      let dot = 0;
      if (a >= 0) for (let c = 0; c < C; c++) dot += dOut[o + c] * y[o + c];
      for (let c = 0; c < C; c++) {
        dX[o + c] = y[o + c] > 0 ? ((c === a ? dOut[o + c] - dot : dOut[o + c]) * inv) : 0;
      }
    }
    return dX;
  }
}
