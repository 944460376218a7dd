// Keras' GlobalMaxPooling1D over [batch, time, features] -> [batch, features], over each row's
// valid steps only (the last len with 'pre' padding; Keras' masked max): a feature that fires
// anywhere in a sequence survives to the output, wherever in a long request it sits, instead of
// having to be carried to the last step by the recurrent state. A row with no valid steps gives 0.
import { Buffers, Layer, options } from './layer.ts';
import type { CallContext, Flow, LayerConfig, Shape } from './layer.ts';

export interface GlobalMaxPooling1DOptions {
  /** Keras' input_shape [time, features] when this is the first layer. */
  inputShape?: Shape;
}

export class GlobalMaxPooling1D extends Layer {
  readonly className = 'GlobalMaxPooling1D';
  private readonly buffers = new Buffers();
  // Index into the input of each output's maximum (-1: empty row), for the backward.
  private argmax: Int32Array = new Int32Array(0);
  private saved: { B: number; T: number; F: number } | null = null;

  constructor(opts?: GlobalMaxPooling1DOptions) {
    const o = options<GlobalMaxPooling1DOptions>('GlobalMaxPooling1D', opts);
    super(o.inputShape ?? null);
  }

  getConfig(): LayerConfig {
    return { inputShape: this.inputShape ? [...this.inputShape] : null };
  }

  build(inputShape: Shape, _seed: number, _streamBase: number): Shape {
    if (inputShape.length !== 2 || typeof inputShape[1] !== 'number') {
      throw new RangeError(`GlobalMaxPooling1D: input must be [batch, time, features], got [batch, ${inputShape.join(', ')}]`);
    }
    this.built = true;
    this.outShape = [inputShape[1]];
    return this.outShape;
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const x = input.data;
    if (!(x instanceof Float32Array) || input.shape.length !== 3) {
      throw new TypeError('GlobalMaxPooling1D: input must be a Float32Array [batch, time, features]');
    }
    const [B, T, F] = input.shape;
    const out = this.buffers.get('out', B * F);
    if (this.argmax.length < B * F) this.argmax = new Int32Array(B * F);
    const arg = this.argmax;
    for (let b = 0; b < B; b++) {
      const L = input.lengths ? input.lengths[b] : T;
      for (let f = 0; f < F; f++) {
        let best = -Infinity, at = -1;
        // The first maximum wins ties; a NaN wins and stays (the max of anything with NaN is NaN).
        for (let t = T - L; t < T && best === best; t++) {
          const v = x[(b * T + t) * F + f];
          if (v > best || v !== v) [best, at] = [v, (b * T + t) * F + f];
        }
        out[b * F + f] = at < 0 ? 0 : best;
        arg[b * F + f] = at;
      }
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
