// Keras Dropout(rate): inverted dropout while training, the identity at inference. Masks come from
// the Philox stream of (seed, stream) that Sequential gives each training step and layer.
import { dropoutBackward, dropoutBackwardAsync, dropoutForward, dropoutForwardAsync } from '../../bindings/dropout.ts';
import { ASYNC_WORK, Buffers, Layer, rate } from './layer.ts';
import type { CallContext, Flow, Shape } from './layer.ts';

export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  private readonly buffers = new Buffers();
  private saved: { seed: number; stream: number; active: boolean } = { seed: 0, stream: 0, active: false };

  constructor(rateValue: number) {
    super(null);
    this.rate = rate('Dropout', 'rate', rateValue);
  }

  getConfig(): { rate: number } {
    return { rate: this.rate };
  }

  build(inputShape: Shape): Shape {
    this.built = true;
    this.outShape = [...inputShape];
    return this.outShape;
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const active = ctx.training && this.rate > 0;
    this.saved = { seed: ctx.seed, stream: ctx.stream, active };
    if (!active) return input;
    const x = input.data;
    if (!(x instanceof Float32Array)) throw new TypeError('Dropout: input must be a Float32Array');
    const y = this.buffers.get('y', x.length);
    if (x.length > ASYNC_WORK) await dropoutForwardAsync(x.length, this.rate, ctx.seed, ctx.stream, x, y);
    else dropoutForward(x.length, this.rate, ctx.seed, ctx.stream, x, y);
    return { data: y, shape: input.shape, lengths: input.lengths };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    if (!needInputGrad) return null;
    const s = this.saved;
    if (!s.active) return dOut;
    const dX = this.buffers.get('dX', dOut.length);
    if (dOut.length > ASYNC_WORK) await dropoutBackwardAsync(dOut.length, this.rate, s.seed, s.stream, dOut, dX);
    else dropoutBackward(dOut.length, this.rate, s.seed, s.stream, dOut, dX);
    return dX;
  }
}
